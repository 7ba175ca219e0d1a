// The entry cache: CS:EIP → table slot of the unit entered there, direct-mapped, in front of
// the unit table. The unit table is keyed by physical address, which costs a TLB look-up and a
// page generation check; this cache answers from EIP alone, so leaving one unit for the next
// (the run loop's jitEnter, or the unit's own exit when it chains) is a few loads and compares.
// Its entries are tagged with JIT_ENTRY_EPOCH, which moves whenever the EIP → physical mapping
// or the code behind a slot may have changed; a stale entry simply misses.
//
// Entry: EIP, CS base, tag (epoch | mode), slot.
import { JIT_ENTRY_CACHE, JIT_ENTRY_CACHE_ENTRIES, JIT_ENTRY_EPOCH } from "../layout";

export const ENTRY_CACHE_SHIFT: u32 = 20; // 32 - log2(JIT_ENTRY_CACHE_ENTRIES)
export const ENTRY_HASH_MULTIPLIER: u32 = 0x9e3779b1;
export const EPOCH_STEP: u32 = 4;

/** The cache entry for `eip` (the generated code computes the same). */
@inline export function entryFor(eip: u32): usize {
  return <usize>JIT_ENTRY_CACHE + (<usize>((eip * ENTRY_HASH_MULTIPLIER) >>> ENTRY_CACHE_SHIFT) << 4);
}

/** Every cached entry point is void from now on. */
@inline export function bumpEntryEpoch(): void {
  store<u32>(JIT_ENTRY_EPOCH, load<u32>(JIT_ENTRY_EPOCH) + EPOCH_STEP);
}

@inline export function entryTag(mode: u32): u32 { return load<u32>(JIT_ENTRY_EPOCH) | mode; }

/** The slot cached for CS:EIP in `mode`, or 0. */
@inline export function cachedSlot(eip: u32, csBase: u32, mode: u32): i32 {
  const entry = entryFor(eip);
  if (load<u32>(entry) != eip || load<u32>(entry, 4) != csBase || load<u32>(entry, 8) != entryTag(mode)) return 0;
  return load<i32>(entry, 12);
}

export function cacheEntry(eip: u32, csBase: u32, mode: u32, slot: i32): void {
  const entry = entryFor(eip);
  store<u32>(entry, eip);
  store<u32>(entry, csBase, 4);
  store<u32>(entry, entryTag(mode), 8);
  store<i32>(entry, slot, 12);
}

export function clearEntryCache(): void {
  memory.fill(JIT_ENTRY_CACHE, 0, JIT_ENTRY_CACHE_ENTRIES << 4);
}
