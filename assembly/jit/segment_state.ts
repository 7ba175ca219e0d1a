// The segment state (and privilege) a unit's guard checks, as one word of bits, so the guard is
// a load and a compare instead of loading every segment it uses. The run loop brings the word up
// to date before it enters a unit and the helper after each instruction it interprets for one;
// nothing else can change a segment while units run (segment loads, far transfers and mode
// changes end units). It is recomputed only after a segment register or the CPL changed
// (cpu/descriptors.ts) or the host had the machine (each run starts so): in the gzip pipeline
// of the Linux bench, recomputing it at every unit entry and callout was 1.7 % of the time.
import { JIT_SEGMENTS, SEG_CS, SEG_SS, CPL } from "../layout";
import { segAccess, segBase, segLimit, ACC_DB, ACC_UNUSABLE, ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN } from "../cpu/state";

/** Bit of segment `seg`: usable, readable, writable and expand-up, with a 4 GiB limit. */
@inline export function flatBit(seg: u32): u32 { return <u32>1 << seg; }
/** Bit of segment `seg`: based at 0. */
@inline export function zeroBasedBit(seg: u32): u32 { return <u32>1 << (8 + seg); }
/** CS reaches 4 GiB, so no jump needs a limit check. */
export const CS_REACHES_4G: u32 = 1 << 16;
/** SS is a 32-bit stack (ESP, not SP). */
export const STACK_32: u32 = 1 << 17;
/** CPL is 0, so CLI cannot fault. */
export const CPL_0: u32 = 1 << 18;

// Whether a segment register or the CPL may differ from what the word says.
let stale = true;

/** A segment register or the CPL changed (or the host may have changed them). */
export function segmentStateChanged(): void { stale = true; }

export function updateSegmentState(): void {
  if (!stale) return;
  stale = false;
  let state: u32 = 0;
  for (let seg: u32 = 0; seg < 6; seg++) {
    if ((segAccess(seg) & (ACC_UNUSABLE | ACC_NO_READ | ACC_NO_WRITE | ACC_EXPAND_DOWN)) == 0 && segLimit(seg) == 0xffffffff) {
      state |= flatBit(seg);
    }
    if (segBase(seg) == 0) state |= zeroBasedBit(seg);
  }
  if (segLimit(SEG_CS) == 0xffffffff) state |= CS_REACHES_4G;
  if ((segAccess(SEG_SS) & ACC_DB) != 0) state |= STACK_32;
  if (load<u32>(CPL) == 0) state |= CPL_0;
  store<u32>(JIT_SEGMENTS, state);
}
