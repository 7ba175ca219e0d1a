// The pages each recent address space had in the TLB when the guest switched away from it,
// translated again when it switches back. A CR3 reload empties the TLB of everything but global
// pages, and it would otherwise refill one miss at a time, each a slow path out of translated
// code: ~54 misses per process switch in the gzip pipeline of bench/linux-guest.js, where the
// guest switches 145 K times.
//
// A record is only a list of linear pages to look up: each is translated from the page tables
// as they are when the guest switches back (paging.ts prefetchTranslation), so a record that is
// out of date, or left from before a reset, costs time but is never wrong.
import { ADDRESS_SPACES, ADDRESS_SPACES_BYTES, TLB_VALID_LIST, TLB_VALID_COUNT, TLB_BASE } from "../layout";
import { TLB_VALID, TLB_GLOBAL } from "./tlb";
import { prefetchTranslation } from "./paging";

const RECORD_PAGES: u32 = 128;
const RECORD_BYTES: u32 = 8 + RECORD_PAGES * 4; // CR3, page count, pages
const RECORDS: u32 = ADDRESS_SPACES_BYTES / RECORD_BYTES; // direct-mapped by page directory

@inline function recordFor(cr3: u32): usize {
  return <usize>ADDRESS_SPACES + <usize>(((cr3 >>> 12) % RECORDS) * RECORD_BYTES);
}

/** Before the TLB is flushed for a CR3 reload: note the non-global pages it holds for `cr3`. */
export function rememberAddressSpace(cr3: u32): void {
  const record = recordFor(cr3);
  const count = load<u32>(TLB_VALID_COUNT);
  let pages: u32 = 0;
  for (let i: u32 = 0; i < count && pages < RECORD_PAGES; i++) {
    const page = load<u32>(TLB_VALID_LIST + (i << 2));
    const entry = load<u32>(TLB_BASE + (page << 2));
    if ((entry & (TLB_VALID | TLB_GLOBAL)) != TLB_VALID) continue; // (invalidated, or global since)
    store<u32>(record + 8 + (pages << 2), page);
    pages++;
  }
  store<u32>(record, cr3 | 1); // (bit 0: in use, as CR3's low bits are masked off)
  store<u32>(record, pages, 4);
}

/** After the reload: translate again the pages `cr3` held when the guest last left it. */
export function reloadAddressSpace(cr3: u32): void {
  const record = recordFor(cr3);
  if (load<u32>(record) != (cr3 | 1)) return;
  const pages = load<u32>(record, 4);
  for (let i: u32 = 0; i < pages; i++) prefetchTranslation(load<u32>(record + 8 + (i << 2)) << 12);
}
