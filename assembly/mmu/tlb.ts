// Software TLB: one i32 per 4 KiB linear page (2^20 entries at TLB_BASE). An entry holds the
// physical page in bits 31..12 and permission bits below, so one masked compare decides whether
// an access can take the inline fast path (../shared/STYLE.md, v86's habit).
import {
  TLB_BASE, TLB_SIZE, TLB_VALID_LIST, TLB_GLOBAL_LIST, TLB_LIST_CAPACITY, TLB_VALID_COUNT, TLB_GLOBAL_COUNT, STAT_TLB_FLUSHES,
} from "../layout";

export const TLB_VALID: u32 = 1 << 0; // entry present
export const TLB_NO_USER: u32 = 1 << 1; // CPL 3 may not access the page
export const TLB_READONLY_USER: u32 = 1 << 2; // CPL 3 writes take the slow path (read-only or clean)
export const TLB_READONLY_SUPERVISOR: u32 = 1 << 3; // CPL 0-2 writes take the slow path
export const TLB_MMIO: u32 = 1 << 4; // not RAM: every access goes to the host
export const TLB_HAS_CODE: u32 = 1 << 5; // holds translated code: writes take the slow path
export const TLB_GLOBAL: u32 = 1 << 6; // survives CR3 reloads (CR4.PGE and PTE.G)
export const TLB_LARGE: u32 = 1 << 7; // part of a 4 MiB page (INVLPG drops the whole page)

// Masks for the current privilege level, recomputed by setTlbPrivilege when CPL changes:
// an access is fast when (entry & mask) == TLB_VALID.
export let tlbReadMask: u32 = TLB_VALID | TLB_MMIO;
export let tlbWriteMask: u32 = TLB_VALID | TLB_MMIO | TLB_HAS_CODE | TLB_READONLY_SUPERVISOR;

export function setTlbPrivilege(user: bool): void {
  tlbReadMask = user ? TLB_VALID | TLB_MMIO | TLB_NO_USER : TLB_VALID | TLB_MMIO;
  tlbWriteMask = user
    ? TLB_VALID | TLB_MMIO | TLB_HAS_CODE | TLB_NO_USER | TLB_READONLY_USER
    : TLB_VALID | TLB_MMIO | TLB_HAS_CODE | TLB_READONLY_SUPERVISOR;
}

@inline export function tlbEntry(linear: u32): u32 {
  return load<u32>(TLB_BASE + ((linear >>> 12) << 2));
}

// Bumped on every flush so cached translations elsewhere (the instruction fetch page) notice.
// The translator's entry cache checks the TLB entry itself.
export let tlbGeneration: u32 = 0;

export function tlbInsert(linear: u32, entry: u32): void {
  const page = linear >>> 12;
  const slot = TLB_BASE + (page << 2);
  const old = load<u32>(slot);
  // A page is listed by what its entry was when it became valid. One that turns non-global is
  // listed again, so a CR3 reload still drops it; one that turns global is dropped by the next
  // reload, which the TLB may always do.
  if ((entry & TLB_GLOBAL) == 0) {
    if (old == 0 || (old & TLB_GLOBAL) != 0) list(TLB_VALID_LIST, TLB_VALID_COUNT, page);
  } else if (old == 0) {
    list(TLB_GLOBAL_LIST, TLB_GLOBAL_COUNT, page);
  }
  store<u32>(slot, entry);
}

function list(pages: usize, countAt: usize, page: u32): void {
  if (load<u32>(countAt) >= <u32>TLB_LIST_CAPACITY) flushAll();
  const n = load<u32>(countAt);
  store<u32>(pages + (n << 2), page);
  store<u32>(countAt, n + 1);
}

export function tlbInvalidatePage(linear: u32): void {
  // The page stays listed; a stale list entry only costs a redundant clear.
  store<u32>(TLB_BASE + ((linear >>> 12) << 2), 0);
  tlbGeneration++;
}

/** Drop the entries that map physical page `physPage`, whatever their linear address. */
export function tlbDropPhysicalPage(physPage: u32): void {
  dropMapping(TLB_VALID_LIST, load<u32>(TLB_VALID_COUNT), physPage << 12);
  dropMapping(TLB_GLOBAL_LIST, load<u32>(TLB_GLOBAL_COUNT), physPage << 12);
  tlbGeneration++;
}

function dropMapping(pages: usize, count: u32, frame: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    const slot = TLB_BASE + (load<u32>(pages + (i << 2)) << 2);
    if ((load<u32>(slot) & 0xfffff000) == frame) store<u32>(slot, 0); // (stays listed, as above)
  }
}

/** Drop every entry (CR0/CR4 changes), or every non-global one (CR3 reload). */
export function tlbFlush(keepGlobal: bool): void {
  clearListed(TLB_VALID_LIST, TLB_VALID_COUNT);
  if (!keepGlobal) clearListed(TLB_GLOBAL_LIST, TLB_GLOBAL_COUNT);
  store<u32>(STAT_TLB_FLUSHES, load<u32>(STAT_TLB_FLUSHES) + 1);
  tlbGeneration++;
}

function clearListed(pages: usize, countAt: usize): void {
  const count = load<u32>(countAt);
  for (let i: u32 = 0; i < count; i++) store<u32>(TLB_BASE + (load<u32>(pages + (i << 2)) << 2), 0);
  store<u32>(countAt, 0);
}

function flushAll(): void {
  memory.fill(TLB_BASE, 0, TLB_SIZE);
  store<u32>(TLB_VALID_COUNT, 0);
  store<u32>(TLB_GLOBAL_COUNT, 0);
  tlbGeneration++;
}
