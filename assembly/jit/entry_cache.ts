// The entry cache: CS:EIP → table slot of the unit entered there, two-way set associative, in
// front of the unit table. The unit table is keyed by physical address, which costs a TLB look-up
// and a page generation check; this cache answers from EIP and one TLB load, so leaving one unit
// for the next (the run loop's jitEnter, or the unit's own exit when it chains) is a few loads and
// compares.
//
// An entry remembers the physical page its EIP mapped to, and a hit needs the current TLB entry
// for that linear page to map the same page with fetch permission. So entry points outlive TLB
// flushes and CR3 reloads: after the guest's process switch, its code hits again as soon as
// its TLB entries are back. What a TLB check cannot see, a write into translated code or a slot
// given to another unit, moves JIT_ENTRY_EPOCH, which voids every entry.
//
// Entry (32 bytes): EIP, CS base, tag (epoch | mode: 2 kernel, 3 user), slot, physical page |
// TLB_VALID (what the TLB entry reads as under the read mask). A set is two entries, the one
// cached last first. Direct-mapped, entry points that shared an entry took turns evicting each
// other: in the gzip pipeline of the Linux bench ~850 K times a run, each a way back through the
// run loop and the unit table instead of a chained call.
import { JIT_ENTRY_CACHE, JIT_ENTRY_CACHE_ENTRIES, JIT_ENTRY_EPOCH, TLB_BASE, JIT_UNIT_ENTRY_COUNTS, JIT_UNIT_ENTRY_COUNTS_BITS } from "../layout";
import { TLB_VALID, TLB_MMIO, TLB_NO_USER } from "../mmu/tlb";

export const ENTRY_CACHE_SHIFT: u32 = 18; // 32 - log2(JIT_ENTRY_CACHE_ENTRIES / 2): the set
export const ENTRY_SET_SHIFT: u32 = 6; // two 32-byte entries a set
export const ENTRY_BYTES: u32 = 32;
export const ENTRY_HASH_MULTIPLIER: u32 = 0x9e3779b1;
const EPOCH_STEP: u32 = 4; // above the mode

/** The bits of a TLB entry a hit compares with the entry's page (frame and fetch permission). */
@inline export function entryTlbMask(user: bool): u32 {
  return 0xfffff000 | TLB_VALID | TLB_MMIO | (user ? TLB_NO_USER : 0);
}

/** The cache set for `eip`: its first entry (the generated code computes the same). */
@inline export function setFor(eip: u32): usize {
  return <usize>JIT_ENTRY_CACHE + (<usize>((eip * ENTRY_HASH_MULTIPLIER) >>> ENTRY_CACHE_SHIFT) << ENTRY_SET_SHIFT);
}

/** Every cached entry point is void from now on. */
@inline export function bumpEntryEpoch(): void {
  store<u32>(JIT_ENTRY_EPOCH, load<u32>(JIT_ENTRY_EPOCH) + EPOCH_STEP);
}

/** The slot cached for CS:EIP in `mode`, or 0. */
@inline export function cachedSlot(eip: u32, csBase: u32, mode: u32): i32 {
  let entry = setFor(eip);
  if (load<u32>(entry) != eip) entry += ENTRY_BYTES;
  if (load<u32>(entry) != eip || load<u32>(entry, 4) != csBase) return 0;
  if (load<u32>(entry, 8) != (load<u32>(JIT_ENTRY_EPOCH) | mode)) return 0;
  const tlb = load<u32>(TLB_BASE + (((csBase + eip) >>> 12) << 2));
  if ((tlb & entryTlbMask(mode == 3)) != load<u32>(entry, 16)) return 0;
  return load<i32>(entry, 12);
}

/**
 * Cache CS:EIP in `mode` → `slot`, for code in physical page `physical` (its address), as the
 * first entry of its set; the entry there moves to the second unless it is for the same EIP.
 */
export function cacheEntry(eip: u32, csBase: u32, mode: u32, physical: u32, slot: i32): void {
  const entry = setFor(eip);
  if (load<u32>(entry) != eip) memory.copy(entry + ENTRY_BYTES, entry, ENTRY_BYTES);
  store<u32>(entry, eip);
  store<u32>(entry, csBase, 4);
  store<u32>(entry, load<u32>(JIT_ENTRY_EPOCH) | mode, 8);
  store<i32>(entry, slot, 12);
  store<u32>(entry, (physical & 0xfffff000) | TLB_VALID, 16);
}

export function clearEntryCache(): void {
  memory.fill(JIT_ENTRY_CACHE, 0, JIT_ENTRY_CACHE_ENTRIES * ENTRY_BYTES);
}

/** The byte offset in JIT_UNIT_ENTRY_COUNTS of the counter of the unit entered at `eip`. */
@inline export function unitEntryCounter(eip: u32): u32 {
  return ((eip * ENTRY_HASH_MULTIPLIER) >>> (32 - JIT_UNIT_ENTRY_COUNTS_BITS)) << 2;
}

/** Entries so far into units entered at `eip` (and any other whose EIP shares the counter). */
export function unitEntries(eip: u32): u32 {
  return load<u32>(<usize>JIT_UNIT_ENTRY_COUNTS + <usize>unitEntryCounter(eip));
}
