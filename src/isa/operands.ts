// Parsing of the SDM appendix A operand notation used in src/isa/opcodes.ts ("Eb", "Gv", "Iz",
// "eAX", "DX", "1", ...). One parser shared by the decode-attribute generator and the
// disassembler, so the two cannot read the table differently.

/** Operand type letters (SDM A.2.2) this table uses, plus "x87" for the D8-DF escapes. */
export type OperandSize = "" | "a" | "b" | "d" | "p" | "q" | "s" | "v" | "w" | "z" | "x87";

export type OperandSpec =
  /** ModRM.rm: E (register or memory), M (memory only), R (register only). */
  | { kind: "rm"; method: "E" | "M" | "R"; size: OperandSize }
  /** ModRM.reg: G (general), C (control), D (debug), S (segment register). */
  | { kind: "reg"; method: "G" | "C" | "D" | "S"; size: OperandSize }
  /** Bytes after ModRM/SIB/displacement: I (immediate), J (relative offset), A (far pointer), O (moffs). */
  | { kind: "immediate"; method: "I" | "J" | "A" | "O"; size: OperandSize }
  /** String operands: X = DS:eSI (segment overridable), Y = ES:eDI. */
  | { kind: "string"; method: "X" | "Y"; size: OperandSize }
  /** A register named by the opcode itself; size "v" for the eXX forms. */
  | { kind: "fixed-register"; name: string; size: OperandSize; number: number; segment: boolean }
  /** The literal count 1 of the D0-D3 shifts. */
  | { kind: "constant"; value: number };

export class OperandNotationError extends Error {
  constructor(notation: string, why: string) {
    super(`operand "${notation}": ${why}`);
    this.name = "OperandNotationError";
  }
}

// Which type letters each addressing method may carry in this table (SDM A.2.1/A.2.2).
const ALLOWED_SIZES: Record<string, readonly OperandSize[]> = {
  E: ["b", "w", "d", "v"],
  M: ["", "a", "b", "p", "q", "s"],
  R: ["d"],
  G: ["b", "w", "d", "v", "z"],
  C: ["d"],
  D: ["d"],
  S: ["w"],
  I: ["b", "w", "v", "z"],
  J: ["b", "z"],
  A: ["p"],
  O: ["b", "v"],
  X: ["b", "v", "z"],
  Y: ["b", "v", "z"],
};

const BYTE_REGISTERS = ["AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH"];
const WORD_REGISTERS = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI"];
const SIZED_REGISTERS = ["eAX", "eCX", "eDX", "eBX", "eSP", "eBP", "eSI", "eDI"];
const SEGMENT_REGISTERS = ["ES", "CS", "SS", "DS", "FS", "GS"];

const KIND_OF_METHOD: Record<string, OperandSpec["kind"]> = {
  E: "rm", M: "rm", R: "rm", G: "reg", C: "reg", D: "reg", S: "reg",
  I: "immediate", J: "immediate", A: "immediate", O: "immediate", X: "string", Y: "string",
};

export function parseOperand(notation: string): OperandSpec {
  if (notation === "1") return { kind: "constant", value: 1 };
  if (notation === "Ex87") return { kind: "rm", method: "E", size: "x87" };
  const fixed = fixedRegister(notation);
  if (fixed) return fixed;
  const method = notation[0];
  const size = notation.slice(1) as OperandSize;
  const allowed = ALLOWED_SIZES[method];
  if (!allowed) throw new OperandNotationError(notation, `unknown addressing method "${method}"`);
  if (!allowed.includes(size)) throw new OperandNotationError(notation, `type "${size}" not valid with ${method}`);
  return { kind: KIND_OF_METHOD[method], method, size } as OperandSpec;
}

function fixedRegister(notation: string): OperandSpec | undefined {
  let number = BYTE_REGISTERS.indexOf(notation);
  if (number >= 0) return { kind: "fixed-register", name: notation, size: "b", number, segment: false };
  number = WORD_REGISTERS.indexOf(notation);
  if (number >= 0) return { kind: "fixed-register", name: notation, size: "w", number, segment: false };
  number = SIZED_REGISTERS.indexOf(notation);
  if (number >= 0) return { kind: "fixed-register", name: notation, size: "v", number, segment: false };
  number = SEGMENT_REGISTERS.indexOf(notation);
  if (number >= 0) return { kind: "fixed-register", name: notation, size: "w", number, segment: true };
  return undefined;
}

/** All operands of a row's notation ("" → none). */
export function parseOperands(operands: string): OperandSpec[] {
  if (operands === "") return [];
  return operands.split(",").map((notation) => parseOperand(notation.trim()));
}
