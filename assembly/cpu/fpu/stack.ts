// The x87 register stack, tag word, control and status words (SDM vol. 1, 8.1).
// Registers are addressed by physical number p (0..7); ST(i) is p = (TOP + i) & 7.
import { FPU_REGS, FPU_CONTROL, FPU_STATUS, FPU_TOP, FPU_VALID } from "../../layout";

// ---- Status word bits (SDM vol. 1, 8.1.3) ----------------------------------------------------
export const SW_IE: u32 = 1 << 0; // invalid operation
export const SW_DE: u32 = 1 << 1; // denormal operand
export const SW_ZE: u32 = 1 << 2; // zero divide
export const SW_OE: u32 = 1 << 3; // overflow
export const SW_UE: u32 = 1 << 4; // underflow
export const SW_PE: u32 = 1 << 5; // precision (inexact)
export const SW_SF: u32 = 1 << 6; // stack fault (with IE)
export const SW_ES: u32 = 1 << 7; // error summary: an unmasked exception is pending
export const SW_C0: u32 = 1 << 8;
export const SW_C1: u32 = 1 << 9;
export const SW_C2: u32 = 1 << 10;
export const SW_TOP_SHIFT: u32 = 11;
export const SW_C3: u32 = 1 << 14;
export const SW_B: u32 = 1 << 15; // busy: mirrors ES
export const SW_EXCEPTIONS: u32 = 0x3f;
export const SW_CONDITIONS: u32 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

// ---- Control word (SDM vol. 1, 8.1.5) ---------------------------------------------------------
export const CW_FNINIT: u32 = 0x037f; // all exceptions masked, 64-bit precision, round to nearest
export const CW_PC_SHIFT: u32 = 8; // precision control: 00 single, 10 double, 11 extended
export const CW_RC_SHIFT: u32 = 10; // rounding control
export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

// ---- Special values ---------------------------------------------------------------------------
export const INDEFINITE_SE: u32 = 0xffff; // the real indefinite: negative QNaN 0xC000...
export const INDEFINITE_SIG: u64 = 0xc000000000000000;

@inline export function controlWord(): u32 { return load<u32>(FPU_CONTROL) ^ CW_FNINIT; }
@inline export function setControlWord(v: u32): void { store<u32>(FPU_CONTROL, (v & 0xffff) ^ CW_FNINIT); }
@inline export function roundingMode(): u32 { return (controlWord() >> CW_RC_SHIFT) & 3; }
/** Significand bits for FADD/FSUB/FMUL/FDIV/FSQRT: 24, 53 or 64 (reserved 01 acts as 64, as in QEMU). */
@inline export function precisionBits(): u32 {
  const pc = (controlWord() >> CW_PC_SHIFT) & 3;
  return pc == 0 ? 24 : pc == 2 ? 53 : 64;
}

@inline export function top(): u32 { return load<u32>(FPU_TOP); }
@inline export function setTop(v: u32): void { store<u32>(FPU_TOP, v & 7); }
@inline export function statusRaw(): u32 { return load<u32>(FPU_STATUS); }
@inline export function setStatusRaw(v: u32): void { store<u32>(FPU_STATUS, v & ~(7 << SW_TOP_SHIFT) & 0xffff); }
/** The architectural status word, TOP included. */
@inline export function statusWord(): u32 { return statusRaw() | (top() << SW_TOP_SHIFT); }
@inline export function setStatusWord(v: u32): void { setStatusRaw(v); setTop(v >> SW_TOP_SHIFT); }
@inline export function setConditions(bits: u32): void {
  setStatusRaw((statusRaw() & ~SW_CONDITIONS) | bits);
}

@inline export function physical(i: u32): u32 { return (top() + i) & 7; }
@inline function regAddress(p: u32): usize { return <usize>FPU_REGS + (<usize>p << 4); }
@inline export function regSig(p: u32): u64 { return load<u64>(regAddress(p)); }
@inline export function regSE(p: u32): u32 { return load<u16>(regAddress(p), 8); }
@inline export function setReg(p: u32, se: u32, sig: u64): void {
  store<u64>(regAddress(p), sig);
  store<u16>(regAddress(p), <u16>se, 8);
}
@inline export function isEmpty(p: u32): bool { return (load<u32>(FPU_VALID) & (1 << p)) == 0; }
@inline export function setValid(p: u32): void { store<u32>(FPU_VALID, load<u32>(FPU_VALID) | (1 << p)); }
@inline export function setEmpty(p: u32): void { store<u32>(FPU_VALID, load<u32>(FPU_VALID) & ~(1 << p)); }
@inline export function validMask(): u32 { return load<u32>(FPU_VALID); }
@inline export function setValidMask(v: u32): void { store<u32>(FPU_VALID, v & 0xff); }

@inline export function stSig(i: u32): u64 { return regSig(physical(i)); }
@inline export function stSE(i: u32): u32 { return regSE(physical(i)); }
@inline export function stEmpty(i: u32): bool { return isEmpty(physical(i)); }
@inline export function setSt(i: u32, se: u32, sig: u64): void {
  const p = physical(i);
  setReg(p, se, sig);
  setValid(p);
}

/** Push: TOP - 1 becomes ST(0) and holds the value. */
@inline export function push(se: u32, sig: u64): void {
  const p = (top() - 1) & 7;
  setTop(p);
  setReg(p, se, sig);
  setValid(p);
}
/** Pop: ST(0) is marked empty and TOP moves up. */
@inline export function pop(): void {
  setEmpty(top());
  setTop(top() + 1);
}

/** Tag of physical register p (SDM vol. 1, 8.1.7): 00 valid, 01 zero, 10 special, 11 empty. */
export function tagOf(p: u32): u32 {
  if (isEmpty(p)) return 3;
  const exponent = regSE(p) & 0x7fff;
  const sig = regSig(p);
  if (exponent == 0) return sig == 0 ? 1 : 2;
  if (exponent == 0x7fff || (sig >> 63) == 0) return 2;
  return 0;
}

/** The full 16-bit tag word, two bits per physical register. */
export function tagWord(): u32 {
  let word: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) word |= tagOf(p) << (p << 1);
  return word;
}

/** Load a tag word: only "empty or not" is kept; the rest is recomputed from contents. */
export function setTagWord(word: u32): void {
  let valid: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((word >> (p << 1)) & 3) != 3) valid |= 1 << p;
  setValidMask(valid);
}

/** FNINIT (SDM vol. 2): control 037F, status 0, all registers empty, pointers cleared. */
export function initialize(): void {
  setControlWord(CW_FNINIT);
  setStatusRaw(0);
  setTop(0);
  setValidMask(0);
}
