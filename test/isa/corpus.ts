// Instruction corpora for the ISA tests, and the NASM/objdump plumbing that turns them into a
// reference: nasm assembles them (`nasm -f bin`), objdump disassembles the result.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CONDITION_CODES, OPCODES, TWO_BYTE, type OpcodeRow } from "../../src/isa/opcodes.ts";
import { parseOperands, type OperandSpec } from "../../src/isa/operands.ts";

export interface GeneratedInstruction {
  bytes: number[];
  row: OpcodeRow;
}

const OPERAND_SIZE = 0x66;
const ADDRESS_SIZE = 0x67;
const FS = 0x64;
const CS = 0x2e;
const LOCK = 0xf0;
const REP = 0xf3;
const REPNE = 0xf2;
const FWAIT = 0x9b;
const NOP = 0x90;

/** ModRM memory forms (mod, rm, then SIB/displacement bytes) for 32-bit addressing. */
const MEMORY_FORMS_32: { mod: number; rm: number; tail: number[] }[] = [
  { mod: 0, rm: 0, tail: [] }, // [eax]
  { mod: 0, rm: 5, tail: [0x78, 0x56, 0x34, 0x12] }, // [disp32]
  { mod: 0, rm: 4, tail: [0x8b] }, // SIB [ebx+ecx*4]
  { mod: 0, rm: 4, tail: [0x65, 0x44, 0x33, 0x22, 0x11] }, // SIB no base: [esp*2+disp32] (index 4 = none)
  { mod: 0, rm: 4, tail: [0xcd, 0x00, 0x10, 0x00, 0x00] }, // SIB [ecx*8+disp32]
  { mod: 1, rm: 4, tail: [0x24, 0xf8] }, // [esp-8]
  { mod: 1, rm: 5, tail: [0x7f] }, // [ebp+0x7f]
  { mod: 2, rm: 6, tail: [0x00, 0x00, 0x00, 0x80] }, // [esi-0x80000000]
  { mod: 2, rm: 4, tail: [0x5e, 0x10, 0x20, 0x30, 0x40] }, // [esi+ebx*2+disp32]
];

/** ModRM memory forms for 16-bit addressing. */
const MEMORY_FORMS_16: { mod: number; rm: number; tail: number[] }[] = [
  { mod: 0, rm: 0, tail: [] }, // [bx+si]
  { mod: 0, rm: 6, tail: [0x34, 0x12] }, // [disp16]
  { mod: 1, rm: 2, tail: [0xfe] }, // [bp+si-2]
  { mod: 1, rm: 6, tail: [0x10] }, // [bp+0x10]
  { mod: 2, rm: 7, tail: [0x00, 0x80] }, // [bx-0x8000]
  { mod: 2, rm: 4, tail: [0x01, 0x01] }, // [si+0x101]
];

/** Distinctive immediate bytes: the high bit set in some, to show sign extension. */
function immediateBytes(count: number, variant: number): number[] {
  const patterns = [[0x7f, 0x11, 0x22, 0x33], [0x80, 0x99, 0xaa, 0xfb], [0x01, 0x00, 0x00, 0x00], [0xff, 0xff, 0xff, 0xff]];
  const pattern = patterns[variant % patterns.length];
  return Array.from({ length: count }, (_, index) => pattern[index % pattern.length] ^ (index >> 2));
}

function immediateLength(operand: OperandSpec, operandSize32: boolean, addressSize32: boolean): number {
  if (operand.kind !== "immediate") return 0;
  const wide = operandSize32 ? 4 : 2;
  if (operand.method === "O") return addressSize32 ? 4 : 2;
  if (operand.method === "A") return wide + 2;
  if (operand.size === "b") return 1;
  if (operand.size === "w") return 2;
  return wide;
}

/** A ModRM.reg value that is valid for the row (segment registers 0-5, never CS as a destination). */
function regFieldFor(row: OpcodeRow, operands: OperandSpec[], variant: number): number {
  if (row.reg !== undefined) return row.reg;
  const regOperand = operands.find((operand) => operand.kind === "reg");
  if (regOperand?.kind === "reg" && regOperand.method === "S") return [0, 2, 3, 4, 5][variant % 5];
  if (regOperand?.kind === "reg" && (regOperand.method === "C" || regOperand.method === "D")) return [0, 2, 3, 4][variant % 4];
  return (variant * 3 + 2) & 7;
}

/**
 * Every row in `code32` or 16-bit code, with every ModRM/SIB/displacement form and the prefixes
 * that change its length (66, 67) or its text (segment, LOCK, REP).
 */
export function generateTableCorpus(code32: boolean): GeneratedInstruction[] {
  const corpus: GeneratedInstruction[] = [];
  for (const row of OPCODES) {
    const operands = parseOperands(row.operands);
    const flags = row.flags ?? [];
    const opcodeBytes = row.opcode >= TWO_BYTE ? [0x0f, row.opcode & 0xff] : [row.opcode];
    const takesModrm = row.reg !== undefined || operands.some((operand) => operand.kind === "rm" || operand.kind === "reg");
    const isString = operands.some((operand) => operand.kind === "string");
    const prefixSets: number[][] = [[], [OPERAND_SIZE], [ADDRESS_SIZE], [FS], [OPERAND_SIZE, ADDRESS_SIZE]];
    if (isString) prefixSets.push([REP], [REPNE, CS], [REP, ADDRESS_SIZE]);
    let variant = 0;
    for (const prefixes of prefixSets) {
      const operandSize32 = code32 !== prefixes.includes(OPERAND_SIZE);
      const addressSize32 = code32 !== prefixes.includes(ADDRESS_SIZE);
      // objdump reads the hint NOPs 0F 1A/0F 1B as MPX BNDLDX/BNDSTX, which have no 16-bit
      // addressing, and loses the instruction boundary there.
      if (!addressSize32 && (row.opcode === TWO_BYTE + 0x1a || row.opcode === TWO_BYTE + 0x1b)) continue;
      const modrmTails: { modrm: number; tail: number[]; memory: boolean }[] = [];
      if (takesModrm) {
        const reg = regFieldFor(row, operands, variant);
        const registerOnly = flags.includes("reg-only");
        if (!flags.includes("mem-only")) modrmTails.push({ modrm: 0xc0 | (reg << 3) | (variant & 7), tail: [], memory: false });
        if (!registerOnly) {
          for (const form of addressSize32 ? MEMORY_FORMS_32 : MEMORY_FORMS_16) {
            modrmTails.push({ modrm: (form.mod << 6) | (reg << 3) | form.rm, tail: form.tail, memory: true });
          }
        }
      } else {
        modrmTails.push({ modrm: -1, tail: [], memory: false });
      }
      for (const { modrm, tail, memory } of modrmTails) {
        const immediates = operands.flatMap((operand) =>
          immediateBytes(immediateLength(operand, operandSize32, addressSize32), variant + operands.indexOf(operand)),
        );
        const body = [...opcodeBytes, ...(modrm >= 0 ? [modrm, ...tail] : []), ...immediates];
        corpus.push({ bytes: [...prefixes, ...body], row });
        if (memory && flags.includes("lock") && variant % 3 === 0) corpus.push({ bytes: [LOCK, ...prefixes, ...body], row });
        // objdump folds FWAIT into a following x87 opcode or prefix: keep a NOP between.
        if (row.opcode === FWAIT) corpus.push({ bytes: [NOP], row: OPCODES.find((candidate) => candidate.opcode === NOP)! });
        variant++;
      }
    }
  }
  return corpus;
}

/**
 * NASM source lines in our mnemonic spelling, valid in both `bits 16` and `bits 32` (NASM adds
 * 66/67 prefixes as needed). Branch targets are `$`-relative so no labels are needed.
 */
export function handWrittenCorpus(): string[] {
  const lines: string[] = [];
  for (const alu of ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]) {
    lines.push(
      `${alu} [eax], al`, `${alu} [ebx+ecx*4+0x10], ebx`, `${alu} cl, [esi]`, `${alu} edx, [ebp-8]`,
      `${alu} al, 0x7f`, `${alu} eax, 0x12345678`, `${alu} ax, 0x1234`, `${alu} byte [edi], 0x12`,
      `${alu} dword [edi], 0x12345`, `${alu} word [esi+0x100], 5`, `${alu} ecx, -3`, `${alu} di, [bp+si+4]`,
      `${alu} bh, byte [bx]`, `${alu} dword [0x1000], esp`,
    );
  }
  lines.push("lock add [eax], ecx", "lock xchg [ebx], eax", "lock cmpxchg8b [esi]", "lock bts dword [eax], 3");
  for (const segment of ["es", "cs", "ss", "ds", "fs", "gs"]) lines.push(`push ${segment}`);
  for (const segment of ["es", "ss", "ds", "fs", "gs"]) lines.push(`pop ${segment}`);
  lines.push("daa", "das", "aaa", "aas");
  for (const register of ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]) {
    lines.push(`inc ${register}`, `dec ${register}`, `push ${register}`, `pop ${register}`, `bswap ${register}`, `mov ${register}, 0x89abcdef`);
    if (register !== "eax") lines.push(`xchg ${register}, eax`);
  }
  for (const register of ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]) lines.push(`mov ${register}, 0x9c`);
  lines.push(
    "inc word [eax]", "dec byte [ebx+4]", "inc dx", "pusha", "popa", "pushad", "popad",
    "bound eax, [ebx]", "bound dx, [bp+2]", "arpl [eax], cx", "arpl dx, ax",
    "push 0x12345678", "push word 0x1234", "push byte -2", "imul eax, [ebx], 0x1000", "imul cx, dx, -5",
    "imul esi, edi", "imul eax, [ecx]",
    "insb", "insw", "insd", "outsb", "outsw", "outsd", "rep insb", "rep outsd",
    "test [eax], cl", "test esi, edi", "test al, 1", "test eax, 0x10000", "test byte [ebx], 0x80", "test dword [ebx], 0x80",
    "xchg [eax], bl", "xchg [eax], edx", "mov [eax], dl", "mov [eax+ebx], esi", "mov cl, [edx]", "mov edi, [esp+4]",
    "mov [eax], es", "mov edx, cs", "mov ax, ss", "mov ds, ax", "mov es, [ebx]", "mov fs, dx", "mov gs, word [esi]",
    "lea eax, [ebx+ecx*8+0x100]", "lea si, [bx+di]", "lea eax, [0x12345678]", "pop dword [eax]", "pop word [esi+2]",
    "nop", "cbw", "cwde", "cwd", "cdq", "call 0x1234:0x5678", "call far [eax]", "call word far [bx]",
    "fwait", "nop", "pushf", "popf", "pushfd", "popfd", "sahf", "lahf",
    "mov al, [0x1234]", "mov eax, [0x12345678]", "mov [0x2000], al", "mov [0x2000], ax", "mov [fs:0x10], eax",
    "movsb", "movsw", "movsd", "cmpsb", "cmpsd", "stosb", "stosw", "stosd", "lodsb", "lodsd", "scasb", "scasw",
    "rep movsd", "repe cmpsb", "repne scasb", "rep stosd", "fs movsb", "a16 stosd", "a32 lodsb",
    "rol byte [eax], 3", "ror ecx, 7", "rcl dword [ebx], 1", "rcr bl, 1", "shl eax, cl", "shr byte [esi], cl",
    "sar edx, 31", "sar word [bx], 1", "shl ax, 1", "shr edi, 1",
    "ret", "ret 8", "retf", "retf 0x10", "les eax, [ebx]", "lds si, [bx]", "lss esp, [eax]", "lfs ebx, [ecx]", "lgs dx, [bp]",
    "mov byte [eax], 0x12", "mov dword [eax+4], 0x12345678", "mov word [bx], 0x1234",
    "enter 0x10, 0", "enter 0x1234, 3", "leave", "int3", "int 0x80", "into", "iret", "iretd",
    "aam", "aam 16", "aad", "aad 7", "salc", "xlatb", "int1",
    "fld dword [eax]", "fadd st0, st1", "fild word [bx]", "fistp qword [esp]", "fnstsw ax", "fldz", "fxch st2",
    "loopne $", "loope $+0x10", "loop $-0x20", "jcxz $", "jecxz $+5",
    "in al, 0x60", "in eax, 0x71", "in ax, 0x71", "out 0x80, al", "out 0x43, eax", "in al, dx", "in eax, dx", "out dx, al", "out dx, ax",
    "call $+0x1000", "jmp $+0x1000", "jmp 0x10:0x1000", "jmp short $", "jmp far [ebx]", "jmp eax", "jmp word [bx]", "call ecx", "call dword [eax+8]",
    "hlt", "cmc", "not byte [eax]", "neg ecx", "mul bl", "imul dword [esi]", "div cx", "idiv eax",
    "clc", "stc", "cli", "sti", "cld", "std", "push dword [ebx]", "push word [bx+si]",
    "sldt [eax]", "sldt ax", "str dx", "lldt ax", "ltr word [ebx]", "verr cx", "verw [esi]",
    "sgdt [eax]", "sidt [ebx+4]", "lgdt [0x1000]", "lidt [esi]", "smsw ax", "smsw [eax]", "lmsw dx", "invlpg [eax]",
    "lar eax, cx", "lar dx, [bx]", "lsl ecx, [esi]", "clts", "invd", "wbinvd", "ud2", "ud1 eax, [ebx]",
    "nop dword [eax]", "nop word [eax+eax*1+0]",
    "mov eax, cr0", "mov cr3, ebx", "mov cr4, eax", "mov edx, cr2", "mov eax, dr7", "mov dr0, ecx", "mov esi, dr6",
    "wrmsr", "rdtsc", "rdmsr", "rdpmc", "sysenter", "sysexit", "cpuid",
    "bt eax, ebx", "bt [eax], ecx", "bts [ebx], dx", "btr ecx, edx", "btc [edi+4], eax",
    "bt dword [eax], 7", "bts ecx, 31", "btr word [bx], 3", "btc eax, 0",
    "shld eax, ebx, 4", "shld [esi], cx, cl", "shrd edx, eax, 31", "shrd [eax], ebx, cl",
    "cmpxchg [eax], bl", "cmpxchg ecx, edx", "movzx eax, byte [ebx]", "movzx ecx, dx", "movzx ax, bl",
    "movsx edx, byte [esi]", "movsx eax, word [eax]", "bsf eax, [ebx]", "bsr cx, dx",
    "xadd [eax], cl", "xadd ebx, ecx", "cmpxchg8b [edi+8]", "cmpxchg8b [bx]",
    "push fs", "pop fs", "push gs", "pop gs",
    "es mov eax, [ebx]", "cs mov eax, [esi]", "ss mov al, [ecx+4]", "gs add [eax], eax",
  );
  for (const [index, condition] of CONDITION_CODES.entries()) {
    const name = condition.toLowerCase();
    lines.push(`j${name} short $+${index + 2}`, `j${name} near $+0x200`, `cmov${name} eax, [ebx]`, `cmov${name} dx, cx`, `set${name} al`, `set${name} [esi]`);
  }
  return lines;
}

export interface ReferenceInstruction {
  offset: number;
  length: number;
  text: string;
}

/** Assembles NASM source with `nasm -f bin` and returns the binary. */
export function assemble(workDir: string, name: string, source: string): Uint8Array {
  const sourcePath = path.join(workDir, `${name}.asm`);
  const binaryPath = path.join(workDir, `${name}.bin`);
  writeFileSync(sourcePath, source);
  execFileSync("nasm", ["-f", "bin", "-o", binaryPath, sourcePath], { stdio: ["ignore", "ignore", "pipe"] });
  return new Uint8Array(readFileSync(binaryPath));
}

/** Disassembles a flat binary with objdump in Intel syntax, one entry per instruction. */
export function objdump(binaryPath: string, code32: boolean): ReferenceInstruction[] {
  const output = execFileSync(
    "objdump",
    ["-D", "-z", "-b", "binary", "-m", code32 ? "i386" : "i8086", "-M", "intel", "--insn-width=16", binaryPath],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  const instructions: ReferenceInstruction[] = [];
  for (const line of output.split("\n")) {
    const match = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (!match) continue;
    const bytes = match[2].trim().split(" ").length;
    instructions.push({ offset: parseInt(match[1], 16), length: bytes, text: match[3].trim() });
  }
  return instructions;
}

/** Byte source for a generated corpus: one `db` line per instruction. */
export function dbSource(code32: boolean, corpus: Pick<GeneratedInstruction, "bytes">[]): string {
  const lines = corpus.map(({ bytes }) => "db " + bytes.map((byte) => "0x" + byte.toString(16).padStart(2, "0")).join(","));
  return `bits ${code32 ? 32 : 16}\n${lines.join("\n")}\n`;
}

/** Start offsets of each source line that produced bytes, from a NASM listing. */
export function assembleWithListing(workDir: string, name: string, source: string): { binary: Uint8Array; lineOffsets: Map<number, number> } {
  const sourcePath = path.join(workDir, `${name}.asm`);
  const binaryPath = path.join(workDir, `${name}.bin`);
  const listingPath = path.join(workDir, `${name}.lst`);
  writeFileSync(sourcePath, source);
  execFileSync("nasm", ["-f", "bin", "-o", binaryPath, "-l", listingPath, sourcePath], { stdio: ["ignore", "ignore", "pipe"] });
  const lineOffsets = new Map<number, number>();
  for (const line of readFileSync(listingPath, "utf8").split("\n")) {
    const match = /^\s*(\d+)\s+([0-9A-F]{8})\s+[0-9A-F]/.exec(line);
    if (match && !lineOffsets.has(Number(match[1]))) lineOffsets.set(Number(match[1]), parseInt(match[2], 16));
  }
  return { binary: new Uint8Array(readFileSync(binaryPath)), lineOffsets };
}
