// Control transfers that cross segments or privilege levels: far JMP/CALL/RET, call gates with
// stack switch, interrupt and exception delivery through the IVT/IDT, IRET, and the TSS
// (SDM vol. 3, 5.8 and chapter 6; vol. 2, CALL/JMP/RET/INT n/IRET).
import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_TR, SEG_SELECTOR, SEG_BASE, SEG_LIMIT,
  SEG_ACCESS, IDTR_BASE, IDTR_LIMIT, REG_ESP,
} from "../layout";
import {
  getReg32, setReg32, getEip, setEip, getCpl, isProtectedMode, isVm86, ESP,
  ACC_CODE, ACC_DC, ACC_P, ACC_S, ACC_DB, ACC_RW,
  FLAG_IF, FLAG_TF, FLAG_NT, FLAG_RF, FLAG_VM, FLAG_AC, FLAG_IOPL, FLAG_IOPL_SHIFT, FLAG_VIF, FLAG_VIP,
  FLAGS_WRITABLE, EXC_GP, EXC_NP, EXC_SS, EXC_TS,
} from "./state";
import { raiseFault } from "./fault";
import { getFlags, setFlags } from "./flags";
import {
  readDescriptor, descLow, descHigh, descAddress, markAccessedAt, descriptorBase, descriptorLimit,
  descriptorAccess, accessDpl, accessType, setSegmentCache, setSegmentUnusable, loadSegmentReal, setCpl,
  invalidateSegmentForCpl, TYPE_CALL_GATE16, TYPE_CALL_GATE32, TYPE_INTERRUPT_GATE16,
  TYPE_TRAP_GATE16, TYPE_INTERRUPT_GATE32, TYPE_TRAP_GATE32, TYPE_TSS32_AVAILABLE, TYPE_TSS32_BUSY,
  TYPE_TSS16_AVAILABLE, TYPE_TASK_GATE,
} from "./descriptors";
import { stackOffset, setStackPointer, peek } from "./operands";
import { switchTask, TASK_SWITCH_JMP, TASK_SWITCH_CALL, TASK_SWITCH_IRET } from "./task";
import { linearForWrite, linearForRead } from "../mmu/segmentation";
import {
  readLinear16, readLinear32, writeLinear16, writeLinear32, readSystem16, readSystem32, probeWrite,
  probeWriteAs, writeSystem16, writeSystem32,
} from "../mmu/linear";

@inline function selectorError(selector: u32): i32 { return <i32>(selector & 0xfffc); }
@inline function selectorOf(seg: u32): u32 { return load<u32>(SEG_SELECTOR + (seg << 2)); }

/** A descriptor read for a transfer: kept in locals so later reads cannot clobber it. */
class Descriptor {
  low: u32 = 0;
  high: u32 = 0;
  address: u32 = 0;
}
// One preallocated instance per role: no allocation on the transfer paths.
const target = new Descriptor();
const stackDescriptor = new Descriptor();

/** Read `selector`'s descriptor into `into`; #GP(selector) (or `vector`) when outside the table. */
function fetchDescriptor(into: Descriptor, selector: u32, vector: u32): void {
  if (!readDescriptor(selector)) raiseFault(vector, selectorError(selector));
  into.low = descLow;
  into.high = descHigh;
  into.address = descAddress;
}

@inline function access(d: Descriptor): u32 { return descriptorAccess(d.high); }

/** Load a segment register from a checked descriptor, setting its accessed bit. */
function loadCache(seg: u32, selector: u32, d: Descriptor): void {
  markAccessedAt(d.address, d.high);
  setSegmentCache(seg, selector, descriptorBase(d.low, d.high), descriptorLimit(d.low, d.high), descriptorAccess(d.high));
}

function loadCodeSegment(selector: u32, cpl: u32, d: Descriptor): void {
  loadCache(SEG_CS, (selector & 0xfffc) | cpl, d);
  setCpl(cpl);
}

@inline function writeSized(linear: u32, size: u32, v: u32): void {
  if (size == 32) writeLinear32(linear, v); else writeLinear16(linear, v);
}

// A frame on an inner ring's stack is written with that ring's privilege, which is always
// supervisor for paging (CPL 0-2), while CPL still says the outer ring (SDM vol. 3, 6.12.1).
@inline function writeInnerStack(linear: u32, size: u32, v: u32): void {
  if (size == 32) writeSystem32(linear, v); else writeSystem16(linear, v);
}

// ---- Far JMP / CALL ---------------------------------------------------------------------------

/** Checks for a direct far JMP/CALL to a code segment (SDM vol. 3, 5.8.1). */
function checkDirectCodeTarget(selector: u32, offset: u32, d: Descriptor): void {
  const acc = access(d);
  const cpl = getCpl();
  const dpl = accessDpl(acc);
  if ((acc & ACC_DC) != 0) {
    if (dpl > cpl) raiseFault(EXC_GP, selectorError(selector));
  } else if ((selector & 3) > cpl || dpl != cpl) {
    raiseFault(EXC_GP, selectorError(selector));
  }
  if ((acc & ACC_P) == 0) raiseFault(EXC_NP, selectorError(selector));
  if (offset > descriptorLimit(d.low, d.high)) raiseFault(EXC_GP, 0);
}

// Fields of the call gate last checked.
let gateTarget: u32 = 0;
let gateOffset: u32 = 0;
let gateParameters: u32 = 0;
let gateIs32: bool = false;

/** Privilege and presence checks on a call gate, then on the code segment it names (5.8.4). */
function checkCallGate(selector: u32, gate: Descriptor): void {
  const acc = access(gate);
  const dpl = accessDpl(acc);
  if (dpl < getCpl() || dpl < (selector & 3)) raiseFault(EXC_GP, selectorError(selector));
  if ((acc & ACC_P) == 0) raiseFault(EXC_NP, selectorError(selector));
  gateIs32 = accessType(acc) == TYPE_CALL_GATE32;
  gateTarget = gate.low >>> 16;
  gateOffset = gateIs32 ? (gate.high & 0xffff0000) | (gate.low & 0xffff) : gate.low & 0xffff;
  gateParameters = gate.high & 0x1f;
  if ((gateTarget & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  fetchDescriptor(target, gateTarget, EXC_GP);
  const targetAccess = access(target);
  if ((targetAccess & (ACC_S | ACC_CODE)) != (ACC_S | ACC_CODE) || accessDpl(targetAccess) > getCpl()) {
    raiseFault(EXC_GP, selectorError(gateTarget));
  }
  if ((targetAccess & ACC_P) == 0) raiseFault(EXC_NP, selectorError(gateTarget));
  if (gateOffset > descriptorLimit(target.low, target.high)) raiseFault(EXC_GP, 0);
}

/**
 * Read the descriptor a protected-mode far JMP/CALL names into `target`; returns its access bits.
 * For a code or data descriptor, checks it is code that may be entered directly at `offset`.
 */
function fetchFarTarget(selector: u32, offset: u32): u32 {
  if ((selector & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  fetchDescriptor(target, selector, EXC_GP);
  const acc = access(target);
  if ((acc & ACC_S) != 0) {
    if ((acc & ACC_CODE) == 0) raiseFault(EXC_GP, selectorError(selector));
    checkDirectCodeTarget(selector, offset, target);
  }
  return acc;
}

export function farJump(selector: u32, offset: u32, operand32: bool): void {
  selector &= 0xffff;
  if (!isProtectedMode() || isVm86()) {
    loadSegmentReal(SEG_CS, selector);
    setEip(operand32 ? offset : offset & 0xffff);
    return;
  }
  const acc = fetchFarTarget(selector, offset);
  if ((acc & ACC_S) != 0) {
    loadCodeSegment(selector, getCpl(), target);
    setEip(offset);
    return;
  }
  const type = accessType(acc);
  if (type == TYPE_CALL_GATE16 || type == TYPE_CALL_GATE32) {
    checkCallGate(selector, target);
    const cpl = getCpl();
    const dpl = accessDpl(access(target));
    // JMP through a gate never changes privilege.
    if ((access(target) & ACC_DC) != 0 ? dpl > cpl : dpl != cpl) raiseFault(EXC_GP, selectorError(gateTarget));
    loadCodeSegment(gateTarget, cpl, target);
    setEip(gateOffset);
    return;
  }
  jumpOrCallTask(selector, target, TASK_SWITCH_JMP, getEip());
}

/** JMP/CALL to a TSS descriptor or through a task gate (SDM vol. 3, 7.3). */
function jumpOrCallTask(selector: u32, d: Descriptor, reason: u32, returnEip: u32): void {
  const acc = access(d);
  const type = accessType(acc);
  const dpl = accessDpl(acc);
  if (dpl < getCpl() || dpl < (selector & 3)) raiseFault(EXC_GP, selectorError(selector));
  if (type == TYPE_TASK_GATE) {
    if ((acc & ACC_P) == 0) raiseFault(EXC_NP, selectorError(selector));
    switchTask(d.low >>> 16, reason, returnEip, -1);
  } else if (type == TYPE_TSS16_AVAILABLE || type == TYPE_TSS32_AVAILABLE) {
    switchTask(selector, reason, returnEip, -1);
  } else {
    raiseFault(EXC_GP, selectorError(selector));
  }
}

export function farCall(selector: u32, offset: u32, operand32: bool, returnEip: u32): void {
  selector &= 0xffff;
  const size: u32 = operand32 ? 32 : 16;
  const oldCs = selectorOf(SEG_CS);
  if (!isProtectedMode() || isVm86()) {
    pushPair(size, oldCs, returnEip);
    loadSegmentReal(SEG_CS, selector);
    setEip(operand32 ? offset : offset & 0xffff);
    return;
  }
  const acc = fetchFarTarget(selector, offset);
  if ((acc & ACC_S) != 0) {
    pushPair(size, oldCs, returnEip);
    loadCodeSegment(selector, getCpl(), target);
    setEip(offset);
    return;
  }
  const type = accessType(acc);
  if (type != TYPE_CALL_GATE16 && type != TYPE_CALL_GATE32) {
    jumpOrCallTask(selector, target, TASK_SWITCH_CALL, returnEip);
    return;
  }
  checkCallGate(selector, target);
  const gateSize: u32 = gateIs32 ? 32 : 16;
  const dpl = accessDpl(access(target));
  const cpl = getCpl();
  if ((access(target) & ACC_DC) != 0 || dpl >= cpl) {
    pushPair(gateSize, oldCs, returnEip);
    loadCodeSegment(gateTarget, cpl, target);
    setEip(gateOffset);
    return;
  }
  // Inner-privilege call: new stack from the TSS; old SS:ESP and the parameters are copied.
  const newSs = stackSelectorFromTss(dpl);
  const newEsp = stackPointerFromTss(dpl);
  checkNewStack(newSs, dpl);
  const bytes = gateSize >> 3;
  const frameBytes = (4 + gateParameters) * bytes;
  const frame = reserveFrame(newEsp, frameBytes, newSs);
  const oldEsp = getReg32(ESP);
  let slot = frameBytes;
  slot -= bytes; writeInnerStack(frame + slot, gateSize, selectorOf(SEG_SS));
  slot -= bytes; writeInnerStack(frame + slot, gateSize, oldEsp);
  for (let i: i32 = <i32>gateParameters - 1; i >= 0; i--) {
    const from = stackOffset(<u32>i * bytes);
    const value = gateSize == 32 ? readLinear32(linearForRead(SEG_SS, from, 4)) : readLinear16(linearForRead(SEG_SS, from, 2));
    slot -= bytes; writeInnerStack(frame + slot, gateSize, value);
  }
  slot -= bytes; writeInnerStack(frame + slot, gateSize, oldCs);
  slot -= bytes; writeInnerStack(frame + slot, gateSize, returnEip);
  commitStack(newSs, dpl, newEsp - frameBytes);
  loadCodeSegment(gateTarget, dpl, target);
  setEip(gateOffset);
}

/** Push CS then EIP, checking both slots before writing either. */
function pushPair(size: u32, cs: u32, eip: u32): void {
  const bytes = size >> 3;
  const sp = stackOffset(-(2 * bytes));
  const linear = linearForWrite(SEG_SS, sp, 2 * bytes);
  probeWrite(linear, 2 * bytes);
  writeSized(linear + bytes, size, cs);
  writeSized(linear, size, eip);
  setStackPointer(sp);
}

// ---- Stack switch through the TSS ---------------------------------------------------------------

function tssIs32(): bool {
  const type = accessType(load<u32>(SEG_ACCESS + (SEG_TR << 2)));
  return type == TYPE_TSS32_AVAILABLE || type == TYPE_TSS32_BUSY;
}

/** SS for ring `dpl` from the current TSS (SDM vol. 3, 7.2.1 and 7.6). */
function stackSelectorFromTss(dpl: u32): u32 {
  const base = load<u32>(SEG_BASE + (SEG_TR << 2));
  const limit = load<u32>(SEG_LIMIT + (SEG_TR << 2));
  const offset: u32 = tssIs32() ? dpl * 8 + 8 : dpl * 4 + 4;
  if (offset + 1 > limit) raiseFault(EXC_TS, selectorError(selectorOf(SEG_TR)));
  return readSystem16(base + offset);
}
function stackPointerFromTss(dpl: u32): u32 {
  const base = load<u32>(SEG_BASE + (SEG_TR << 2));
  const limit = load<u32>(SEG_LIMIT + (SEG_TR << 2));
  if (tssIs32()) {
    if (dpl * 8 + 7 > limit) raiseFault(EXC_TS, selectorError(selectorOf(SEG_TR)));
    return readSystem32(base + dpl * 8 + 4);
  }
  if (dpl * 4 + 3 > limit) raiseFault(EXC_TS, selectorError(selectorOf(SEG_TR)));
  return readSystem16(base + dpl * 4 + 2);
}

/** The stack segment taken from the TSS must be writable data at the new CPL (#TS otherwise). */
function checkNewStack(selector: u32, dpl: u32): void {
  if ((selector & 0xfffc) == 0) raiseFault(EXC_TS, 0);
  fetchDescriptor(stackDescriptor, selector, EXC_TS);
  const acc = access(stackDescriptor);
  if ((selector & 3) != dpl || accessDpl(acc) != dpl || (acc & ACC_S) == 0 ||
      (acc & ACC_CODE) != 0 || (acc & ACC_RW) == 0) {
    raiseFault(EXC_TS, selectorError(selector));
  }
  if ((acc & ACC_P) == 0) raiseFault(EXC_SS, selectorError(selector));
}

/** Linear address of a frame of `bytes` below `top` on the new stack, all of it checked writable. */
function reserveFrame(top: u32, bytes: u32, selector: u32): u32 {
  const acc = access(stackDescriptor);
  const limit = descriptorLimit(stackDescriptor.low, stackDescriptor.high);
  let sp = top - bytes;
  if ((acc & ACC_DB) == 0) sp &= 0xffff;
  const last = sp + bytes - 1;
  let ok: bool;
  if ((acc & ACC_DC) != 0) ok = sp > limit && last <= ((acc & ACC_DB) != 0 ? <u32>0xffffffff : <u32>0xffff);
  else ok = last <= limit && last >= sp;
  if (!ok) raiseFault(EXC_SS, selectorError(selector));
  const linear = descriptorBase(stackDescriptor.low, stackDescriptor.high) + sp;
  probeWriteAs(linear, bytes, false); // a frame on an inner ring's stack: a supervisor access
  return linear;
}

function commitStack(selector: u32, dpl: u32, sp: u32): void {
  loadCache(SEG_SS, (selector & 0xfffc) | dpl, stackDescriptor);
  if ((access(stackDescriptor) & ACC_DB) != 0) setReg32(ESP, sp); else store<u16>(REG_ESP, sp & 0xffff);
}

// ---- Far RET ----------------------------------------------------------------------------------

export function farReturn(operand32: bool, release: u32): void {
  const size: u32 = operand32 ? 32 : 16;
  const bytes = size >> 3;
  const eip = peek(size, 0);
  const selector = peek(size, bytes) & 0xffff;
  if (!isProtectedMode() || isVm86()) {
    setStackPointer(stackOffset(2 * bytes + release));
    loadSegmentReal(SEG_CS, selector);
    setEip(operand32 ? eip : eip & 0xffff);
    return;
  }
  const cpl = getCpl();
  const rpl = selector & 3;
  checkReturnCode(selector, rpl, cpl);
  if (rpl == cpl) {
    if (eip > descriptorLimit(target.low, target.high)) raiseFault(EXC_GP, 0);
    setStackPointer(stackOffset(2 * bytes + release));
    loadCodeSegment(selector, cpl, target);
    setEip(eip);
    return;
  }
  // Return to an outer ring: the caller's ESP and SS follow the released parameters.
  const newEsp = peek(size, 2 * bytes + release);
  const newSs = peek(size, 3 * bytes + release) & 0xffff;
  checkOuterStack(newSs, rpl);
  if (eip > descriptorLimit(target.low, target.high)) raiseFault(EXC_GP, 0);
  loadCodeSegment(selector, rpl, target);
  commitStack(newSs, rpl, newEsp + release);
  setEip(eip);
  leaveOuterRing();
}

/** The code segment a far RET or IRET returns to (SDM vol. 2, RET). */
function checkReturnCode(selector: u32, rpl: u32, cpl: u32): void {
  if ((selector & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  fetchDescriptor(target, selector, EXC_GP);
  const acc = access(target);
  const dpl = accessDpl(acc);
  if ((acc & (ACC_S | ACC_CODE)) != (ACC_S | ACC_CODE) || rpl < cpl) raiseFault(EXC_GP, selectorError(selector));
  if ((acc & ACC_DC) != 0 ? dpl > rpl : dpl != rpl) raiseFault(EXC_GP, selectorError(selector));
  if ((acc & ACC_P) == 0) raiseFault(EXC_NP, selectorError(selector));
}

function checkOuterStack(selector: u32, rpl: u32): void {
  if ((selector & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  fetchDescriptor(stackDescriptor, selector, EXC_GP);
  const acc = access(stackDescriptor);
  if ((selector & 3) != rpl || accessDpl(acc) != rpl || (acc & ACC_S) == 0 ||
      (acc & ACC_CODE) != 0 || (acc & ACC_RW) == 0) {
    raiseFault(EXC_GP, selectorError(selector));
  }
  if ((acc & ACC_P) == 0) raiseFault(EXC_SS, selectorError(selector));
}

function leaveOuterRing(): void {
  invalidateSegmentForCpl(SEG_ES);
  invalidateSegmentForCpl(SEG_DS);
  invalidateSegmentForCpl(SEG_FS);
  invalidateSegmentForCpl(SEG_GS);
}

// ---- Interrupts and exceptions ----------------------------------------------------------------

/**
 * Deliver interrupt `vector` (SDM vol. 3, 6.12). `software` is INT n/INT3/INTO (gate DPL checked);
 * `external` marks hardware interrupts and exceptions for the EXT bit of error codes.
 * `returnEip` is the EIP pushed. `errorCode` < 0 means none.
 */
export function deliverInterrupt(vector: u32, software: bool, external: bool, errorCode: i32, returnEip: u32): void {
  if (!isProtectedMode()) {
    deliverRealMode(vector, returnEip);
    return;
  }
  const ext: u32 = external ? 1 : 0;
  const idtError = <i32>(vector * 8 + 2 + ext);
  if (vector * 8 + 7 > load<u32>(IDTR_LIMIT)) raiseFault(EXC_GP, idtError);
  const gateLow = readSystem32(load<u32>(IDTR_BASE) + vector * 8);
  const gateHigh = readSystem32(load<u32>(IDTR_BASE) + vector * 8 + 4);
  const gateAccess = descriptorAccess(gateHigh);
  const type = accessType(gateAccess);
  const interruptGate = type == TYPE_INTERRUPT_GATE16 || type == TYPE_INTERRUPT_GATE32;
  const trapGate = type == TYPE_TRAP_GATE16 || type == TYPE_TRAP_GATE32;
  const taskGate = type == TYPE_TASK_GATE;
  if ((!interruptGate && !trapGate && !taskGate) || (gateAccess & ACC_S) != 0) raiseFault(EXC_GP, idtError);
  if (software && accessDpl(gateAccess) < getCpl()) raiseFault(EXC_GP, idtError);
  if ((gateAccess & ACC_P) == 0) raiseFault(EXC_NP, idtError);
  if (taskGate) {
    switchTask(gateLow >>> 16, TASK_SWITCH_CALL, returnEip, errorCode);
    return;
  }
  const gate32 = type == TYPE_INTERRUPT_GATE32 || type == TYPE_TRAP_GATE32;
  const selector = gateLow >>> 16;
  const offset = gate32 ? (gateHigh & 0xffff0000) | (gateLow & 0xffff) : gateLow & 0xffff;
  if ((selector & 0xfffc) == 0) raiseFault(EXC_GP, <i32>ext);
  if (!readDescriptor(selector)) raiseFault(EXC_GP, <i32>((selector & 0xfffc) + ext));
  target.low = descLow; target.high = descHigh; target.address = descAddress;
  const codeAccess = access(target);
  const dpl = accessDpl(codeAccess);
  const cpl = getCpl();
  if ((codeAccess & (ACC_S | ACC_CODE)) != (ACC_S | ACC_CODE) || dpl > cpl) raiseFault(EXC_GP, <i32>((selector & 0xfffc) + ext));
  if ((codeAccess & ACC_P) == 0) raiseFault(EXC_NP, <i32>((selector & 0xfffc) + ext));
  if (offset > descriptorLimit(target.low, target.high)) raiseFault(EXC_GP, <i32>ext);

  const size: u32 = gate32 ? 32 : 16;
  const bytes = size >> 3;
  const flags = getFlags();
  const fromVm86 = (flags & FLAG_VM) != 0;
  const hasError = errorCode >= 0;
  if ((codeAccess & ACC_DC) == 0 && dpl < cpl) {
    // To an inner ring: switch to the stack the TSS names for that ring.
    if (fromVm86 && dpl != 0) raiseFault(EXC_GP, <i32>((selector & 0xfffc) + ext));
    const newSs = stackSelectorFromTss(dpl);
    const newEsp = stackPointerFromTss(dpl);
    checkNewStack(newSs, dpl);
    const words: u32 = (fromVm86 ? 9 : 5) + (hasError ? 1 : 0);
    const frame = reserveFrame(newEsp, words * bytes, newSs);
    let slot = words * bytes;
    if (fromVm86) {
      slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_GS));
      slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_FS));
      slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_DS));
      slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_ES));
    }
    slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_SS));
    slot -= bytes; writeInnerStack(frame + slot, size, getReg32(ESP));
    slot -= bytes; writeInnerStack(frame + slot, size, flags);
    slot -= bytes; writeInnerStack(frame + slot, size, selectorOf(SEG_CS));
    slot -= bytes; writeInnerStack(frame + slot, size, returnEip);
    if (hasError) { slot -= bytes; writeInnerStack(frame + slot, size, <u32>errorCode); }
    commitStack(newSs, dpl, newEsp - words * bytes);
    if (fromVm86) {
      setSegmentUnusable(SEG_ES, 0);
      setSegmentUnusable(SEG_DS, 0);
      setSegmentUnusable(SEG_FS, 0);
      setSegmentUnusable(SEG_GS, 0);
    }
    loadCodeSegment(selector, dpl, target);
  } else {
    if (fromVm86) raiseFault(EXC_GP, <i32>((selector & 0xfffc) + ext));
    // Same ring (or conforming code): push on the current stack.
    const words: u32 = 3 + (hasError ? 1 : 0);
    const sp = stackOffset(-(words * bytes));
    const frame = linearForWrite(SEG_SS, sp, words * bytes);
    probeWrite(frame, words * bytes);
    let slot = words * bytes;
    slot -= bytes; writeSized(frame + slot, size, flags);
    slot -= bytes; writeSized(frame + slot, size, selectorOf(SEG_CS));
    slot -= bytes; writeSized(frame + slot, size, returnEip);
    if (hasError) { slot -= bytes; writeSized(frame + slot, size, <u32>errorCode); }
    setStackPointer(sp);
    loadCodeSegment(selector, cpl, target);
  }
  let newFlags = flags & ~(FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM);
  if (interruptGate) newFlags &= ~FLAG_IF;
  setFlags(newFlags);
  setEip(offset);
}

function deliverRealMode(vector: u32, returnEip: u32): void {
  // Interrupt vector table at IDTR base, 4 bytes an entry (SDM vol. 3, 20.1.4).
  if (vector * 4 + 3 > load<u32>(IDTR_LIMIT)) raiseFault(EXC_GP, 0);
  const entry = readSystem32(load<u32>(IDTR_BASE) + vector * 4);
  const flags = getFlags();
  const sp = stackOffset(-6);
  const frame = linearForWrite(SEG_SS, sp, 6);
  probeWrite(frame, 6);
  writeLinear16(frame + 4, flags & 0xffff);
  writeLinear16(frame + 2, selectorOf(SEG_CS));
  writeLinear16(frame, returnEip & 0xffff);
  setStackPointer(sp);
  setFlags(flags & ~(FLAG_IF | FLAG_TF | FLAG_AC));
  loadSegmentReal(SEG_CS, entry >>> 16);
  setEip(entry & 0xffff);
}

// ---- IRET -------------------------------------------------------------------------------------

export function interruptReturn(operand32: bool): void {
  const size: u32 = operand32 ? 32 : 16;
  const bytes = size >> 3;
  if (!isProtectedMode()) {
    const eip = peek(size, 0);
    const cs = peek(size, bytes) & 0xffff;
    const poppedFlags = peek(size, 2 * bytes);
    setStackPointer(stackOffset(3 * bytes));
    loadSegmentReal(SEG_CS, cs);
    setEip(eip);
    const mask: u32 = operand32 ? FLAGS_WRITABLE : FLAGS_WRITABLE & 0xffff;
    setFlags((getFlags() & ~mask) | (poppedFlags & mask));
    return;
  }
  if (isVm86()) {
    // IRET in virtual-8086 mode is IOPL-sensitive (SDM vol. 3, 20.2.7).
    if (((getFlags() & FLAG_IOPL) >> FLAG_IOPL_SHIFT) != 3) raiseFault(EXC_GP, 0);
    const eip = peek(size, 0);
    const cs = peek(size, bytes) & 0xffff;
    const poppedFlags = peek(size, 2 * bytes);
    setStackPointer(stackOffset(3 * bytes));
    loadSegmentReal(SEG_CS, cs);
    setEip(eip & 0xffff);
    const keep: u32 = FLAG_IOPL | FLAG_VM | FLAG_VIF | FLAG_VIP;
    const mask: u32 = (operand32 ? FLAGS_WRITABLE : FLAGS_WRITABLE & 0xffff) & ~keep;
    setFlags((getFlags() & ~mask) | (poppedFlags & mask));
    return;
  }
  if ((getFlags() & FLAG_NT) != 0) {
    // Return to the task named by the back link of the current TSS.
    const backLink = readSystem16(load<u32>(SEG_BASE + (SEG_TR << 2)));
    switchTask(backLink, TASK_SWITCH_IRET, getEip(), -1);
    return;
  }
  const eip = peek(size, 0);
  const selector = peek(size, bytes) & 0xffff;
  const poppedFlags = peek(size, 2 * bytes);
  const cpl = getCpl();
  if (operand32 && (poppedFlags & FLAG_VM) != 0 && cpl == 0) {
    returnToVm86(eip, selector, poppedFlags);
    return;
  }
  const rpl = selector & 3;
  checkReturnCode(selector, rpl, cpl);
  if (eip > descriptorLimit(target.low, target.high)) raiseFault(EXC_GP, 0);
  if (rpl == cpl) {
    setStackPointer(stackOffset(3 * bytes));
    loadCodeSegment(selector, cpl, target);
    setEip(eip);
    updateFlagsFromIret(poppedFlags, operand32, cpl);
    return;
  }
  const newEsp = peek(size, 3 * bytes);
  const newSs = peek(size, 4 * bytes) & 0xffff;
  checkOuterStack(newSs, rpl);
  loadCodeSegment(selector, rpl, target);
  commitStack(newSs, rpl, newEsp);
  setEip(eip);
  updateFlagsFromIret(poppedFlags, operand32, cpl);
  leaveOuterRing();
}

/** EFLAGS from an IRET/POPF: IOPL only at CPL 0, IF only when CPL <= IOPL (SDM vol. 2, IRET). */
export function updateFlagsFromIret(popped: u32, operand32: bool, cpl: u32): void {
  const current = getFlags();
  let mask: u32 = FLAGS_WRITABLE;
  if (cpl > 0) mask &= ~FLAG_IOPL;
  if (cpl > ((current & FLAG_IOPL) >> FLAG_IOPL_SHIFT)) mask &= ~FLAG_IF;
  if (!operand32) mask &= 0xffff;
  setFlags((current & ~mask) | (popped & mask));
}

function returnToVm86(eip: u32, cs: u32, poppedFlags: u32): void {
  // Frame: EIP CS EFLAGS ESP SS ES DS FS GS, 32-bit each (SDM vol. 2, IRET).
  const newEsp = peek(32, 12);
  const ss = peek(32, 16) & 0xffff;
  const es = peek(32, 20) & 0xffff;
  const ds = peek(32, 24) & 0xffff;
  const fs = peek(32, 28) & 0xffff;
  const gs = peek(32, 32) & 0xffff;
  setFlags(poppedFlags & (FLAGS_WRITABLE | FLAG_VM | FLAG_VIF | FLAG_VIP));
  setCpl(3);
  loadSegmentReal(SEG_CS, cs);
  loadSegmentReal(SEG_SS, ss);
  loadSegmentReal(SEG_ES, es);
  loadSegmentReal(SEG_DS, ds);
  loadSegmentReal(SEG_FS, fs);
  loadSegmentReal(SEG_GS, gs);
  setReg32(ESP, newEsp);
  setEip(eip & 0xffff);
}

// ---- I/O permission (SDM vol. 1, 18.5) --------------------------------------------------------

/** #GP(0) unless CPL <= IOPL, or the TSS I/O bitmap allows every port of the access. */
export function checkIoPermission(port: u32, size: u32): void {
  if (!isProtectedMode()) return;
  const flags = getFlags();
  if (!isVm86() && getCpl() <= ((flags & FLAG_IOPL) >> FLAG_IOPL_SHIFT)) return;
  if (!tssIs32()) raiseFault(EXC_GP, 0);
  const base = load<u32>(SEG_BASE + (SEG_TR << 2));
  const limit = load<u32>(SEG_LIMIT + (SEG_TR << 2));
  if (limit < 0x67) raiseFault(EXC_GP, 0);
  const bitmap = readSystem16(base + 0x66);
  const byteOffset = bitmap + (port >> 3);
  if (byteOffset + 1 > limit) raiseFault(EXC_GP, 0);
  const bits = readSystem16(base + byteOffset);
  const mask: u32 = ((<u32>1 << size) - 1) << (port & 7);
  if ((bits & mask) != 0) raiseFault(EXC_GP, 0);
}
