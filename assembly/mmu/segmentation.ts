// Segment-relative addresses: limit and access checks against the descriptor cache
// (SDM vol. 3, 5.3 and 5.10), giving a linear address or raising #GP(0) / #SS(0).
import { SEG_ACCESS, SEG_LIMIT, SEG_BASE } from "../layout";
import { SEG_SS, } from "../layout";
import {
  ACC_DB, ACC_UNUSABLE, ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN, EXC_GP, EXC_SS,
} from "../cpu/state";
import { raiseFault } from "../cpu/fault";
import {
  readLinear8, readLinear16, readLinear32, writeLinear8, writeLinear16, writeLinear32,
} from "./linear";

const READ_PROBLEMS: u32 = ACC_UNUSABLE | ACC_NO_READ | ACC_EXPAND_DOWN;
const WRITE_PROBLEMS: u32 = ACC_UNUSABLE | ACC_NO_WRITE | ACC_EXPAND_DOWN;

/** Linear address of [offset, offset+size) in `seg` for reading. */
@inline export function linearForRead(seg: u32, offset: u32, size: u32): u32 {
  const access = load<u32>(SEG_ACCESS + (seg << 2));
  const limit = load<u32>(SEG_LIMIT + (seg << 2));
  if ((access & READ_PROBLEMS) != 0 || offset > limit || limit - offset < size - 1) {
    return checkedLinear(seg, offset, size, READ_PROBLEMS & ~ACC_EXPAND_DOWN);
  }
  return load<u32>(SEG_BASE + (seg << 2)) + offset;
}

/** Linear address of [offset, offset+size) in `seg` for writing. */
@inline export function linearForWrite(seg: u32, offset: u32, size: u32): u32 {
  const access = load<u32>(SEG_ACCESS + (seg << 2));
  const limit = load<u32>(SEG_LIMIT + (seg << 2));
  if ((access & WRITE_PROBLEMS) != 0 || offset > limit || limit - offset < size - 1) {
    return checkedLinear(seg, offset, size, WRITE_PROBLEMS & ~ACC_EXPAND_DOWN);
  }
  return load<u32>(SEG_BASE + (seg << 2)) + offset;
}

// The full check, for expand-down segments and for accesses that fail the quick test.
function checkedLinear(seg: u32, offset: u32, size: u32, forbidden: u32): u32 {
  const access = load<u32>(SEG_ACCESS + (seg << 2));
  const limit = load<u32>(SEG_LIMIT + (seg << 2));
  let ok = (access & forbidden) == 0;
  if (ok) {
    const last = offset + size - 1;
    if ((access & ACC_EXPAND_DOWN) != 0) {
      // Valid offsets are limit+1 .. 0xffff or 0xffffffff by the B bit (SDM vol. 3, 5.3).
      const upper: u32 = (access & ACC_DB) != 0 ? 0xffffffff : 0xffff;
      ok = offset > limit && last >= offset && last <= upper;
    } else if (limit == 0xffffffff) {
      // A 4 GiB segment holds every offset; an access that runs past 0xffffffff wraps around
      // in the linear address space instead of faulting (as QEMU and Bochs do).
      ok = true;
    } else {
      ok = offset <= limit && last >= offset && last <= limit;
    }
  }
  if (!ok) raiseFault(seg == SEG_SS ? EXC_SS : EXC_GP, 0);
  return load<u32>(SEG_BASE + (seg << 2)) + offset;
}

@inline export function readMem8(seg: u32, offset: u32): u32 { return readLinear8(linearForRead(seg, offset, 1)); }
@inline export function readMem16(seg: u32, offset: u32): u32 { return readLinear16(linearForRead(seg, offset, 2)); }
@inline export function readMem32(seg: u32, offset: u32): u32 { return readLinear32(linearForRead(seg, offset, 4)); }
@inline export function writeMem8(seg: u32, offset: u32, v: u32): void { writeLinear8(linearForWrite(seg, offset, 1), v); }
@inline export function writeMem16(seg: u32, offset: u32, v: u32): void { writeLinear16(linearForWrite(seg, offset, 2), v); }
@inline export function writeMem32(seg: u32, offset: u32, v: u32): void { writeLinear32(linearForWrite(seg, offset, 4), v); }
