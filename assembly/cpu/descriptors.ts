// Segment descriptors and the segment registers' hidden caches (SDM vol. 3, 3.4-3.5, 5.x).
import {
  SEG_SELECTOR, SEG_BASE, SEG_LIMIT, SEG_ACCESS, SEG_CS, SEG_SS, SEG_LDTR, GDTR_BASE, GDTR_LIMIT, CPL,
} from "../layout";
import {
  ACC_ACCESSED, ACC_RW, ACC_DC, ACC_CODE, ACC_S, ACC_DPL_SHIFT, ACC_P, ACC_G, ACC_UNUSABLE,
  ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN, EXC_GP, EXC_NP, EXC_SS, isProtectedMode, isVm86, getCpl,
} from "./state";
import { raiseFault } from "./fault";
import { readSystem32, writeSystem32 } from "../mmu/linear";
import { setTlbPrivilege } from "../mmu/tlb";
import { invalidateFetchWindow } from "./decoder";
import { segmentStateChanged } from "../jit/segment_state";

// System descriptor types (SDM vol. 3, table 3-2).
export const TYPE_TSS16_AVAILABLE: u32 = 1;
export const TYPE_LDT: u32 = 2;
export const TYPE_TSS16_BUSY: u32 = 3;
export const TYPE_CALL_GATE16: u32 = 4;
export const TYPE_TASK_GATE: u32 = 5;
export const TYPE_INTERRUPT_GATE16: u32 = 6;
export const TYPE_TRAP_GATE16: u32 = 7;
export const TYPE_TSS32_AVAILABLE: u32 = 9;
export const TYPE_TSS32_BUSY: u32 = 11;
export const TYPE_CALL_GATE32: u32 = 12;
export const TYPE_INTERRUPT_GATE32: u32 = 14;
export const TYPE_TRAP_GATE32: u32 = 15;

// The descriptor last read by readDescriptor.
export let descLow: u32 = 0;
export let descHigh: u32 = 0;
export let descAddress: u32 = 0;

/** Read the GDT/LDT descriptor a selector names; false when it lies beyond the table's limit. */
export function readDescriptor(selector: u32): bool {
  let base: u32;
  let limit: u32;
  if ((selector & 4) != 0) {
    if ((load<u32>(SEG_ACCESS + (SEG_LDTR << 2)) & ACC_UNUSABLE) != 0) return false;
    base = load<u32>(SEG_BASE + (SEG_LDTR << 2));
    limit = load<u32>(SEG_LIMIT + (SEG_LDTR << 2));
  } else {
    base = load<u32>(GDTR_BASE);
    limit = load<u32>(GDTR_LIMIT);
  }
  const index = selector & 0xfff8;
  if (index + 7 > limit) return false;
  descAddress = base + index;
  descLow = readSystem32(descAddress);
  descHigh = readSystem32(descAddress + 4);
  return true;
}

/** Set the accessed bit of the descriptor last read, as the CPU does on a segment load. */
export function markAccessed(): void {
  markAccessedAt(descAddress, descHigh);
  descHigh |= ACC_ACCESSED << 8;
}
export function markAccessedAt(address: u32, high: u32): void {
  if ((high & (ACC_ACCESSED << 8)) == 0) writeSystem32(address + 4, high | (ACC_ACCESSED << 8));
}
/** Rewrite the type field of the descriptor last read (TSS busy bit). */
export function writeDescriptorHigh(high: u32): void {
  descHigh = high;
  writeSystem32(descAddress + 4, high);
}

@inline export function descriptorBase(low: u32, high: u32): u32 { return (low >>> 16) | ((high & 0xff) << 16) | (high & 0xff000000); }
@inline export function descriptorLimit(low: u32, high: u32): u32 {
  const limit = (low & 0xffff) | (high & 0xf0000);
  return (high & (ACC_G << 8)) != 0 ? (limit << 12) | 0xfff : limit;
}
/** Descriptor bits 40..55 in the SEG_ACCESS layout. */
@inline export function descriptorAccess(high: u32): u32 { return (high >>> 8) & 0xf0ff; }
@inline export function accessDpl(access: u32): u32 { return (access >>> ACC_DPL_SHIFT) & 3; }
@inline export function accessType(access: u32): u32 { return access & 0xf; }

/** Fill a segment register's cache, deriving the internal check bits. */
export function setSegmentCache(seg: u32, selector: u32, base: u32, limit: u32, access: u32): void {
  let derived = access & 0xf0ff;
  if ((access & ACC_S) != 0) {
    if ((access & ACC_CODE) != 0) {
      derived |= ACC_NO_WRITE;
      if ((access & ACC_RW) == 0) derived |= ACC_NO_READ;
    } else {
      if ((access & ACC_RW) == 0) derived |= ACC_NO_WRITE;
      if ((access & ACC_DC) != 0) derived |= ACC_EXPAND_DOWN;
    }
  }
  store<u32>(SEG_SELECTOR + (seg << 2), selector & 0xffff);
  store<u32>(SEG_BASE + (seg << 2), base);
  store<u32>(SEG_LIMIT + (seg << 2), limit);
  store<u32>(SEG_ACCESS + (seg << 2), derived);
  segmentStateChanged();
  if (seg == SEG_CS) invalidateFetchWindow();
}

/** A null selector in DS/ES/FS/GS: any access faults until a usable one is loaded. */
export function setSegmentUnusable(seg: u32, selector: u32): void {
  store<u32>(SEG_SELECTOR + (seg << 2), selector & 0xffff);
  store<u32>(SEG_BASE + (seg << 2), 0);
  store<u32>(SEG_LIMIT + (seg << 2), 0);
  store<u32>(SEG_ACCESS + (seg << 2), ACC_UNUSABLE);
  segmentStateChanged();
}

/** Real-address and virtual-8086 segment load: base = selector * 16. */
export function loadSegmentReal(seg: u32, selector: u32): void {
  selector &= 0xffff;
  store<u32>(SEG_SELECTOR + (seg << 2), selector);
  store<u32>(SEG_BASE + (seg << 2), selector << 4);
  segmentStateChanged();
  if (isVm86()) {
    // Virtual-8086 segments are 64 KiB read/write data at DPL 3 (SDM vol. 3, 20.1.1).
    const access: u32 = ACC_P | (3 << ACC_DPL_SHIFT) | ACC_S | ACC_RW | ACC_ACCESSED | (seg == SEG_CS ? ACC_CODE : 0);
    setSegmentCache(seg, selector, selector << 4, 0xffff, access);
    if (seg == SEG_CS) store<u32>(SEG_ACCESS + (SEG_CS << 2), load<u32>(SEG_ACCESS + (SEG_CS << 2)) & ~ACC_NO_WRITE);
  } else {
    // Real mode keeps limit and attributes (which is what "unreal mode" relies on), but a code
    // segment cached from protected mode becomes writable, as CS is in real mode.
    const access = load<u32>(SEG_ACCESS + (seg << 2)) & ~(ACC_UNUSABLE | ACC_NO_WRITE | ACC_NO_READ);
    store<u32>(SEG_ACCESS + (seg << 2), access);
    if (seg == SEG_CS) invalidateFetchWindow();
  }
}

/** Change CPL (and with it the TLB's fast-path masks). */
export function setCpl(cpl: u32): void {
  store<u32>(CPL, cpl);
  segmentStateChanged();
  invalidateFetchWindow();
  setTlbPrivilege(cpl == 3);
}

/**
 * MOV/POP/LxS into DS, ES, FS, GS or SS with the protected-mode checks (SDM vol. 2, MOV;
 * vol. 3, 5.10). CS is loaded only by far transfers (system.ts).
 */
export function loadSegment(seg: u32, selector: u32): void {
  selector &= 0xffff;
  if (!isProtectedMode() || isVm86()) {
    loadSegmentReal(seg, selector);
    return;
  }
  const cpl = getCpl();
  const rpl = selector & 3;
  if ((selector & 0xfffc) == 0) {
    if (seg == SEG_SS) raiseFault(EXC_GP, 0);
    setSegmentUnusable(seg, selector);
    return;
  }
  if (!readDescriptor(selector)) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
  const access = descriptorAccess(descHigh);
  const dpl = accessDpl(access);
  const isCode = (access & ACC_CODE) != 0;
  if (seg == SEG_SS) {
    // A writable data segment with RPL = DPL = CPL.
    if ((access & ACC_S) == 0 || isCode || (access & ACC_RW) == 0 || rpl != cpl || dpl != cpl) {
      raiseFault(EXC_GP, <i32>(selector & 0xfffc));
    }
    if ((access & ACC_P) == 0) raiseFault(EXC_SS, <i32>(selector & 0xfffc));
  } else {
    // Data, or readable code; privilege checked unless conforming code.
    if ((access & ACC_S) == 0 || (isCode && (access & ACC_RW) == 0)) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
    const conforming = isCode && (access & ACC_DC) != 0;
    if (!conforming && (rpl > dpl || cpl > dpl)) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
    if ((access & ACC_P) == 0) raiseFault(EXC_NP, <i32>(selector & 0xfffc));
  }
  markAccessed();
  setSegmentCache(seg, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), descriptorAccess(descHigh));
}

/**
 * After a return to an outer ring: a data or non-conforming code segment more privileged than
 * the new CPL is made unusable (SDM vol. 2, RET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
 */
export function invalidateSegmentForCpl(seg: u32): void {
  const access = load<u32>(SEG_ACCESS + (seg << 2));
  if ((access & ACC_UNUSABLE) != 0) return;
  const conformingCode = (access & ACC_CODE) != 0 && (access & ACC_DC) != 0;
  if (!conformingCode && accessDpl(access) < getCpl()) setSegmentUnusable(seg, 0);
}
