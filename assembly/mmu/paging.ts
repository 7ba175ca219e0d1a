// Linear → physical translation: the legacy 2-level walk with 4 KiB pages and PSE 4 MiB pages
// (SDM vol. 3, 4.3), accessed/dirty bit updates and page-fault error codes (4.7). The walk runs
// only on a TLB miss or when a fast-path permission check fails.
import { CR0, CR2, CR3, CR4, CPL, STAT_TLB_MISSES, STAT_PAGE_FAULTS } from "../layout";
import { CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, EXC_PF } from "../cpu/state";
import { physRead32, physWrite32, ramBytes } from "./physical";
import { isCodePage } from "./code_pages";
import {
  tlbInsert, TLB_VALID, TLB_NO_USER, TLB_READONLY_USER, TLB_READONLY_SUPERVISOR, TLB_MMIO, TLB_GLOBAL, TLB_LARGE, TLB_HAS_CODE,
} from "./tlb";
import { raiseFault } from "../cpu/fault";

// Page-table entry bits (SDM vol. 3, table 4-5 / 4-6).
export const PTE_P: u32 = 1 << 0; // present
export const PTE_RW: u32 = 1 << 1; // writable
export const PTE_US: u32 = 1 << 2; // user accessible
export const PTE_A: u32 = 1 << 5; // accessed
export const PTE_D: u32 = 1 << 6; // dirty
export const PDE_PS: u32 = 1 << 7; // 4 MiB page (with CR4.PSE)
export const PTE_G: u32 = 1 << 8; // global

// Page-fault error code bits (SDM vol. 3, 4.7).
export const PF_PRESENT: u32 = 1 << 0; // protection violation (0: not present)
export const PF_WRITE: u32 = 1 << 1;
export const PF_USER: u32 = 1 << 2;

/**
 * Translate `linear` for an access; fills the TLB and returns the physical address, or raises #PF.
 * `user` is true for accesses made at CPL 3 (not for implicit supervisor accesses such as
 * descriptor-table reads).
 */
export function translate(linear: u32, write: bool, user: bool): u32 {
  store<u32>(STAT_TLB_MISSES, load<u32>(STAT_TLB_MISSES) + 1);
  const cr0 = load<u32>(CR0);
  let physPage: u32;
  let flags: u32 = TLB_VALID;
  if ((cr0 & CR0_PG) == 0) {
    physPage = linear & 0xfffff000;
  } else {
    const cr4 = load<u32>(CR4);
    const pdeAddress = (load<u32>(CR3) & 0xfffff000) | ((linear >>> 20) & 0xffc);
    const pde = physRead32(pdeAddress);
    if ((pde & PTE_P) == 0) pageFault(linear, 0, write, user);
    let allowUser: bool;
    let allowWrite: bool;
    let dirty: bool;
    let global: bool;
    if ((pde & PDE_PS) != 0 && (cr4 & CR4_PSE) != 0) {
      allowUser = (pde & PTE_US) != 0;
      allowWrite = (pde & PTE_RW) != 0;
      checkAccess(linear, write, user, allowUser, allowWrite, cr0);
      let updated = pde | PTE_A;
      if (write) updated |= PTE_D;
      if (updated != pde) physWrite32(pdeAddress, updated);
      dirty = (updated & PTE_D) != 0;
      global = (pde & PTE_G) != 0;
      physPage = (pde & 0xffc00000) | (linear & 0x3ff000);
      flags |= TLB_LARGE;
    } else {
      const pteAddress = (pde & 0xfffff000) | ((linear >>> 10) & 0xffc);
      const pte = physRead32(pteAddress);
      if ((pte & PTE_P) == 0) pageFault(linear, 0, write, user);
      allowUser = (pde & pte & PTE_US) != 0;
      allowWrite = (pde & pte & PTE_RW) != 0;
      checkAccess(linear, write, user, allowUser, allowWrite, cr0);
      if ((pde & PTE_A) == 0) physWrite32(pdeAddress, pde | PTE_A);
      let updated = pte | PTE_A;
      if (write) updated |= PTE_D;
      if (updated != pte) physWrite32(pteAddress, updated);
      dirty = (updated & PTE_D) != 0;
      global = (pte & PTE_G) != 0;
      physPage = pte & 0xfffff000;
    }
    flags |= permissionFlags(allowUser, allowWrite, dirty, global, cr0, cr4);
  }
  tlbInsert(linear, physPage | flags | backingFlags(physPage));
  return physPage | (linear & 0xfff);
}

// The TLB permission bits for a page the walk found.
@inline function permissionFlags(allowUser: bool, allowWrite: bool, dirty: bool, global: bool, cr0: u32, cr4: u32): u32 {
  let flags: u32 = 0;
  if (!allowUser) flags |= TLB_NO_USER;
  // A clean page keeps writes on the slow path so the first one sets the dirty bit.
  if (!allowWrite || !dirty) flags |= TLB_READONLY_USER;
  if ((!allowWrite && (cr0 & CR0_WP) != 0) || !dirty) flags |= TLB_READONLY_SUPERVISOR;
  if (global && (cr4 & CR4_PGE) != 0) flags |= TLB_GLOBAL;
  return flags;
}

// The TLB bits that say what backs a physical page: a device, or RAM holding cached code.
@inline function backingFlags(physPage: u32): u32 {
  if (physPage >= ramBytes) return TLB_MMIO;
  return isCodePage(physPage >>> 12) ? TLB_HAS_CODE : 0;
}

const PRESENT_ACCESSED: u32 = PTE_P | PTE_A;

/**
 * Put the translation of `linear` in the TLB if the paging structures, in RAM, map it with the
 * accessed bits already set, so a read walk would write nothing: the guest cannot tell this
 * from a demand walk, as a TLB may cache any translation the current structures give (SDM
 * vol. 3, 4.10.2.3). Paging must be on.
 */
export function prefetchTranslation(linear: u32): void {
  const cr0 = load<u32>(CR0);
  const cr4 = load<u32>(CR4);
  const pdeAddress = (load<u32>(CR3) & 0xfffff000) | ((linear >>> 20) & 0xffc);
  if (pdeAddress >= ramBytes) return; // (never a device read the guest did not ask for)
  const pde = physRead32(pdeAddress);
  if ((pde & PRESENT_ACCESSED) != PRESENT_ACCESSED) return;
  let physPage: u32;
  let flags: u32 = TLB_VALID;
  if ((pde & PDE_PS) != 0 && (cr4 & CR4_PSE) != 0) {
    physPage = (pde & 0xffc00000) | (linear & 0x3ff000);
    flags |= TLB_LARGE | permissionFlags((pde & PTE_US) != 0, (pde & PTE_RW) != 0, (pde & PTE_D) != 0, (pde & PTE_G) != 0, cr0, cr4);
  } else {
    const pteAddress = (pde & 0xfffff000) | ((linear >>> 10) & 0xffc);
    if (pteAddress >= ramBytes) return;
    const pte = physRead32(pteAddress);
    if ((pte & PRESENT_ACCESSED) != PRESENT_ACCESSED) return;
    physPage = pte & 0xfffff000;
    flags |= permissionFlags((pde & pte & PTE_US) != 0, (pde & pte & PTE_RW) != 0, (pte & PTE_D) != 0, (pte & PTE_G) != 0, cr0, cr4);
  }
  tlbInsert(linear, physPage | flags | backingFlags(physPage));
}

/**
 * Whether a read of `linear` (at CPL 3 if `user`) would translate without a page fault: the walk
 * without its side effects (accessed bits, the TLB), for callers that must not fault.
 */
export function readWouldTranslate(linear: u32, user: bool): bool {
  if ((load<u32>(CR0) & CR0_PG) == 0) return true;
  const pde = physRead32((load<u32>(CR3) & 0xfffff000) | ((linear >>> 20) & 0xffc));
  if ((pde & PTE_P) == 0) return false;
  if ((pde & PDE_PS) != 0 && (load<u32>(CR4) & CR4_PSE) != 0) return !user || (pde & PTE_US) != 0;
  const pte = physRead32((pde & 0xfffff000) | ((linear >>> 10) & 0xffc));
  return (pte & PTE_P) != 0 && (!user || (pde & pte & PTE_US) != 0);
}

@inline function checkAccess(linear: u32, write: bool, user: bool, allowUser: bool, allowWrite: bool, cr0: u32): void {
  if (user && !allowUser) pageFault(linear, PF_PRESENT, write, user);
  if (write && !allowWrite && (user || (cr0 & CR0_WP) != 0)) pageFault(linear, PF_PRESENT, write, user);
}

function pageFault(linear: u32, present: u32, write: bool, user: bool): void {
  store<u32>(CR2, linear);
  store<u32>(STAT_PAGE_FAULTS, load<u32>(STAT_PAGE_FAULTS) + 1);
  const code = present | (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
  raiseFault(EXC_PF, <i32>code);
}

@inline export function isUserAccess(): bool { return load<u32>(CPL) == 3; }
