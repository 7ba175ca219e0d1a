// EFLAGS bits an instruction leaves undefined (Intel SDM vol. 2, "Flags Affected" of each
// instruction), masked out before the randomized differential test compares EFLAGS. One table,
// keyed by mnemonic; shifts and rotates depend on the masked count.

export const CF = 0x0001; // carry
export const PF = 0x0004; // parity
export const AF = 0x0010; // adjust
export const ZF = 0x0040; // zero
export const SF = 0x0080; // sign
export const OF = 0x0800; // overflow

/**
 * EFLAGS bits compared at all: CF, bit 1, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, AC, ID.
 * RF, VM, VIF and VIP are left out: RF in a pushed frame is implementation specific and the
 * others cannot change at CPL 0 in protected mode.
 */
export const COMPARED_FLAGS = 0x00247fd7;

export interface FlagContext {
  /** Operand size in bits of the destination (8, 16, 32). */
  bits: number;
  /** Shift/rotate count as encoded (before masking to 5 bits). */
  count?: number;
}

type Rule = number | ((context: FlagContext) => number);

function shiftRule({ bits, count = 0 }: FlagContext): number {
  const masked = count & 31;
  if (masked === 0) return 0;
  let undefinedBits = AF;
  if (masked !== 1) undefinedBits |= OF;
  return undefinedBits;
}

function shiftOutRule(context: FlagContext): number {
  // SHL/SHR: CF is undefined when the count is at least the operand size.
  const masked = (context.count ?? 0) & 31;
  return shiftRule(context) | (masked >= context.bits ? CF : 0);
}

function rotateRule({ count = 0 }: FlagContext): number {
  const masked = count & 31;
  return masked > 1 ? OF : 0;
}

function doubleShiftRule({ bits, count = 0 }: FlagContext): number {
  const masked = count & 31;
  if (masked === 0) return 0;
  let undefinedBits = AF;
  if (masked !== 1) undefinedBits |= OF;
  // Counts above the operand size (16-bit SHLD/SHRD) are never generated: the result is undefined.
  if (masked >= bits) undefinedBits |= CF | OF | SF | ZF | PF | AF;
  return undefinedBits;
}

export const UNDEFINED_FLAGS: Readonly<Record<string, Rule>> = {
  AND: AF,
  OR: AF,
  XOR: AF,
  TEST: AF,
  MUL: SF | ZF | AF | PF,
  IMUL: SF | ZF | AF | PF,
  DIV: CF | OF | SF | ZF | AF | PF,
  IDIV: CF | OF | SF | ZF | AF | PF,
  AAA: OF | SF | ZF | PF,
  AAS: OF | SF | ZF | PF,
  DAA: OF,
  DAS: OF,
  AAM: OF | AF | CF,
  AAD: OF | AF | CF,
  BSF: CF | OF | SF | AF | PF,
  BSR: CF | OF | SF | AF | PF,
  BT: OF | SF | AF | PF,
  BTS: OF | SF | AF | PF,
  BTR: OF | SF | AF | PF,
  BTC: OF | SF | AF | PF,
  SHL: shiftOutRule,
  SHR: shiftOutRule,
  SAR: shiftRule,
  ROL: rotateRule,
  ROR: rotateRule,
  RCL: rotateRule,
  RCR: rotateRule,
  SHLD: doubleShiftRule,
  SHRD: doubleShiftRule,
};

/** Undefined EFLAGS bits of one generated instruction. */
export function undefinedFlags(mnemonic: string, context: FlagContext): number {
  const rule = UNDEFINED_FLAGS[mnemonic];
  if (rule === undefined) return 0;
  return typeof rule === "number" ? rule : rule(context);
}
