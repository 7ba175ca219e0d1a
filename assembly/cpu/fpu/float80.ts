// Extended-precision arithmetic (SDM vol. 1, 4.2 and 8.5): values are (sign/exponent word, 64-bit
// significand with an explicit integer bit). Results come back in `resultSE`/`resultSig`, the
// exception flags an operation raises accumulate in `raised`, and `roundedUp` tells C1 whether
// rounding went away from zero. Intermediate values are (hi, lo) 128-bit significands whose binary
// point follows bit 127 of hi:lo's top bit, with a biased exponent that may leave the 15-bit range.
import {
  SW_IE, SW_DE, SW_ZE, SW_OE, SW_UE, SW_PE, RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO,
  INDEFINITE_SE, INDEFINITE_SIG,
} from "./stack";

export const BIAS: i32 = 16383;
export const MAX_EXPONENT: u32 = 0x7fff;
export const INTEGER_BIT: u64 = 0x8000000000000000;
const QUIET_BIT: u64 = 0x4000000000000000;

export let resultSE: u32 = 0;
export let resultSig: u64 = 0;
export let raised: u32 = 0;
export let roundedUp: bool = false;

@inline export function clearRaised(): void { raised = 0; }
@inline export function raise(flags: u32): void { raised |= flags; }
@inline export function setRaised(flags: u32): void { raised = flags; }
@inline export function setResult(se: u32, sig: u64): void { resultSE = se; resultSig = sig; }
@inline export function setIndefinite(): void { resultSE = INDEFINITE_SE; resultSig = INDEFINITE_SIG; }

// ---- Classification (SDM vol. 1, 8.2.2 and table 8-3) -----------------------------------------
@inline export function exponentOf(se: u32): u32 { return se & 0x7fff; }
@inline export function signOf(se: u32): u32 { return (se >> 15) & 1; }
@inline export function isNaN(se: u32, sig: u64): bool {
  return exponentOf(se) == MAX_EXPONENT && (sig >> 63) != 0 && (sig << 1) != 0;
}
@inline export function isSignaling(se: u32, sig: u64): bool { return isNaN(se, sig) && (sig & QUIET_BIT) == 0; }
@inline export function isInfinity(se: u32, sig: u64): bool { return exponentOf(se) == MAX_EXPONENT && sig == INTEGER_BIT; }
@inline export function isZero(se: u32, sig: u64): bool { return exponentOf(se) == 0 && sig == 0; }
/** Denormal or pseudo-denormal: exponent 0, nonzero significand. */
@inline export function isDenormal(se: u32, sig: u64): bool { return exponentOf(se) == 0 && sig != 0; }
/** Unnormals, pseudo-NaNs and pseudo-infinities: a nonzero exponent with the integer bit clear. */
@inline export function isUnsupported(se: u32, sig: u64): bool { return exponentOf(se) != 0 && (sig >> 63) == 0; }

// ---- 128-bit helpers --------------------------------------------------------------------------
let wideHi: u64 = 0;
let wideLo: u64 = 0;

/** (hi, lo) >> count, ORing every bit shifted out into bit 0 (sticky). Result in wideHi/wideLo. */
export function shiftRightSticky(hi: u64, lo: u64, count: u32): void {
  if (count == 0) { wideHi = hi; wideLo = lo; return; }
  if (count < 64) {
    const sticky: u64 = (lo << (64 - count)) != 0 ? 1 : 0;
    wideLo = (hi << (64 - count)) | (lo >> count) | sticky;
    wideHi = hi >> count;
  } else if (count < 128) {
    const sticky: u64 = lo != 0 || (count > 64 && (hi << (128 - count)) != 0) ? 1 : 0;
    wideLo = (count == 64 ? hi : hi >> (count - 64)) | sticky;
    wideHi = 0;
  } else {
    wideLo = (hi | lo) != 0 ? 1 : 0;
    wideHi = 0;
  }
}

/** Full 64 x 64 -> 128-bit product into wideHi/wideLo. */
export function multiply64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const middle = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  wideLo = (middle << 32) | (p00 & 0xffffffff);
  wideHi = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

// ---- Operand unpacking: normalized significand and unbounded exponent -------------------------
let unpackedExp: i32 = 0;
let unpackedSig: u64 = 0;

/** Finite nonzero (possibly denormal) value → integer bit set, exponent adjusted (may be <= 0). */
@inline function unpack(se: u32, sig: u64): void {
  let exponent = <i32>exponentOf(se);
  if (exponent == 0) exponent = 1; // denormals and pseudo-denormals scale like exponent 1
  const shift = <i32>clz<u64>(sig);
  unpackedSig = sig << shift;
  unpackedExp = exponent - shift;
}

// ---- Rounding (SDM vol. 1, 4.8.4) -------------------------------------------------------------

/**
 * Round the exact value (-1)^sign * (hi:lo / 2^127) * 2^(exponent - BIAS) to `bits` significand
 * bits in the extended exponent range, with tininess detected before rounding (SDM 4.9.1.5).
 * hi must have its top bit set. Sets the result, PE/UE/OE and roundedUp.
 */
export function roundPack(sign: u32, exponent: i32, hi: u64, lo: u64, bits: u32, mode: u32): void {
  roundedUp = false;
  const tiny = exponent < 0 || (exponent == 0 && !roundingCarries(sign, hi, lo, bits, mode));
  if (exponent < 1) {
    shiftRightSticky(hi, lo, <u32>min<i32>(1 - exponent, 200));
    hi = wideHi; lo = wideLo;
    exponent = 0;
  }
  const dropMask: u64 = bits >= 64 ? 0 : (<u64>1 << (64 - bits)) - 1;
  const dropped = hi & dropMask;
  if (dropped != 0 || lo != 0) {
    raised |= SW_PE;
    if (tiny) raised |= SW_UE;
    let increment = false;
    if (mode == RC_NEAREST) {
      if (bits >= 64) {
        increment = lo > INTEGER_BIT || (lo == INTEGER_BIT && (hi & 1) != 0);
      } else {
        const half: u64 = <u64>1 << (63 - bits);
        increment = dropped > half || (dropped == half && (lo != 0 || (hi & (half << 1)) != 0));
      }
    } else if (mode == RC_DOWN) increment = sign != 0;
    else if (mode == RC_UP) increment = sign == 0;
    hi &= ~dropMask;
    if (increment) {
      roundedUp = true;
      const before = hi;
      hi += dropMask + 1;
      if (hi < before) { hi = INTEGER_BIT; exponent++; }
      else if (exponent == 0 && (hi >> 63) != 0) exponent = 1; // a denormal rounded up to normal
    }
  }
  if (exponent >= <i32>MAX_EXPONENT) { overflow(sign, bits, mode); return; }
  resultSE = (sign << 15) | <u32>exponent;
  resultSig = hi;
}

/**
 * Whether rounding the normalized hi:lo to `bits` bits carries out of the top bit. IA-32 detects
 * tininess after rounding with an unbounded exponent (SDM vol. 1, 4.9.1.5), so a value just below
 * the smallest normal that rounds up to it is not tiny.
 */
function roundingCarries(sign: u32, hi: u64, lo: u64, bits: u32, mode: u32): bool {
  const dropMask: u64 = bits >= 64 ? 0 : (<u64>1 << (64 - bits)) - 1;
  if ((hi | dropMask) != 0xffffffffffffffff) return false;
  const dropped = hi & dropMask;
  if (dropped == 0 && lo == 0) return false;
  if (mode == RC_NEAREST) {
    if (bits >= 64) return lo >= INTEGER_BIT; // all kept bits are ones: a tie rounds up (odd)
    return dropped >= (<u64>1 << (63 - bits));
  }
  if (mode == RC_DOWN) return sign != 0;
  if (mode == RC_UP) return sign == 0;
  return false;
}

/** Masked overflow response (SDM vol. 1, 4.9.1.4): infinity or the largest finite number. */
function overflow(sign: u32, bits: u32, mode: u32): void {
  raised |= SW_OE | SW_PE;
  const toInfinity = mode == RC_NEAREST || (mode == RC_UP && sign == 0) || (mode == RC_DOWN && sign != 0);
  if (toInfinity) {
    resultSE = (sign << 15) | MAX_EXPONENT;
    resultSig = INTEGER_BIT;
    roundedUp = true;
  } else {
    resultSE = (sign << 15) | (MAX_EXPONENT - 1);
    resultSig = bits >= 64 ? 0xffffffffffffffff : ~((<u64>1 << (64 - bits)) - 1);
    roundedUp = false;
  }
}

// ---- NaN operands (SDM vol. 1, table 4-7) -----------------------------------------------------

/** Quiet NaN result for a NaN operand, raising IE for a signaling one. */
export function propagateOne(se: u32, sig: u64): void {
  if (isSignaling(se, sig)) raised |= SW_IE;
  resultSE = se;
  resultSig = sig | QUIET_BIT;
}

/** Result for two operands of which at least one is a NaN. */
export function propagateTwo(aSE: u32, aSig: u64, bSE: u32, bSig: u64): void {
  const aNaN = isNaN(aSE, aSig), bNaN = isNaN(bSE, bSig);
  if (isSignaling(aSE, aSig) || isSignaling(bSE, bSig)) raised |= SW_IE;
  if (!bNaN) { resultSE = aSE; resultSig = aSig | QUIET_BIT; return; }
  if (!aNaN) { resultSE = bSE; resultSig = bSig | QUIET_BIT; return; }
  const aQuiet = (aSig & QUIET_BIT) != 0, bQuiet = (bSig & QUIET_BIT) != 0;
  let pickA: bool;
  if (aQuiet != bQuiet) pickA = aQuiet; // a signaling and a quiet NaN: the quiet one
  else {
    const aMag = aSig & ~QUIET_BIT, bMag = bSig & ~QUIET_BIT;
    pickA = aMag > bMag || (aMag == bMag && aSE < bSE); // equal: the positive one
  }
  if (pickA) { resultSE = aSE; resultSig = aSig | QUIET_BIT; }
  else { resultSE = bSE; resultSig = bSig | QUIET_BIT; }
}

/**
 * Common checks before an arithmetic operation on two operands: unsupported formats (IE,
 * indefinite), NaNs (propagated), denormals (DE). Returns true when the result is already set.
 */
function specialOperands(aSE: u32, aSig: u64, bSE: u32, bSig: u64): bool {
  if (isUnsupported(aSE, aSig) || isUnsupported(bSE, bSig)) {
    raised |= SW_IE;
    setIndefinite();
    return true;
  }
  if (isNaN(aSE, aSig) || isNaN(bSE, bSig)) {
    propagateTwo(aSE, aSig, bSE, bSig);
    return true;
  }
  if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raised |= SW_DE;
  return false;
}

function invalid(): void {
  raised |= SW_IE;
  setIndefinite();
}

// ---- Add and subtract ---------------------------------------------------------------------------

/** a + b (or a - b with negateB) rounded to `bits` with rounding `mode`. */
export function add(aSE: u32, aSig: u64, bSE: u32, bSig: u64, negateB: bool, bits: u32, mode: u32): void {
  roundedUp = false;
  if (specialOperands(aSE, aSig, bSE, bSig)) return;
  if (negateB) bSE ^= 0x8000;
  const aSign = signOf(aSE), bSign = signOf(bSE);
  const aInf = isInfinity(aSE, aSig), bInf = isInfinity(bSE, bSig);
  if (aInf || bInf) {
    if (aInf && bInf && aSign != bSign) { invalid(); return; }
    setResult(aInf ? aSE : bSE, INTEGER_BIT);
    return;
  }
  const aZero = isZero(aSE, aSig), bZero = isZero(bSE, bSig);
  if (aZero && bZero) {
    const sign: u32 = aSign == bSign ? aSign : mode == RC_DOWN ? 1 : 0;
    setResult(sign << 15, 0);
    return;
  }
  if (aZero) { addExact(bSE, bSig, bits, mode); return; }
  if (bZero) { addExact(aSE, aSig, bits, mode); return; }
  unpack(aSE, aSig);
  let aExp = unpackedExp, aMan = unpackedSig;
  unpack(bSE, bSig);
  let bExp = unpackedExp, bMan = unpackedSig;
  let sign = aSign;
  if (aSign == bSign) {
    if (aExp < bExp) {
      const e = aExp; aExp = bExp; bExp = e;
      const m = aMan; aMan = bMan; bMan = m;
    }
    shiftRightSticky(bMan, 0, <u32>min<i32>(aExp - bExp, 200));
    let lo = wideLo;
    let hi = aMan + wideHi;
    if (hi < aMan) { // carry out of bit 63
      lo = (lo >> 1) | (hi << 63) | (lo & 1);
      hi = (hi >> 1) | INTEGER_BIT;
      aExp++;
    }
    roundPack(sign, aExp, hi, lo, bits, mode);
    return;
  }
  // Opposite signs: subtract the smaller magnitude from the larger.
  if (aExp < bExp || (aExp == bExp && aMan < bMan)) {
    const e = aExp; aExp = bExp; bExp = e;
    const m = aMan; aMan = bMan; bMan = m;
    sign = bSign;
  }
  shiftRightSticky(bMan, 0, <u32>min<i32>(aExp - bExp, 200));
  const lo: u64 = 0 - wideLo;
  const borrow: u64 = wideLo != 0 ? 1 : 0;
  const hi = aMan - wideHi - borrow;
  if (hi == 0 && lo == 0) { setResult((mode == RC_DOWN ? 1 : 0) << 15, 0); return; }
  normalizeAndRound(sign, aExp, hi, lo, bits, mode);
}

/** x + 0: the value itself, rounded to the precision in force (it may be a denormal: DE is set). */
function addExact(se: u32, sig: u64, bits: u32, mode: u32): void {
  unpack(se, sig);
  roundPack(signOf(se), unpackedExp, unpackedSig, 0, bits, mode);
}

function normalizeAndRound(sign: u32, exponent: i32, hi: u64, lo: u64, bits: u32, mode: u32): void {
  if (hi == 0) { hi = lo; lo = 0; exponent -= 64; }
  const shift = <i32>clz<u64>(hi);
  if (shift != 0) {
    hi = (hi << shift) | (lo >> (64 - shift));
    lo <<= shift;
    exponent -= shift;
  }
  roundPack(sign, exponent, hi, lo, bits, mode);
}

// ---- Multiply -----------------------------------------------------------------------------------

export function multiply(aSE: u32, aSig: u64, bSE: u32, bSig: u64, bits: u32, mode: u32): void {
  roundedUp = false;
  if (specialOperands(aSE, aSig, bSE, bSig)) return;
  const sign = signOf(aSE) ^ signOf(bSE);
  const aInf = isInfinity(aSE, aSig), bInf = isInfinity(bSE, bSig);
  const aZero = isZero(aSE, aSig), bZero = isZero(bSE, bSig);
  if (aInf || bInf) {
    if (aZero || bZero) { invalid(); return; }
    setResult((sign << 15) | MAX_EXPONENT, INTEGER_BIT);
    return;
  }
  if (aZero || bZero) { setResult(sign << 15, 0); return; }
  unpack(aSE, aSig);
  const aExp = unpackedExp, aMan = unpackedSig;
  unpack(bSE, bSig);
  let exponent = aExp + unpackedExp - BIAS + 1;
  multiply64(aMan, unpackedSig);
  let hi = wideHi, lo = wideLo;
  if ((hi >> 63) == 0) {
    hi = (hi << 1) | (lo >> 63);
    lo <<= 1;
    exponent--;
  }
  roundPack(sign, exponent, hi, lo, bits, mode);
}

// ---- Divide -------------------------------------------------------------------------------------

export function divide(aSE: u32, aSig: u64, bSE: u32, bSig: u64, bits: u32, mode: u32): void {
  roundedUp = false;
  if (specialOperands(aSE, aSig, bSE, bSig)) return;
  const sign = signOf(aSE) ^ signOf(bSE);
  const aInf = isInfinity(aSE, aSig), bInf = isInfinity(bSE, bSig);
  const aZero = isZero(aSE, aSig), bZero = isZero(bSE, bSig);
  if (aInf) {
    if (bInf) { invalid(); return; }
    setResult((sign << 15) | MAX_EXPONENT, INTEGER_BIT);
    return;
  }
  if (bInf) { setResult(sign << 15, 0); return; }
  if (bZero) {
    if (aZero) { invalid(); return; }
    raised |= SW_ZE;
    setResult((sign << 15) | MAX_EXPONENT, INTEGER_BIT);
    return;
  }
  if (aZero) { setResult(sign << 15, 0); return; }
  unpack(aSE, aSig);
  const aExp = unpackedExp, aMan = unpackedSig;
  unpack(bSE, bSig);
  const bMan = unpackedSig;
  let exponent = aExp - unpackedExp + BIAS;
  // Restoring division, one quotient bit per step: 66 bits (integer bit, 65 fraction bits).
  let remainder = aMan;
  let carry = false; // bit 64 of the remainder
  let hi: u64 = 0, lo: u64 = 0;
  for (let i = 0; i < 66; i++) {
    let bit: u64 = 0;
    if (carry || remainder >= bMan) { remainder -= bMan; bit = 1; }
    hi = (hi << 1) | (lo >> 63);
    lo = (lo << 1) | bit;
    carry = (remainder >> 63) != 0;
    remainder <<= 1;
  }
  // Left-align the 66 quotient bits in hi:lo.
  hi = (hi << 62) | (lo >> 2);
  lo = (lo << 62) | (remainder != 0 || carry ? 1 : 0);
  if ((hi >> 63) == 0) {
    hi = (hi << 1) | (lo >> 63);
    lo = (lo << 1) | (lo & 1);
    exponent--;
  }
  roundPack(sign, exponent, hi, lo, bits, mode);
}

// ---- Square root --------------------------------------------------------------------------------

export function squareRoot(aSE: u32, aSig: u64, bits: u32, mode: u32): void {
  roundedUp = false;
  if (isUnsupported(aSE, aSig)) { invalid(); return; }
  if (isNaN(aSE, aSig)) { propagateOne(aSE, aSig); return; }
  if (isZero(aSE, aSig)) { setResult(aSE, 0); return; }
  if (signOf(aSE) != 0) { invalid(); return; }
  if (isInfinity(aSE, aSig)) { setResult(aSE, aSig); return; }
  if (isDenormal(aSE, aSig)) raised |= SW_DE;
  unpack(aSE, aSig);
  const unbiased = unpackedExp - BIAS;
  const odd = (unbiased & 1) != 0;
  // Radicand with its binary point after bit 126 of (radHi, radLo), so pairs come off the top.
  let radHi: u64 = odd ? unpackedSig : unpackedSig >> 1;
  let radLo: u64 = odd ? 0 : unpackedSig << 63;
  const exponent = ((odd ? unbiased - 1 : unbiased) >> 1) + BIAS;
  // Digit-by-digit: root q (64 bits), remainder r (up to 66 bits) as (remHi, remLo).
  let root: u64 = 0;
  let remHi: u64 = 0, remLo: u64 = 0;
  for (let i = 0; i < 64; i++) {
    const pair = radHi >> 62;
    radHi = (radHi << 2) | (radLo >> 62);
    radLo <<= 2;
    remHi = (remHi << 2) | (remLo >> 62);
    remLo = (remLo << 2) | pair;
    // trial = (root << 2) | 1
    const trialHi = root >> 62;
    const trialLo = (root << 2) | 1;
    if (remHi > trialHi || (remHi == trialHi && remLo >= trialLo)) {
      const borrow: u64 = remLo < trialLo ? 1 : 0;
      remLo -= trialLo;
      remHi = remHi - trialHi - borrow;
      root = (root << 1) | 1;
    } else {
      root <<= 1;
    }
  }
  // The next root bit is 1 exactly when remainder > root; a square root is never a tie.
  const guard = remHi != 0 || remLo > root;
  const sticky = remHi != 0 || remLo != 0;
  const lo: u64 = (guard ? INTEGER_BIT : 0) | (sticky ? 1 : 0);
  roundPack(0, exponent, root, lo, bits, mode);
}

// ---- Comparison -----------------------------------------------------------------------------------

export const CMP_LESS: i32 = -1;
export const CMP_EQUAL: i32 = 0;
export const CMP_GREATER: i32 = 1;
export const CMP_UNORDERED: i32 = 2;

/**
 * Compare a with b. Signaling NaNs (or any NaN when `quietNaNsInvalid`, as for FCOM) and
 * unsupported formats raise IE; denormals raise DE.
 */
export function compare(aSE: u32, aSig: u64, bSE: u32, bSig: u64, quietNaNsInvalid: bool): i32 {
  if (isUnsupported(aSE, aSig) || isUnsupported(bSE, bSig)) { raised |= SW_IE; return CMP_UNORDERED; }
  const aNaN = isNaN(aSE, aSig), bNaN = isNaN(bSE, bSig);
  if (aNaN || bNaN) {
    if (quietNaNsInvalid || isSignaling(aSE, aSig) || isSignaling(bSE, bSig)) raised |= SW_IE;
    return CMP_UNORDERED;
  }
  if (isDenormal(aSE, aSig) || isDenormal(bSE, bSig)) raised |= SW_DE;
  const aZero = isZero(aSE, aSig) || (exponentOf(aSE) == 0 && aSig == 0);
  const bZero = isZero(bSE, bSig);
  if (aZero && bZero) return CMP_EQUAL;
  const aSign = signOf(aSE), bSign = signOf(bSE);
  if (aSign != bSign) return aSign != 0 ? CMP_LESS : CMP_GREATER;
  // Same sign: compare magnitudes through the normalized form (pseudo-denormals included).
  let order: i32;
  if (aZero) order = CMP_LESS;
  else if (bZero) order = CMP_GREATER;
  else {
    unpack(aSE, aSig);
    const aExp = unpackedExp, aMan = unpackedSig;
    unpack(bSE, bSig);
    if (aExp != unpackedExp) order = aExp < unpackedExp ? CMP_LESS : CMP_GREATER;
    else if (aMan != unpackedSig) order = aMan < unpackedSig ? CMP_LESS : CMP_GREATER;
    else order = CMP_EQUAL;
  }
  return aSign != 0 ? -order : order;
}

// ---- Round to integer -----------------------------------------------------------------------------

/**
 * Round a finite value to an integral value with `mode` (FRNDINT, FIST, FBSTP), as an extended
 * value in the result. Raises PE when inexact. NaN/infinity handling is the caller's.
 */
export function roundToIntegral(se: u32, sig: u64, mode: u32): void {
  roundedUp = false;
  const sign = signOf(se);
  const exponent = <i32>exponentOf(se);
  if (exponent >= BIAS + 63 || sig == 0) { setResult(se, sig); return; } // already integral
  if (exponent == 0 && sig != 0) raised |= SW_DE;
  // Integer part bits: those at or above weight 2^0; fraction bits are the rest.
  const fractionBits = <i32>(BIAS + 63) - max<i32>(exponent, 1);
  let integer: u64, fraction: u64, half: u64;
  if (fractionBits >= 64) {
    integer = 0;
    fraction = sig;
    half = fractionBits == 64 ? INTEGER_BIT : 0;
  } else {
    integer = sig >> fractionBits;
    fraction = sig & ((<u64>1 << fractionBits) - 1);
    half = <u64>1 << (fractionBits - 1);
  }
  if (fraction == 0) { setResult(se, sig); return; }
  raised |= SW_PE;
  let increment = false;
  if (mode == RC_NEAREST) {
    // fractionBits > 64 means |x| < 0.5: rounds to zero.
    if (fractionBits <= 64) increment = fraction > half || (fraction == half && (integer & 1) != 0);
  } else if (mode == RC_DOWN) increment = sign != 0;
  else if (mode == RC_UP) increment = sign == 0;
  if (increment) { integer++; roundedUp = true; }
  fromUnsigned64(sign, integer);
}

/** An unsigned 64-bit integer magnitude with a sign, exactly, into the result. */
export function fromUnsigned64(sign: u32, magnitude: u64): void {
  if (magnitude == 0) { setResult(sign << 15, 0); return; }
  const shift = <u32>clz<u64>(magnitude);
  setResult((sign << 15) | <u32>(BIAS + 63 - <i32>shift), magnitude << shift);
}

/** The integral extended value's magnitude as u64; `fits` is false beyond 2^64 - 1. */
export let integerFits: bool = true;
export function toUnsigned64(se: u32, sig: u64): u64 {
  integerFits = true;
  const exponent = <i32>exponentOf(se);
  if (sig == 0) return 0;
  if (exponent > BIAS + 63) { integerFits = false; return 0; }
  const shift = BIAS + 63 - exponent;
  if (shift >= 64) return 0;
  return sig >> shift;
}

// ---- Conversions from and to the memory formats (SDM vol. 1, 4.2.2) -------------------------------

/** Widen a binary32 or binary64 bit pattern (fraction width, exponent width). Exact. */
export function fromBinary(bitsValue: u64, fractionWidth: u32, exponentWidth: u32): void {
  const sign = <u32>(bitsValue >> (fractionWidth + exponentWidth)) & 1;
  const maxExp = (<u32>1 << exponentWidth) - 1;
  const bias = <i32>(maxExp >> 1);
  const exponent = <u32>(bitsValue >> fractionWidth) & maxExp;
  const fraction = bitsValue & ((<u64>1 << fractionWidth) - 1);
  if (exponent == maxExp) {
    if (fraction == 0) { setResult((sign << 15) | MAX_EXPONENT, INTEGER_BIT); return; }
    const sig = INTEGER_BIT | (fraction << (63 - fractionWidth));
    if ((sig & QUIET_BIT) == 0) raised |= SW_IE;
    setResult((sign << 15) | MAX_EXPONENT, sig | QUIET_BIT);
    return;
  }
  if (exponent == 0) {
    if (fraction == 0) { setResult(sign << 15, 0); return; }
    raised |= SW_DE;
    const shift = <i32>clz<u64>(fraction);
    // value = fraction * 2^(1 - bias - fractionWidth)
    const e = 1 - bias - <i32>fractionWidth + 63 - shift + BIAS;
    setResult((sign << 15) | <u32>e, fraction << shift);
    return;
  }
  setResult((sign << 15) | <u32>(<i32>exponent - bias + BIAS), INTEGER_BIT | (fraction << (63 - fractionWidth)));
}

/**
 * Narrow an extended value to binary32/binary64 with `mode`, raising IE/OE/UE/PE as FST does.
 * Returns the bit pattern; a masked invalid operation gives the format's indefinite.
 */
export function toBinary(se: u32, sig: u64, fractionWidth: u32, exponentWidth: u32, mode: u32): u64 {
  roundedUp = false;
  const sign = <u64>signOf(se);
  const maxExp = (<u32>1 << exponentWidth) - 1;
  const bias = <i32>(maxExp >> 1);
  const signBit = sign << (fractionWidth + exponentWidth);
  const infinity = signBit | (<u64>maxExp << fractionWidth);
  if (isUnsupported(se, sig)) {
    raised |= SW_IE;
    return (<u64>1 << (fractionWidth + exponentWidth)) | (<u64>maxExp << fractionWidth) | (<u64>1 << (fractionWidth - 1));
  }
  if (exponentOf(se) == MAX_EXPONENT) {
    if (sig << 1 == 0) return infinity;
    if ((sig & QUIET_BIT) == 0) raised |= SW_IE;
    return infinity | (<u64>1 << (fractionWidth - 1)) | ((sig << 1) >> (64 - fractionWidth));
  }
  if (sig == 0) return signBit;
  if (exponentOf(se) == 0) raised |= SW_DE;
  unpack(se, sig);
  let exponent = unpackedExp - BIAS + bias; // target biased exponent
  let hi = unpackedSig, lo: u64 = 0;
  const tiny = exponent < 0 || (exponent == 0 && !roundingCarries(<u32>sign, hi, lo, fractionWidth + 1, mode));
  if (exponent < 1) {
    shiftRightSticky(hi, lo, <u32>min<i32>(1 - exponent, 200));
    hi = wideHi; lo = wideLo;
    exponent = 0;
  }
  const keep = fractionWidth + 1;
  const dropMask: u64 = (<u64>1 << (64 - keep)) - 1;
  const dropped = hi & dropMask;
  if (dropped != 0 || lo != 0) {
    raised |= SW_PE;
    if (tiny) raised |= SW_UE;
    let increment = false;
    if (mode == RC_NEAREST) {
      const half: u64 = <u64>1 << (63 - keep);
      increment = dropped > half || (dropped == half && (lo != 0 || (hi & (half << 1)) != 0));
    } else if (mode == RC_DOWN) increment = sign != 0;
    else if (mode == RC_UP) increment = sign == 0;
    hi &= ~dropMask;
    if (increment) {
      roundedUp = true;
      const before = hi;
      hi += dropMask + 1;
      if (hi < before) { hi = INTEGER_BIT; exponent++; }
      else if (exponent == 0 && (hi >> 63) != 0) exponent = 1;
    }
  }
  if (exponent >= <i32>maxExp) {
    raised |= SW_OE | SW_PE;
    const toInfinity = mode == RC_NEAREST || (mode == RC_UP && sign == 0) || (mode == RC_DOWN && sign != 0);
    roundedUp = toInfinity;
    return toInfinity ? infinity : signBit | ((<u64>(maxExp - 1) << fractionWidth) | ((<u64>1 << fractionWidth) - 1));
  }
  const fraction = (hi << 1) >> (64 - fractionWidth);
  return signBit | (<u64>exponent << fractionWidth) | fraction;
}

/** Round to `bits` significand bits without changing the exponent range (FLD constants, FSCALE). */
export function roundExtended(se: u32, sig: u64, bits: u32, mode: u32): void {
  if (sig == 0 || exponentOf(se) == MAX_EXPONENT) { setResult(se, sig); roundedUp = false; return; }
  unpack(se, sig);
  roundPack(signOf(se), unpackedExp, unpackedSig, 0, bits, mode);
}

/** (sign, exponent, hi, lo) from a caller that computed an exact wide value (FSCALE, FPREM). */
export function packWide(sign: u32, exponent: i32, hi: u64, lo: u64, bits: u32, mode: u32): void {
  normalizeAndRound(sign, exponent, hi, lo, bits, mode);
}

export { RC_ZERO };
