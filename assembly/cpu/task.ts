// Hardware task switching (SDM vol. 3, 7.3): JMP/CALL to a TSS or task gate, interrupts through a
// task gate, and IRET with NT set. The outgoing state is saved in the current TSS and the
// incoming task's state loaded from the new one.
import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_SELECTOR, SEG_BASE,
  SEG_LIMIT, SEG_ACCESS, CR0, CR3, REG_EIP,
} from "../layout";
import {
  getReg32, setReg32, getReg16, setReg16, ACC_S, ACC_P, ACC_CODE, ACC_DC, ACC_RW, CR0_TS, CR0_PG,
  FLAG_NT, FLAG_VM, EXC_TS, EXC_GP, EXC_NP, EXC_SS,
} from "./state";
import { raiseFault } from "./fault";
import { getFlags, setFlags } from "./flags";
import {
  readDescriptor, descLow, descHigh, descAddress, descriptorBase, descriptorLimit, descriptorAccess,
  accessDpl, accessType, setSegmentCache, setSegmentUnusable, loadSegmentReal, setCpl,
  TYPE_TSS16_AVAILABLE, TYPE_TSS16_BUSY, TYPE_TSS32_AVAILABLE, TYPE_TSS32_BUSY, TYPE_LDT,
} from "./descriptors";
import { readSystem16, readSystem32, writeSystem16, writeSystem32 } from "../mmu/linear";
import { tlbFlush } from "../mmu/tlb";
import { push } from "./operands";

export const TASK_SWITCH_JMP: u32 = 0;
export const TASK_SWITCH_CALL: u32 = 1; // CALL or an interrupt: nested, back link written
export const TASK_SWITCH_IRET: u32 = 2;

const TSS_BUSY_BIT: u32 = 2 << 8; // type bit 1 in the descriptor's high word

@inline function selectorOf(seg: u32): u32 { return load<u32>(SEG_SELECTOR + (seg << 2)); }
@inline function tsError(selector: u32): i32 { return <i32>(selector & 0xfffc); }

/**
 * Switch to the task whose TSS `selector` names. `returnEip` is saved as the outgoing task's EIP.
 * `errorCode` >= 0 is pushed on the new task's stack (exceptions through a task gate).
 */
export function switchTask(selector: u32, reason: u32, returnEip: u32, errorCode: i32): void {
  selector &= 0xffff;
  if ((selector & 4) != 0 || !readDescriptor(selector)) raiseFault(reason == TASK_SWITCH_IRET ? EXC_TS : EXC_GP, tsError(selector));
  const newLow = descLow;
  const newHigh = descHigh;
  const newDescriptorAddress = descAddress;
  const newAccess = descriptorAccess(newHigh);
  const newType = accessType(newAccess);
  const newIs32 = newType == TYPE_TSS32_AVAILABLE || newType == TYPE_TSS32_BUSY;
  const busy = newType == TYPE_TSS16_BUSY || newType == TYPE_TSS32_BUSY;
  const isTss = (newAccess & ACC_S) == 0 && (newIs32 || newType == TYPE_TSS16_AVAILABLE || newType == TYPE_TSS16_BUSY);
  // IRET returns to a busy task; JMP and CALL need an available one.
  if (!isTss || (reason == TASK_SWITCH_IRET ? !busy : busy)) raiseFault(reason == TASK_SWITCH_IRET ? EXC_TS : EXC_GP, tsError(selector));
  if ((newAccess & ACC_P) == 0) raiseFault(EXC_NP, tsError(selector));
  const newBase = descriptorBase(newLow, newHigh);
  const newLimit = descriptorLimit(newLow, newHigh);
  const minimumLimit: u32 = newIs32 ? 0x67 : 0x2b;
  if (newLimit < minimumLimit) raiseFault(EXC_TS, tsError(selector));

  // Save the outgoing task's state into its TSS.
  const oldSelector = selectorOf(SEG_TR);
  const oldBase = load<u32>(SEG_BASE + (SEG_TR << 2));
  const oldType = accessType(load<u32>(SEG_ACCESS + (SEG_TR << 2)));
  const oldIs32 = oldType == TYPE_TSS32_AVAILABLE || oldType == TYPE_TSS32_BUSY;
  let flags = getFlags();
  if (reason == TASK_SWITCH_IRET) flags &= ~FLAG_NT;
  if (oldIs32) {
    writeSystem32(oldBase + 0x20, returnEip);
    writeSystem32(oldBase + 0x24, flags);
    for (let r: u32 = 0; r < 8; r++) writeSystem32(oldBase + 0x28 + r * 4, getReg32(r));
    for (let seg: u32 = 0; seg < 6; seg++) writeSystem16(oldBase + 0x48 + seg * 4, selectorOf(seg));
  } else {
    writeSystem16(oldBase + 0x0e, returnEip);
    writeSystem16(oldBase + 0x10, flags);
    for (let r: u32 = 0; r < 8; r++) writeSystem16(oldBase + 0x12 + r * 2, getReg16(r));
    for (let seg: u32 = 0; seg < 4; seg++) writeSystem16(oldBase + 0x22 + seg * 2, selectorOf(seg));
  }
  if (reason != TASK_SWITCH_CALL) setBusy(oldSelector, false);

  // Read the incoming state before touching the CPU.
  let eip: u32, newFlags: u32, cr3: u32 = 0, ldt: u32;
  const registers = new StaticArray<u32>(8);
  const selectors = new StaticArray<u32>(6);
  if (newIs32) {
    cr3 = readSystem32(newBase + 0x1c);
    eip = readSystem32(newBase + 0x20);
    newFlags = readSystem32(newBase + 0x24);
    for (let r = 0; r < 8; r++) registers[r] = readSystem32(newBase + 0x28 + <u32>r * 4);
    for (let seg = 0; seg < 6; seg++) selectors[seg] = readSystem16(newBase + 0x48 + <u32>seg * 4);
    ldt = readSystem16(newBase + 0x60);
  } else {
    eip = readSystem16(newBase + 0x0e);
    newFlags = readSystem16(newBase + 0x10);
    for (let r = 0; r < 8; r++) registers[r] = readSystem16(newBase + 0x12 + <u32>r * 2);
    for (let seg = 0; seg < 4; seg++) selectors[seg] = readSystem16(newBase + 0x22 + <u32>seg * 2);
    selectors[4] = 0;
    selectors[5] = 0;
    ldt = readSystem16(newBase + 0x2a);
  }
  if (reason == TASK_SWITCH_CALL) {
    newFlags |= FLAG_NT;
    writeSystem16(newBase, oldSelector); // back link
  }
  if (reason != TASK_SWITCH_IRET) {
    writeSystem32(newDescriptorAddress + 4, newHigh | TSS_BUSY_BIT);
  }
  setSegmentCache(SEG_TR, selector, newBase, newLimit, newAccess | TSS_BUSY_BIT);
  store<u32>(CR0, load<u32>(CR0) | CR0_TS);
  if (newIs32 && (load<u32>(CR0) & CR0_PG) != 0) {
    store<u32>(CR3, cr3 & 0xfffff018);
    tlbFlush(true);
  }
  for (let r = 0; r < 8; r++) {
    if (newIs32) setReg32(<u32>r, registers[r]); else setReg16(<u32>r, registers[r]);
  }
  store<u32>(REG_EIP, eip);
  setFlags(newIs32 ? newFlags : (getFlags() & 0xffff0000) | (newFlags & 0xffff));

  // Segment registers: selectors first (so a fault below reports in the new task), then checks.
  if ((newFlags & FLAG_VM) != 0 && newIs32) {
    setCpl(3);
    for (let seg = 0; seg < 6; seg++) loadSegmentReal(<u32>seg, selectors[seg]);
  } else {
    loadTaskLdt(ldt);
    const cpl = selectors[SEG_CS] & 3;
    loadTaskCode(selectors[SEG_CS]);
    setCpl(cpl);
    loadTaskData(SEG_SS, selectors[SEG_SS], cpl);
    loadTaskData(SEG_ES, selectors[SEG_ES], cpl);
    loadTaskData(SEG_DS, selectors[SEG_DS], cpl);
    loadTaskData(SEG_FS, selectors[SEG_FS], cpl);
    loadTaskData(SEG_GS, selectors[SEG_GS], cpl);
  }
  if (errorCode >= 0) push(newIs32 ? 32 : 16, <u32>errorCode);
}

function setBusy(selector: u32, busy: bool): void {
  if ((selector & 0xfffc) == 0 || !readDescriptor(selector)) return;
  writeSystem32(descAddress + 4, busy ? descHigh | TSS_BUSY_BIT : descHigh & ~TSS_BUSY_BIT);
}

function loadTaskLdt(selector: u32): void {
  if ((selector & 0xfffc) == 0) { setSegmentUnusable(SEG_LDTR, selector); return; }
  if ((selector & 4) != 0 || !readDescriptor(selector)) raiseFault(EXC_TS, tsError(selector));
  const access = descriptorAccess(descHigh);
  if ((access & ACC_S) != 0 || accessType(access) != TYPE_LDT) raiseFault(EXC_TS, tsError(selector));
  if ((access & ACC_P) == 0) raiseFault(EXC_TS, tsError(selector));
  setSegmentCache(SEG_LDTR, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), access);
}

function loadTaskCode(selector: u32): void {
  if ((selector & 0xfffc) == 0 || !readDescriptor(selector)) raiseFault(EXC_TS, tsError(selector));
  const access = descriptorAccess(descHigh);
  const dpl = accessDpl(access);
  const rpl = selector & 3;
  if ((access & (ACC_S | ACC_CODE)) != (ACC_S | ACC_CODE)) raiseFault(EXC_TS, tsError(selector));
  if ((access & ACC_DC) != 0 ? dpl > rpl : dpl != rpl) raiseFault(EXC_TS, tsError(selector));
  if ((access & ACC_P) == 0) raiseFault(EXC_NP, tsError(selector));
  setSegmentCache(SEG_CS, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), access);
}

function loadTaskData(seg: u32, selector: u32, cpl: u32): void {
  if ((selector & 0xfffc) == 0) {
    if (seg == SEG_SS) raiseFault(EXC_TS, 0);
    setSegmentUnusable(seg, selector);
    return;
  }
  if (!readDescriptor(selector)) raiseFault(EXC_TS, tsError(selector));
  const access = descriptorAccess(descHigh);
  const dpl = accessDpl(access);
  const isCode = (access & ACC_CODE) != 0;
  if ((access & ACC_S) == 0) raiseFault(EXC_TS, tsError(selector));
  if (seg == SEG_SS) {
    if (isCode || (access & ACC_RW) == 0 || dpl != cpl || (selector & 3) != cpl) raiseFault(EXC_TS, tsError(selector));
    if ((access & ACC_P) == 0) raiseFault(EXC_SS, tsError(selector));
  } else {
    if (isCode && (access & ACC_RW) == 0) raiseFault(EXC_TS, tsError(selector));
    const conforming = isCode && (access & ACC_DC) != 0;
    if (!conforming && (dpl < cpl || dpl < (selector & 3))) raiseFault(EXC_TS, tsError(selector));
    if ((access & ACC_P) == 0) raiseFault(EXC_NP, tsError(selector));
  }
  setSegmentCache(seg, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), access);
}
