// Linear-address reads and writes with the inline TLB fast path. A miss, a permission problem,
// device memory or an access that crosses a page goes to the slow path, which walks the page
// tables (and may raise #PF) first for every page involved, then touches memory.
import { GUEST_RAM, CPL } from "../layout";
import { tlbEntry, tlbReadMask, tlbWriteMask, TLB_VALID } from "./tlb";
import { translate } from "./paging";
import { physRead8, physRead16, physRead32, physWrite8, physWrite16, physWrite32 } from "./physical";

@inline function userAccess(): bool { return load<u32>(CPL) == 3; }
@inline function ramAddress(entry: u32, linear: u32): usize { return GUEST_RAM + ((entry & 0xfffff000) | (linear & 0xfff)); }

@inline export function readLinear8(linear: u32): u32 {
  const entry = tlbEntry(linear);
  if ((entry & tlbReadMask) == TLB_VALID) return load<u8>(ramAddress(entry, linear));
  return physRead8(translate(linear, false, userAccess()));
}

@inline export function readLinear16(linear: u32): u32 {
  const entry = tlbEntry(linear);
  if ((entry & tlbReadMask) == TLB_VALID && (linear & 0xfff) <= 0xffe) return load<u16>(ramAddress(entry, linear));
  return readLinear16Slow(linear, userAccess());
}

@inline export function readLinear32(linear: u32): u32 {
  const entry = tlbEntry(linear);
  if ((entry & tlbReadMask) == TLB_VALID && (linear & 0xfff) <= 0xffc) return load<u32>(ramAddress(entry, linear));
  return readLinear32Slow(linear, userAccess());
}

@inline export function writeLinear8(linear: u32, value: u32): void {
  const entry = tlbEntry(linear);
  if ((entry & tlbWriteMask) == TLB_VALID) store<u8>(ramAddress(entry, linear), value);
  else physWrite8(translate(linear, true, userAccess()), value);
}

@inline export function writeLinear16(linear: u32, value: u32): void {
  const entry = tlbEntry(linear);
  if ((entry & tlbWriteMask) == TLB_VALID && (linear & 0xfff) <= 0xffe) store<u16>(ramAddress(entry, linear), value);
  else writeLinear16Slow(linear, value, userAccess());
}

@inline export function writeLinear32(linear: u32, value: u32): void {
  const entry = tlbEntry(linear);
  if ((entry & tlbWriteMask) == TLB_VALID && (linear & 0xfff) <= 0xffc) store<u32>(ramAddress(entry, linear), value);
  else writeLinear32Slow(linear, value, userAccess());
}

/**
 * The read of a read-modify-write operand: checked as the write will be (SDM vol. 3, 4.7: such
 * an access faults as a write, W=1 in the error code), so the instruction faults before it changes
 * anything and its write cannot fault after its flags are set.
 */
@inline export function readLinearForWrite(linear: u32, size: u32): u32 {
  const entry = tlbEntry(linear);
  if ((entry & tlbWriteMask) == TLB_VALID && (linear & 0xfff) <= 0x1000 - (size >> 3)) {
    const host = ramAddress(entry, linear);
    return size == 32 ? load<u32>(host) : size == 16 ? <u32>load<u16>(host) : <u32>load<u8>(host);
  }
  return readLinearForWriteSlow(linear, size, userAccess());
}

export function readLinearForWriteSlow(linear: u32, size: u32, user: bool): u32 {
  probeWriteAs(linear, size >> 3, user);
  if (size == 8) return physRead8(translate(linear, false, user));
  return size == 16 ? readLinear16Slow(linear, user) : readLinear32Slow(linear, user);
}

export function readLinear16Slow(linear: u32, user: bool): u32 {
  if ((linear & 0xfff) <= 0xffe) return physRead16(translate(linear, false, user));
  const low = translate(linear, false, user);
  const high = translate(linear + 1, false, user);
  return physRead8(low) | (physRead8(high) << 8);
}

export function readLinear32Slow(linear: u32, user: bool): u32 {
  if ((linear & 0xfff) <= 0xffc) return physRead32(translate(linear, false, user));
  // Crossing a page: translate both pages before reading anything.
  const first = translate(linear, false, user);
  const second = translate((linear + 3) & 0xfffff000, false, user);
  let value: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const byteLinear = linear + i;
    const phys = ((byteLinear ^ linear) & 0xfffff000) == 0 ? first + i : second + (byteLinear & 0xfff);
    value |= physRead8(phys) << (i * 8);
  }
  return value;
}

export function writeLinear16Slow(linear: u32, value: u32, user: bool): void {
  if ((linear & 0xfff) <= 0xffe) { physWrite16(translate(linear, true, user), value); return; }
  const low = translate(linear, true, user);
  const high = translate(linear + 1, true, user);
  physWrite8(low, value & 0xff);
  physWrite8(high, (value >>> 8) & 0xff);
}

export function writeLinear32Slow(linear: u32, value: u32, user: bool): void {
  if ((linear & 0xfff) <= 0xffc) { physWrite32(translate(linear, true, user), value); return; }
  const first = translate(linear, true, user);
  const second = translate((linear + 3) & 0xfffff000, true, user);
  for (let i: u32 = 0; i < 4; i++) {
    const byteLinear = linear + i;
    const phys = ((byteLinear ^ linear) & 0xfffff000) == 0 ? first + i : second + (byteLinear & 0xfff);
    physWrite8(phys, (value >>> (i * 8)) & 0xff);
  }
}

/** Check that a write to [linear, linear+size) would succeed, without writing (for multi-part stores). */
export function probeWrite(linear: u32, size: u32): void {
  const user = userAccess();
  const entry = tlbEntry(linear);
  if ((entry & tlbWriteMask) != TLB_VALID) translate(linear, true, user);
  const last = linear + size - 1;
  if (((last ^ linear) & 0xfffff000) != 0) {
    const lastEntry = tlbEntry(last);
    if ((lastEntry & tlbWriteMask) != TLB_VALID) translate(last, true, user);
  }
}

/** probeWrite by walking the page tables, as a `user` or supervisor access whatever CPL says. */
export function probeWriteAs(linear: u32, size: u32, user: bool): void {
  translate(linear, true, user);
  const last = linear + size - 1;
  if (((last ^ linear) & 0xfffff000) != 0) translate(last, true, user);
}

// Supervisor-mode accesses the CPU makes on its own behalf (descriptor tables, TSS), whatever CPL.
export function readSystem8(linear: u32): u32 { return physRead8(translate(linear, false, false)); }
export function readSystem16(linear: u32): u32 { return readLinear16Slow(linear, false); }
export function readSystem32(linear: u32): u32 { return readLinear32Slow(linear, false); }
export function writeSystem8(linear: u32, value: u32): void { physWrite8(translate(linear, true, false), value); }
export function writeSystem16(linear: u32, value: u32): void { writeLinear16Slow(linear, value, false); }
export function writeSystem32(linear: u32, value: u32): void { writeLinear32Slow(linear, value, false); }
