// The engine's exports: what the TypeScript host calls. Everything else it reads and writes
// through the state block at the offsets in layout.ts.
import {
  GUEST_RAM, EXCEPTION_VECTOR, EXCEPTION_DELIVERING, A20_MASK, TLB_VALID_COUNT, TLB_GLOBAL_COUNT, REG_EFLAGS,
  FLAGS_LAZY_MASK, REG_EDX, REG_EIP, MSR_APIC_BASE, DEC_LENGTH, STATE_BASE, DECODE_CACHE, DECODE_CACHE_ENTRIES,
  DECODE_CACHE_ENTRY_BYTES, STATE_SIZE, TLB_BASE, TLB_SIZE, CR0, GDTR_LIMIT, IDTR_LIMIT,
} from "./layout";
import { setRamSize, ramBytes } from "./mmu/physical";
import { tlbFlush } from "./mmu/tlb";
import { clearCodePages, noteHostWrite, setTranslatedInfoBase } from "./mmu/code_pages";
import { setSegmentCache, setCpl } from "./cpu/descriptors";
import { CR0_ET } from "./cpu/state";
import { APIC_BASE_RESET } from "./cpu/control";
import { decodeUncached } from "./cpu/decoder";
import { translate } from "./mmu/paging";

export { run, resume } from "./cpu/run";
export { peekFlags } from "./cpu/flags";
export { jitHelper, jitSlowPath } from "./jit/helper";
export { setJitThreshold } from "./jit/units";
export { setChaining as setJitChaining } from "./jit/codegen";
export { unitEntries as jitUnitEntries } from "./jit/entry_cache";
import { jitFlush } from "./jit/units";

/** Grow memory for `ramBytes` of guest RAM and reset the CPU. Returns false if memory is short. */
export function initialize(ramBytes: u32): bool {
  // Guest RAM, then the translator's per-page chunk masks and generations (8 bytes a page).
  const needed = <u64>GUEST_RAM + <u64>ramBytes + (<u64>(ramBytes >>> 12) << 3);
  const have = <u64>memory.size() << 16;
  if (needed > have) {
    const pages = <i32>((needed - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return false;
  }
  memory.fill(TLB_BASE, 0, TLB_SIZE);
  store<u32>(TLB_VALID_COUNT, 0);
  store<u32>(TLB_GLOBAL_COUNT, 0);
  setTranslatedInfoBase(<usize>GUEST_RAM + <usize>ramBytes);
  setRamSize(ramBytes);
  resetCpu();
  return true;
}

/** Power-on state (SDM vol. 3, 9.1.1): real mode at F000:FFF0. */
export function resetCpu(): void {
  memory.fill(STATE_BASE, 0, STATE_SIZE);
  invalidateDecodedCode();
  setRamSize(ramBytes); // the size lives in the state block too
  store<u32>(REG_EFLAGS, 2);
  store<u32>(FLAGS_LAZY_MASK, 0);
  store<u32>(CR0, 0x60000000 | CR0_ET);
  store<u32>(GDTR_LIMIT, 0xffff);
  store<u32>(IDTR_LIMIT, 0xffff);
  store<i32>(EXCEPTION_VECTOR, -1);
  store<i32>(EXCEPTION_DELIVERING, -1);
  store<u32>(A20_MASK, 0xffffffff);
  // Data segments: 64 KiB read/write; CS at F000 with its base at the top of the address space.
  for (let seg: u32 = 0; seg < 6; seg++) setSegmentCache(seg, 0, 0, 0xffff, 0x93);
  setSegmentCache(1, 0xf000, 0xffff0000, 0xffff, 0x9b);
  setSegmentCache(6, 0, 0, 0xffff, 0x82);
  setSegmentCache(7, 0, 0, 0xffff, 0x8b);
  store<u32>(REG_EIP, 0xfff0);
  store<u32>(REG_EDX, 0x0652); // EDX holds the CPU signature after reset (SDM vol. 3, 9.1.4)
  store<u32>(MSR_APIC_BASE, APIC_BASE_RESET);
  setCpl(0);
  tlbFlush(false);
}

/** Forget all decoded code: the host rewrote guest RAM (loader, reset, snapshot restore). */
export function invalidateDecodedCode(): void {
  memory.fill(DECODE_CACHE, 0, DECODE_CACHE_ENTRIES * DECODE_CACHE_ENTRY_BYTES);
  clearCodePages(ramBytes >>> 12);
  jitFlush();
}

/**
 * The host wrote guest RAM directly (DMA, a debugger, a loader): cached decodes of the pages it
 * touched are dropped, as a CPU write would drop them.
 */
export function hostWroteMemory(address: u32, length: u32): void {
  if (length == 0) return;
  const last = address + length - 1;
  for (let page = address >>> 12; page <= last >>> 12 && page < (ramBytes >>> 12); page++) noteHostWrite(page);
}

/** Load a segment register's cache directly (loaders, snapshots). */
export function loadSegmentCache(seg: u32, selector: u32, base: u32, limit: u32, access: u32): void {
  setSegmentCache(seg, selector, base, limit, access);
}

/** Recompute derived state after the host wrote the state block (CPL masks, TLB). */
export function stateChanged(cpl: u32): void {
  setCpl(cpl);
  tlbFlush(false);
}

export function guestRamOffset(): u32 { return GUEST_RAM; }

// ---- Entry points for unit tests of single stages -----------------------------------------

/** Decode the instruction at CS:EIP into the record without executing it; returns its length. */
export function decodeInstruction(): u32 {
  decodeUncached();
  return <u32>load<u8>(DEC_LENGTH);
}

/** Translate a linear address as an access would (fills the TLB, may raise #PF); returns physical. */
export function translateLinear(linear: u32, write: bool, user: bool): u32 {
  return translate(linear, write, user);
}

/** Drop every TLB entry. */
export function flushTlb(): void {
  tlbFlush(false);
}
