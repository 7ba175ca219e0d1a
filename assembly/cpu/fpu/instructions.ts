// x87 instruction semantics: the D8-DF escape opcodes (SDM vol. 2, opcode map table A-7..A-22),
// WAIT, and the dispatch of FXSAVE/FXRSTOR. Operands are read before anything is changed, so a
// memory fault leaves the FPU as it was.
import { readField } from "../record";
import { SEG_CS, DEC_OPCODE, DEC_MODRM, DEC_SEGMENT, DEC_EA, DEC_HAS_MEMORY_OPERAND, INSTRUCTION_START, FPU_IP, FPU_CS, FPU_DP, FPU_DS, FPU_OPCODE } from "../../layout";
import { raiseFault } from "../fault";
import {
  getCr0, CR0_EM, CR0_TS, CR0_MP, EXC_NM, EXC_UD, EAX, setReg16, segSelector,
  FLAG_ZF, FLAG_PF, FLAG_CF, FLAG_OF, FLAG_SF, FLAG_AF,
} from "../state";
import { eaLinearRead, eaLinearWrite } from "../operands";
import { readLinear16, readLinear32, writeLinear16, writeLinear32, writeLinear8, readLinear8, probeWrite } from "../../mmu/linear";
import { setFlagBits, testCondition } from "../flags";
import {
  SW_IE, SW_C0, SW_C1, SW_C2, SW_C3, SW_ES, SW_B, SW_SF, SW_EXCEPTIONS, RC_NEAREST, RC_DOWN, RC_ZERO, RC_UP,
  controlWord, setControlWord, roundingMode, precisionBits, statusWord, statusRaw, setStatusRaw, setConditions,
  top, setTop, physical, stSE, stSig, stEmpty, setSt, push, pop, isEmpty, setEmpty, initialize,
  INDEFINITE_SE, INDEFINITE_SIG,
} from "./stack";
import {
  resultSE, resultSig, raised, roundedUp, raise, setRaised, setResult, setIndefinite,
  add, multiply, divide, squareRoot, compare, roundToIntegral, fromUnsigned64, toUnsigned64, integerFits,
  fromBinary, toBinary, roundExtended, isNaN, isInfinity, isZero, isDenormal, isUnsupported, isSignaling,
  signOf, exponentOf, INTEGER_BIT, MAX_EXPONENT, CMP_LESS, CMP_EQUAL, CMP_GREATER, CMP_UNORDERED,
} from "./float80";
import { beginOperation, commit, setC1, stackFault, updateSummary, checkPending } from "./exceptions";
import { storeEnvironment, loadEnvironment, saveState, restoreState, fxsave, fxrstor } from "./environment";
import { transcendental, scale, extract, partialRemainder } from "./transcendental";

// ---- Memory operands ------------------------------------------------------------------------------
let memorySE: u32 = 0;
let memorySig: u64 = 0;

@inline function readMemory64(): u64 {
  const linear = eaLinearRead(64);
  const low = readLinear32(linear);
  return (<u64>readLinear32(linear + 4) << 32) | <u64>low;
}
@inline function writeMemory64(value: u64): void {
  const linear = eaLinearWrite(64);
  probeWrite(linear, 8);
  writeLinear32(linear, <u32>value);
  writeLinear32(linear + 4, <u32>(value >> 32));
}
function readMemory80(): void {
  const linear = eaLinearRead(80);
  const low = readLinear32(linear);
  const high = readLinear32(linear + 4);
  memorySE = readLinear16(linear + 8);
  memorySig = (<u64>high << 32) | <u64>low;
}
function writeMemory80(se: u32, sig: u64): void {
  const linear = eaLinearWrite(80);
  probeWrite(linear, 10);
  writeLinear32(linear, <u32>sig);
  writeLinear32(linear + 4, <u32>(sig >> 32));
  writeLinear16(linear + 8, se);
}

/** Load the memory operand of an arithmetic form (format by escape byte) into memorySE/Sig. */
function loadArithmeticOperand(escape: u32): void {
  switch (escape) {
    case 0: fromBinary(<u64>readLinear32(eaLinearRead(32)), 23, 8); break; // m32fp
    case 4: fromBinary(readMemory64(), 52, 11); break; // m64fp
    case 2: { // m32int
      const v = <i32>readLinear32(eaLinearRead(32));
      fromUnsigned64(v < 0 ? 1 : 0, <u64>(v < 0 ? -<i64>v : <i64>v));
      break;
    }
    default: { // m16int
      const v = <i32><i16>readLinear16(eaLinearRead(16));
      fromUnsigned64(v < 0 ? 1 : 0, <u64>(v < 0 ? -v : v));
      break;
    }
  }
  memorySE = resultSE;
  memorySig = resultSig;
}

// ---- Shared operation shapes ----------------------------------------------------------------------

/** op = ModRM.reg: 0 add, 1 mul, 4 a-b, 5 b-a, 6 a/b, 7 b/a, into the result. */
function arithmetic(op: u32, aSE: u32, aSig: u64, bSE: u32, bSig: u64): void {
  const bits = precisionBits(), mode = roundingMode();
  switch (op) {
    case 0: add(aSE, aSig, bSE, bSig, false, bits, mode); break;
    case 1: multiply(aSE, aSig, bSE, bSig, bits, mode); break;
    case 4: add(aSE, aSig, bSE, bSig, true, bits, mode); break;
    case 5: add(bSE, bSig, aSE, aSig, true, bits, mode); break;
    case 6: divide(aSE, aSig, bSE, bSig, bits, mode); break;
    default: divide(bSE, bSig, aSE, aSig, bits, mode); break;
  }
}

/** ST(dest) = ST(0) op b, popping afterwards when asked (FADDP...). */
function arithmeticInto(op: u32, dest: u32, bSE: u32, bSig: u64, bEmpty: bool, popAfter: bool): void {
  beginOperation();
  if (stEmpty(0) || bEmpty) stackFault(false);
  else {
    arithmetic(op, stSE(0), stSig(0), bSE, bSig);
    setC1(roundedUp);
  }
  if (!commit()) return;
  setSt(dest, resultSE, resultSig);
  if (popAfter) pop();
}

/** Condition codes from a comparison (FCOM, FUCOM, FTST, FICOM). */
function setCompareConditions(order: i32): void {
  let bits: u32 = 0;
  if (order == CMP_LESS) bits = SW_C0;
  else if (order == CMP_EQUAL) bits = SW_C3;
  else if (order == CMP_UNORDERED) bits = SW_C0 | SW_C2 | SW_C3;
  setConditions(bits);
}

/** FCOM/FUCOM of ST(0) with b; pops = 0, 1 or 2. */
function compareWith(bSE: u32, bSig: u64, bEmpty: bool, unordered: bool, pops: u32): void {
  beginOperation();
  let order: i32;
  if (stEmpty(0) || bEmpty) { stackFault(false); order = CMP_UNORDERED; }
  else order = compare(stSE(0), stSig(0), bSE, bSig, !unordered);
  if (!commit()) return;
  setCompareConditions(order);
  for (let i: u32 = 0; i < pops; i++) pop();
}

/** FCOMI/FUCOMI: the result goes to ZF, PF, CF (SDM vol. 2, FCOMI). */
function compareToFlags(i: u32, unordered: bool, popAfter: bool): void {
  beginOperation();
  let order: i32;
  if (stEmpty(0) || stEmpty(i)) { stackFault(false); order = CMP_UNORDERED; }
  else order = compare(stSE(0), stSig(0), stSE(i), stSig(i), !unordered);
  setC1(false);
  if (!commit()) return;
  let flags: u32 = 0;
  if (order == CMP_LESS) flags = FLAG_CF;
  else if (order == CMP_EQUAL) flags = FLAG_ZF;
  else if (order == CMP_UNORDERED) flags = FLAG_ZF | FLAG_PF | FLAG_CF;
  setFlagBits(FLAG_ZF | FLAG_PF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF, flags);
  if (popAfter) pop();
}

/** Push a value, with the stack-overflow check (the register below ST(0) must be empty). */
function pushChecked(se: u32, sig: u64): void {
  if (!isEmpty((top() - 1) & 7)) {
    stackFault(true);
    if (!commit()) return;
    push(INDEFINITE_SE, INDEFINITE_SIG);
    return;
  }
  if (!commit()) return;
  push(se, sig);
}

/** ST(0) as an integer of `bits` (16, 32, 64), rounded by RC; masked IE gives the integer indefinite. */
let integerResult: u64 = 0;
function integerOfTop(bits: u32): bool {
  beginOperation();
  const indefinite: u64 = <u64>1 << (bits - 1);
  if (stEmpty(0)) { stackFault(false); integerResult = indefinite; return commit(); }
  const se = stSE(0), sig = stSig(0);
  if (isUnsupported(se, sig) || exponentOf(se) == MAX_EXPONENT) {
    setRaised(SW_IE);
    integerResult = indefinite;
    setC1(false);
    return commit();
  }
  roundToIntegral(se, sig, roundingMode());
  const magnitude = toUnsigned64(resultSE, resultSig);
  const negative = signOf(se) != 0;
  const limit: u64 = negative ? indefinite : indefinite - 1;
  if (!integerFits || magnitude > limit) {
    setRaised(SW_IE); // out of range: only IE, as for FIST in QEMU and on hardware
    integerResult = indefinite;
    setC1(false);
    return commit();
  }
  setC1(roundedUp);
  integerResult = negative ? 0 - magnitude : magnitude;
  return commit();
}

// ---- Entry points -----------------------------------------------------------------------------------

/** WAIT/FWAIT (9B): #NM when CR0.MP and CR0.TS; then pending x87 exceptions are delivered. */
export function fpuWait(): void {
  const cr0 = getCr0();
  if ((cr0 & CR0_MP) != 0 && (cr0 & CR0_TS) != 0) raiseFault(EXC_NM, -1);
  checkPending();
}

/** Whether an escape opcode is a control instruction that neither waits nor updates FIP/FDP. */
function isNonWaiting(escape: u32, modrm: u32, memory: bool): bool {
  const reg = (modrm >> 3) & 7;
  if (memory) return (escape == 1 && reg >= 6) || (escape == 5 && reg >= 6); // FNSTENV FNSTCW FNSAVE FNSTSW
  return (escape == 3 && (modrm == 0xe2 || modrm == 0xe3)) || (escape == 7 && modrm == 0xe0);
}

/** Control instructions that wait but leave FIP/FDP/FOP alone (SDM vol. 1, 8.1.8). */
function isControl(escape: u32, modrm: u32, memory: bool): bool {
  const reg = (modrm >> 3) & 7;
  if (memory) return (escape == 1 && reg >= 4) || (escape == 5 && reg >= 4);
  return escape == 3 && modrm >= 0xe0 && modrm <= 0xe4;
}

/** D8-DF. */
export function fpuEscape(): void {
  const cr0 = getCr0();
  if ((cr0 & (CR0_EM | CR0_TS)) != 0) raiseFault(EXC_NM, -1);
  const escape = readField(DEC_OPCODE) & 7;
  const modrm = readField(DEC_MODRM) & 0xff;
  const memory = (modrm >> 6) != 3;
  if (!isNonWaiting(escape, modrm, memory)) checkPending();
  if (!isControl(escape, modrm, memory) && !isNonWaiting(escape, modrm, memory)) {
    store<u32>(FPU_IP, load<u32>(INSTRUCTION_START));
    store<u32>(FPU_CS, segSelector(SEG_CS));
    store<u32>(FPU_OPCODE, (escape << 8) | modrm);
    if (memory && readField(DEC_HAS_MEMORY_OPERAND) != 0) {
      store<u32>(FPU_DP, readField(DEC_EA));
      store<u32>(FPU_DS, segSelector(readField(DEC_SEGMENT)));
    }
  }
  const reg = (modrm >> 3) & 7;
  const rm = modrm & 7;
  if (memory) memoryForm(escape, reg);
  else registerForm(escape, reg, rm, modrm);
}

function memoryForm(escape: u32, reg: u32): void {
  // The arithmetic rows: D8 (m32fp), DA (m32int), DC (m64fp), DE (m16int).
  if ((escape & 1) == 0) {
    beginOperation();
    loadArithmeticOperand(escape); // may raise IE (SNaN) or DE (denormal) already
    if (reg == 2 || reg == 3) {
      let order: i32;
      if (stEmpty(0)) { stackFault(false); order = CMP_UNORDERED; }
      else order = compare(stSE(0), stSig(0), memorySE, memorySig, true);
      if (!commit()) return;
      setCompareConditions(order);
      if (reg == 3) pop();
      return;
    }
    if (stEmpty(0)) stackFault(false);
    else {
      arithmetic(reg, stSE(0), stSig(0), memorySE, memorySig);
      setC1(roundedUp);
    }
    if (!commit()) return;
    setSt(0, resultSE, resultSig);
    return;
  }
  switch ((escape << 3) | reg) {
    case (1 << 3) | 0: { // FLD m32fp
      beginOperation();
      fromBinary(<u64>readLinear32(eaLinearRead(32)), 23, 8);
      setC1(false);
      pushChecked(resultSE, resultSig);
      break;
    }
    case (5 << 3) | 0: { // FLD m64fp
      beginOperation();
      fromBinary(readMemory64(), 52, 11);
      setC1(false);
      pushChecked(resultSE, resultSig);
      break;
    }
    case (3 << 3) | 5: { // FLD m80fp
      readMemory80();
      beginOperation();
      setC1(false);
      pushChecked(memorySE, memorySig);
      break;
    }
    case (3 << 3) | 0: { // FILD m32int
      const v = <i32>readLinear32(eaLinearRead(32));
      beginOperation();
      fromUnsigned64(v < 0 ? 1 : 0, <u64>(v < 0 ? -<i64>v : <i64>v));
      setC1(false);
      pushChecked(resultSE, resultSig);
      break;
    }
    case (7 << 3) | 0: { // FILD m16int
      const v = <i32><i16>readLinear16(eaLinearRead(16));
      beginOperation();
      fromUnsigned64(v < 0 ? 1 : 0, <u64>(v < 0 ? -v : v));
      setC1(false);
      pushChecked(resultSE, resultSig);
      break;
    }
    case (7 << 3) | 5: { // FILD m64int
      const v = <i64>readMemory64();
      beginOperation();
      fromUnsigned64(v < 0 ? 1 : 0, v < 0 ? <u64>(0 - v) : <u64>v);
      setC1(false);
      pushChecked(resultSE, resultSig);
      break;
    }
    case (7 << 3) | 4: loadBcd(); break; // FBLD
    case (1 << 3) | 2: case (1 << 3) | 3: storeBinary(32, reg == 3); break; // FST(P) m32fp
    case (5 << 3) | 2: case (5 << 3) | 3: storeBinary(64, reg == 3); break; // FST(P) m64fp
    case (3 << 3) | 7: { // FSTP m80fp
      beginOperation();
      let se = stSE(0), sig = stSig(0);
      if (stEmpty(0)) { stackFault(false); se = resultSE; sig = resultSig; }
      else setC1(false);
      if (!commit()) return;
      writeMemory80(se, sig);
      pop();
      break;
    }
    case (3 << 3) | 2: case (3 << 3) | 3: { // FIST(P) m32int
      const linear = eaLinearWrite(32);
      if (!integerOfTop(32)) return;
      writeLinear32(linear, <u32>integerResult);
      if (reg == 3) pop();
      break;
    }
    case (7 << 3) | 2: case (7 << 3) | 3: { // FIST(P) m16int
      const linear = eaLinearWrite(16);
      if (!integerOfTop(16)) return;
      writeLinear16(linear, <u32>integerResult & 0xffff);
      if (reg == 3) pop();
      break;
    }
    case (7 << 3) | 7: { // FISTP m64int
      const linear = eaLinearWrite(64);
      probeWrite(linear, 8);
      if (!integerOfTop(64)) return;
      writeLinear32(linear, <u32>integerResult);
      writeLinear32(linear + 4, <u32>(integerResult >> 32));
      pop();
      break;
    }
    case (7 << 3) | 6: storeBcd(); break; // FBSTP
    case (1 << 3) | 4: loadEnvironment(); updateSummary(); break; // FLDENV
    case (1 << 3) | 5: { // FLDCW
      setControlWord(readLinear16(eaLinearRead(16)));
      updateSummary();
      break;
    }
    case (1 << 3) | 6: storeEnvironment(); break; // FNSTENV
    case (1 << 3) | 7: writeLinear16(eaLinearWrite(16), controlWord()); break; // FNSTCW
    case (5 << 3) | 4: restoreState(); updateSummary(); break; // FRSTOR
    case (5 << 3) | 6: saveState(); break; // FNSAVE
    case (5 << 3) | 7: writeLinear16(eaLinearWrite(16), statusWord()); break; // FNSTSW m16
    // D9 /1, DB /4 /6, DD /5 and the SSE3 FISTTP forms (DB /1, DD /1, DF /1) are not on a P6.
    default: raiseFault(EXC_UD, -1);
  }
}

function storeBinary(width: u32, popAfter: bool): void {
  const linear = width == 32 ? eaLinearWrite(32) : eaLinearWrite(64);
  if (width == 64) probeWrite(linear, 8);
  beginOperation();
  let bits: u64;
  if (stEmpty(0)) {
    stackFault(false);
    bits = width == 32 ? 0xffc00000 : 0xfff8000000000000;
  } else {
    bits = width == 32 ? toBinary(stSE(0), stSig(0), 23, 8, roundingMode()) : toBinary(stSE(0), stSig(0), 52, 11, roundingMode());
    setC1(roundedUp);
  }
  if (!commit()) return;
  if (width == 32) writeLinear32(linear, <u32>bits);
  else { writeLinear32(linear, <u32>bits); writeLinear32(linear + 4, <u32>(bits >> 32)); }
  if (popAfter) pop();
}

// ---- Packed BCD (SDM vol. 1, 4.7): 18 digits in bytes 0-8, sign in bit 7 of byte 9 ------------------
function loadBcd(): void {
  const linear = eaLinearRead(80);
  let value: u64 = 0;
  for (let i: i32 = 8; i >= 0; i--) {
    const byte = readLinear8(linear + <u32>i);
    value = value * 100 + <u64>((byte >> 4) * 10 + (byte & 15));
  }
  const sign = readLinear8(linear + 9) >> 7;
  beginOperation();
  fromUnsigned64(sign, value);
  setC1(false);
  pushChecked(resultSE, resultSig);
}

function storeBcd(): void {
  const linear = eaLinearWrite(80);
  probeWrite(linear, 10);
  beginOperation();
  let valid = false;
  let magnitude: u64 = 0;
  const se = stSE(0), sig = stSig(0);
  if (stEmpty(0)) stackFault(false);
  else if (isUnsupported(se, sig) || exponentOf(se) == MAX_EXPONENT) setRaised(SW_IE);
  else {
    roundToIntegral(se, sig, roundingMode());
    magnitude = toUnsigned64(resultSE, resultSig);
    if (!integerFits || magnitude > 999999999999999999) setRaised(SW_IE);
    else valid = true;
  }
  if (!commit()) return;
  if (valid) {
    for (let i: u32 = 0; i < 9; i++) {
      const pair = <u32>(magnitude % 100);
      magnitude /= 100;
      writeLinear8(linear + i, ((pair / 10) << 4) | (pair % 10));
    }
    writeLinear8(linear + 9, signOf(se) << 7);
  } else { // the packed BCD indefinite: FFFF C000 0000 0000 0000 (bytes 9..0)
    for (let i: u32 = 0; i < 7; i++) writeLinear8(linear + i, 0);
    writeLinear8(linear + 7, 0xc0);
    writeLinear8(linear + 8, 0xff);
    writeLinear8(linear + 9, 0xff);
  }
  pop();
}

// ---- Register forms ---------------------------------------------------------------------------------

function registerForm(escape: u32, reg: u32, rm: u32, modrm: u32): void {
  switch (escape) {
    case 0: { // D8: ST(0) = ST(0) op ST(i); /2 FCOM, /3 FCOMP
      if (reg == 2 || reg == 3) { compareWith(stSE(rm), stSig(rm), stEmpty(rm), false, reg - 2); return; }
      arithmeticInto(reg, 0, stSE(rm), stSig(rm), stEmpty(rm), false);
      return;
    }
    case 4: case 6: { // DC / DE: ST(i) = ST(0) op ST(i) with the operand order reversed
      if (reg == 2 || reg == 3) { // FCOM2/FCOMP3/FCOMP5 aliases; DE D9 is FCOMPP
        if (escape == 6 && reg == 3) {
          if (rm != 1) raiseFault(EXC_UD, -1);
          compareWith(stSE(1), stSig(1), stEmpty(1), false, 2);
          return;
        }
        compareWith(stSE(rm), stSig(rm), stEmpty(rm), false, escape == 6 || reg == 3 ? 1 : 0);
        return;
      }
      // In ST(i) = ST(i) op ST(0) terms the hardware encodings swap: reg 4 computes ST(0) - ST(i).
      beginOperation();
      if (stEmpty(0) || stEmpty(rm)) stackFault(false);
      else {
        const op = reg;
        arithmetic(op, stSE(0), stSig(0), stSE(rm), stSig(rm));
        setC1(roundedUp);
      }
      if (!commit()) return;
      setSt(rm, resultSE, resultSig);
      if (escape == 6) pop();
      return;
    }
    case 1: d9Register(reg, rm, modrm); return;
    case 2: { // DA: FCMOVB/E/BE/U, FUCOMPP
      if (reg < 4) { conditionalMove(rm, reg, false); return; }
      if (modrm == 0xe9) { compareWith(stSE(1), stSig(1), stEmpty(1), true, 2); return; }
      raiseFault(EXC_UD, -1);
      return;
    }
    case 3: { // DB: FCMOVNB/NE/NBE/NU, FNCLEX, FNINIT, FUCOMI, FCOMI
      if (reg < 4) { conditionalMove(rm, reg, true); return; }
      if (reg == 5) { compareToFlags(rm, true, false); return; }
      if (reg == 6) { compareToFlags(rm, false, false); return; }
      switch (modrm) {
        case 0xe2: setStatusRaw(statusRaw() & ~(SW_EXCEPTIONS | SW_SF | SW_ES | SW_B)); return; // FNCLEX
        case 0xe3: // FNINIT
          initialize();
          store<u32>(FPU_IP, 0); store<u32>(FPU_CS, 0); store<u32>(FPU_DP, 0); store<u32>(FPU_DS, 0);
          store<u32>(FPU_OPCODE, 0);
          return;
        case 0xe0: case 0xe1: case 0xe4: return; // FENI, FDISI, FSETPM: no-ops after the 287
        default: raiseFault(EXC_UD, -1);
      }
      return;
    }
    case 5: { // DD: FFREE, FXCH4, FST, FSTP, FUCOM, FUCOMP
      switch (reg) {
        case 0: setEmpty(physical(rm)); return; // FFREE
        case 1: exchange(rm); return;
        case 2: case 3: storeTop(rm, reg == 3); return; // FST(P) ST(i)
        case 4: compareWith(stSE(rm), stSig(rm), stEmpty(rm), true, 0); return;
        case 5: compareWith(stSE(rm), stSig(rm), stEmpty(rm), true, 1); return;
        default: raiseFault(EXC_UD, -1);
      }
      return;
    }
    default: { // DF: FFREEP, FXCH7, FSTP8/9, FNSTSW AX, FUCOMIP, FCOMIP
      switch (reg) {
        case 0: setEmpty(physical(rm)); pop(); return; // FFREEP (undocumented, P6 and QEMU)
        case 1: exchange(rm); return;
        case 2: case 3: storeTop(rm, true); return; // FSTP8/FSTP9 (undocumented aliases of FSTP ST(i))
        case 4: {
          if (rm != 0) raiseFault(EXC_UD, -1);
          setReg16(EAX, statusWord()); // FNSTSW AX
          return;
        }
        case 5: compareToFlags(rm, true, true); return;
        case 6: compareToFlags(rm, false, true); return;
        default: raiseFault(EXC_UD, -1);
      }
    }
  }
}

/** FCMOVcc: reg 0 B, 1 E, 2 BE, 3 U (negated for DB). */
function conditionalMove(rm: u32, reg: u32, negate: bool): void {
  const conditions: u32 = reg == 0 ? 2 : reg == 1 ? 4 : reg == 2 ? 6 : 10;
  beginOperation();
  if (stEmpty(0) || stEmpty(rm)) {
    stackFault(false);
    if (!commit()) return;
    setSt(0, resultSE, resultSig);
    return;
  }
  setC1(false);
  if (testCondition(conditions | (negate ? 1 : 0))) setSt(0, stSE(rm), stSig(rm));
}

/** FXCH ST(i). */
function exchange(i: u32): void {
  beginOperation();
  let aSE = stSE(0), aSig = stSig(0), bSE = stSE(i), bSig = stSig(i);
  if (stEmpty(0) || stEmpty(i)) {
    stackFault(false);
    if (!commit()) return;
    if (stEmpty(0)) { aSE = INDEFINITE_SE; aSig = INDEFINITE_SIG; }
    if (stEmpty(i)) { bSE = INDEFINITE_SE; bSig = INDEFINITE_SIG; }
  } else setC1(false);
  setSt(0, bSE, bSig);
  setSt(i, aSE, aSig);
}

// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the value truncated to 64 bits, and whether
// the bits beyond round up under round-to-nearest (SDM vol. 1, 8.3.8: the constants follow RC).
function loadConstant(index: u32): void {
  let se: u32 = 0, sig: u64 = 0, nearestUp = false;
  switch (index) {
    case 0: se = 0x3fff; sig = INTEGER_BIT; break; // +1.0
    case 1: se = 0x4000; sig = 0xd49a784bcd1b8afe; nearestUp = false; break; // log2(10)
    case 2: se = 0x3fff; sig = 0xb8aa3b295c17f0bb; nearestUp = true; break; // log2(e)
    case 3: se = 0x4000; sig = 0xc90fdaa22168c234; nearestUp = true; break; // pi
    case 4: se = 0x3ffd; sig = 0x9a209a84fbcff798; nearestUp = true; break; // log10(2)
    case 5: se = 0x3ffe; sig = 0xb17217f7d1cf79ab; nearestUp = true; break; // ln(2)
    default: se = 0; sig = 0; break; // +0.0
  }
  if (index >= 1 && index <= 5) { // all are positive and irrational: inexact, never exact ties
    const mode = roundingMode();
    if (mode == RC_UP || (mode == RC_NEAREST && nearestUp)) sig++;
  }
  beginOperation();
  setC1(false);
  pushChecked(se, sig);
}

function d9Register(reg: u32, rm: u32, modrm: u32): void {
  switch (reg) {
    case 0: { // FLD ST(i)
      beginOperation();
      let se = stSE(rm), sig = stSig(rm);
      if (stEmpty(rm)) {
        stackFault(false);
        if (!commit()) return;
        se = INDEFINITE_SE; sig = INDEFINITE_SIG;
        setRaised(0);
      }
      setC1(false);
      pushChecked(se, sig);
      return;
    }
    case 1: exchange(rm); return; // FXCH
    case 2: if (rm != 0) raiseFault(EXC_UD, -1); return; // FNOP
    case 3: storeTop(rm, true); return; // FSTP1 (undocumented alias of FSTP ST(i))
    default: break;
  }
  switch (modrm) {
    case 0xe0: case 0xe1: { // FCHS, FABS
      beginOperation();
      if (stEmpty(0)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
      setC1(false);
      const se = stSE(0);
      setSt(0, modrm == 0xe0 ? se ^ 0x8000 : se & 0x7fff, stSig(0));
      return;
    }
    case 0xe4: compareWith(0, 0, false, false, 0); return; // FTST: compare with +0.0
    case 0xe5: examine(); return;
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
      loadConstant(modrm - 0xe8);
      return;
    case 0xf6: setTop(top() - 1); setC1(false); return; // FDECSTP
    case 0xf7: setTop(top() + 1); setC1(false); return; // FINCSTP
    case 0xfa: { // FSQRT
      beginOperation();
      if (stEmpty(0)) stackFault(false);
      else { squareRoot(stSE(0), stSig(0), precisionBits(), roundingMode()); setC1(roundedUp); }
      if (commit()) setSt(0, resultSE, resultSig);
      return;
    }
    case 0xfc: { // FRNDINT
      beginOperation();
      const se = stSE(0), sig = stSig(0);
      if (stEmpty(0)) stackFault(false);
      else if (isUnsupported(se, sig)) { raise(SW_IE); setIndefinite(); }
      else if (isNaN(se, sig)) { if (isSignaling(se, sig)) raise(SW_IE); setResult(se, sig | 0x4000000000000000); }
      else if (exponentOf(se) == MAX_EXPONENT) setResult(se, sig);
      else { roundToIntegral(se, sig, roundingMode()); setC1(roundedUp); }
      if (commit()) setSt(0, resultSE, resultSig);
      return;
    }
    case 0xf4: extract(); return; // FXTRACT
    case 0xf5: partialRemainder(true); return; // FPREM1
    case 0xf8: partialRemainder(false); return; // FPREM
    case 0xfd: scale(); return; // FSCALE
    case 0xf0: case 0xf1: case 0xf2: case 0xf3: case 0xf9: case 0xfb: case 0xfe: case 0xff:
      transcendental(modrm);
      return;
    default: raiseFault(EXC_UD, -1);
  }
}

/** FXAM: class of ST(0) in C3 C2 C0, its sign in C1 (SDM vol. 2, FXAM). */
function examine(): void {
  const se = stSE(0), sig = stSig(0);
  let bits: u32 = signOf(se) != 0 ? SW_C1 : 0;
  if (stEmpty(0)) bits |= SW_C3 | SW_C0;
  else if (isUnsupported(se, sig)) bits |= 0;
  else if (isNaN(se, sig)) bits |= SW_C0;
  else if (isInfinity(se, sig)) bits |= SW_C2 | SW_C0;
  else if (isZero(se, sig)) bits |= SW_C3;
  else if (isDenormal(se, sig)) bits |= SW_C3 | SW_C2;
  else bits |= SW_C2;
  setConditions(bits);
}

/** 0F AE /0 FXSAVE, /1 FXRSTOR (memory only; #NM with CR0.EM or CR0.TS). */
export function fxsaveGroup(reg: u32): void {
  const cr0 = getCr0();
  if ((cr0 & (CR0_EM | CR0_TS)) != 0) raiseFault(EXC_NM, -1);
  if (reg == 0) fxsave();
  else if (reg == 1) { fxrstor(); updateSummary(); }
  else raiseFault(EXC_UD, -1);
}

/** FST/FSTP ST(i): copy ST(0) to ST(i), then pop if asked (an empty ST(0) is a stack fault). */
function storeTop(rm: u32, andPop: bool): void {
  beginOperation();
  let se = stSE(0), sig = stSig(0);
  if (stEmpty(0)) { stackFault(false); se = resultSE; sig = resultSig; }
  else setC1(false);
  if (!commit()) return;
  setSt(rm, se, sig);
  if (andPop) pop();
}
