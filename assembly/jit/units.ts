// The translation cache: entry points (physical EIP, linear EIP, privilege) → a slot of the
// function table holding the unit's compiled code. Two-way set associative; a new unit takes a
// free way, or the first way after its unit moves to the second, whose unit is evicted (so
// the older of the two goes). Entry points are counted toward translation in a separate table
// of hotness counters, so entry points that never get hot do not push units out. A unit is tagged
// with its page's translation generation (mmu/code_pages.ts), which moves when something writes
// into the part of the page translated code was made from; the unit is then dropped and
// translated again once hot.
import {
  REG_EIP, CPL, SEG_CS, JIT_UNITS, JIT_UNIT_ENTRIES, JIT_UNIT_ENTRY_BYTES, JIT_BODY, JIT_OUTPUT, JIT_FREE_SLOTS,
  JIT_FIRST_SLOT, JIT_SLOTS, STAT_JIT_UNITS, STAT_JIT_INVALIDATIONS, STAT_JIT_EVICTIONS, STAT_JIT_TRANSLATED,
  STAT_JIT_BYTES, STAT_JIT_MODULES, GUEST_RAM, JIT_WARM, JIT_BATCH, JIT_BATCH_HINTS, JIT_SLOT_LIST, JIT_HOTNESS, JIT_HOTNESS_BITS,
} from "../layout";
import { segAccess, segBase, segLimit, ACC_DB } from "../cpu/state";
import { windowPhysical } from "../cpu/decoder";
import { markCodePage, markTranslated, translationGeneration } from "../mmu/code_pages";
import { tlbEntry, tlbReadMask, TLB_VALID } from "../mmu/tlb";
import { ramBytes } from "../mmu/physical";
import { translate as translateLinear, readWouldTranslate } from "../mmu/paging";
import { hostCompileModule } from "../host";
import { translateUnit, coveredStart, coveredEnd } from "./translate";
import { writeModule } from "./module_writer";
import { patchU32, resetHints, hintCount } from "./wasm_writer";
import { cachedSlot, cacheEntry, clearEntryCache, bumpEntryEpoch } from "./entry_cache";
import { updateSegmentState } from "./segment_state";

// Entries into an entry point before it is translated; 0 turns translation off.
let threshold: u32 = 0;
export function setJitThreshold(entries: u32): void { threshold = entries; }
@inline export function jitEnabled(): bool { return threshold != 0; }

const UNTRANSLATABLE: i32 = -1;

// What jitEnter returns when it ran nothing.
export const JIT_NO_UNIT: i32 = -1;
export const JIT_INTERPRET_ONE: i32 = -2;

// The first way of the set for an entry point (the second follows it).
@inline function setFor(physical: u32, eip: u32): usize {
  const hash = ((physical ^ (eip << 7)) * 0x9e3779b1) >>> 18; // 14 bits
  return <usize>JIT_UNITS + <usize>(hash & (JIT_UNIT_ENTRIES - 2)) * <usize>JIT_UNIT_ENTRY_BYTES;
}

@inline function holds(entry: usize, physical: u32, eip: u32, mode: u32): bool {
  return load<u32>(entry) == physical && load<u32>(entry, 4) == eip && load<u32>(entry, 8) == mode;
}

// Entry: physical EIP, EIP, mode (0: free), slot or UNTRANSLATABLE, page generation.
function fill(entry: usize, physical: u32, eip: u32, mode: u32, slot: i32): void {
  store<u32>(entry, physical);
  store<u32>(entry, eip, 4);
  store<u32>(entry, mode, 8);
  store<i32>(entry, slot, 12);
  store<u32>(entry, translationGeneration(physical >>> 12), 16);
}

/** The entry holding an entry point, or 0. */
function lookUp(physical: u32, eip: u32, mode: u32): usize {
  const first = setFor(physical, eip);
  if (holds(first, physical, eip, mode)) return first;
  const second = first + JIT_UNIT_ENTRY_BYTES;
  return holds(second, physical, eip, mode) ? second : 0;
}

function insert(physical: u32, eip: u32, mode: u32, slot: i32): void {
  const first = setFor(physical, eip);
  const second = first + JIT_UNIT_ENTRY_BYTES;
  if (load<u32>(first, 8) == 0) { fill(first, physical, eip, mode, slot); return; }
  if (load<u32>(second, 8) != 0) {
    const old = load<i32>(second, 12);
    if (old > 0) { releaseSlot(old); bump(STAT_JIT_EVICTIONS, 1); }
  }
  memory.copy(second, first, JIT_UNIT_ENTRY_BYTES);
  fill(first, physical, eip, mode, slot);
}

// Entry points counted toward translation: a 16-bit count per hash bucket (two entry points
// that share one only get hot sooner).
@inline function hotnessCounter(physical: u32, eip: u32): usize {
  return <usize>JIT_HOTNESS + (<usize>(((physical ^ (eip << 7)) * 0x9e3779b1) >>> (32 - JIT_HOTNESS_BITS)) << 1);
}

// Table slots: never used ones from nextSlot up, then a stack of returned ones.
let nextSlot: i32 = JIT_FIRST_SLOT;
let freeSlots: u32 = 0;

function allocateSlot(): i32 {
  if (freeSlots > 0) {
    freeSlots--;
    return load<i32>(JIT_FREE_SLOTS + (freeSlots << 2));
  }
  if (nextSlot < JIT_FIRST_SLOT + JIT_SLOTS) return nextSlot++;
  return -1;
}

function releaseSlot(slot: i32): void {
  store<i32>(JIT_FREE_SLOTS + (freeSlots << 2), slot);
  freeSlots++;
  bumpEntryEpoch(); // the entry cache may still lead to this slot
}

/** Forget every unit (guest RAM rewritten by the host, or the slot pool is exhausted). */
export function jitFlush(): void {
  memory.fill(JIT_UNITS, 0, JIT_UNIT_ENTRIES * JIT_UNIT_ENTRY_BYTES);
  memory.fill(JIT_HOTNESS, 0, 2 << JIT_HOTNESS_BITS);
  clearEntryCache();
  warmCount = 0;
  nextSlot = JIT_FIRST_SLOT;
  freeSlots = 0;
}

@inline function bump(counter: u32, by: u32): void { store<u32>(counter, load<u32>(counter) + by); }

/**
 * At a block start in the interpreter: run the unit for CS:EIP if there is one, counting toward
 * translation otherwise. Returns the budget left after the unit (and those it chained to) ran,
 * or JIT_NO_UNIT, or JIT_INTERPRET_ONE when the instruction here is one no unit starts with (the
 * run loop then looks for a unit again right after it). A unit that cannot run here (segments
 * not flat, budget too small for its first block) returns the budget untouched.
 */
export function jitEnter(budget: i32): i32 {
  if (countedCounter != 0) creditLongBlock(budget);
  const eip = load<u32>(REG_EIP);
  if ((segAccess(SEG_CS) & ACC_DB) == 0) return JIT_NO_UNIT;
  const mode: u32 = load<u32>(CPL) == 3 ? 3 : 2; // bit 1: entry in use; bit 0: user mode
  let slot = cachedSlot(eip, segBase(SEG_CS), mode);
  if (slot == 0) {
    slot = findUnit(eip, mode);
    if (slot == UNTRANSLATABLE) return JIT_INTERPRET_ONE;
    if (slot <= 0) {
      countedBudget = budget;
      return JIT_NO_UNIT;
    }
    // (Only units: generated code chains to them.)
    cacheEntry(eip, segBase(SEG_CS), mode, foundPhysical, slot);
  }
  updateSegmentState();
  const left = call_indirect<i32>(<u32>slot, budget);
  if (left > 0 || left == 0) store<u64>(STAT_JIT_TRANSLATED, load<u64>(STAT_JIT_TRANSLATED) + <u64>(budget - left));
  return left;
}

// The entry point the interpreter last counted toward translation and the budget then, until
// the next block start: a long block (unrolled crypto rounds run a few thousand times at boot)
// gets hot by the instructions it runs, not only by its entries.
let countedCounter: usize = 0;
let countedBudget: i32 = 0;
let countedPhysical: u32 = 0;
let countedEip: u32 = 0;
let countedMode: u32 = 0;
// One more entry per this many instructions the block ran past its first.
const INSTRUCTIONS_PER_ENTRY_SHIFT: i32 = 5;

function creditLongBlock(budget: i32): void {
  const counter = countedCounter;
  countedCounter = 0;
  const extra = (countedBudget - budget - 1) >> INSTRUCTIONS_PER_ENTRY_SHIFT;
  if (extra <= 0) return;
  const before = <u32>load<u16>(counter);
  const after = min(before + <u32>extra, threshold);
  store<u16>(counter, <u16>after);
  const warm = threshold >> 1;
  if (before < warm && after >= warm && after < threshold) noteWarm(countedPhysical, countedEip, countedMode);
}

/** The run loop starts over with a new budget: no block is being counted. */
export function jitForgetCountedBlock(): void { countedCounter = 0; }

// The physical address findUnit found CS:EIP at.
let foundPhysical: u32 = 0;

// The unit table's answer for CS:EIP: a slot, or 0 or UNTRANSLATABLE when there is no unit
// (counting toward translation, and translating once the entry point is hot).
function findUnit(eip: u32, mode: u32): i32 {
  let physical = windowPhysical(eip);
  if (physical < 0) physical = physicalFromTlb(eip);
  if (physical < 0) physical = physicalFromWalk(eip, mode == 3);
  if (physical < 0) return 0;
  foundPhysical = <u32>physical;
  const entry = lookUp(<u32>physical, eip, mode);
  if (entry != 0) {
    const slot = load<i32>(entry, 12);
    if (load<u32>(entry, 16) == translationGeneration(<u32>physical >>> 12)) return slot;
    // The page was written since: the unit (or the verdict that nothing here translates) is stale.
    if (slot > 0) { releaseSlot(slot); bump(STAT_JIT_INVALIDATIONS, 1); }
    store<u32>(entry, 0, 8);
  }
  const counter = hotnessCounter(<u32>physical, eip);
  const count = <u32>load<u16>(counter) + 1;
  if (count < threshold) {
    store<u16>(counter, <u16>count);
    if (count == threshold >> 1) noteWarm(<u32>physical, eip, mode);
    countedCounter = counter;
    countedPhysical = <u32>physical;
    countedEip = eip;
    countedMode = mode;
    return 0;
  }
  store<u16>(counter, 0);
  const slot = translate(eip, <u32>physical, mode == 3, mode);
  insert(<u32>physical, eip, mode, slot);
  return slot;
}

// Physical address of CS:EIP from a TLB entry that allows the fetch (RAM only), or -1: the
// instruction fetch window covers only the page the interpreter last read, and calls and returns
// from translated code land in other pages.
function physicalFromTlb(eip: u32): i32 {
  if (eip > segLimit(SEG_CS)) return -1;
  const linear = segBase(SEG_CS) + eip;
  const entry = tlbEntry(linear);
  if ((entry & tlbReadMask) != TLB_VALID) return -1;
  const physical = (entry & 0xfffff000) | (linear & 0xfff);
  return physical < ramBytes ? <i32>physical : -1;
}

// After the guest switches processes the TLB has no entry for the code it returns to: walk the
// page tables as the instruction fetch about to happen would (setting the same accessed bits),
// so the unit there runs at once instead of the interpreter refilling the TLB first.
function physicalFromWalk(eip: u32, user: bool): i32 {
  if (eip > segLimit(SEG_CS)) return -1;
  const linear = segBase(SEG_CS) + eip;
  if (tlbEntry(linear) != 0 || !readWouldTranslate(linear, user)) return -1;
  translateLinear(linear, false, user);
  return physicalFromTlb(eip);
}

// Entry points that are warm (half the threshold) wait here to be compiled in the same module as
// the next one that gets hot: one module costs ~150 µs to compile, each function in it ~7 µs
// (../shared/DESIGN.md).
const MAX_BATCH: u32 = 16;
// A unit's body stays under ~640 KiB (32 blocks of 64 instructions); warm units join a batch
// only while it is under this, so the batch fits JIT_BODY and the module JIT_OUTPUT (1 MiB each).
const BATCH_BYTES: usize = 0x40000;
let warmCount: u32 = 0;

// JIT_WARM: physical EIP, EIP and mode of each warm entry point, 12 bytes each. JIT_BATCH:
// physical EIP and EIP of each unit in the batch being compiled, 8 bytes each.
function noteWarm(physical: u32, eip: u32, mode: u32): void {
  if (warmCount < MAX_BATCH) {
    const at = JIT_WARM + warmCount * 12;
    store<u32>(at, physical);
    store<u32>(at, eip, 4);
    store<u32>(at, mode, 8);
    warmCount++;
  }
}

// Translate the unit at `eip` (which starts at `physical`) as the next function body at
// writePosition-to-be `out`; returns the body's length with its size prefix, or 0.
function translateBody(eip: u32, physical: u32, user: bool, out: usize): usize {
  // The EIPs of this page (cut by the CS limit), and where their bytes are.
  const pageOffset = (segBase(SEG_CS) + eip) & 0xfff;
  const first = eip >= pageOffset ? eip - pageOffset : 0;
  const pageEnd = <u64>eip + <u64>(0x1000 - pageOffset);
  const limitEnd = <u64>segLimit(SEG_CS) + 1;
  const limit = <u32>(pageEnd < limitEnd ? pageEnd : limitEnd);
  // Writes to the page take the slow path from now on, where they are checked against this.
  markCodePage(physical >>> 12);
  const host = <usize>GUEST_RAM + <usize>physical - <usize>(eip - first);
  const bodyLength = translateUnit(eip, first, limit, host, user, out + 5);
  if (bodyLength == 0) return 0;
  const pageStartEip = eip - pageOffset;
  markTranslated(physical >>> 12, coveredStart - pageStartEip, coveredEnd - pageStartEip);
  patchU32(out, <u32>bodyLength);
  return bodyLength + 5;
}

// Translate the unit at `eip` and the warm ones still waiting (those whose code this mapping
// still reaches), compile them as one module and install each in a slot. Returns the slot of
// the unit at `eip`, or UNTRANSLATABLE.
function translate(eip: u32, physical: u32, user: bool, mode: u32): i32 {
  // A pool without room for a whole batch drops every unit first (the warm list goes with the rest).
  if (nextSlot + <i32>(MAX_BATCH + 1) > JIT_FIRST_SLOT + JIT_SLOTS && freeSlots < MAX_BATCH + 1) {
    bump(STAT_JIT_EVICTIONS, <u32>(nextSlot - JIT_FIRST_SLOT) - freeSlots);
    jitFlush();
  }
  resetHints();
  store<u32>(JIT_BATCH_HINTS, 0);
  const length = translateBody(eip, physical, user, JIT_BODY);
  if (length == 0) { warmCount = 0; return UNTRANSLATABLE; }
  let bodies = length;
  let count: u32 = 1;
  for (let i: u32 = 0; i < warmCount && bodies < BATCH_BYTES; i++) {
    const warm = JIT_WARM + i * 12;
    const warmPhysical = load<u32>(warm);
    const warmEip = load<u32>(warm, 4);
    if (load<u32>(warm, 8) != mode || (warmPhysical == physical && warmEip == eip)) continue;
    if (lookUp(warmPhysical, warmEip, mode) != 0 || physicalFromTlb(warmEip) != <i32>warmPhysical) continue;
    const firstHint = hintCount;
    const bodyLength = translateBody(warmEip, warmPhysical, user, <usize>JIT_BODY + bodies);
    if (bodyLength == 0) continue;
    store<u32>(JIT_BATCH_HINTS + (count << 2), firstHint);
    store<u32>(JIT_BATCH + (count << 3), warmPhysical);
    store<u32>(JIT_BATCH + (count << 3) + 4, warmEip);
    bodies += bodyLength;
    count++;
  }
  warmCount = 0;
  store<u32>(JIT_BATCH, physical);
  store<u32>(JIT_BATCH + 4, eip);
  store<u32>(JIT_BATCH_HINTS + (count << 2), hintCount);
  const moduleLength = writeModule(JIT_OUTPUT, JIT_BODY, bodies, count, JIT_BATCH + 4);
  for (let i: u32 = 0; i < count; i++) store<i32>(JIT_SLOT_LIST + (i << 2), allocateSlot());
  if (!hostCompileModule(JIT_OUTPUT, <i32>moduleLength, JIT_SLOT_LIST, count)) {
    for (let i: u32 = 0; i < count; i++) releaseSlot(load<i32>(JIT_SLOT_LIST + (i << 2)));
    return UNTRANSLATABLE;
  }
  for (let i: u32 = 1; i < count; i++) {
    insert(load<u32>(JIT_BATCH + (i << 3)), load<u32>(JIT_BATCH + (i << 3) + 4), mode, load<i32>(JIT_SLOT_LIST + (i << 2)));
  }
  bump(STAT_JIT_UNITS, count);
  bump(STAT_JIT_MODULES, 1);
  bump(STAT_JIT_BYTES, <u32>moduleLength);
  return load<i32>(JIT_SLOT_LIST);
}
