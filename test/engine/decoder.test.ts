// The engine's own decoder (assembly/cpu/decoder.ts), driven through decodeInstruction(): the
// length of every encoding in three corpora must match objdump's, the encodings it rejects with
// #UD must be exactly those objdump calls (bad) or the opcode table leaves undefined, and the
// operands it records (effective address, segment, immediates) must be what the SDM says.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as layout from "../../assembly/layout.ts";
import { PREFIX_ADDRSIZE, PREFIX_LOCK, PREFIX_OPSIZE, PREFIX_REP, PREFIX_REPNE, PREFIX_SEGMENT } from "../../assembly/cpu/decode_attrs.ts";
import { OPCODES, PREFIX_BYTES, TWO_BYTE, type OpcodeRow } from "../../src/isa/opcodes.ts";
import { parseOperands } from "../../src/isa/operands.ts";
import type { Engine } from "../../src/machine/engine.ts";
import {
  assemble, assembleWithListing, dbSource, generateTableCorpus, handWrittenCorpus, objdump, type ReferenceInstruction,
} from "../isa/corpus.ts";
import {
  createEngine, decodedField, enablePaging, enterFlatProtectedMode, hex, isException, loadCode16, loadCode32, readPhys32,
  writePhys32,
} from "./harness.ts";

const EXC_UD = 6;
const EXC_GP = 13;
const EXC_PF = 14;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "wasmvisor-engine-decoder-"));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

// ---- Decoding at an address -------------------------------------------------------------------

/** Where corpora are loaded in guest RAM (paging off: linear = physical). */
const CODE_BASE = 0x100000;

type DecodeResult = { length: number } | { vector: number; errorCode: number };

/**
 * Decode the instruction at linear `address`. 32-bit code runs in a flat segment; 16-bit code in a
 * 64 KiB segment whose base is `address` rounded down to 32 KiB, so no instruction reaches its limit.
 */
function decodeAt(engine: Engine, address: number, code32: boolean): DecodeResult {
  if (code32) {
    engine.set32(layout.REG_EIP, address);
  } else {
    loadCode16(engine, address & ~0x7fff);
    engine.set32(layout.REG_EIP, address & 0x7fff);
  }
  const result = engine.tryCall(() => engine.exports.decodeInstruction());
  return isException(result) ? result : { length: result };
}

function engineWithCode(binary: Uint8Array, code32: boolean): Engine {
  const ramBytes = Math.ceil((CODE_BASE + binary.length + 0x10000) / 0x100000) * 0x100000;
  const { engine } = createEngine(ramBytes);
  enterFlatProtectedMode(engine);
  if (!code32) loadCode16(engine, CODE_BASE);
  engine.ram().set(binary, CODE_BASE);
  return engine;
}

function hexBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

// ---- What the opcode table says ---------------------------------------------------------------

const ROWS_BY_OPCODE = new Map<number, OpcodeRow[]>();
for (const row of OPCODES) ROWS_BY_OPCODE.set(row.opcode, [...(ROWS_BY_OPCODE.get(row.opcode) ?? []), row]);

const TAKES_MODRM = new Map<number, boolean>();
for (const [opcode, rows] of ROWS_BY_OPCODE) {
  TAKES_MODRM.set(opcode, rows.some((row) => row.reg !== undefined || parseOperands(row.operands).some((operand) => operand.kind === "rm" || operand.kind === "reg")));
}

/**
 * Why the table makes the encoding at the start of `bytes` raise #UD (SDM vol. 2, "LOCK" and the
 * opcode maps of appendix A), or undefined when it is a defined instruction.
 */
function tableUndefinedReason(bytes: Uint8Array): string | undefined {
  let index = 0;
  let lock = false;
  for (; PREFIX_BYTES.includes(bytes[index]); index++) if (bytes[index] === 0xf0) lock = true;
  let opcode = bytes[index++];
  if (opcode === 0x0f) opcode = TWO_BYTE | bytes[index++];
  const rows = ROWS_BY_OPCODE.get(opcode);
  if (!rows) return "no row for the opcode";
  let row = rows[0];
  let mod = 3;
  if (TAKES_MODRM.get(opcode)) {
    const modrm = bytes[index];
    mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    if (rows[0].reg !== undefined) {
      const member = rows.find((candidate) => candidate.reg === reg);
      if (!member) return "no row for the group member";
      row = member;
    }
  }
  const flags = row.flags ?? [];
  if (flags.includes("reg-only")) mod = 3;
  if (flags.includes("raises-ud")) return "raises #UD by definition";
  if (flags.includes("mem-only") && mod === 3) return "register form of a memory-only operand";
  if (lock && !flags.includes("lock")) return "LOCK on an instruction that cannot be locked";
  if (lock && mod === 3) return "LOCK with a register destination";
  return undefined;
}

// ---- Comparison with objdump ------------------------------------------------------------------

interface Disagreement {
  bytes: string;
  engine: string;
  reference: string;
}

interface Comparison {
  undefinedCount: number;
  disagreements: Disagreement[];
  /** Encodings where the engine knowingly differs from objdump, counted by reason. */
  excused: Map<string, number>;
}

/** The opcode byte after any prefixes. */
function opcodeByte(bytes: Uint8Array): { opcode: number; index: number } {
  let index = 0;
  while (PREFIX_BYTES.includes(bytes[index])) index++;
  return { opcode: bytes[index], index };
}

const KNOWN_DIFFERENCES = {
  salc: "D6 SALC: undocumented but executed by every P6 (a table row); objdump does not know it",
  wbinvd: "66 0F 09: objdump keeps prefixed 0F 09 for later ISAs (F3 is WBNOINVD); a P6 ignores the 66 and runs WBINVD",
  x87: "D8-DF reserved x87 forms: the decoder accepts every escape (same length as objdump); the x87 unit decides",
  fwait: "9B FWAIT: objdump folds it into the x87 instruction that follows (fnX → fX); it is a 1-byte instruction",
  hintNop: "0F 1A/0F 1B: objdump decodes MPX BNDLDX/BNDSTX and rejects (and mis-measures, with 16-bit addresses) forms MPX forbids; a P6 runs every form as a hint NOP Ev",
};

/**
 * Where the engine may rightly disagree with objdump, and why; undefined when it may not.
 * `engineLength` is undefined when the engine raised #UD.
 */
function knownDifference(bytes: Uint8Array, reference: ReferenceInstruction, engineLength: number | undefined): string | undefined {
  const { opcode, index } = opcodeByte(bytes);
  const objdumpBad = reference.text.includes("(bad)");
  if (opcode === 0xd6 && objdumpBad && engineLength === index + 1) {
    return KNOWN_DIFFERENCES.salc;
  }
  if (opcode === 0x0f && bytes[index + 1] === 0x09 && objdumpBad && engineLength === reference.length) {
    return KNOWN_DIFFERENCES.wbinvd;
  }
  if (opcode >= 0xd8 && opcode <= 0xdf && objdumpBad && engineLength === reference.length) {
    return KNOWN_DIFFERENCES.x87;
  }
  if (opcode === 0x0f && (bytes[index + 1] === 0x1a || bytes[index + 1] === 0x1b) && reference.text.includes("bnd") && engineLength !== undefined) {
    return KNOWN_DIFFERENCES.hintNop;
  }
  if (opcode === 0x9b && bytes[index + 1] >= 0xd8 && bytes[index + 1] <= 0xdf && engineLength === index + 1 && !reference.text.startsWith("fwait")) {
    return KNOWN_DIFFERENCES.fwait;
  }
  return undefined;
}

/**
 * Decode every instruction starting at `starts` (offsets into `binary`) and hold it against
 * objdump: #UD exactly when objdump says (bad) or the table says undefined, else the same length.
 */
function compareWithObjdump(binary: Uint8Array, starts: number[], code32: boolean, name: string): Comparison {
  const reference = new Map(objdump(path.join(workDir, `${name}.bin`), code32).map((entry) => [entry.offset, entry]));
  const engine = engineWithCode(binary, code32);
  const disagreements: Disagreement[] = [];
  const excused = new Map<string, number>();
  let undefinedCount = 0;
  for (const start of starts) {
    const bytes = binary.subarray(start, start + 16);
    const expected = reference.get(start);
    const result = decodeAt(engine, CODE_BASE + start, code32);
    const engineText = "length" in result ? `length ${result.length}` : `exception ${result.vector} (${result.errorCode})`;
    if (!expected) {
      disagreements.push({ bytes: hexBytes(bytes), engine: engineText, reference: "objdump lost synchronisation before this offset" });
      continue;
    }
    const engineUd = !("length" in result) && result.vector === EXC_UD;
    if (engineUd) undefinedCount++;
    const tableReason = tableUndefinedReason(bytes);
    const expectUd = expected.text.includes("(bad)") || tableReason !== undefined;
    const agrees = engineUd ? expectUd : !expectUd && "length" in result && result.length === expected.length;
    if (agrees) continue;
    const why = knownDifference(bytes, expected, "length" in result ? result.length : undefined);
    if (why !== undefined) {
      excused.set(why, (excused.get(why) ?? 0) + 1);
      continue;
    }
    disagreements.push({
      bytes: hexBytes(bytes.subarray(0, Math.max(expected.length, 1) + 2)),
      engine: engineText,
      reference: `length ${expected.length}: ${expected.text}${tableReason ? ` [table: ${tableReason}]` : ""}`,
    });
  }
  return { undefinedCount, disagreements, excused };
}

// ---- Corpora ----------------------------------------------------------------------------------

/** Every one-byte and 0F opcode that is not a prefix or the escape itself. */
function allOpcodes(): number[][] {
  const opcodes: number[][] = [];
  for (let byte = 0; byte < 0x100; byte++) {
    if (PREFIX_BYTES.includes(byte) || byte === 0x0f) continue;
    opcodes.push([byte]);
  }
  for (let byte = 0; byte < 0x100; byte++) opcodes.push([0x0f, byte]);
  return opcodes;
}

/** ModRM bytes that reach each addressing shape for every reg field (the rest comes from filler). */
function sampleModrms(): number[] {
  const modrms: number[] = [];
  for (let reg = 0; reg < 8; reg++) {
    for (const [mod, rm] of [[3, reg ^ 5], [0, 0], [0, 4], [0, 5], [0, 6], [1, 4], [2, 6]]) modrms.push((mod << 6) | (reg << 3) | rm);
  }
  return modrms;
}

/** Bytes after each encoding: enough for SIB, disp32 and imm32 with room to spare, then a NOP. */
const FILLER_LENGTH = 11;
const FILLER = 0x3e; // DS prefix: objdump prints a run of them and the closing NOP as one line
const NOP = 0x90;

/**
 * Opcode × ModRM × prefix sweep: each encoding followed by DS prefixes and a NOP, which serve as
 * SIB, displacement and immediate bytes and let objdump find the next encoding again whatever
 * length either side decodes. Returns the binary and the start of each encoding.
 */
function sweepCorpus(): { binary: Uint8Array; starts: number[] } {
  const prefixSets = [[], [0x66], [0x67], [0xf0]];
  const bytes: number[] = [];
  const starts: number[] = [];
  for (const prefixes of prefixSets) {
    const modrms = prefixes.length === 0 ? Array.from({ length: 256 }, (_, modrm) => modrm) : sampleModrms();
    for (const opcode of allOpcodes()) {
      for (const modrm of modrms) {
        starts.push(bytes.length);
        bytes.push(...prefixes, ...opcode, modrm);
        for (let i = 0; i < FILLER_LENGTH; i++) bytes.push(FILLER);
        bytes.push(NOP);
      }
    }
  }
  return { binary: Uint8Array.from(bytes), starts };
}

/** The sweep is raw bytes already: written straight to the file objdump reads. */
function writeBinary(name: string, binary: Uint8Array): void {
  writeFileSync(path.join(workDir, `${name}.bin`), binary);
}

describe.each([true, false])("instruction lengths against objdump (32-bit code: %s)", (code32) => {
  const bits = code32 ? 32 : 16;

  it("table-generated corpus: every row in every ModRM/SIB form with 66/67/segment/LOCK/REP prefixes", () => {
    const corpus = generateTableCorpus(code32);
    const name = `table${bits}`;
    const binary = assemble(workDir, name, dbSource(code32, corpus));
    const starts: number[] = [];
    let offset = 0;
    for (const { bytes } of corpus) {
      starts.push(offset);
      offset += bytes.length;
    }
    const { disagreements, undefinedCount } = compareWithObjdump(binary, starts, code32, name);
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The corpus holds defined encodings only, except for the rows of UD1 and UD2 themselves.
    const raisesUd = corpus.filter(({ row }) => row.flags?.includes("raises-ud")).length;
    expect(raisesUd).toBeGreaterThan(0);
    expect(undefinedCount).toBe(raisesUd);
  });

  it("hand-written NASM corpus", () => {
    const sources = handWrittenCorpus();
    const name = `hand${bits}`;
    const { binary, lineOffsets } = assembleWithListing(workDir, name, `bits ${bits}\n${sources.join("\n")}\n`);
    const starts = sources.map((_, index) => lineOffsets.get(index + 2)!);
    expect(starts.every((start) => start !== undefined)).toBe(true);
    const { disagreements } = compareWithObjdump(binary, starts, code32, name);
    expect(disagreements).toEqual([]);
  });

  it("opcode × ModRM × prefix sweep", () => {
    const { binary, starts } = sweepCorpus();
    const name = `sweep${bits}`;
    writeBinary(name, binary);
    const { disagreements, undefinedCount, excused } = compareWithObjdump(binary, starts, code32, name);
    expect(disagreements.slice(0, 30)).toEqual([]);
    // Every known difference still occurs (none is dead weight), and #UD is common in the sweep.
    expect([...excused.keys()].sort()).toEqual(Object.values(KNOWN_DIFFERENCES).sort());
    expect(undefinedCount).toBeGreaterThan(starts.length / 4);
  });
});

// ---- Operands ---------------------------------------------------------------------------------

// Distinct register values; the low words make 16-bit sums wrap (BP+SI = 0x106f6 → 0x06f6).
const REGISTER_VALUES: Record<string, number> = {
  eax: 0x11110010, ecx: 0x22220200, edx: 0x33333000, ebx: 0x4444f004,
  esp: 0x55550080, ebp: 0x6666fff0, esi: 0x77770706, edi: 0x88880a08,
};
const REGISTER_ORDER = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const SEGMENT_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"];
const SEGMENT_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

function setRegisters(engine: Engine): void {
  REGISTER_ORDER.forEach((name, index) => engine.set32(layout.REGS + index * 4, REGISTER_VALUES[name]));
}

/**
 * The effective address and segment of objdump's memory operand text ("DWORD PTR ss:[ebp+eax*4-0x64]",
 * "WORD PTR ds:0x1234"), with the registers at REGISTER_VALUES. The segment is the override
 * objdump shows, else SS when the base register is EBP/ESP (BP in 16-bit forms), else DS
 * (SDM vol. 1, 3.7.4.1 "Segment Defaults"; vol. 2, tables 2-1 and 2-2).
 */
function referenceOperand(text: string, address32: boolean): { ea: number; segment: number } {
  const match = /PTR (?:([c-gs]s):)?(\[[^\]]*\]|0x[0-9a-f]+)/.exec(text);
  if (!match) throw new Error(`no memory operand in "${text}"`);
  let ea = 0;
  let stackBase = false;
  const terms = match[2].startsWith("[") ? match[2].slice(1, -1).match(/[+-]?[^+-]+/g)! : [match[2]];
  for (const term of terms) {
    const negative = term.startsWith("-");
    const body = term.replace(/^[+-]/, "");
    const scaled = /^(e?[a-z]{2}|eiz)\*(\d)$/.exec(body);
    if (scaled) {
      if (scaled[1] !== "eiz") ea += REGISTER_VALUES[scaled[1]] * Number(scaled[2]);
    } else if (/^0x/.test(body)) {
      ea += negative ? -parseInt(body, 16) : parseInt(body, 16);
    } else {
      const name = body.length === 2 ? "e" + body : body;
      if (!(name in REGISTER_VALUES)) throw new Error(`register ${body} in "${text}"`);
      ea += REGISTER_VALUES[name];
      if (name === "ebp" || name === "esp") stackBase = true;
    }
  }
  ea = address32 ? ea >>> 0 : ea & 0xffff;
  const segment = match[1] ? SEGMENT_NAMES.indexOf(match[1]) : stackBase ? layout.SEG_SS : layout.SEG_DS;
  return { ea, segment };
}

interface AddressingForm {
  bytes: number[];
  address32: boolean;
  override: number; // segment prefix index, -1 for none
}

/**
 * MOV Gv,Ev (8B) in every memory ModRM form — for 32-bit addressing every SIB byte too — with
 * negative-looking displacements, with and without a segment override.
 */
function addressingForms(code32: boolean): AddressingForm[] {
  const forms: AddressingForm[] = [];
  for (const address32 of [true, false]) {
    const prefixes = address32 === code32 ? [] : [0x67];
    for (let mod = 0; mod < 3; mod++) {
      for (let rm = 0; rm < 8; rm++) {
        const reg = (rm + mod + 3) & 7;
        const modrm = (mod << 6) | (reg << 3) | rm;
        const sibs = address32 && rm === 4 ? Array.from({ length: 256 }, (_, sib) => [sib]) : [[]];
        for (const sib of sibs) {
          const noBase = address32 ? (rm === 5 || (rm === 4 && (sib[0] & 7) === 5)) && mod === 0 : rm === 6 && mod === 0;
          const displacement = mod === 1 ? [0x9c]
            : mod === 2 || noBase ? (address32 ? [0x21, 0x43, 0x65, 0x87] : [0x65, 0x87]) : [];
          const body = [0x8b, modrm, ...sib, ...displacement];
          forms.push({ bytes: [...prefixes, ...body], address32, override: -1 });
          // Overrides on every non-SIB form and on the SIB forms with a stack base or no base.
          if (sib.length === 0 || (sib[0] & 7) === 4 || (sib[0] & 7) === 5) {
            const override = (modrm + (sib[0] ?? 0)) % 6;
            forms.push({ bytes: [SEGMENT_PREFIXES[override], ...prefixes, ...body], address32, override });
          }
        }
      }
    }
  }
  return forms;
}

describe.each([true, false])("effective address and segment of every ModRM/SIB form (32-bit code: %s)", (code32) => {
  it("match objdump's operand evaluated with known registers, and the SDM's default segments", () => {
    const forms = addressingForms(code32);
    const name = `addressing${code32 ? 32 : 16}`;
    const binary = assemble(workDir, name, dbSource(code32, forms));
    const reference = new Map(objdump(path.join(workDir, `${name}.bin`), code32).map((entry) => [entry.offset, entry]));
    const engine = engineWithCode(binary, code32);
    setRegisters(engine);
    const problems: string[] = [];
    let offset = 0;
    let stackDefaults = 0;
    for (const form of forms) {
      const start = offset;
      offset += form.bytes.length;
      const expected = reference.get(start);
      const where = `${hexBytes(form.bytes)} (${expected?.text ?? "no objdump entry"})`;
      if (!expected || expected.length !== form.bytes.length) {
        problems.push(`${where}: objdump length differs`);
        continue;
      }
      const result = decodeAt(engine, CODE_BASE + start, code32);
      if (!("length" in result) || result.length !== form.bytes.length) {
        problems.push(`${where}: decoded ${JSON.stringify(result)}`);
        continue;
      }
      const { ea, segment } = referenceOperand(expected.text, form.address32);
      if (form.override < 0 && segment === layout.SEG_SS) stackDefaults++;
      const modrm = form.bytes[form.bytes.indexOf(0x8b) + 1];
      const record = {
        ea: hex(decodedField(engine, layout.DEC_EA)), segment: decodedField(engine, layout.DEC_SEGMENT),
        addressSize32: decodedField(engine, layout.DEC_ADDRSIZE32), opcode: decodedField(engine, layout.DEC_OPCODE),
        modrm: decodedField(engine, layout.DEC_MODRM), mod: decodedField(engine, layout.DEC_MOD),
        reg: decodedField(engine, layout.DEC_REG), rm: decodedField(engine, layout.DEC_RM),
        overridden: (decodedField(engine, layout.DEC_PREFIXES) & PREFIX_SEGMENT) !== 0,
      };
      const wanted = {
        ea: hex(ea), segment, addressSize32: form.address32 ? 1 : 0, opcode: 0x8b,
        modrm, mod: modrm >> 6, reg: (modrm >> 3) & 7, rm: modrm & 7, overridden: form.override >= 0,
      };
      if (JSON.stringify(record) !== JSON.stringify(wanted)) problems.push(`${where}: ${JSON.stringify(record)} != ${JSON.stringify(wanted)}`);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(forms.length).toBeGreaterThan(900);
    expect(stackDefaults).toBeGreaterThan(50); // BP/EBP/ESP bases were exercised
  });
});

/** Assemble NASM lines in `bits` and decode each; returns the record fields for every line. */
function decodeSources(code32: boolean, sources: string[]): Map<string, { length: number; engine: Engine }> {
  const name = `operands${code32 ? 32 : 16}`;
  const { binary, lineOffsets } = assembleWithListing(workDir, name, `bits ${code32 ? 32 : 16}\n${sources.join("\n")}\n`);
  const results = new Map<string, { length: number; engine: Engine }>();
  // One engine per line so each record can be read after the fact.
  sources.forEach((source, index) => {
    const start = lineOffsets.get(index + 2)!;
    const end = index + 1 < sources.length ? lineOffsets.get(index + 3)! : binary.length;
    const engine = engineWithCode(binary.subarray(start, end), code32);
    setRegisters(engine);
    const result = decodeAt(engine, CODE_BASE, code32);
    if (!("length" in result)) throw new Error(`${source}: ${JSON.stringify(result)}`);
    expect(result.length, source).toBe(end - start);
    results.set(source, { length: result.length, engine });
  });
  return results;
}

interface OperandCase {
  source: string;
  imm?: number;
  imm2?: number;
  ea?: number;
  segment?: number;
  opsize32?: number;
  addrsize32?: number;
}

// Immediates are recorded as fetched, zero-extended: sign extension of Ib/Jb (83, 6A, 6B, Jcc
// short) is the execution stage's business (the interpreter's imm8s()).
const OPERAND_CASES_32: OperandCase[] = [
  { source: "add eax, byte -128", imm: 0x80, opsize32: 1 },
  { source: "add ax, byte -1", imm: 0xff, opsize32: 0 },
  { source: "add eax, 0x12345678", imm: 0x12345678, opsize32: 1 },
  { source: "add ax, 0x1234", imm: 0x1234, opsize32: 0 }, // 66 05 iw: Iz shrinks
  { source: "add dword [ebx+0x10], 0x87654321", imm: 0x87654321, ea: 0x4444f014 },
  { source: "add word [ebx], 0x8765", imm: 0x8765, opsize32: 0 }, // 66 81 /0 iw
  { source: "imul ax, [ebx], 0x1234", imm: 0x1234 },
  { source: "imul eax, [ebx], byte -5", imm: 0xfb },
  { source: "push word 0x1234", imm: 0x1234, opsize32: 0 },
  { source: "push byte -2", imm: 0xfe },
  { source: "test dword [eax], 0x80000000", imm: 0x80000000, ea: 0x11110010 },
  { source: "test byte [ebx], 0x80", imm: 0x80 },
  { source: "mov byte [eax], 0x12", imm: 0x12 },
  { source: "mov esi, 0x89abcdef", imm: 0x89abcdef },
  { source: "mov si, 0xcdef", imm: 0xcdef },
  { source: "bt dword [eax], 7", imm: 7 },
  { source: "shld eax, ebx, 31", imm: 31 },
  { source: "ret 0x1008", imm: 0x1008 },
  { source: "int 0x80", imm: 0x80 },
  { source: "out 0x43, al", imm: 0x43 },
  { source: "enter 0x1234, 3", imm: 0x1234, imm2: 3 },
  { source: "call 0x1234:0x56789abc", imm: 0x56789abc, imm2: 0x1234, opsize32: 1 },
  { source: "call word 0x1234:0x5678", imm: 0x5678, imm2: 0x1234, opsize32: 0 }, // 66 9A: 16-bit offset
  { source: "jmp dword 0x10:0x12345678", imm: 0x12345678, imm2: 0x10 },
  { source: "jmp word 0x10:0x1234", imm: 0x1234, imm2: 0x10 },
  { source: "mov al, [0x12345678]", ea: 0x12345678, segment: layout.SEG_DS, addrsize32: 1 },
  { source: "a16 mov al, [0x1234]", ea: 0x1234, segment: layout.SEG_DS, addrsize32: 0 }, // 67 A0: moffs16
  { source: "mov [fs:0x12345678], eax", ea: 0x12345678, segment: layout.SEG_FS },
  { source: "a16 mov [gs:0x8765], ax", ea: 0x8765, segment: layout.SEG_GS, addrsize32: 0, opsize32: 0 },
  { source: "mov eax, [ss:0x100]", ea: 0x100, segment: layout.SEG_SS }, // A1 with a SS override
];

const OPERAND_CASES_16: OperandCase[] = [
  { source: "add ax, byte -128", imm: 0x80, opsize32: 0 },
  { source: "add ax, 0x1234", imm: 0x1234, opsize32: 0 },
  { source: "add eax, 0x12345678", imm: 0x12345678, opsize32: 1 }, // 66 05 id: Iz grows
  { source: "push dword 0x12345678", imm: 0x12345678, opsize32: 1 },
  { source: "test eax, 0x10000", imm: 0x10000 },
  { source: "enter 0x10, 0", imm: 0x10, imm2: 0 },
  { source: "call 0x1234:0x5678", imm: 0x5678, imm2: 0x1234, opsize32: 0 },
  { source: "jmp dword 0x1234:0x56789abc", imm: 0x56789abc, imm2: 0x1234, opsize32: 1 }, // 66 EA
  { source: "mov al, [0x1234]", ea: 0x1234, segment: layout.SEG_DS, addrsize32: 0 },
  { source: "a32 mov ax, [0x12345678]", ea: 0x12345678, segment: layout.SEG_DS, addrsize32: 1 }, // 67 A1: moffs32
  { source: "mov [es:0x8000], al", ea: 0x8000, segment: layout.SEG_ES },
  // BP+SI wraps at 64 KiB: 0xfff0 + 0x0706 + 0x10.
  { source: "mov ax, [bp+si+0x10]", ea: 0x0706, segment: layout.SEG_SS, addrsize32: 0 },
  { source: "mov ax, [ds:bp+0x10]", ea: 0x0000, segment: layout.SEG_DS },
  { source: "mov ax, [ebp+eax*2]", ea: 0x6666fff0 + 2 * 0x11110010, segment: layout.SEG_SS, addrsize32: 1 },
  // EBP as the index, not the base: DS.
  { source: "mov ax, [eax+ebp*2]", ea: (0x11110010 + 2 * 0x6666fff0) >>> 0, segment: layout.SEG_DS, addrsize32: 1 },
];

describe.each([
  [true, OPERAND_CASES_32],
  [false, OPERAND_CASES_16],
])("immediates, far pointers, ENTER and moffs (32-bit code: %s)", (code32, cases) => {
  it("are recorded with the sizes 66 and 67 select", () => {
    const decoded = decodeSources(code32, cases.map(({ source }) => source));
    for (const testCase of cases) {
      const { engine } = decoded.get(testCase.source)!;
      const record: Record<string, number> = {};
      const wanted: Record<string, number> = {};
      const fields: [keyof OperandCase, number, (value: number) => number][] = [
        ["imm", layout.DEC_IMM, (value) => value >>> 0], ["imm2", layout.DEC_IMM2, (value) => value],
        ["ea", layout.DEC_EA, (value) => value >>> 0], ["segment", layout.DEC_SEGMENT, (value) => value],
        ["opsize32", layout.DEC_OPSIZE32, (value) => value], ["addrsize32", layout.DEC_ADDRSIZE32, (value) => value],
      ];
      for (const [field, offset, normalise] of fields) {
        if (testCase[field] === undefined) continue;
        record[field] = decodedField(engine, offset);
        wanted[field] = normalise(testCase[field] as number);
      }
      expect(record, testCase.source).toEqual(wanted);
    }
  });
});

describe("sign extension of Ib happens at execution", () => {
  it("83 /0 ib adds -128; 6A ib pushes -2", () => {
    const { engine } = createEngine(0x200000);
    enterFlatProtectedMode(engine);
    engine.ram().set([0x83, 0xc0, 0x80, 0x6a, 0xfe, 0xf4], CODE_BASE); // add eax, -128; push -2; hlt
    engine.set32(layout.REG_EIP, CODE_BASE);
    engine.set32(layout.REG_EAX, 0x1000);
    engine.set32(layout.REG_ESP, 0x8000);
    engine.run(2);
    expect(hex(engine.get32(layout.REG_EAX))).toBe(hex(0x1000 - 128));
    expect(hex(readPhys32(engine, 0x7ffc))).toBe(hex(0xfffffffe));
  });
});

describe("prefixes", () => {
  const cases: [string, boolean, number, number][] = [
    // bytes, 32-bit code, DEC_PREFIXES, DEC_SEGMENT
    ["f0 66 67 f2 f3 2e 01 00", true, PREFIX_LOCK | PREFIX_OPSIZE | PREFIX_ADDRSIZE | PREFIX_REP | PREFIX_SEGMENT, layout.SEG_CS],
    ["f3 f2 a4", true, PREFIX_REPNE, layout.SEG_DS], // the last of F2/F3 wins
    ["26 64 8b 00", true, PREFIX_SEGMENT, layout.SEG_FS], // the last segment override wins
    ["36 3e 8b 45 00", true, PREFIX_SEGMENT, layout.SEG_DS], // DS override beats the EBP default
    ["8b 45 00", true, 0, layout.SEG_SS],
    ["66 a5", false, PREFIX_OPSIZE, layout.SEG_DS],
  ];
  it.each(cases)("%s (32-bit code: %s)", (text, code32, prefixes, segment) => {
    const bytes = Uint8Array.from(text.split(" "), (byte) => parseInt(byte, 16));
    const engine = engineWithCode(bytes, code32);
    const result = decodeAt(engine, CODE_BASE, code32);
    expect(result).toEqual({ length: bytes.length });
    expect(decodedField(engine, layout.DEC_PREFIXES)).toBe(prefixes);
    expect(decodedField(engine, layout.DEC_SEGMENT)).toBe(segment);
  });
});

// ---- Fetch faults ------------------------------------------------------------------------------

describe("instruction fetch faults", () => {
  it("an instruction of 15 bytes decodes; 16 bytes raise #GP(0) (SDM vol. 2, 2.3.11)", () => {
    const fifteen = [...Array(14).fill(0x3e), 0x90];
    const sixteenPrefixes = [...Array(15).fill(0x3e), 0x90];
    // Few prefixes but a long body: 5 segment prefixes + C7 84 SIB disp32 imm32 = 16 bytes.
    const longBody = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0xc7, 0x84, 0x88, 0x78, 0x56, 0x34, 0x12, 0x21, 0x43, 0x65, 0x87];
    const engine = engineWithCode(Uint8Array.from([...fifteen, ...sixteenPrefixes, ...longBody]), true);
    expect(decodeAt(engine, CODE_BASE, true)).toEqual({ length: 15 });
    expect(decodeAt(engine, CODE_BASE + 15, true)).toEqual({ vector: EXC_GP, errorCode: 0 });
    expect(decodeAt(engine, CODE_BASE + 31, true)).toEqual({ vector: EXC_GP, errorCode: 0 });
    // The same body with 4 prefixes is 15 bytes and fine.
    engine.ram().set(longBody.slice(1), CODE_BASE + 0x100);
    expect(decodeAt(engine, CODE_BASE + 0x100, true)).toEqual({ length: 15 });
  });

  it("a fetch past the CS limit raises #GP(0); ending exactly at the limit is fine", () => {
    const { engine } = createEngine(0x200000);
    enterFlatProtectedMode(engine);
    engine.ram().set([0xb8, 0x78, 0x56, 0x34, 0x12], 0x11000); // mov eax, imm32 at CS:0x1000
    engine.set32(layout.REG_EIP, 0x1000);
    loadCode32(engine, 0x10000, 0x1003);
    expect(engine.tryCall(() => engine.exports.decodeInstruction())).toEqual({ vector: EXC_GP, errorCode: 0 });
    loadCode32(engine, 0x10000, 0x1004);
    expect(engine.tryCall(() => engine.exports.decodeInstruction())).toBe(5);
    // The opcode itself beyond the limit.
    loadCode32(engine, 0x10000, 0xfff);
    expect(engine.tryCall(() => engine.exports.decodeInstruction())).toEqual({ vector: EXC_GP, errorCode: 0 });

    // 16-bit code: a 3-byte MOV AX,imm16 at 0xfffe crosses the 64 KiB limit.
    engine.ram().set([0xb8, 0x34, 0x12], 0x20000 + 0xfffe);
    loadCode16(engine, 0x20000);
    engine.set32(layout.REG_EIP, 0xfffe);
    expect(engine.tryCall(() => engine.exports.decodeInstruction())).toEqual({ vector: EXC_GP, errorCode: 0 });
    engine.ram().set([0xb8, 0x34, 0x12], 0x20000 + 0xfffd);
    engine.set32(layout.REG_EIP, 0xfffd);
    expect(engine.tryCall(() => engine.exports.decodeInstruction())).toBe(3);
  });

  describe("a fetch from a not-present page raises #PF with CR2 = the faulting byte", () => {
    // Identity-map the first 4 MiB with 4 KiB pages, leaving linear 0x3000-0x3fff not present.
    const PAGE_DIRECTORY = 0x1000;
    const PAGE_TABLE = 0x2000;
    function pagedEngine(cpl: number): Engine {
      const { engine } = createEngine(0x400000);
      enterFlatProtectedMode(engine);
      writePhys32(engine, PAGE_DIRECTORY, PAGE_TABLE | 0x7); // P, R/W, U/S
      for (let page = 0; page < 1024; page++) writePhys32(engine, PAGE_TABLE + page * 4, page === 3 ? 0 : (page << 12) | 0x7);
      enablePaging(engine, PAGE_DIRECTORY, { cpl });
      return engine;
    }

    it.each([
      [0, 0x00], // supervisor read (instruction fetch), page not present
      [3, 0x04], // user
    ])("CPL %i: error code %i", (cpl, errorCode) => {
      const engine = pagedEngine(cpl);
      // MOV EAX,imm32 starting 2 bytes before the hole: the third byte faults.
      engine.ram().set([0xb8, 0x78], 0x2ffe);
      engine.set32(layout.REG_EIP, 0x2ffe);
      expect(engine.tryCall(() => engine.exports.decodeInstruction())).toEqual({ vector: EXC_PF, errorCode });
      expect(hex(engine.get32(layout.CR2))).toBe(hex(0x3000));
      // Through a CS base: CR2 is linear (base + EIP), not EIP.
      loadCode32(engine, 0x2000, 0xffffffff);
      engine.set32(layout.REG_EIP, 0x1800);
      expect(engine.tryCall(() => engine.exports.decodeInstruction())).toEqual({ vector: EXC_PF, errorCode });
      expect(hex(engine.get32(layout.CR2))).toBe(hex(0x3800));
    });

    it("the same instruction decodes once the page is present and the TLB flushed", () => {
      const engine = pagedEngine(0);
      engine.ram().set([0xb8, 0x78], 0x2ffe);
      engine.ram().set([0x56, 0x34, 0x12], 0x3000);
      engine.set32(layout.REG_EIP, 0x2ffe);
      expect(isException(engine.tryCall(() => engine.exports.decodeInstruction()))).toBe(true);
      writePhys32(engine, PAGE_TABLE + 3 * 4, 0x3000 | 0x7);
      engine.exports.flushTlb();
      expect(engine.tryCall(() => engine.exports.decodeInstruction())).toBe(5);
      expect(hex(decodedField(engine, layout.DEC_IMM))).toBe(hex(0x12345678));
    });
  });
});
