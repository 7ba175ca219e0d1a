// Derives the decoder's per-opcode attribute words (bit layout in assembly/cpu/decode_attrs.ts)
// from the opcode table. Used by scripts/gen-decode-table.js to write the AssemblyScript table,
// and by the disassembler and tests, so every consumer sees the same numbers.
import {
  ATTR_BLOCK_END, ATTR_BYTE, ATTR_GROUP, ATTR_IMM_MASK, ATTR_IMM_SHIFT, ATTR_IO, ATTR_LOCKABLE,
  ATTR_MEM_ONLY, ATTR_MODRM, ATTR_MODRM_REG_ONLY, ATTR_PRIVILEGED, ATTR_SENSITIVE, ATTR_UNDEFINED,
  IMM_B, IMM_ENTER, IMM_FAR, IMM_GROUP3, IMM_MOFFS, IMM_NONE, IMM_W, IMM_Z,
} from "../../assembly/cpu/decode_attrs.ts";
import { OPCODES, PREFIX_BYTES, TWO_BYTE, type OpcodeFlag, type OpcodeRow } from "./opcodes.ts";
import { parseOperands, type OperandSpec } from "./operands.ts";

export const OPCODE_COUNT = 0x200;
export const GROUP_SIZE = 8;

export class OpcodeTableError extends Error {
  constructor(row: OpcodeRow | undefined, why: string) {
    super(row ? `opcode table row ${describeRow(row)}: ${why}` : `opcode table: ${why}`);
    this.name = "OpcodeTableError";
  }
}

export function describeRow(row: OpcodeRow): string {
  const opcode = row.opcode >= TWO_BYTE ? `0F ${hex2(row.opcode & 0xff)}` : hex2(row.opcode);
  const reg = row.reg === undefined ? "" : ` /${row.reg}`;
  return `${opcode}${reg} ${row.mnemonic} ${row.operands}`.trim();
}

function hex2(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, "0");
}

const FLAG_BITS: Record<OpcodeFlag, number> = {
  lock: ATTR_LOCKABLE,
  privileged: ATTR_PRIVILEGED,
  sensitive: ATTR_SENSITIVE,
  "block-end": ATTR_BLOCK_END,
  "mem-only": ATTR_MEM_ONLY,
  "reg-only": ATTR_MODRM_REG_ONLY,
  io: ATTR_IO,
  "raises-ud": ATTR_UNDEFINED,
  x87: ATTR_MODRM, // every escape opcode takes a ModRM byte
};

/** Immediate kind (IMM_*) implied by a row's immediate-like operands. */
function immediateKind(row: OpcodeRow, operands: OperandSpec[]): number {
  const immediates = operands.filter((operand) => operand.kind === "immediate");
  const notation = immediates.map((operand) => operand.method + operand.size).join(",");
  switch (notation) {
    case "": return IMM_NONE;
    case "Ib": case "Jb": return IMM_B;
    case "Iw": return IMM_W;
    case "Iz": case "Iv": case "Jz": return IMM_Z;
    case "Ap": return IMM_FAR;
    case "Iw,Ib": return IMM_ENTER;
    case "Ob": case "Ov": return IMM_MOFFS;
    default: throw new OpcodeTableError(row, `no immediate kind for "${notation}"`);
  }
}

/**
 * Byte-sized when the first operand that carries the operation's data is a byte: immediates,
 * the DX port number and the literal 1 are sources or counts, never the operation size, and an
 * M operand is an address or a structure in memory (INVLPG Mb names a byte but touches none).
 */
function isByteOperation(operands: OperandSpec[]): boolean {
  for (const operand of operands) {
    if (operand.kind === "constant") continue;
    if (operand.kind === "immediate" && operand.method !== "O") continue;
    if (operand.kind === "fixed-register" && operand.name === "DX") continue;
    if (operand.kind === "rm" && operand.method === "M") continue;
    return operand.size === "b";
  }
  return false;
}

/** Full attribute word of one row (without ATTR_GROUP). */
export function rowAttributes(row: OpcodeRow): number {
  const operands = parseOperands(row.operands);
  let attributes = immediateKind(row, operands) << ATTR_IMM_SHIFT;
  const takesModrm = row.reg !== undefined || operands.some((operand) => operand.kind === "rm" || operand.kind === "reg");
  if (takesModrm) attributes |= ATTR_MODRM;
  if (isByteOperation(operands)) attributes |= ATTR_BYTE;
  for (const flag of row.flags ?? []) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) throw new OpcodeTableError(row, `unknown flag "${flag}"`);
    attributes |= bit;
  }
  return attributes;
}

function validateRow(row: OpcodeRow): void {
  if (!Number.isInteger(row.opcode) || row.opcode < 0 || row.opcode >= OPCODE_COUNT) {
    throw new OpcodeTableError(row, "opcode out of range 0x000-0x1ff");
  }
  if (PREFIX_BYTES.includes(row.opcode) || row.opcode === 0x0f) {
    throw new OpcodeTableError(row, "prefix bytes and the 0F escape are not rows");
  }
  if (row.reg !== undefined && (!Number.isInteger(row.reg) || row.reg < 0 || row.reg > 7)) {
    throw new OpcodeTableError(row, "reg must be 0-7");
  }
  if (!/^[A-Z][A-Z0-9]*$/.test(row.mnemonic)) throw new OpcodeTableError(row, "mnemonic must be upper case");
  const flags = row.flags ?? [];
  if (new Set(flags).size !== flags.length) throw new OpcodeTableError(row, "duplicate flag");
  const operands = parseOperands(row.operands);
  const rmOperands = operands.filter((operand) => operand.kind === "rm");
  if (flags.includes("mem-only") && !rmOperands.some((operand) => operand.method === "M")) {
    throw new OpcodeTableError(row, "mem-only needs an M operand");
  }
  if (rmOperands.some((operand) => operand.method === "M") && !flags.includes("mem-only")) {
    throw new OpcodeTableError(row, "an M operand means mem-only");
  }
  if (flags.includes("reg-only") !== rmOperands.some((operand) => operand.method === "R")) {
    throw new OpcodeTableError(row, "reg-only goes with an R operand and only with it");
  }
  if (flags.includes("x87") !== rmOperands.some((operand) => operand.size === "x87")) {
    throw new OpcodeTableError(row, "x87 goes with an Ex87 operand and only with it");
  }
  if (rmOperands.length > 1) throw new OpcodeTableError(row, "two ModRM.rm operands");
}

export interface DecodeAttributeTables {
  /** Index = opcode 0x000-0x1ff. */
  opcodeAttributes: Uint16Array;
  /** Index = opcode * 8 + ModRM.reg. */
  groupAttributes: Uint16Array;
}

/** Validates the table and builds both attribute arrays; throws OpcodeTableError on a bad row. */
export function buildDecodeAttributes(rows: readonly OpcodeRow[] = OPCODES): DecodeAttributeTables {
  const plainRows = new Map<number, OpcodeRow>();
  const groups = new Map<number, (OpcodeRow | undefined)[]>();
  for (const row of rows) {
    validateRow(row);
    if (row.reg === undefined) {
      if (plainRows.has(row.opcode) || groups.has(row.opcode)) throw new OpcodeTableError(row, "duplicate opcode");
      plainRows.set(row.opcode, row);
    } else {
      if (plainRows.has(row.opcode)) throw new OpcodeTableError(row, "group member of a non-group opcode");
      const members = groups.get(row.opcode) ?? new Array<OpcodeRow | undefined>(GROUP_SIZE).fill(undefined);
      if (members[row.reg]) throw new OpcodeTableError(row, "duplicate group member");
      members[row.reg] = row;
      groups.set(row.opcode, members);
    }
  }

  const opcodeAttributes = new Uint16Array(OPCODE_COUNT);
  const groupAttributes = new Uint16Array(OPCODE_COUNT * GROUP_SIZE);
  for (let opcode = 0; opcode < OPCODE_COUNT; opcode++) {
    if (PREFIX_BYTES.includes(opcode) || opcode === 0x0f) continue;
    const plain = plainRows.get(opcode);
    const members = groups.get(opcode);
    if (plain) {
      opcodeAttributes[opcode] = rowAttributes(plain);
    } else if (members) {
      opcodeAttributes[opcode] = groupOpcodeAttributes(opcode, members, groupAttributes);
    } else {
      opcodeAttributes[opcode] = ATTR_UNDEFINED;
    }
  }
  return { opcodeAttributes, groupAttributes };
}

/** Fills GROUP_ATTRS for one group and returns its OPCODE_ATTRS word: the bits all members share. */
function groupOpcodeAttributes(opcode: number, members: (OpcodeRow | undefined)[], groupAttributes: Uint16Array): number {
  let shared = 0xffff;
  const immediateKinds = new Array<number>(GROUP_SIZE).fill(IMM_NONE);
  for (let reg = 0; reg < GROUP_SIZE; reg++) {
    const member = members[reg];
    const attributes = member ? rowAttributes(member) : ATTR_UNDEFINED;
    groupAttributes[opcode * GROUP_SIZE + reg] = attributes;
    if (!member) continue;
    shared &= attributes;
    immediateKinds[reg] = (attributes & ATTR_IMM_MASK) >> ATTR_IMM_SHIFT;
  }
  const presentKinds = new Set(immediateKinds.filter((_, reg) => members[reg]));
  let immediate: number;
  if (presentKinds.size === 1) {
    immediate = [...presentKinds][0];
  } else if (isGroup3Pattern(immediateKinds, members)) {
    immediate = IMM_GROUP3; // F6/F7: only TEST (/0, /1) carries an immediate
  } else {
    throw new OpcodeTableError(members.find(Boolean), "group members disagree on their immediate");
  }
  return (shared & ~ATTR_IMM_MASK) | ATTR_MODRM | ATTR_GROUP | (immediate << ATTR_IMM_SHIFT);
}

function isGroup3Pattern(kinds: number[], members: (OpcodeRow | undefined)[]): boolean {
  const testKind = kinds[0];
  if (testKind === IMM_NONE || kinds[1] !== testKind) return false;
  if (testKind !== IMM_B && testKind !== IMM_Z) return false;
  return kinds.every((kind, reg) => reg < 2 || !members[reg] || kind === IMM_NONE);
}
