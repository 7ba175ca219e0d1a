// Lazy arithmetic flags (../shared/STYLE.md practice 4): a flag-setting operation records its
// kind, size, operands and result; CF PF AF ZF SF OF are computed only when something reads them.
import {
  REG_EFLAGS, ATTENTION, FLAGS_LAZY_MASK, FLAGS_OP, FLAGS_SIZE, FLAGS_DST, FLAGS_SRC, FLAGS_RES, FLAGS_CARRY_IN,
} from "../layout";
import {
  FLAG_CF, FLAG_PF, FLAG_AF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAGS_ARITH, FLAG_RESERVED1, FLAG_IF, FLAG_TF,
} from "./state";

// Kinds of lazy operation. NEG is SUB from 0, INC/DEC are ADD/SUB of 1 with CF left out of the
// lazy mask, so five kinds cover every arithmetic instruction.
export const LAZY_ADD: u32 = 0;
export const LAZY_ADC: u32 = 1;
export const LAZY_SUB: u32 = 2;
export const LAZY_SBB: u32 = 3;
export const LAZY_LOGIC: u32 = 4; // CF = OF = AF = 0; SF ZF PF from the result

@inline function sizeMask(size: u32): u32 { return size == 32 ? 0xffffffff : (<u32>1 << size) - 1; }
@inline function signBit(size: u32): u32 { return <u32>1 << (size - 1); }

/** Record an operation whose flags are all lazy. */
@inline export function setLazyFlags(op: u32, size: u32, dst: u32, src: u32, res: u32): void {
  store<u32>(FLAGS_OP, op);
  store<u32>(FLAGS_SIZE, size);
  store<u32>(FLAGS_DST, dst);
  store<u32>(FLAGS_SRC, src);
  store<u32>(FLAGS_RES, res);
  store<u32>(FLAGS_LAZY_MASK, FLAGS_ARITH);
}

/** Like setLazyFlags but keeps CF as it is (INC, DEC). */
@inline export function setLazyFlagsKeepCarry(op: u32, size: u32, dst: u32, src: u32, res: u32): void {
  const cf = getCF();
  store<u32>(REG_EFLAGS, (load<u32>(REG_EFLAGS) & ~FLAG_CF) | cf);
  store<u32>(FLAGS_OP, op);
  store<u32>(FLAGS_SIZE, size);
  store<u32>(FLAGS_DST, dst);
  store<u32>(FLAGS_SRC, src);
  store<u32>(FLAGS_RES, res);
  store<u32>(FLAGS_LAZY_MASK, FLAGS_ARITH & ~FLAG_CF);
}

@inline export function setCarryIn(cin: u32): void { store<u32>(FLAGS_CARRY_IN, cin); }

/** Result-only flags (SF ZF PF) lazy from `res`; the given explicit flags set in EFLAGS. */
export function setResultFlagsWith(size: u32, res: u32, explicitMask: u32, explicitValue: u32): void {
  // Materialise first: the record is about to be overwritten.
  const flags = materializedFlagsExcept(explicitMask);
  store<u32>(REG_EFLAGS, (flags & ~explicitMask) | (explicitValue & explicitMask));
  store<u32>(FLAGS_OP, LAZY_LOGIC);
  store<u32>(FLAGS_SIZE, size);
  store<u32>(FLAGS_RES, res);
  store<u32>(FLAGS_LAZY_MASK, (FLAG_SF | FLAG_ZF | FLAG_PF) & ~explicitMask);
}

/** Set chosen arithmetic flags explicitly, materialising the others first. */
@inline export function setFlagBits(mask: u32, value: u32): void {
  const flags = materializedFlagsExcept(mask);
  store<u32>(REG_EFLAGS, (flags & ~mask) | (value & mask));
  store<u32>(FLAGS_LAZY_MASK, load<u32>(FLAGS_LAZY_MASK) & ~mask);
}

// EFLAGS with every lazy flag outside `skip` computed and stored; returns the new value.
function materializedFlagsExcept(skip: u32): u32 {
  const lazy = load<u32>(FLAGS_LAZY_MASK) & ~skip;
  let flags = load<u32>(REG_EFLAGS);
  if (lazy != 0) {
    flags = (flags & ~lazy) | (computeLazy() & lazy);
    store<u32>(REG_EFLAGS, flags);
    store<u32>(FLAGS_LAZY_MASK, load<u32>(FLAGS_LAZY_MASK) & skip);
  }
  return flags;
}

/** The full EFLAGS value, with lazy flags computed. */
export function getFlags(): u32 {
  return materializedFlagsExcept(0) | FLAG_RESERVED1;
}

/**
 * The full EFLAGS value without storing the computed flags: a debugger's read (lockstep
 * comparison) must leave the lazy state exactly as the guest's code left it.
 */
export function peekFlags(): u32 {
  const lazy = load<u32>(FLAGS_LAZY_MASK);
  return (load<u32>(REG_EFLAGS) & ~lazy) | (computeLazy() & lazy) | FLAG_RESERVED1;
}

/** Replace EFLAGS wholesale; nothing stays lazy. */
export function setFlags(value: u32): void {
  store<u32>(REG_EFLAGS, value | FLAG_RESERVED1);
  store<u32>(FLAGS_LAZY_MASK, 0);
  // IF may unblock a pending interrupt, TF starts single-stepping: look at the next boundary.
  if ((value & (FLAG_IF | FLAG_TF)) != 0) store<u32>(ATTENTION, 1);
}

// All six arithmetic flags from the recorded operation.
function computeLazy(): u32 {
  return computeCF() | computePF() | computeAF() | computeZF() | computeSF() | computeOF();
}

function computeCF(): u32 {
  const op = load<u32>(FLAGS_OP);
  const mask = sizeMask(load<u32>(FLAGS_SIZE));
  const dst = load<u32>(FLAGS_DST) & mask;
  const src = load<u32>(FLAGS_SRC) & mask;
  const res = load<u32>(FLAGS_RES) & mask;
  switch (op) {
    case LAZY_ADD: return <u32>(res < dst);
    case LAZY_ADC: return load<u32>(FLAGS_CARRY_IN) != 0 ? <u32>(res <= dst) : <u32>(res < dst);
    case LAZY_SUB: return <u32>(dst < src);
    case LAZY_SBB: return load<u32>(FLAGS_CARRY_IN) != 0 ? <u32>(dst <= src) : <u32>(dst < src);
    default: return 0;
  }
}

function computeOF(): u32 {
  const op = load<u32>(FLAGS_OP);
  const sign = signBit(load<u32>(FLAGS_SIZE));
  const dst = load<u32>(FLAGS_DST);
  const src = load<u32>(FLAGS_SRC);
  const res = load<u32>(FLAGS_RES);
  switch (op) {
    case LAZY_ADD:
    case LAZY_ADC: return ((dst ^ res) & (src ^ res) & sign) != 0 ? FLAG_OF : 0;
    case LAZY_SUB:
    case LAZY_SBB: return ((dst ^ src) & (dst ^ res) & sign) != 0 ? FLAG_OF : 0;
    default: return 0;
  }
}

function computeAF(): u32 {
  if (load<u32>(FLAGS_OP) == LAZY_LOGIC) return 0;
  return (load<u32>(FLAGS_DST) ^ load<u32>(FLAGS_SRC) ^ load<u32>(FLAGS_RES)) & FLAG_AF;
}

@inline function computeZF(): u32 {
  return (load<u32>(FLAGS_RES) & sizeMask(load<u32>(FLAGS_SIZE))) == 0 ? FLAG_ZF : 0;
}

@inline function computeSF(): u32 {
  return (load<u32>(FLAGS_RES) & signBit(load<u32>(FLAGS_SIZE))) != 0 ? FLAG_SF : 0;
}

@inline function computePF(): u32 {
  // PF is set when the low byte has an even number of one bits.
  return (popcnt<u32>(load<u32>(FLAGS_RES) & 0xff) & 1) == 0 ? FLAG_PF : 0;
}

// Single-flag reads for conditions: no materialisation.
@inline function isLazy(flag: u32): bool { return (load<u32>(FLAGS_LAZY_MASK) & flag) != 0; }

export function getCF(): u32 { return isLazy(FLAG_CF) ? computeCF() : load<u32>(REG_EFLAGS) & FLAG_CF; }
@inline export function getZF(): bool { return isLazy(FLAG_ZF) ? computeZF() != 0 : (load<u32>(REG_EFLAGS) & FLAG_ZF) != 0; }
@inline export function getSF(): bool { return isLazy(FLAG_SF) ? computeSF() != 0 : (load<u32>(REG_EFLAGS) & FLAG_SF) != 0; }
export function getOF(): bool { return isLazy(FLAG_OF) ? computeOF() != 0 : (load<u32>(REG_EFLAGS) & FLAG_OF) != 0; }
export function getPF(): bool { return isLazy(FLAG_PF) ? computePF() != 0 : (load<u32>(REG_EFLAGS) & FLAG_PF) != 0; }
export function getAF(): bool { return isLazy(FLAG_AF) ? computeAF() != 0 : (load<u32>(REG_EFLAGS) & FLAG_AF) != 0; }

/** Condition codes 0..15 in the Jcc/SETcc/CMOVcc encoding order (SDM vol. 1, B.1). */
export function testCondition(cc: u32): bool {
  let result: bool;
  switch (cc >> 1) {
    case 0: result = getOF(); break; // O
    case 1: result = getCF() != 0; break; // B / C
    case 2: result = getZF(); break; // Z / E
    case 3: result = getCF() != 0 || getZF(); break; // BE
    case 4: result = getSF(); break; // S
    case 5: result = getPF(); break; // P
    case 6: result = getSF() != getOF(); break; // L
    default: result = getZF() || getSF() != getOF(); break; // LE
  }
  return (cc & 1) != 0 ? !result : result;
}
