// The entry cache: CS:EIP → table slot of the unit entered there, direct-mapped, in front of
// the unit table. The unit table is keyed by physical address, which costs a TLB look-up and a
// page generation check; this cache answers from EIP alone, so leaving one unit for the next
// (the run loop's jitEnter, or the unit's own exit when it chains) is a few loads and compares.
//
// Entries are tagged with an epoch that moves whenever the EIP → physical mapping or the code
// behind a slot may have changed; a stale entry simply misses. There are two: JIT_ENTRY_EPOCH
// moves with every TLB flush, JIT_GLOBAL_ENTRY_EPOCH with those that can change global pages
// (not a CR3 reload). An entry point in a global page (the kernel's, under CR4.PGE) is tagged
// with the second, so it stays valid across the guest's process switches.
//
// Entry: EIP, CS base, tag (epoch | GLOBAL_TAG if global | mode), slot.
import { JIT_ENTRY_CACHE, JIT_ENTRY_CACHE_ENTRIES, JIT_ENTRY_EPOCH, JIT_GLOBAL_ENTRY_EPOCH } from "../layout";

export const ENTRY_CACHE_SHIFT: u32 = 20; // 32 - log2(JIT_ENTRY_CACHE_ENTRIES)
export const ENTRY_HASH_MULTIPLIER: u32 = 0x9e3779b1;
export const GLOBAL_TAG: u32 = 4; // below the epochs' step, beside the mode (2 kernel, 3 user)
const EPOCH_STEP: u32 = 8;

/** The cache entry for `eip` (the generated code computes the same). */
@inline export function entryFor(eip: u32): usize {
  return <usize>JIT_ENTRY_CACHE + (<usize>((eip * ENTRY_HASH_MULTIPLIER) >>> ENTRY_CACHE_SHIFT) << 4);
}

/** Every cached entry point is void from now on. */
@inline export function bumpEntryEpoch(): void {
  store<u32>(JIT_ENTRY_EPOCH, load<u32>(JIT_ENTRY_EPOCH) + EPOCH_STEP);
  store<u32>(JIT_GLOBAL_ENTRY_EPOCH, load<u32>(JIT_GLOBAL_ENTRY_EPOCH) + EPOCH_STEP);
}

/** Entry points outside global pages are void from now on (the TLB kept only global entries). */
@inline export function bumpNonGlobalEntryEpoch(): void {
  store<u32>(JIT_ENTRY_EPOCH, load<u32>(JIT_ENTRY_EPOCH) + EPOCH_STEP);
}

/** The slot cached for CS:EIP in `mode`, or 0. */
@inline export function cachedSlot(eip: u32, csBase: u32, mode: u32): i32 {
  const entry = entryFor(eip);
  if (load<u32>(entry) != eip || load<u32>(entry, 4) != csBase) return 0;
  const tag = load<u32>(entry, 8);
  if (tag != (load<u32>(JIT_ENTRY_EPOCH) | mode) && tag != (load<u32>(JIT_GLOBAL_ENTRY_EPOCH) | GLOBAL_TAG | mode)) return 0;
  return load<i32>(entry, 12);
}

export function cacheEntry(eip: u32, csBase: u32, mode: u32, global: bool, slot: i32): void {
  const entry = entryFor(eip);
  store<u32>(entry, eip);
  store<u32>(entry, csBase, 4);
  store<u32>(entry, global ? load<u32>(JIT_GLOBAL_ENTRY_EPOCH) | GLOBAL_TAG | mode : load<u32>(JIT_ENTRY_EPOCH) | mode, 8);
  store<i32>(entry, slot, 12);
}

export function clearEntryCache(): void {
  memory.fill(JIT_ENTRY_CACHE, 0, JIT_ENTRY_CACHE_ENTRIES << 4);
}
