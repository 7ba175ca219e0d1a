// Instruction lengths and operand decoding checked against real tools: NASM assembles the corpora
// (every table row in every ModRM/SIB/displacement form with 66/67/segment/LOCK/REP prefixes,
// plus hand-written instructions), objdump disassembles them, and our disassembler must agree.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disassemble, instructionLength } from "../../src/isa/disassemble.ts";
import { describeRow } from "../../src/isa/decode-attributes.ts";
import { OPCODES } from "../../src/isa/opcodes.ts";
import {
  assemble, assembleWithListing, dbSource, generateTableCorpus, handWrittenCorpus, objdump,
  type ReferenceInstruction,
} from "./corpus.ts";

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "wasmvisor-isa-"));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const PREFIX_WORDS = new Set([
  "lock", "rep", "repz", "repnz", "repe", "repne", "data16", "data32", "addr16", "addr32",
  "es", "cs", "ss", "ds", "fs", "gs",
]);
const TOKEN_PATTERN = /[-+]?0x[0-9a-f]+|\b(?:e?[abcd]x|[abcd][lh]|e?[sd]i|e?[sb]p|[c-gs]s|cr\d|dr\d|st\(\d\)|\d+)\b/g;
// objdump names a few register operands by their full width where the table says "w" (SLDT r32,
// SMSW r32, MOV r32,Sreg, LAR r32,r16, ...): compare general registers by number, not width.
const WIDE_NAMES: Record<string, string> = {
  ax: "eax", cx: "ecx", dx: "edx", bx: "ebx", sp: "esp", bp: "ebp", si: "esi", di: "edi",
};

/** Registers and numbers of the operands, in order, without sizes, prefixes or the mnemonic. */
function operandTokens(text: string): string[] {
  // "eiz*n" is objdump's spelling of a SIB byte with no index; "ds:" is the default segment.
  const plain = text.toLowerCase().replace(/eiz\*\d\+?/g, "").replace(/\bds:/g, "").replace(/,/g, ", ");
  const words = plain.split(/\s+/).filter(Boolean);
  while (words.length > 0 && PREFIX_WORDS.has(words[0])) words.shift();
  const operands = words.slice(1).join(" ");
  return (operands.match(TOKEN_PATTERN) ?? []).map((token) => WIDE_NAMES[token] ?? token);
}

function hexBytes(binary: Uint8Array, offset: number, length: number): string {
  return Array.from(binary.subarray(offset, offset + length), (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

interface Mismatch {
  where: string;
  ours: string;
  reference: string;
}

/** Walks the binary with our decoder alongside objdump's instruction list. */
function compareWithObjdump(binary: Uint8Array, reference: ReferenceInstruction[], code32: boolean): { lengths: Mismatch[]; operands: Mismatch[]; compared: number } {
  const lengths: Mismatch[] = [];
  const operands: Mismatch[] = [];
  let compared = 0;
  for (const expected of reference) {
    const ours = disassemble(binary, expected.offset, code32);
    const where = `${code32 ? 32 : 16}-bit @${expected.offset.toString(16)}: ${hexBytes(binary, expected.offset, Math.max(ours.length, expected.length))}`;
    if (ours.length !== expected.length) {
      lengths.push({ where, ours: `${ours.length} ${ours.text}`, reference: `${expected.length} ${expected.text}` });
      continue;
    }
    // objdump has no names for x87 escapes we have not described yet, and some encodings it rejects.
    if (expected.text.includes("(bad)") || ours.text.startsWith("esc")) continue;
    // The hint NOPs 0F 1A/0F 1B (a P6 has no MPX) carry their later MPX names in objdump.
    if (ours.text.startsWith("nop") && /^((addr|data)(16|32) )*bnd/.test(expected.text)) continue;
    // 66 90 is still NOP (the table's row); objdump spells it as the XCHG it aliases.
    if (ours.text === "nop" && /\bxchg\s+e?ax,e?ax$/.test(expected.text)) continue;
    compared++;
    const ourTokens = operandTokens(ours.text).join(" ");
    const referenceTokens = operandTokens(expected.text).join(" ");
    if (ourTokens !== referenceTokens) operands.push({ where, ours: ours.text, reference: expected.text });
  }
  return { lengths, operands, compared };
}

describe.each([true, false])("table-generated corpus, %s = 32-bit code", (code32) => {
  it("covers every row and matches objdump's lengths and operands", () => {
    const corpus = generateTableCorpus(code32);
    const covered = new Set(corpus.map(({ row }) => row));
    expect(OPCODES.filter((row) => !covered.has(row)).map(describeRow)).toEqual([]);

    const name = `table${code32 ? 32 : 16}`;
    const binary = assemble(workDir, name, dbSource(code32, corpus));
    const reference = objdump(path.join(workDir, `${name}.bin`), code32);

    // Boundaries: what the corpus generator intended, what objdump found, what we find.
    const intended: number[] = [];
    let offset = 0;
    for (const { bytes } of corpus) {
      intended.push(offset);
      offset += bytes.length;
    }
    expect(offset).toBe(binary.length);
    const referenceStarts = reference.map((instruction) => instruction.offset);
    const firstDivergence = intended.findIndex((start, index) => referenceStarts[index] !== start);
    expect(firstDivergence === -1 ? "" : `${describeRow(corpus[firstDivergence].row)} ${hexBytes(binary, intended[firstDivergence], 16)}`).toBe("");

    const { lengths, operands, compared } = compareWithObjdump(binary, reference, code32);
    expect(lengths.slice(0, 20)).toEqual([]);
    expect(operands.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(corpus.length * 0.9);
  });
});

const MNEMONIC_ALIASES: Record<string, string> = { xlatb: "xlat", sal: "shl", a32: "" };

/** The instruction name of a NASM source line or of our text, without prefixes and size suffixes. */
function baseMnemonic(text: string): string {
  const words = text.toLowerCase().split(/\s+/).filter((word) => !PREFIX_WORDS.has(word) && word !== "a32" && word !== "a16");
  let name = words[0];
  name = MNEMONIC_ALIASES[name] ?? name;
  if (/^(movs|cmps|stos|lods|scas|ins|outs)[bwd]$/.test(name)) name = name.slice(0, -1);
  const operandSizeForms: Record<string, string> = { pushad: "pusha", popad: "popa", pushfd: "pushf", popfd: "popf", iretd: "iret", cwde: "cbw", cdq: "cwd", jecxz: "jcxz" };
  name = operandSizeForms[name] ?? name;
  if (/^f/.test(name) && name !== "fwait") name = "esc"; // x87: only the escape is named for now
  if (name.startsWith("esc")) name = "esc";
  return name;
}

describe.each([true, false])("hand-written NASM corpus, %s = 32-bit code", (code32) => {
  it("matches NASM's encodings and objdump's lengths and operands", () => {
    const sources = handWrittenCorpus();
    const name = `hand${code32 ? 32 : 16}`;
    // Line 1 is the `bits` directive, so source line i + 2 is sources[i].
    const { binary, lineOffsets } = assembleWithListing(workDir, name, `bits ${code32 ? 32 : 16}\n${sources.join("\n")}\n`);
    const problems: string[] = [];
    sources.forEach((source, index) => {
      const start = lineOffsets.get(index + 2);
      const end = index + 1 < sources.length ? lineOffsets.get(index + 3) : binary.length;
      if (start === undefined || end === undefined) {
        problems.push(`${source}: no bytes in the NASM listing`);
        return;
      }
      const ours = disassemble(binary, start, code32);
      if (ours.length !== end - start) problems.push(`${source}: NASM made ${end - start} bytes, we decode ${ours.length} (${ours.text})`);
      else if (baseMnemonic(ours.text) !== baseMnemonic(source)) problems.push(`${source}: we decode ${ours.text}`);
    });
    expect(problems).toEqual([]);

    const reference = objdump(path.join(workDir, `${name}.bin`), code32);
    const { lengths, operands } = compareWithObjdump(binary, reference, code32);
    expect(lengths).toEqual([]);
    expect(operands).toEqual([]);
  });
});

describe("lengths of tricky encodings", () => {
  const cases: [string, boolean, number][] = [
    ["67 a0 34 12", true, 4], // moffs shrinks with the address-size prefix
    ["a0 34 12 00 00", true, 5],
    ["67 a1 34 12 00 00", false, 6], // and grows in 16-bit code
    ["66 9a 34 12 00 10", true, 6], // far pointer: 16-bit offset + selector
    ["9a 34 12 00 10", false, 5],
    ["66 ea 78 56 34 12 00 10", false, 8],
    ["c8 00 10 01", true, 4], // ENTER Iw,Ib
    ["f6 c0 12", true, 3], // TEST Eb,Ib has an immediate
    ["f6 d0", true, 2], // NOT Eb has none
    ["f7 04 24 78 56 34 12", true, 7],
    ["66 f7 c0 34 12", true, 5],
    ["f7 18", true, 2],
    ["0f ba e0 05", true, 4], // BT Ev,Ib
    ["0f 20 00", true, 3], // MOV r,CRn ignores mod: no displacement
    ["f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 90", true, 15],
  ];
  it.each(cases)("%s (32-bit code: %s) is %i bytes", (hex, code32, length) => {
    const bytes = Uint8Array.from(hex.split(" "), (byte) => parseInt(byte, 16));
    expect(instructionLength(bytes, 0, code32)).toBe(length);
  });

  it("reports undefined encodings as (bad)", () => {
    for (const hex of ["0f 0b", "fe 38", "8f c8", "0f ba 00 01", "0f 01 e8", "8d c0", "c4 c0", "0f ff", "f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 90"]) {
      const bytes = Uint8Array.from(hex.split(" "), (byte) => parseInt(byte, 16));
      const text = disassemble(bytes, 0, true).text;
      if (hex === "0f 0b") expect(text).toBe("ud2");
      else expect(text, hex).toBe("(bad)");
    }
  });
});
