// Intel-syntax disassembler for i686 code in 16- and 32-bit modes, close to objdump's `-M intel`
// output. Instruction lengths come from the generated decode attributes (the same numbers the
// AssemblyScript decoder uses) and operand text from the operand notation of the opcode table,
// so there is no second opcode table here.
import {
  ATTR_BYTE, ATTR_GROUP, ATTR_IMM_MASK, ATTR_IMM_SHIFT, ATTR_MEM_ONLY, ATTR_MODRM, ATTR_MODRM_REG_ONLY,
  IMM_B, IMM_ENTER, IMM_FAR, IMM_GROUP3, IMM_MOFFS, IMM_NONE, IMM_W, IMM_Z,
} from "../../assembly/cpu/decode_attrs.ts";
import { buildDecodeAttributes, GROUP_SIZE, OPCODE_COUNT } from "./decode-attributes.ts";
import { OPCODES, TWO_BYTE, type OpcodeRow } from "./opcodes.ts";
import { parseOperands, type OperandSize, type OperandSpec } from "./operands.ts";

/** The architectural limit: a longer instruction raises #GP. */
export const MAX_INSTRUCTION_LENGTH = 15;

export interface Disassembly {
  /** Bytes consumed, also for "(bad)". */
  length: number;
  text: string;
}

interface DecodeTables {
  opcodeAttributes: Uint16Array;
  groupAttributes: Uint16Array;
  rows: (OpcodeRow | undefined)[];
  groupRows: (OpcodeRow | undefined)[];
  operands: Map<OpcodeRow, OperandSpec[]>;
}

let tables: DecodeTables | undefined;

/** Lookup arrays built once from OPCODES. */
function decodeTables(): DecodeTables {
  if (tables) return tables;
  const { opcodeAttributes, groupAttributes } = buildDecodeAttributes(OPCODES);
  const rows = new Array<OpcodeRow | undefined>(OPCODE_COUNT).fill(undefined);
  const groupRows = new Array<OpcodeRow | undefined>(OPCODE_COUNT * GROUP_SIZE).fill(undefined);
  const operands = new Map<OpcodeRow, OperandSpec[]>();
  for (const row of OPCODES) {
    if (row.reg === undefined) rows[row.opcode] = row;
    else groupRows[row.opcode * GROUP_SIZE + row.reg] = row;
    operands.set(row, parseOperands(row.operands));
  }
  tables = { opcodeAttributes, groupAttributes, rows, groupRows, operands };
  return tables;
}

const SEGMENT_PREFIXES: Record<number, string> = { 0x26: "es", 0x2e: "cs", 0x36: "ss", 0x3e: "ds", 0x64: "fs", 0x65: "gs" };
const PREFIX_OPERAND_SIZE = 0x66;
const PREFIX_ADDRESS_SIZE = 0x67;
const PREFIX_LOCK = 0xf0;
const PREFIX_REPNE = 0xf2;
const PREFIX_REP = 0xf3;

const REGISTERS_8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
const REGISTERS_16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const REGISTERS_32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const SEGMENT_REGISTERS = ["es", "cs", "ss", "ds", "fs", "gs", "?", "?"];
const ADDRESS_16_BASES = ["bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx"];

// Ib is sign-extended to the operand size only for these (SDM: "imm8 sign-extended").
const SIGN_EXTENDED_IB_OPCODES = new Set([0x6a, 0x6b, 0x83]);

// Mnemonics whose name depends on the operand size (16-bit name in the table, 32-bit name here).
const OPERAND_SIZE_32_NAMES: Record<string, string> = {
  CBW: "CWDE", CWD: "CDQ", PUSHA: "PUSHAD", POPA: "POPAD", PUSHF: "PUSHFD", POPF: "POPFD", IRET: "IRETD",
};
const STRING_MNEMONICS = new Set(["MOVS", "CMPS", "STOS", "LODS", "SCAS", "INS", "OUTS"]);
const REPEAT_COMPARES = new Set(["CMPS", "SCAS"]);

class TruncatedInstruction extends Error {}

/** Everything the prefixes, opcode and ModRM say about one instruction. */
interface DecodeState {
  bytes: Uint8Array;
  start: number;
  position: number;
  operandSize32: boolean;
  addressSize32: boolean;
  segment: string | undefined;
  lock: boolean;
  repeat: number; // 0, PREFIX_REP or PREFIX_REPNE: the last one wins, as on hardware
  modrm: number;
  memoryText: string; // the ModRM memory operand, without size or segment
  memoryHasBase: boolean;
}

function nextByte(state: DecodeState): number {
  if (state.position >= state.bytes.length || state.position - state.start >= MAX_INSTRUCTION_LENGTH) {
    throw new TruncatedInstruction();
  }
  return state.bytes[state.position++];
}

function nextUnsigned(state: DecodeState, size: number): number {
  let value = 0;
  for (let index = 0; index < size; index++) value += nextByte(state) * 2 ** (8 * index);
  return value;
}

function nextSigned(state: DecodeState, size: number): number {
  const value = nextUnsigned(state, size);
  const limit = 2 ** (8 * size - 1);
  return value >= limit ? value - 2 * limit : value;
}

function hex(value: number): string {
  return "0x" + value.toString(16);
}

function signedHex(value: number): string {
  return value < 0 ? "-" + hex(-value) : "+" + hex(value);
}

/** Reads SIB and displacement and renders "[base+index*scale+disp]" (or "0x1234" when absolute). */
function decodeMemoryOperand(state: DecodeState): void {
  const mod = state.modrm >> 6;
  const rm = state.modrm & 7;
  const parts: string[] = [];
  let displacement = 0;
  let displacementSize = 0;
  if (state.addressSize32) {
    if (rm === 4) {
      const sib = nextByte(state);
      const scale = 1 << (sib >> 6);
      const index = (sib >> 3) & 7;
      const base = sib & 7;
      if (base === 5 && mod === 0) displacementSize = 4;
      else parts.push(REGISTERS_32[base]);
      if (index !== 4) parts.push(`${REGISTERS_32[index]}*${scale}`);
    } else if (rm === 5 && mod === 0) {
      displacementSize = 4;
    } else {
      parts.push(REGISTERS_32[rm]);
    }
    if (mod === 1) displacementSize = 1;
    if (mod === 2) displacementSize = 4;
  } else {
    if (rm === 6 && mod === 0) displacementSize = 2;
    else parts.push(ADDRESS_16_BASES[rm]);
    if (mod === 1) displacementSize = 1;
    if (mod === 2) displacementSize = 2;
  }
  if (displacementSize > 0) {
    displacement = parts.length > 0 ? nextSigned(state, displacementSize) : nextUnsigned(state, displacementSize);
  }
  state.memoryHasBase = parts.length > 0;
  if (parts.length === 0) {
    state.memoryText = hex(displacement);
  } else {
    state.memoryText = `[${parts.join("+")}${displacement !== 0 || displacementSize > 0 ? signedHex(displacement) : ""}]`;
  }
}

function sizeKeyword(size: OperandSize, operandSize32: boolean): string {
  switch (size) {
    case "b": return "byte ptr ";
    case "w": return "word ptr ";
    case "d": return "dword ptr ";
    case "q": return "qword ptr ";
    case "s": return "fword ptr ";
    case "v": case "z": return operandSize32 ? "dword ptr " : "word ptr ";
    case "p": return operandSize32 ? "fword ptr " : "dword ptr ";
    case "a": return operandSize32 ? "qword ptr " : "dword ptr ";
    default: return "";
  }
}

function generalRegister(number: number, size: OperandSize, operandSize32: boolean): string {
  if (size === "b") return REGISTERS_8[number];
  if (size === "w") return REGISTERS_16[number];
  if (size === "d") return REGISTERS_32[number];
  return operandSize32 ? REGISTERS_32[number] : REGISTERS_16[number];
}

/** A memory operand with its size and segment: objdump names the segment only when overridden or absolute. */
function memoryOperand(state: DecodeState, size: OperandSize): string {
  const segment = state.segment ?? (state.memoryHasBase ? undefined : "ds");
  return `${sizeKeyword(size, state.operandSize32)}${segment ? segment + ":" : ""}${state.memoryText}`;
}

function immediateSize(size: OperandSize, operandSize32: boolean): number {
  if (size === "b") return 1;
  if (size === "w") return 2;
  return operandSize32 ? 4 : 2;
}

function formatOperand(state: DecodeState, row: OpcodeRow, operand: OperandSpec): string {
  const { operandSize32 } = state;
  const reg = (state.modrm >> 3) & 7;
  const rm = state.modrm & 7;
  switch (operand.kind) {
    case "constant":
      return String(operand.value);
    case "fixed-register":
      if (operand.segment) return operand.name.toLowerCase();
      return generalRegister(operand.number, operand.size, operandSize32);
    case "reg":
      if (operand.method === "G") return generalRegister(reg, operand.size, operandSize32);
      if (operand.method === "C") return `cr${reg}`;
      if (operand.method === "D") return `dr${reg}`;
      return SEGMENT_REGISTERS[reg];
    case "rm": {
      const isRegister = state.modrm >> 6 === 3 || operand.method === "R";
      if (operand.size === "x87") return isRegister ? `st(${rm})` : memoryOperand(state, "");
      if (isRegister) return generalRegister(rm, operand.size, operandSize32);
      return memoryOperand(state, operand.size);
    }
    case "string": {
      const register = (operand.method === "X" ? 6 : 7);
      const address = state.addressSize32 ? REGISTERS_32[register] : REGISTERS_16[register];
      // ES:eDI cannot be overridden; DS:eSI can.
      const segment = operand.method === "Y" ? "es" : (state.segment ?? "ds");
      return `${sizeKeyword(operand.size, operandSize32)}${segment}:[${address}]`;
    }
    case "immediate":
      return formatImmediate(state, row, operand);
  }
}

function formatImmediate(state: DecodeState, row: OpcodeRow, operand: OperandSpec & { kind: "immediate" }): string {
  const { operandSize32 } = state;
  switch (operand.method) {
    case "I": {
      const size = immediateSize(operand.size, operandSize32);
      if (size === 1 && SIGN_EXTENDED_IB_OPCODES.has(row.opcode)) {
        const mask = operandSize32 ? 2 ** 32 : 2 ** 16;
        const value = nextSigned(state, 1);
        return hex(value < 0 ? value + mask : value);
      }
      return hex(nextUnsigned(state, size));
    }
    case "J": {
      const displacement = nextSigned(state, immediateSize(operand.size, operandSize32));
      // The target is relative to the next instruction; immediates are last, so that is `position`.
      const mask = operandSize32 ? 2 ** 32 : 2 ** 16;
      return hex((((state.position + displacement) % mask) + mask) % mask);
    }
    case "A": {
      const offset = nextUnsigned(state, operandSize32 ? 4 : 2);
      const selector = nextUnsigned(state, 2);
      return `${hex(selector)}:${hex(offset)}`;
    }
    case "O": {
      const offset = nextUnsigned(state, state.addressSize32 ? 4 : 2);
      return `${sizeKeyword(operand.size, operandSize32)}${state.segment ?? "ds"}:${hex(offset)}`;
    }
  }
}

/** Number of immediate bytes the attribute word's immediate kind implies (as the decoder computes it). */
function immediateLength(attributes: number, reg: number, state: DecodeState): number {
  const wordOrDword = state.operandSize32 ? 4 : 2;
  switch ((attributes & ATTR_IMM_MASK) >> ATTR_IMM_SHIFT) {
    case IMM_NONE: return 0;
    case IMM_B: return 1;
    case IMM_W: return 2;
    case IMM_Z: return wordOrDword;
    case IMM_FAR: return wordOrDword + 2;
    case IMM_ENTER: return 3;
    case IMM_MOFFS: return state.addressSize32 ? 4 : 2;
    case IMM_GROUP3: return reg < 2 ? (attributes & ATTR_BYTE ? 1 : wordOrDword) : 0;
    default: throw new Error("unknown immediate kind");
  }
}

function mnemonicText(row: OpcodeRow, state: DecodeState): string {
  let name = row.mnemonic;
  if (state.operandSize32 && OPERAND_SIZE_32_NAMES[name]) name = OPERAND_SIZE_32_NAMES[name];
  if (name === "JCXZ" && state.addressSize32) name = "JECXZ";
  // x87 semantics are not in the table yet: show the escape number and ModRM.reg.
  if (row.opcode >= 0xd8 && row.opcode <= 0xdf) name = `ESC${row.opcode - 0xd8}/${(state.modrm >> 3) & 7}`;
  let prefix = "";
  if (state.lock) prefix += "lock ";
  if (state.repeat && STRING_MNEMONICS.has(name)) {
    if (state.repeat === PREFIX_REPNE) prefix += "repne ";
    else prefix += REPEAT_COMPARES.has(name) ? "repe " : "rep ";
  }
  return prefix + name.toLowerCase();
}

function decode(bytes: Uint8Array, offset: number, code32: boolean): Disassembly {
  const { opcodeAttributes, groupAttributes, rows, groupRows, operands } = decodeTables();
  const state: DecodeState = {
    bytes, start: offset, position: offset, operandSize32: code32, addressSize32: code32,
    segment: undefined, lock: false, repeat: 0, modrm: 0, memoryText: "", memoryHasBase: false,
  };
  const bad = (): Disassembly => ({ length: state.position - offset, text: "(bad)" });
  try {
    let opcode = nextByte(state);
    for (;;) {
      if (opcode === PREFIX_OPERAND_SIZE) state.operandSize32 = !code32;
      else if (opcode === PREFIX_ADDRESS_SIZE) state.addressSize32 = !code32;
      else if (opcode === PREFIX_LOCK) state.lock = true;
      else if (opcode === PREFIX_REP || opcode === PREFIX_REPNE) state.repeat = opcode;
      else if (SEGMENT_PREFIXES[opcode]) state.segment = SEGMENT_PREFIXES[opcode];
      else break;
      opcode = nextByte(state);
    }
    if (opcode === 0x0f) opcode = TWO_BYTE | nextByte(state);

    const opcodeAttributeWord = opcodeAttributes[opcode];
    let attributes = opcodeAttributeWord;
    let row = rows[opcode];
    if (attributes & ATTR_MODRM) state.modrm = nextByte(state);
    const reg = (state.modrm >> 3) & 7;
    if (attributes & ATTR_GROUP) {
      attributes = groupAttributes[opcode * GROUP_SIZE + reg];
      row = groupRows[opcode * GROUP_SIZE + reg];
    }
    if (!row) return bad(); // undefined opcode or group member (ATTR_UNDEFINED without a row)
    const isRegisterForm = state.modrm >> 6 === 3 || (attributes & ATTR_MODRM_REG_ONLY) !== 0;
    if (attributes & ATTR_MODRM) {
      if (isRegisterForm && attributes & ATTR_MEM_ONLY) return bad();
      if (!isRegisterForm) decodeMemoryOperand(state);
    }
    const expectedEnd = state.position + immediateLength(opcodeAttributeWord, reg, state);
    const operandTexts = (operands.get(row) ?? []).map((operand) => formatOperand(state, row, operand));
    // XLAT's table operand is implicit in the SDM notation; show it as objdump does.
    if (row.mnemonic === "XLAT") operandTexts.push(`byte ptr ${state.segment ?? "ds"}:[${state.addressSize32 ? "ebx" : "bx"}]`);
    if (state.position !== expectedEnd) {
      throw new Error(`opcode table and attributes disagree on the immediate of ${row.mnemonic} ${row.operands}`);
    }
    const mnemonic = mnemonicText(row, state);
    return { length: state.position - offset, text: operandTexts.length > 0 ? `${mnemonic} ${operandTexts.join(", ")}` : mnemonic };
  } catch (error) {
    if (error instanceof TruncatedInstruction) return bad();
    throw error;
  }
}

/** Disassembles one instruction at `offset`; undefined or truncated encodings give "(bad)". */
export function disassemble(bytes: Uint8Array, offset: number, code32: boolean): Disassembly {
  return decode(bytes, offset, code32);
}

/** Length in bytes of the instruction at `offset` (of what "(bad)" consumed for an undefined one). */
export function instructionLength(bytes: Uint8Array, offset: number, code32: boolean): number {
  return decode(bytes, offset, code32).length;
}
