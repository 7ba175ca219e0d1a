// Which RAM pages hold code the CPU has decoded (and cached), and their write generations.
// A write to such a page makes its cached decodes stale; the TLB keeps writes to marked pages on
// the slow path (TLB_HAS_CODE) so no write can miss this. DMA and host writes must call
// noteHostWrite.
//
// Translated code is tracked finer: per page, a mask of the 128-byte chunks that translated
// units cover and a generation of its own, bumped only by writes into those chunks. So data
// that shares a page with hot code does not throw the code's translations away.
//
// A page written twice with no decode from it in between, and without translated code, is
// unmarked: its decodes are stale already, and writes to it take the fast path again (once the
// slow path has refreshed the TLB entry). Otherwise a page that held a process's code and then
// its successor's data (a freed page reused) kept every write on the slow path: on the Debian
// guest a C benchmark run after a gzip pipeline took 2.7 s and then 10.9 s instead of 2.2 s.
// A page that mixes code and data stays marked (its code is decoded again between the writes),
// so it does not pay for marking, which searches the TLB, again and again.
import { CODE_PAGE_INFO, JIT_CODE_WRITES } from "../layout";
import { tlbDropPhysicalPage } from "./tlb";
import { bumpEntryEpoch } from "../jit/entry_cache";

// CODE_PAGE_INFO per page: bit 0 marked, bit 1 written since a decode, then the generation.
const MARKED: u32 = 1;
const WRITTEN: u32 = 2;
const GENERATION_STEP: u32 = 4;
const CHUNK_SHIFT: u32 = 7; // 128-byte chunks, 32 per page

// Per RAM page, 8 bytes: the translated-chunk mask, then the translation generation. The array
// lives after guest RAM (placed by the engine's initialize).
let translatedInfo: usize = 0;
export function setTranslatedInfoBase(base: usize): void { translatedInfo = base; }

@inline function translatedSlot(physPage: u32): usize { return translatedInfo + (<usize>physPage << 3); }

/** The generation a translated unit of `physPage` is tagged with. */
@inline export function translationGeneration(physPage: u32): u32 { return load<u32>(translatedSlot(physPage), 4); }

// The chunks that page offsets [from, last] touch, as mask bits.
function chunkBits(from: u32, last: u32): u32 {
  const firstChunk = from >> CHUNK_SHIFT;
  const lastChunk = last >> CHUNK_SHIFT;
  return (lastChunk >= 31 ? 0xffffffff : (<u32>2 << lastChunk) - 1) & ~((<u32>1 << firstChunk) - 1);
}

/** Translated code now covers page offsets [from, to) of `physPage`. */
export function markTranslated(physPage: u32, from: u32, to: u32): void {
  const slot = translatedSlot(physPage);
  store<u32>(slot, load<u32>(slot) | chunkBits(from, to - 1));
}

// Translations of the page are stale: a new generation, no chunk translated any more, and
// translated code that is running leaves at the next check (jit/helper.ts watches JIT_CODE_WRITES).
function dropTranslations(physPage: u32): void {
  const slot = translatedSlot(physPage);
  store<u32>(slot, 0);
  store<u32>(slot, load<u32>(slot, 4) + 1, 4);
  store<u32>(JIT_CODE_WRITES, load<u32>(JIT_CODE_WRITES) + 1);
  bumpEntryEpoch();
}

@inline export function codePageInfo(physPage: u32): u32 { return load<u32>(CODE_PAGE_INFO + (physPage << 2)); }
@inline export function isCodePage(physPage: u32): bool { return (codePageInfo(physPage) & MARKED) != 0; }

/** Mark a page as holding cached code; returns its info word (the generation to tag entries with). */
export function markCodePage(physPage: u32): u32 {
  const raw = codePageInfo(physPage);
  const info = raw & ~WRITTEN;
  if ((info & MARKED) != 0) {
    if (raw != info) store<u32>(CODE_PAGE_INFO + (physPage << 2), info);
    return info;
  }
  store<u32>(CODE_PAGE_INFO + (physPage << 2), info | MARKED);
  // TLB entries made before the mark let writes through on the fast path.
  tlbDropPhysicalPage(physPage);
  return info | MARKED;
}

/** A write of `bytes` bytes reached physical address `address` (RAM) outside the fast path. */
@inline export function noteCodeWrite(address: u32, bytes: u32): void {
  const last = address + bytes - 1;
  const firstPage = address >>> 12;
  const lastPage = last >>> 12;
  if (isCodePage(firstPage)) notePageWrite(firstPage, chunkBits(address & 0xfff, lastPage == firstPage ? last & 0xfff : 0xfff));
  if (lastPage != firstPage && isCodePage(lastPage)) notePageWrite(lastPage, chunkBits(0, last & 0xfff));
}

// A write into `chunks` of marked page `page`.
function notePageWrite(page: u32, chunks: u32): void {
  const slot = CODE_PAGE_INFO + (page << 2);
  const info = load<u32>(slot);
  if ((load<u32>(translatedSlot(page)) & chunks) != 0) dropTranslations(page);
  const keepMark = load<u32>(translatedSlot(page)) != 0 || (info & WRITTEN) == 0;
  store<u32>(slot, keepMark ? (info + GENERATION_STEP) | WRITTEN : (info + GENERATION_STEP) & ~(MARKED | WRITTEN));
}

/** The host (DMA, a debugger, a loader) wrote somewhere in RAM page `physPage`. */
export function noteHostWrite(physPage: u32): void {
  const slot = CODE_PAGE_INFO + (physPage << 2);
  const info = load<u32>(slot);
  if ((info & MARKED) != 0) store<u32>(slot, info + GENERATION_STEP);
  if (load<u32>(translatedSlot(physPage)) != 0) dropTranslations(physPage);
}

/** Forget every mark (after the host rewrote RAM, e.g. on reset). */
export function clearCodePages(pages: u32): void {
  memory.fill(CODE_PAGE_INFO, 0, pages << 2);
  memory.fill(translatedInfo, 0, <usize>pages << 3);
}
