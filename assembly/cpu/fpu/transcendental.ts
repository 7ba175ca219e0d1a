// FSCALE, FXTRACT, FPREM/FPREM1 (exact, on the extended format) and the transcendental
// instructions F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS (SDM vol. 2).
//
// FSIN/FCOS/FSINCOS/FPTAN go through binary64 exactly as QEMU 7.2 does (ST(0) rounded to double
// by RC, the libm function, widened back), so results agree with the reference wherever the two
// libm implementations agree. F2XM1/FYL2X/FYL2XP1/FPATAN also use binary64 for now: QEMU computes
// these to full 80-bit accuracy, so only results that are exact in binary64 match it.
import {
  SW_IE, SW_ZE, SW_DE, SW_PE, SW_C0, SW_C1, SW_C2, SW_C3, INDEFINITE_SE, INDEFINITE_SIG,
  roundingMode, statusRaw, setStatusRaw, stSE, stSig, stEmpty, setSt, push, pop, top, isEmpty,
} from "./stack";
import {
  resultSE, resultSig, raised, raise, setRaised, setResult, setIndefinite, propagateOne, propagateTwo,
  isNaN, isInfinity, isZero, isDenormal, isUnsupported, isSignaling, signOf, exponentOf,
  fromBinary, toBinary, fromUnsigned64, packWide, roundExtended, roundedUp,
  BIAS, MAX_EXPONENT, INTEGER_BIT, RC_ZERO,
} from "./float80";
import { beginOperation, commit, setC1, stackFault } from "./exceptions";

const MAX_TRIG_ARGUMENT: f64 = 9223372036854775808.0; // 2^63: beyond it C2 = 1, ST(0) unchanged

// ---- binary64 bridge ---------------------------------------------------------------------------------

/** ST(i) as a double, rounded by RC; conversion flags are dropped, as in QEMU. */
function toDouble(se: u32, sig: u64): f64 {
  const saved = raised;
  const bits = toBinary(se, sig, 52, 11, roundingMode());
  setRaised(saved);
  return reinterpret<f64>(bits);
}
/** A double into the result (exact). */
function fromDouble(x: f64): void {
  const saved = raised;
  fromBinary(reinterpret<u64>(x), 52, 11);
  setRaised(saved);
}

export function transcendental(modrm: u32): void {
  beginOperation();
  switch (modrm) {
    case 0xfe: case 0xff: { // FSIN, FCOS
      if (stEmpty(0)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
      const x = toDouble(stSE(0), stSig(0));
      if (x > MAX_TRIG_ARGUMENT || x < -MAX_TRIG_ARGUMENT) { setStatusRaw(statusRaw() | SW_C2); return; }
      fromDouble(modrm == 0xfe ? Math.sin(x) : Math.cos(x));
      setStatusRaw(statusRaw() & ~SW_C2);
      setSt(0, resultSE, resultSig);
      return;
    }
    case 0xf2: case 0xfb: { // FPTAN, FSINCOS
      if (stEmpty(0)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
      if (!isEmpty((top() - 1) & 7)) { stackFault(true); commit(); return; }
      const x = toDouble(stSE(0), stSig(0));
      if (x > MAX_TRIG_ARGUMENT || x < -MAX_TRIG_ARGUMENT) { setStatusRaw(statusRaw() | SW_C2); return; }
      if (modrm == 0xf2) {
        fromDouble(Math.tan(x));
        setSt(0, resultSE, resultSig);
        push(0x3fff, INTEGER_BIT);
      } else {
        fromDouble(Math.sin(x));
        setSt(0, resultSE, resultSig);
        fromDouble(Math.cos(x));
        push(resultSE, resultSig);
      }
      setStatusRaw(statusRaw() & ~SW_C2);
      return;
    }
    case 0xf0: { // F2XM1
      if (stEmpty(0)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
      const se = stSE(0), sig = stSig(0);
      if (isNaN(se, sig)) propagateOne(se, sig);
      else if (isUnsupported(se, sig)) { raise(SW_IE); setIndefinite(); }
      else if (isZero(se, sig)) setResult(se, sig);
      else {
        if (isDenormal(se, sig)) raise(SW_DE);
        const x = toDouble(se, sig);
        const y = Math.pow(2.0, x) - 1.0;
        fromDouble(y);
        if (x != 1.0 && x != -1.0) raise(SW_PE);
      }
      if (commit()) setSt(0, resultSE, resultSig);
      return;
    }
    case 0xf1: case 0xf9: case 0xf3: { // FYL2X, FYL2XP1, FPATAN: ST(1) = f(ST(1), ST(0)), pop
      if (stEmpty(0) || stEmpty(1)) { stackFault(false); if (commit()) { setSt(1, resultSE, resultSig); pop(); } return; }
      const aSE = stSE(0), aSig = stSig(0), bSE = stSE(1), bSig = stSig(1);
      if (isUnsupported(aSE, aSig) || isUnsupported(bSE, bSig)) { raise(SW_IE); setIndefinite(); }
      else if (isNaN(aSE, aSig) || isNaN(bSE, bSig)) propagateTwo(aSE, aSig, bSE, bSig);
      else {
        if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raise(SW_DE);
        const x = toDouble(aSE, aSig), y = toDouble(bSE, bSig);
        let r: f64;
        if (modrm == 0xf3) r = Math.atan2(y, x);
        else {
          const argument = modrm == 0xf1 ? x : x + 1.0;
          if (argument < 0.0 || (modrm == 0xf9 && (x < -0.2928932188134524 || x > 0.2928932188134524))) {
            // FYL2X of a negative number is invalid; FYL2XP1 is only defined for |x| < 1 - sqrt(2)/2.
            if (argument < 0.0) { raise(SW_IE); setIndefinite(); r = 0; }
            else r = y * (Math.log(argument) / Math.LN2);
          } else if (modrm == 0xf1 && x == 0.0) {
            if (y == 0.0) { raise(SW_IE); setIndefinite(); r = 0; }
            else { raise(SW_ZE); r = -y * Infinity; }
          } else if (modrm == 0xf9) r = y * (Math.log1p(x) / Math.LN2);
          else r = y * Math.log2(x);
        }
        if ((raised & SW_IE) == 0) {
          fromDouble(r);
          if (!isExactLog(modrm, x, y, r)) raise(SW_PE);
        }
      }
      if (!commit()) return;
      setSt(1, resultSE, resultSig);
      pop();
      return;
    }
    default: break;
  }
}

/** Cases whose result is exact (PE stays clear): log2 of a power of two, atan2 of zeros. */
function isExactLog(modrm: u32, x: f64, y: f64, r: f64): bool {
  if (modrm == 0xf3) return y == 0.0 && x > 0.0 || r != r;
  if (modrm == 0xf1) return r == Math.floor(r) && Math.log2(x) == Math.floor(Math.log2(x));
  return x == 0.0;
}

// ---- FSCALE: ST(0) * 2^trunc(ST(1)) ------------------------------------------------------------------
export function scale(): void {
  beginOperation();
  if (stEmpty(0) || stEmpty(1)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
  const aSE = stSE(0), aSig = stSig(0), bSE = stSE(1), bSig = stSig(1);
  if (isUnsupported(aSE, aSig) || isUnsupported(bSE, bSig)) { raise(SW_IE); setIndefinite(); }
  else if (isNaN(aSE, aSig) || isNaN(bSE, bSig)) propagateTwo(aSE, aSig, bSE, bSig);
  else if (isInfinity(bSE, bSig)) {
    if (signOf(bSE) != 0) {
      if (isInfinity(aSE, aSig)) { raise(SW_IE); setIndefinite(); }
      else setResult(aSE & 0x8000, 0);
    } else {
      if (isZero(aSE, aSig)) { raise(SW_IE); setIndefinite(); }
      else setResult((aSE & 0x8000) | MAX_EXPONENT, INTEGER_BIT);
    }
  } else if (isZero(aSE, aSig) || isInfinity(aSE, aSig)) {
    setResult(aSE, aSig);
  } else {
    if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raise(SW_DE);
    // trunc(ST(1)) clamped: beyond +-2^16 every finite ST(0) overflows or underflows anyway.
    const bExp = <i32>exponentOf(bSE);
    let n: i32 = 0;
    if (bExp >= BIAS) {
      n = bExp - BIAS >= 17 ? 0x10000 : <i32>(bSig >> <u64>(63 - (bExp - BIAS)));
      if (n > 0x10000) n = 0x10000;
      if (signOf(bSE) != 0) n = -n;
    }
    let exponent = <i32>exponentOf(aSE);
    let sig = aSig;
    if (exponent == 0) exponent = 1;
    const shift = <i32>clz<u64>(sig);
    sig <<= shift;
    exponent -= shift;
    packWide(signOf(aSE), exponent + n, sig, 0, 64, roundingMode());
    setC1(roundedUp);
  }
  if (commit()) setSt(0, resultSE, resultSig);
}

// ---- FXTRACT: ST(0) = significand, then push... exponent below it ---------------------------------------
export function extract(): void {
  beginOperation();
  if (stEmpty(0)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
  if (!isEmpty((top() - 1) & 7)) { stackFault(true); commit(); return; }
  const se = stSE(0), sig = stSig(0);
  let expSE: u32, expSig: u64, manSE: u32, manSig: u64;
  if (isUnsupported(se, sig)) {
    raise(SW_IE);
    expSE = INDEFINITE_SE; expSig = INDEFINITE_SIG; manSE = INDEFINITE_SE; manSig = INDEFINITE_SIG;
  } else if (isNaN(se, sig)) {
    propagateOne(se, sig);
    expSE = resultSE; expSig = resultSig; manSE = resultSE; manSig = resultSig;
  } else if (isZero(se, sig)) {
    raise(SW_ZE);
    expSE = 0xffff; expSig = INTEGER_BIT; manSE = se; manSig = 0; // -infinity, then the zero
  } else if (isInfinity(se, sig)) {
    expSE = MAX_EXPONENT; expSig = INTEGER_BIT; manSE = se; manSig = sig;
  } else {
    let exponent = <i32>exponentOf(se);
    let m = sig;
    if (exponent == 0) { raise(SW_DE); exponent = 1; }
    const shift = <i32>clz<u64>(m);
    m <<= shift;
    exponent -= shift;
    const unbiased = exponent - BIAS;
    fromUnsigned64(unbiased < 0 ? 1 : 0, <u64>(unbiased < 0 ? -unbiased : unbiased));
    expSE = resultSE; expSig = resultSig;
    manSE = (se & 0x8000) | <u32>BIAS; manSig = m;
  }
  if (!commit()) return;
  setSt(0, expSE, expSig);
  push(manSE, manSig);
}

// ---- FPREM / FPREM1 ----------------------------------------------------------------------------------------
export function partialRemainder(nearest: bool): void {
  beginOperation();
  if (stEmpty(0) || stEmpty(1)) { stackFault(false); if (commit()) setSt(0, resultSE, resultSig); return; }
  const aSE = stSE(0), aSig = stSig(0), bSE = stSE(1), bSig = stSig(1);
  let conditions: u32 = 0;
  if (isUnsupported(aSE, aSig) || isUnsupported(bSE, bSig)) { raise(SW_IE); setIndefinite(); }
  else if (isNaN(aSE, aSig) || isNaN(bSE, bSig)) propagateTwo(aSE, aSig, bSE, bSig);
  else if (isInfinity(aSE, aSig) || isZero(bSE, bSig)) { raise(SW_IE); setIndefinite(); }
  else if (isZero(aSE, aSig) || isInfinity(bSE, bSig)) {
    if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raise(SW_DE);
    setResult(aSE, aSig);
  } else {
    if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raise(SW_DE);
    let aExp = <i32>exponentOf(aSE), aMan = aSig;
    if (aExp == 0) aExp = 1;
    let shift = <i32>clz<u64>(aMan); aMan <<= shift; aExp -= shift;
    let bExp = <i32>exponentOf(bSE), bMan = bSig;
    if (bExp == 0) bExp = 1;
    shift = <i32>clz<u64>(bMan); bMan <<= shift; bExp -= shift;
    let sign = signOf(aSE);
    const difference = aExp - bExp;
    let partial = false;
    let steps = difference;
    if (difference >= 64) {
      // Reduce by 2^(difference - n), n = 32 + difference % 32 (AMD's documented choice, which
      // Intel processors and QEMU follow), with a truncating quotient; C2 says "not finished".
      partial = true;
      steps = 32 + difference % 32;
      bExp = aExp - steps;
    }
    let remainder = aMan;
    let quotient: u64 = 0;
    if (steps < 0) {
      if (nearest && steps == -1 && aMan > bMan) { // |a| > |b|/2: round the quotient up to 1
        remainder = bMan - (aMan - bMan);
        quotient = 1;
        sign ^= 1;
      }
      bExp = aExp;
    } else {
      let carry = false;
      for (let i: i32 = 0; i <= steps; i++) {
        quotient <<= 1;
        if (carry || remainder >= bMan) { remainder -= bMan; quotient |= 1; }
        if (i < steps) { carry = (remainder >> 63) != 0; remainder <<= 1; }
      }
      if (nearest && !partial && remainder != 0) {
        const other = bMan - remainder;
        if (remainder > other || (remainder == other && (quotient & 1) != 0)) {
          remainder = other;
          quotient++;
          sign ^= 1;
        }
      }
    }
    if (remainder == 0) setResult(signOf(aSE) << 15, 0);
    else packWide(sign, bExp, remainder, 0, 64, RC_ZERO);
    if (partial) conditions = SW_C2;
    else conditions = ((<u32>quotient & 4) != 0 ? SW_C0 : 0) | ((<u32>quotient & 2) != 0 ? SW_C3 : 0) | ((<u32>quotient & 1) != 0 ? SW_C1 : 0);
  }
  if (!commit()) return;
  setStatusRaw((statusRaw() & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | conditions);
  setSt(0, resultSE, resultSig);
}
