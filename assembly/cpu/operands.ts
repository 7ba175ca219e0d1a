// Operand access for decoded instructions: E (ModRM register or memory), G (ModRM.reg), the stack.
import { readField, writeField } from "./record";
import { DEC_MOD, DEC_RM, DEC_REG, DEC_SEGMENT, DEC_EA, DEC_OPSIZE32, SEG_SS } from "../layout";
import {
  getReg8, getReg16, getReg32, setReg8, setReg16, setReg32, segAccess, ACC_DB, ESP,
} from "./state";
import { linearForRead, linearForWrite } from "../mmu/segmentation";
import {
  readLinear8, readLinear16, readLinear32, writeLinear8, writeLinear16, writeLinear32,
} from "../mmu/linear";

@inline export function modIsRegister(): bool { return readField(DEC_MOD) == 3; }
@inline export function decodedRm(): u32 { return readField(DEC_RM); }
@inline export function decodedReg(): u32 { return readField(DEC_REG); }
@inline export function operandSize32(): bool { return readField(DEC_OPSIZE32) != 0; }
@inline export function effectiveSegment(): u32 { return readField(DEC_SEGMENT); }
@inline export function effectiveAddress(): u32 { return readField(DEC_EA); }

// Sized register access: size is 8, 16 or 32.
@inline export function getReg(r: u32, size: u32): u32 {
  return size == 32 ? getReg32(r) : size == 16 ? getReg16(r) : getReg8(r);
}
@inline export function setReg(r: u32, size: u32, v: u32): void {
  if (size == 32) setReg32(r, v); else if (size == 16) setReg16(r, v); else setReg8(r, v);
}

@inline export function readLinearSized(linear: u32, size: u32): u32 {
  return size == 32 ? readLinear32(linear) : size == 16 ? readLinear16(linear) : readLinear8(linear);
}
@inline export function writeLinearSized(linear: u32, size: u32, v: u32): void {
  if (size == 32) writeLinear32(linear, v); else if (size == 16) writeLinear16(linear, v); else writeLinear8(linear, v);
}

/** Memory operand's linear address for reading. */
@inline export function eaLinearRead(size: u32): u32 {
  return linearForRead(readField(DEC_SEGMENT), readField(DEC_EA), size >> 3);
}
/** Memory operand's linear address for writing (also for read-modify-write). */
@inline export function eaLinearWrite(size: u32): u32 {
  return linearForWrite(readField(DEC_SEGMENT), readField(DEC_EA), size >> 3);
}

@inline export function readE(size: u32): u32 {
  if (readField(DEC_MOD) == 3) return getReg(readField(DEC_RM), size);
  return readLinearSized(eaLinearRead(size), size);
}
@inline export function writeE(size: u32, v: u32): void {
  if (readField(DEC_MOD) == 3) setReg(readField(DEC_RM), size, v);
  else writeLinearSized(eaLinearWrite(size), size, v);
}
@inline export function readG(size: u32): u32 { return getReg(readField(DEC_REG), size); }
@inline export function writeG(size: u32, v: u32): void { setReg(readField(DEC_REG), size, v); }

/** Operand size in bits of a v/z operand. */
@inline export function vSize(): u32 { return readField(DEC_OPSIZE32) != 0 ? 32 : 16; }

// ---- Stack (SDM vol. 1, 6.2): SS.B chooses ESP or SP ------------------------------------------
@inline export function stack32(): bool { return (segAccess(SEG_SS) & ACC_DB) != 0; }
@inline export function stackPointer(): u32 { return stack32() ? getReg32(ESP) : getReg16(ESP); }
@inline export function setStackPointer(v: u32): void { if (stack32()) setReg32(ESP, v); else setReg16(ESP, v); }
/** Offset `delta` bytes from the stack pointer, wrapped to the stack's address size. */
@inline export function stackOffset(delta: u32): u32 {
  const sp = getReg32(ESP) + delta;
  return stack32() ? sp : sp & 0xffff;
}

export function push(size: u32, v: u32): void {
  const bytes = size >> 3;
  const sp = stackOffset(-bytes);
  writeLinearSized(linearForWrite(SEG_SS, sp, bytes), size, v);
  setStackPointer(sp);
}
export function push32(v: u32): void { push(32, v); }
export function push16(v: u32): void { push(16, v); }

/** Read the value on top of the stack without popping. */
export function peek(size: u32, delta: u32): u32 {
  return readLinearSized(linearForRead(SEG_SS, stackOffset(delta), size >> 3), size);
}
export function pop(size: u32): u32 {
  const v = peek(size, 0);
  setStackPointer(stackOffset(size >> 3));
  return v;
}
