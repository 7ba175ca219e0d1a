// Which RAM pages hold code the CPU has decoded (and cached), and their write generations.
// A write to such a page makes its cached decodes stale; the TLB keeps writes to marked pages on
// the slow path (TLB_HAS_CODE) so no write can miss this. DMA and host writes must call
// noteCodeWrite too.
import { CODE_PAGE_INFO, JIT_CODE_WRITES } from "../layout";
import { tlbFlush } from "./tlb";

const MARKED: u32 = 1;
const GENERATION_STEP: u32 = 2;

@inline export function codePageInfo(physPage: u32): u32 { return load<u32>(CODE_PAGE_INFO + (physPage << 2)); }
@inline export function isCodePage(physPage: u32): bool { return (codePageInfo(physPage) & MARKED) != 0; }

/** Mark a page as holding cached code; returns its info word (the generation to tag entries with). */
export function markCodePage(physPage: u32): u32 {
  const info = codePageInfo(physPage);
  if ((info & MARKED) != 0) return info;
  store<u32>(CODE_PAGE_INFO + (physPage << 2), info | MARKED);
  // TLB entries made before the mark let writes through on the fast path: drop them all. This
  // happens once per page that ever holds code.
  tlbFlush(false);
  return info | MARKED;
}

/** A write reached physical address `address` (RAM) outside the fast path. */
@inline export function noteCodeWrite(address: u32): void {
  const slot = CODE_PAGE_INFO + ((address >>> 12) << 2);
  const info = load<u32>(slot);
  if ((info & MARKED) != 0) {
    store<u32>(slot, info + GENERATION_STEP);
    store<u32>(JIT_CODE_WRITES, load<u32>(JIT_CODE_WRITES) + 1);
  }
}

/** Forget every mark (after the host rewrote RAM, e.g. on reset). */
export function clearCodePages(pages: u32): void {
  memory.fill(CODE_PAGE_INFO, 0, pages << 2);
}
