// Integer arithmetic with its flags (SDM vol. 2, each instruction's "Flags Affected").
import {
  setLazyFlags, setLazyFlagsKeepCarry, setCarryIn, setResultFlagsWith, setFlagBits, getCF, getAF,
  LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC,
} from "./flags";
import { FLAG_CF, FLAG_OF, FLAG_AF, FLAG_SF, FLAG_ZF, FLAG_PF } from "./state";

// Group-1 operation numbers (ModRM.reg of 80-83, and bits 5..3 of opcodes 00-3F).
export const ALU_ADD: u32 = 0;
export const ALU_OR: u32 = 1;
export const ALU_ADC: u32 = 2;
export const ALU_SBB: u32 = 3;
export const ALU_AND: u32 = 4;
export const ALU_SUB: u32 = 5;
export const ALU_XOR: u32 = 6;
export const ALU_CMP: u32 = 7;

@inline export function sizeMask(size: u32): u32 { return size == 32 ? 0xffffffff : (<u32>1 << size) - 1; }
@inline export function signBit(size: u32): u32 { return <u32>1 << (size - 1); }
@inline export function signExtend(v: u32, size: u32): u32 {
  return size == 32 ? v : size == 16 ? <u32><i32><i16>v : <u32><i32><i8>v;
}

/** One of the eight group-1 operations; returns the result (CMP returns dst unchanged). */
@inline export function alu(op: u32, size: u32, dst: u32, src: u32): u32 {
  const mask = sizeMask(size);
  let res: u32;
  switch (op) {
    case ALU_ADD: res = (dst + src) & mask; setLazyFlags(LAZY_ADD, size, dst, src, res); return res;
    case ALU_OR: res = dst | src; setLazyFlags(LAZY_LOGIC, size, dst, src, res); return res;
    case ALU_ADC: {
      const cin = getCF();
      res = (dst + src + cin) & mask;
      setCarryIn(cin);
      setLazyFlags(LAZY_ADC, size, dst, src, res);
      return res;
    }
    case ALU_SBB: {
      const cin = getCF();
      res = (dst - src - cin) & mask;
      setCarryIn(cin);
      setLazyFlags(LAZY_SBB, size, dst, src, res);
      return res;
    }
    case ALU_AND: res = dst & src; setLazyFlags(LAZY_LOGIC, size, dst, src, res); return res;
    case ALU_SUB: res = (dst - src) & mask; setLazyFlags(LAZY_SUB, size, dst, src, res); return res;
    case ALU_XOR: res = dst ^ src; setLazyFlags(LAZY_LOGIC, size, dst, src, res); return res;
    default: res = (dst - src) & mask; setLazyFlags(LAZY_SUB, size, dst, src, res); return dst;
  }
}

export function inc(size: u32, v: u32): u32 {
  const res = (v + 1) & sizeMask(size);
  setLazyFlagsKeepCarry(LAZY_ADD, size, v, 1, res);
  return res;
}
export function dec(size: u32, v: u32): u32 {
  const res = (v - 1) & sizeMask(size);
  setLazyFlagsKeepCarry(LAZY_SUB, size, v, 1, res);
  return res;
}
export function neg(size: u32, v: u32): u32 {
  const res = (0 - v) & sizeMask(size);
  setLazyFlags(LAZY_SUB, size, 0, v, res);
  return res;
}
export function logicFlags(size: u32, res: u32): void { setLazyFlags(LAZY_LOGIC, size, 0, 0, res); }

// ---- Group 2: rotates and shifts (ModRM.reg) --------------------------------------------------
export const SHIFT_ROL: u32 = 0;
export const SHIFT_ROR: u32 = 1;
export const SHIFT_RCL: u32 = 2;
export const SHIFT_RCR: u32 = 3;
export const SHIFT_SHL: u32 = 4;
export const SHIFT_SHR: u32 = 5;
export const SHIFT_SAL: u32 = 6; // undocumented alias of SHL
export const SHIFT_SAR: u32 = 7;

/** Rotate or shift `dst` by `count` (already read from the instruction); returns the result. */
export function shift(op: u32, size: u32, dst: u32, rawCount: u32): u32 {
  const count = rawCount & 31;
  if (count == 0) return dst;
  const mask = sizeMask(size);
  const sign = signBit(size);
  let res: u32;
  switch (op) {
    case SHIFT_ROL: {
      const n = count & (size - 1);
      res = n == 0 ? dst : ((dst << n) | (dst >>> (size - n))) & mask;
      const cf = res & 1;
      setFlagBits(FLAG_CF | FLAG_OF, cf | (((res & sign) != 0) != (cf != 0) ? FLAG_OF : 0));
      return res;
    }
    case SHIFT_ROR: {
      const n = count & (size - 1);
      res = n == 0 ? dst : ((dst >>> n) | (dst << (size - n))) & mask;
      const cf: u32 = (res & sign) != 0 ? 1 : 0;
      const overflowFlag = ((res ^ (res << 1)) & sign) != 0 ? FLAG_OF : 0;
      setFlagBits(FLAG_CF | FLAG_OF, cf | overflowFlag);
      return res;
    }
    case SHIFT_RCL: {
      const n = size == 32 ? count : count % (size + 1);
      let cf = getCF();
      res = dst;
      for (let i: u32 = 0; i < n; i++) {
        const out: u32 = (res & sign) != 0 ? 1 : 0;
        res = ((res << 1) | cf) & mask;
        cf = out;
      }
      const overflowFlag = ((res & sign) != 0) != (cf != 0) ? FLAG_OF : 0;
      setFlagBits(FLAG_CF | FLAG_OF, cf | overflowFlag);
      return res;
    }
    case SHIFT_RCR: {
      const n = size == 32 ? count : count % (size + 1);
      let cf = getCF();
      // OF is defined for a count of 1: MSB(dst) XOR CF before the rotation.
      const overflowFlag = ((dst & sign) != 0) != (cf != 0) ? FLAG_OF : 0;
      res = dst;
      for (let i: u32 = 0; i < n; i++) {
        const out = res & 1;
        res = (res >>> 1) | (cf != 0 ? sign : 0);
        cf = out;
      }
      setFlagBits(FLAG_CF | FLAG_OF, cf | overflowFlag);
      return res;
    }
    case SHIFT_SHL:
    case SHIFT_SAL: {
      // In 32 bits, so counts up to 31 on 8- and 16-bit operands give the bit that left last.
      const partial = dst << (count - 1);
      const cf: u32 = (partial & sign) != 0 ? 1 : 0;
      res = (partial << 1) & mask;
      const overflowFlag = ((res & sign) != 0) != (cf != 0) ? FLAG_OF : 0;
      setResultFlagsWith(size, res, FLAG_CF | FLAG_OF | FLAG_AF, cf | overflowFlag);
      return res;
    }
    case SHIFT_SHR: {
      const partial = dst >>> (count - 1);
      const cf = partial & 1;
      res = (partial >>> 1) & mask;
      const overflowFlag = ((dst ^ res) & sign) != 0 ? FLAG_OF : 0;
      setResultFlagsWith(size, res, FLAG_CF | FLAG_OF | FLAG_AF, cf | overflowFlag);
      return res;
    }
    default: { // SAR
      const signed = <i32>signExtend(dst, size);
      const partial = signed >> (count - 1);
      const cf = <u32>partial & 1;
      res = <u32>(partial >> 1) & mask;
      setResultFlagsWith(size, res, FLAG_CF | FLAG_OF | FLAG_AF, cf);
      return res;
    }
  }
}

/** SHLD (left = true) and SHRD: shift `dst` filling from `src`. */
export function doubleShift(left: bool, size: u32, dst: u32, src: u32, rawCount: u32): u32 {
  const count = rawCount & 31;
  if (count == 0) return dst;
  const mask = sizeMask(size);
  const sign = signBit(size);
  let res: u32;
  let cf: u32;
  if (size == 32) {
    if (left) { res = (dst << count) | (src >>> (32 - count)); cf = (dst >>> (32 - count)) & 1; }
    else { res = (dst >>> count) | (src << (32 - count)); cf = (dst >>> (count - 1)) & 1; }
  } else {
    // 16-bit: the operands are concatenated (dst:src:dst for counts above 16; the result is
    // architecturally undefined there, this matches what P6 and QEMU compute).
    if (left) {
      const wide: u64 = (<u64>dst << 32) | (<u64>src << 16) | <u64>dst;
      res = <u32>((wide << count) >> 32) & mask;
      cf = <u32>((wide << (count - 1)) >> 47) & 1;
    } else {
      const lowFirst: u64 = (<u64>dst) | (<u64>src << 16) | (<u64>dst << 32);
      res = <u32>(lowFirst >> count) & mask;
      cf = <u32>(lowFirst >> (count - 1)) & 1;
    }
  }
  const overflowFlag = ((dst ^ res) & sign) != 0 ? FLAG_OF : 0;
  setResultFlagsWith(size, res, FLAG_CF | FLAG_OF | FLAG_AF, cf | overflowFlag);
  return res;
}

/** Flags for MUL/IMUL: CF = OF = `overflow`; SF ZF PF from the low result (undefined by SDM). */
export function multiplyFlags(size: u32, low: u32, overflow: bool): void {
  setResultFlagsWith(size, low, FLAG_CF | FLAG_OF | FLAG_AF, overflow ? FLAG_CF | FLAG_OF : 0);
}

/** Flags after BCD adjusts and similar: explicit CF and AF, SF ZF PF from an 8-bit result. */
export function bcdFlags(res: u32, cf: u32, af: bool): void {
  setResultFlagsWith(8, res, FLAG_CF | FLAG_AF | FLAG_OF, cf | (af ? FLAG_AF : 0));
}

export { getAF, FLAG_SF, FLAG_ZF, FLAG_PF };
