// Randomized differential test, generator side: builds guests that run random instructions with
// random operands, derived from the one opcode table (src/isa/opcodes.ts), and print a hash of the
// outcome of each (see guests/random/harness.asm for what the guest does with a test record).
//
// Each test is one instruction of one table row, in 16- or 32-bit code, with random prefixes
// (66, 67, segment overrides, REP/REPNE on string instructions, LOCK), random register and EFLAGS
// inputs, and memory operands steered into the scratch area [0, SCRATCH_END). Control transfers
// are aimed at one of the two exits that follow the instruction, so taken/not taken is compared.
// Everything is derived from a 32-bit seed; the same seed gives byte-identical guests.
import { OPCODES, TWO_BYTE, type OpcodeRow } from "../../src/isa/opcodes.ts";
import { parseOperands, type OperandSpec } from "../../src/isa/operands.ts";
import { exclusionReason, qemuRaisesLockUd } from "./exclusions.ts";
import { COMPARED_FLAGS, undefinedFlags } from "./undefined-flags.ts";

// ---- Guest constants (must match guests/random/harness.asm) ------------------------------------
export const SCRATCH_END = 0x11400;
/** Guest RAM in both emulators (the runners' default -m / --mem of 32 MiB). */
export const GUEST_RAM_BYTES = 32 * 1024 * 1024;
export const TEST_REC_SIZE = 104;
export const SEL_CODE32 = 0x08;
export const SEL_DATA32 = 0x10;
export const SEL_CODE16 = 0x18;
export const SEL_DATA16 = 0x20;
export const SEL_FSDATA = 0x28;
export const SEL_CODE32_TEST = 0x58;
const FS_BASE = 0x1230;
/** Bytes of the far jump back to the harness after the instruction (66 EA ptr16:32 in 16-bit code). */
export function exitLength(code32: boolean): number {
  return code32 ? 7 : 8;
}

/** Selectors offered to segment loads, LAR/LSL/VERR/VERW and ARPL: valid, faulting and odd ones. */
const SELECTORS = [
  0x00, 0x03, 0x08, 0x0b, 0x10, 0x13, 0x18, 0x20, 0x23, 0x28, 0x2b, 0x30, 0x38, 0x3b, 0x40, 0x48, 0x4b,
  0x50, 0x58, 0x04, 0x0c, 0x14, 0x60, 0x100, 0xfff8,
];
/**
 * Wrong selectors for far JMP/CALL/RET and IRET: each must fault (#GP or #NP) rather than reach
 * some other code — so no code segment, call gate or TSS, and RPL 0 (a far return to RPL 3 would
 * leave ring 0 and the harness).
 */
const FAR_BAD_SELECTORS = [0x00, 0x10, 0x20, 0x28, 0x38, 0x40, 0x04, 0x0c, 0x60, 0x100, 0xfff8];
const DATA_SELECTORS = [SEL_DATA32, SEL_DATA16, SEL_FSDATA, SEL_FSDATA | 3, 0x40];
const STACK_SELECTORS = [SEL_DATA32, SEL_DATA16];

const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;
const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

// ---- PRNG ----------------------------------------------------------------------------------------
/** Small deterministic PRNG (SplitMix32 → xorshift128); enough for test generation. */
export class Random {
  private s0: number; private s1: number; private s2: number; private s3: number;
  constructor(seed: number) {
    let x = seed >>> 0;
    const mix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = mix(); this.s1 = mix(); this.s2 = mix(); this.s3 = mix() | 1;
  }
  u32(): number {
    const t = this.s0 ^ (this.s0 << 11);
    this.s0 = this.s1; this.s1 = this.s2; this.s2 = this.s3;
    this.s3 = (this.s3 ^ (this.s3 >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return this.s3;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor((this.u32() / 0x100000000) * n); }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
  /** A value with the edge cases arithmetic gets wrong more often than a uniform draw would. */
  interesting(bits: number): number {
    const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    const sign = bits === 32 ? 0x80000000 : 1 << (bits - 1);
    const r = this.int(10);
    let v: number;
    if (r < 5) v = this.u32();
    else if (r === 5) v = this.pick([0, 1, 2, mask, mask - 1, sign, sign - 1, sign + 1]);
    else if (r === 6) v = this.int(256);
    else if (r === 7) v = (sign + this.range(-3, 3)) >>> 0;
    else if (r === 8) v = (this.u32() & this.u32()) >>> 0;
    else v = (this.u32() | this.u32()) >>> 0;
    return (v & mask) >>> 0;
  }
}

// ---- Test description ----------------------------------------------------------------------------
export interface Window {
  /** Linear address, or an offset from the test's own code (reads through a CS override). */
  address: number;
  codeRelative?: boolean;
  length: number;
}

export interface TestCase {
  row: OpcodeRow;
  code32: boolean;
  stack32: boolean;
  /** The instruction, prefixes included. */
  bytes: number[];
  /** EAX ECX EDX EBX ESP EBP ESI EDI on entry. */
  regs: number[];
  eflags: number;
  /** EFLAGS bits compared: COMPARED_FLAGS minus the instruction's undefined flags. */
  flagMask: number;
  preset?: { address: number; bytes: number[] };
  windows: Window[];
}

export function rowKey(row: OpcodeRow): string {
  const opcode = row.opcode >= TWO_BYTE ? `0F${(row.opcode & 0xff).toString(16).padStart(2, "0")}` : row.opcode.toString(16).padStart(2, "0");
  return `${opcode.toUpperCase()}${row.reg !== undefined ? `/${row.reg}` : ""} ${row.mnemonic} ${row.operands}`.trim();
}

/** Rows the generator covers (every row not in exclusions.ts). */
export function generatedRows(rows: readonly OpcodeRow[] = OPCODES): OpcodeRow[] {
  return rows.filter((row) => exclusionReason(row) === undefined);
}

class Retry extends Error {}

interface Memory {
  segment: number;
  ea: number;
  /** Linear address; for CS, the offset from the test code. */
  linear: number;
  size: number;
}

const STRING_MNEMONICS = new Set(["MOVS", "CMPS", "STOS", "LODS", "SCAS"]);
const SEGMENT_LOADS = new Set(["LES", "LDS", "LSS", "LFS", "LGS"]);
const BIT_TESTS = new Set(["BT", "BTS", "BTR", "BTC"]);
const SELECTOR_OPERAND = new Set(["LAR", "LSL", "VERR", "VERW", "ARPL"]);
/** Mnemonics whose first operand, an r/m, is only read. */
const READ_ONLY_RM = new Set(["CMP", "TEST", "BT", "PUSH", "JMP", "CALL", "VERR", "VERW", "MUL", "IMUL", "DIV", "IDIV", "NOP", "INVLPG"]);

function isBranchRelative(row: OpcodeRow): boolean {
  return parseOperands(row.operands).some((s) => s.kind === "immediate" && s.method === "J");
}

/** Builds one test of one row; throws Retry when the random choices cannot be satisfied. */
class TestBuilder {
  readonly specs: OperandSpec[];
  readonly m: string;
  regs: number[] = [];
  pinned = new Array<boolean>(8).fill(false);
  eflags = 0x2;
  stack32: boolean;
  osz: 2 | 4;
  asz: 2 | 4;
  prefixes: number[] = [];
  segmentOverride?: number;
  lock = false;
  rep?: number;
  hasModrm: boolean;
  modrmReg = 0;
  useMemory = false;
  rmRegister = 0;
  addressBytes: number[] = [];
  modrmByte = 0;
  memory?: Memory;
  immediates: number[] = [];
  preset?: { address: number; bytes: number[] };
  windows: Window[] = [];
  count?: number;
  /** Filled once the instruction length is known (branch targets). */
  private afterLayout: ((length: number) => void)[] = [];

  constructor(readonly row: OpcodeRow, readonly code32: boolean, readonly rnd: Random, readonly force: ForcedChoices = {}) {
    this.specs = parseOperands(row.operands);
    this.m = row.mnemonic;
    this.stack32 = rnd.chance(0.8) ? code32 : !code32;
    this.hasModrm = row.reg !== undefined || this.specs.some((s) => s.kind === "rm" || s.kind === "reg");
    this.osz = code32 ? 4 : 2;
    this.asz = code32 ? 4 : 2;
  }

  build(): TestCase {
    const { rnd } = this;
    for (let r = 0; r < 8; r++) this.regs[r] = rnd.interesting(32);
    this.eflags = 0x2 | (rnd.u32() & 0xcd5) | (rnd.chance(0.1) ? 0x40000 : 0) | (rnd.chance(0.1) ? 0x200000 : 0);
    this.setStackPointer();
    this.choosePrefixes();
    this.chooseModrm();
    this.beforeAddress();
    if (this.useMemory) this.encodeMemory();
    this.encodeImmediates();
    this.semantics();
    const bytes = this.assemble();
    for (const fill of this.afterLayout) fill(bytes.length);
    const final = this.assemble();
    if (final.length > 15) throw new Retry();
    this.addWindows();
    const flagMask = (COMPARED_FLAGS & ~undefinedFlags(this.m, { bits: this.operandBits(), count: this.count })) >>> 0;
    return {
      row: this.row, code32: this.code32, stack32: this.stack32, bytes: final, regs: this.regs.map((v) => v >>> 0),
      eflags: this.eflags >>> 0, flagMask, preset: this.preset, windows: this.windows,
    };
  }

  // ---- registers -------------------------------------------------------------------------------
  setReg(r: number, value: number, bytes = 4): boolean {
    if (this.pinned[r]) return false;
    const mask = bytes === 4 ? 0xffffffff : bytes === 2 ? 0xffff : 0xff;
    this.regs[r] = ((this.regs[r] & ~mask) | (value & mask)) >>> 0;
    return true;
  }
  /** Sets an operand register: 8-bit numbering AL..BH when bytes is 1. */
  setOperandReg(r: number, value: number, bytes: number): boolean {
    if (bytes !== 1) return this.setReg(r, value, bytes);
    if (r < 4) return this.setReg(r, value, 1);
    if (this.pinned[r - 4]) return false;
    this.regs[r - 4] = ((this.regs[r - 4] & ~0xff00) | ((value & 0xff) << 8)) >>> 0;
    return true;
  }
  operandReg(r: number, bytes: number): number {
    if (bytes === 1) return r < 4 ? this.regs[r] & 0xff : (this.regs[r - 4] >>> 8) & 0xff;
    return bytes === 2 ? this.regs[r] & 0xffff : this.regs[r] >>> 0;
  }
  pin(r: number, value?: number): void {
    if (value !== undefined) this.regs[r] = value >>> 0;
    this.pinned[r] = true;
  }

  private setStackPointer(): void {
    const { rnd } = this;
    const align = rnd.chance(0.85) ? ~3 : rnd.chance(0.5) ? ~1 : ~0;
    if (this.stack32) this.pin(ESP, rnd.range(0x200, 0x10f00) & align);
    else this.pin(ESP, ((rnd.u32() & 0xffff0000) | (rnd.range(0x200, 0xfe00) & align)) >>> 0);
  }
  stackLinear(sp = this.regs[ESP]): number {
    return this.stack32 ? sp >>> 0 : sp & 0xffff;
  }

  // ---- prefixes and ModRM -----------------------------------------------------------------------
  private usesAddress(): boolean {
    return this.hasModrm || this.specs.some((s) => s.kind === "string" || (s.kind === "immediate" && s.method === "O")) ||
      ["XLAT", "LOOP", "LOOPE", "LOOPNE", "JCXZ"].includes(this.m);
  }

  private choosePrefixes(): void {
    const { rnd, row, m } = this;
    let o16 = rnd.chance(0.35);
    if (m === "BSWAP") o16 = !this.code32; // BSWAP with a 16-bit operand is undefined
    let a16 = rnd.chance(this.usesAddress() ? 0.3 : 0.05);
    if (o16) this.osz = this.code32 ? 2 : 4;
    if (a16) this.asz = this.code32 ? 2 : 4;
    if (o16) this.prefixes.push(0x66);
    if (a16) this.prefixes.push(0x67);
    const memoryish = this.usesAddress();
    if (rnd.chance(memoryish ? 0.3 : 0.04)) this.segmentOverride = rnd.int(6);
    // QEMU does not check segment types on data accesses: a write through CS succeeds there
    // instead of raising #GP, so CS overrides go only on instructions that read memory.
    if (this.segmentOverride === SEG_CS && this.writesMemory()) this.segmentOverride = SEG_DS;
    if (STRING_MNEMONICS.has(m)) {
      const r = rnd.int(10);
      if (r < 6) this.rep = 0xf3;
      else if (r < 8) this.rep = 0xf2;
    }
    this.lock = rnd.chance(row.flags?.includes("lock") ? 0.4 : 0.05);
    if (this.force.lock !== undefined) this.lock = this.force.lock;
  }

  /** Whether the instruction may write its ModRM or moffs memory operand. */
  private writesMemory(): boolean {
    const first = this.specs[0];
    if (first?.kind === "immediate" && first.method === "O") return true;
    if (first?.kind !== "rm") return false;
    return !READ_ONLY_RM.has(this.m);
  }

  private chooseModrm(): void {
    if (!this.hasModrm) return this.checkLock();
    const { rnd, row, specs, m } = this;
    const rm = specs.find((s) => s.kind === "rm");
    const reg = specs.find((s) => s.kind === "reg");
    if (row.reg !== undefined) this.modrmReg = row.reg;
    else if (reg && reg.method === "S") {
      // MOV Sw,Ew: CS and 6/7 raise #UD; MOV Ev,Sw: 6/7 raise #UD.
      const loading = specs[0] === reg;
      this.modrmReg = rnd.chance(0.9) ? rnd.pick(loading ? [0, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5]) : rnd.pick(loading ? [1, 6, 7] : [6, 7]);
    } else this.modrmReg = rnd.int(8);
    const memOnly = row.flags?.includes("mem-only") || rm?.method === "M";
    if (memOnly) this.useMemory = rnd.chance(0.95);
    else if (rm?.method === "R" || row.flags?.includes("reg-only")) this.useMemory = false;
    else this.useMemory = rnd.chance(0.55);
    if (this.force.memory !== undefined) this.useMemory = this.force.memory;
    if (!this.useMemory) {
      this.rmRegister = rnd.int(8);
      // An indirect near jump/call through ESP would go to the stack pointer value.
      if ((m === "JMP" || m === "CALL") && this.rmRegister === ESP) this.rmRegister = EAX;
      // SMSW r32 leaves the upper half undefined.
      if (m === "SMSW" && this.osz === 4) throw new Retry();
    }
    this.checkLock();
  }

  /** Keeps an illegal LOCK (#UD) now and then, and only where QEMU implements the #UD. */
  private checkLock(): void {
    const { rnd, row } = this;
    if (!this.lock || this.force.lock !== undefined) return;
    const first = this.specs[0];
    const legal = row.flags?.includes("lock") && this.useMemory && first?.kind === "rm";
    if (legal) return;
    // QEMU checks a REP count of zero before LOCK and then skips the instruction, where the SDM
    // makes LOCK CMPS/SCAS #UD whatever the count: no LOCK on repeated string instructions.
    const repeatedString = (this.m === "CMPS" || this.m === "SCAS") && this.rep !== undefined;
    const keep = qemuRaisesLockUd(row, this.useMemory) && !repeatedString && rnd.chance(row.flags?.includes("lock") ? 0.2 : 1);
    if (!keep) this.lock = false;
    else if (this.m === "XOR" && !this.useMemory && this.rmRegister === this.modrmReg) this.rmRegister = (this.rmRegister + 1) & 7;
  }

  private rmSpec(): Extract<OperandSpec, { kind: "rm" }> | undefined {
    return this.specs.find((s): s is Extract<OperandSpec, { kind: "rm" }> => s.kind === "rm");
  }

  /** Bytes of an operand of SDM type letter `size` under the current operand size. */
  sizeOf(size: string): number {
    switch (size) {
      case "b": return 1;
      case "w": return 2;
      case "d": return 4;
      case "v": return this.osz;
      case "z": return this.osz === 2 ? 2 : 4;
      case "a": return this.osz * 2;
      case "p": return this.osz + 2;
      case "s": return 6;
      case "q": return 8;
      default: return 0;
    }
  }

  operandBits(): number {
    const first = this.specs[0];
    if (!first) return this.osz * 8;
    if (first.kind === "constant") return this.osz * 8;
    return (this.sizeOf(first.size) || this.osz) * 8;
  }

  // ---- memory operands --------------------------------------------------------------------------
  /** Memory must land in scratch with some room around it (presets, bit offsets, windows). */
  private needsTargetedMemory(): boolean {
    const { m } = this;
    return BIT_TESTS.has(m) || SEGMENT_LOADS.has(m) || ["BOUND", "CALL", "JMP", "CMPXCHG8B", "DIV", "IDIV", "BSF", "BSR",
      "CMPXCHG", "POP", "MOV", "LAR", "LSL", "VERR", "VERW", "ARPL"].includes(m) || this.rnd.chance(0.5);
  }

  /** Semantic choices that fix registers the address may then depend on. */
  private beforeAddress(): void {
    const { rnd, m } = this;
    if (BIT_TESTS.has(m) && this.useMemory && this.specs[1]?.kind === "reg") {
      // BT [mem], reg: the bit offset reaches (offset >> 3) bytes away; keep it within ±64 bytes.
      const offset = rnd.range(-512, 511);
      const r = this.modrmReg;
      if (this.osz === 2) this.regs[r] = ((this.regs[r] & 0xffff0000) | (offset & 0xffff)) >>> 0;
      else this.regs[r] = offset >>> 0;
      this.pin(r);
    }
  }

  private segmentBase(segment: number): number {
    return segment === SEG_FS ? FS_BASE : 0;
  }

  /** Effective-address range a target may be drawn from for `segment`. */
  private targetRange(segment: number, size: number, room: number): [number, number] {
    if (segment === SEG_CS) return [0, 0x8000];
    const base = this.segmentBase(segment);
    if (this.asz === 2) return [0x100 + room, 0xff00 - room];
    return [0x100 + room, 0x11000 - base - size - room];
  }

  private memorySize(): number {
    const rm = this.rmSpec();
    return rm ? this.sizeOf(rm.size) : this.osz;
  }

  private encodeMemory(): void {
    const size = this.memorySize();
    const targeted = this.needsTargetedMemory();
    const room = BIT_TESTS.has(this.m) ? 80 : 16;
    if (this.asz === 2) this.encodeMemory16(size, targeted, room);
    else this.encodeMemory32(size, room);
  }

  private finishMemory(defaultSegment: number, ea: number, size: number): void {
    const segment = this.segmentOverride ?? defaultSegment;
    const linear = segment === SEG_CS ? ea : this.segmentBase(segment) + ea;
    this.memory = { segment, ea, linear, size };
  }

  private encodeMemory16(size: number, targeted: boolean, room: number): void {
    const { rnd } = this;
    const BASES: number[][] = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI], [EDI], [EBP], [EBX]];
    for (let attempt = 0; attempt < 20; attempt++) {
      const rm = rnd.int(8);
      const mod = rm === 6 && rnd.chance(0.2) ? 0 : rnd.int(3);
      const absolute = mod === 0 && rm === 6;
      const used = absolute ? [] : BASES[rm];
      const defaultSegment = !absolute && (rm === 2 || rm === 3 || rm === 6) ? SEG_SS : SEG_DS;
      const segment = this.segmentOverride ?? defaultSegment;
      const [lo, hi] = this.targetRange(segment, size, room);
      let disp = mod === 1 ? rnd.range(-128, 127) : mod === 2 || absolute ? rnd.int(0x10000) : 0;
      const sum = () => used.reduce((acc, r) => acc + (this.regs[r] & 0xffff), 0);
      if (targeted || segment === SEG_FS || segment === SEG_CS) {
        const target = rnd.range(lo, hi);
        if (mod === 2 || absolute) disp = (target - sum()) & 0xffff;
        else {
          const free = used.find((r) => !this.pinned[r]);
          if (free !== undefined) {
            this.regs[free] = ((this.regs[free] & 0xffff0000) | (rnd.int(0x10000) & 0xffff)) >>> 0;
            const rest = sum() - (this.regs[free] & 0xffff);
            this.regs[free] = ((this.regs[free] & 0xffff0000) | ((target - rest - disp) & 0xffff)) >>> 0;
          }
        }
      }
      const ea = (sum() + disp) & 0xffff;
      if ((targeted || segment === SEG_FS || segment === SEG_CS) && (ea < lo || ea > hi)) continue;
      used.forEach((r) => this.pin(r));
      this.modrmByte = (mod << 6) | (this.modrmReg << 3) | rm;
      this.addressBytes = mod === 1 ? [disp & 0xff] : mod === 2 || absolute ? [disp & 0xff, (disp >> 8) & 0xff] : [];
      this.finishMemory(defaultSegment, ea, size);
      return;
    }
    throw new Retry();
  }

  private encodeMemory32(size: number, room: number): void {
    const { rnd } = this;
    for (let attempt = 0; attempt < 20; attempt++) {
      const form = attempt === 19 ? 0 : rnd.int(10);
      let base: number | undefined;
      let index: number | undefined;
      let scale = 0;
      let mod: number;
      let useSib: boolean;
      if (form === 0) {
        mod = 0; useSib = rnd.chance(0.2); // disp32 alone, or SIB with no base and no index
      } else {
        mod = form <= 4 ? 2 : rnd.int(2);
        base = rnd.int(8);
        useSib = base === ESP || rnd.chance(0.4);
        if (useSib) {
          const i = rnd.int(8);
          index = i === ESP ? undefined : i;
          scale = rnd.int(4);
          if (mod === 0 && base === EBP) base = undefined; // SIB base 101 with mod 00: disp32, no base
        } else if (mod === 0 && base === EBP) mod = 1;
      }
      const hasDisp32 = mod === 2 || base === undefined;
      const defaultSegment = base === ESP || base === EBP ? SEG_SS : SEG_DS;
      const segment = this.segmentOverride ?? defaultSegment;
      const [lo, hi] = this.targetRange(segment, size, room);
      const target = rnd.range(lo, hi);
      let disp = mod === 1 ? rnd.range(-128, 127) : 0;
      if (!hasDisp32) {
        // A free index gets a small value first, so a free base can absorb the rest.
        if (index !== undefined && !this.pinned[index] && index !== base) this.regs[index] = rnd.int(0x40);
        const scaled = index !== undefined ? Math.imul(this.regs[index], 1 << scale) : 0;
        if (base !== undefined && !this.pinned[base]) {
          if (base === index) {
            const v = Math.floor((target - disp) / (1 + (1 << scale)));
            this.regs[base] = v >>> 0;
          } else this.regs[base] = (target - scaled - disp) >>> 0;
        }
      }
      const effective = () =>
        ((base !== undefined ? this.regs[base] : 0) + (index !== undefined ? Math.imul(this.regs[index], 1 << scale) : 0)) >>> 0;
      if (hasDisp32) disp = (target - effective()) | 0;
      const ea = (effective() + disp) >>> 0;
      if (ea < lo || ea > hi) continue;
      if (base !== undefined) this.pin(base);
      if (index !== undefined) this.pin(index);
      const rmField = useSib ? 4 : base === undefined ? 5 : base;
      this.modrmByte = (mod << 6) | (this.modrmReg << 3) | rmField;
      const bytes: number[] = [];
      if (useSib) bytes.push((scale << 6) | ((index ?? ESP) << 3) | (base ?? EBP));
      if (mod === 1) bytes.push(disp & 0xff);
      else if (hasDisp32) bytes.push(disp & 0xff, (disp >>> 8) & 0xff, (disp >>> 16) & 0xff, (disp >>> 24) & 0xff);
      this.addressBytes = bytes;
      this.finishMemory(defaultSegment, ea, size);
      return;
    }
    throw new Retry();
  }

  // ---- immediates -------------------------------------------------------------------------------
  private immediateSpecs(): OperandSpec[] {
    return this.specs.filter((s) => s.kind === "immediate");
  }

  private encodeImmediates(): void {
    const { rnd } = this;
    for (const spec of this.immediateSpecs()) {
      if (spec.kind !== "immediate") continue;
      if (spec.method === "I") {
        const n = this.sizeOf(spec.size);
        this.pushLittle(rnd.interesting(n * 8), n);
      } else if (spec.method === "J") {
        const n = spec.size === "b" ? 1 : this.osz;
        this.pushLittle(exitLength(this.code32), n); // taken → exit B, which follows exit A
      } else if (spec.method === "O") {
        const segment = this.segmentOverride ?? SEG_DS;
        const [lo, hi] = this.targetRange(segment, this.osz, 16);
        const offset = this.rnd.range(lo, hi);
        this.pushLittle(offset, this.asz);
        this.finishMemory(SEG_DS, offset, this.sizeOf(spec.size) || this.osz);
      } else if (spec.method === "A") {
        const at = this.immediates.length;
        this.pushLittle(0, this.osz);
        this.pushLittle(this.farSelector(), 2);
        this.afterLayout.push((length) => this.patchLittle(at, this.exitB(length), this.osz));
      }
    }
  }

  pushLittle(value: number, bytes: number): void {
    for (let i = 0; i < bytes; i++) this.immediates.push((value >>> (8 * i)) & 0xff);
  }
  patchLittle(at: number, value: number, bytes: number): void {
    for (let i = 0; i < bytes; i++) this.immediates[at + i] = (value >>> (8 * i)) & 0xff;
  }
  /** Offset of the first immediate byte belonging to spec number `n` among the immediates. */
  private immediateOffset(n: number): number {
    let offset = 0;
    const specs = this.immediateSpecs();
    for (let i = 0; i < n; i++) {
      const s = specs[i];
      if (s.kind !== "immediate") continue;
      offset += s.method === "A" ? this.osz + 2 : s.method === "O" ? this.asz : s.method === "J" ? (s.size === "b" ? 1 : this.osz) : this.sizeOf(s.size);
    }
    return offset;
  }

  testCodeSelector(): number {
    return this.code32 ? SEL_CODE32_TEST : SEL_CODE16;
  }
  exitB(length: number): number {
    return length + exitLength(this.code32);
  }

  // ---- per-instruction semantics ------------------------------------------------------------------
  private setPreset(address: number, bytes: number[]): void {
    if (this.preset) throw new Error("one preset per test");
    this.preset = { address, bytes };
  }
  private presetAtMemory(bytes: number[]): void {
    if (!this.memory || this.memory.segment === SEG_CS) throw new Retry(); // cannot write through CS
    this.setPreset(this.memory.linear, bytes);
  }
  private little(value: number, bytes: number): number[] {
    return Array.from({ length: bytes }, (_, i) => (value >>> (8 * i)) & 0xff);
  }
  /** Selector of a far transfer: the test's own code segment, now and then one that faults. */
  private farSelector(): number {
    return this.rnd.chance(0.9) ? this.testCodeSelector() : this.rnd.pick(FAR_BAD_SELECTORS);
  }
  private selector(forStack = false): number {
    const { rnd } = this;
    if (rnd.chance(0.5)) return rnd.pick(forStack ? STACK_SELECTORS : DATA_SELECTORS);
    return rnd.chance(0.9) ? rnd.pick(SELECTORS) : rnd.int(0x10000);
  }
  /** Sets the value an Ew/Ev source operand reads (register or memory). */
  private setSource(value: number, bytes: number): void {
    if (this.useMemory) this.presetAtMemory(this.little(value, bytes));
    else if (!this.setOperandReg(this.rmRegister, value, bytes)) throw new Retry();
  }
  private stackPreset(bytes: number[]): void {
    this.setPreset(this.stackLinear(), bytes);
  }

  private semantics(): void {
    const { rnd, m, specs } = this;
    const immediateAt = (n: number) => this.immediateOffset(n);
    const first = specs[0];

    if (m === "POP" && first?.kind === "fixed-register" && first.segment) {
      const sel = this.selector(first.number === SEG_SS);
      this.stackPreset(this.little(sel, this.osz));
      return;
    }
    if (m === "MOV" && specs[0]?.kind === "reg" && specs[0].method === "S") {
      this.setSource(this.selector(this.modrmReg === SEG_SS), 2);
      return;
    }
    if (SEGMENT_LOADS.has(m)) {
      if (!this.useMemory) return;
      const sel = this.selector(m === "LSS");
      this.presetAtMemory([...this.little(rnd.interesting(32), this.osz), ...this.little(sel, 2)]);
      return;
    }
    if (SELECTOR_OPERAND.has(m)) {
      const sel = this.selector();
      if (m === "ARPL") {
        // Ew is the destination; Gw supplies the RPL.
        if (this.useMemory) this.presetAtMemory(this.little(sel, 2));
        else this.setOperandReg(this.rmRegister, sel, 2);
        this.setOperandReg(this.modrmReg, this.selector(), 2);
      } else this.setSource(sel, 2);
      return;
    }
    if (m === "POPF") {
      let value = (rnd.u32() & 0x00244ed5) | 0x2; // arithmetic, DF, IF, IOPL, NT, AC, ID; never TF
      if (rnd.chance(0.5)) value &= ~0x4000;
      this.stackPreset(this.little(value, this.osz));
      return;
    }
    if (m === "IRET") {
      const n = this.osz;
      const sel = this.farSelector();
      const flags = (rnd.u32() & 0x00240ed5) | 0x2;
      this.afterLayout.push((length) =>
        this.stackPreset([...this.little(this.exitB(length), n), ...this.little(sel, n), ...this.little(flags, n)]));
      return;
    }
    if (m === "RET") {
      this.afterLayout.push((length) => this.stackPreset(this.little(this.exitB(length), this.osz)));
      if (specs.length > 0) this.patchLittle(immediateAt(0), this.releaseCount(), 2);
      return;
    }
    if (m === "RETF") {
      const sel = this.farSelector();
      this.afterLayout.push((length) =>
        this.stackPreset([...this.little(this.exitB(length), this.osz), ...this.little(sel, this.osz)]));
      if (specs.length > 0) this.patchLittle(immediateAt(0), this.releaseCount(), 2);
      return;
    }
    if ((m === "JMP" || m === "CALL") && first?.kind === "rm") {
      if (first.method === "M" || first.size === "p") {
        if (!this.useMemory) return; // #UD
        const sel = this.farSelector();
        this.afterLayout.push((length) => this.presetAtMemory([...this.little(this.exitB(length), this.osz), ...this.little(sel, 2)]));
      } else {
        this.afterLayout.push((length) => this.setSource(this.exitB(length), this.osz));
      }
      return;
    }
    if (m === "LOOP" || m === "LOOPE" || m === "LOOPNE" || m === "JCXZ") {
      this.setReg(ECX, rnd.pick([0, 1, 2, rnd.u32(), 0x10000, 0x10001]), this.asz);
      return;
    }
    if (m === "ENTER") {
      this.patchLittle(0, rnd.chance(0.7) ? rnd.int(64) : rnd.int(0x10000), 2);
      this.patchLittle(2, rnd.chance(0.8) ? rnd.int(4) : rnd.int(256), 1);
      this.frameBase();
      return;
    }
    if (m === "LEAVE") {
      this.frameBase();
      return;
    }
    if (STRING_MNEMONICS.has(m)) {
      this.stringSetup();
      return;
    }
    if (m === "XLAT") {
      const [lo, hi] = this.targetRange(this.segmentOverride ?? SEG_DS, 1, 256);
      const base = this.rnd.range(lo, hi);
      if (!this.setReg(EBX, base, this.asz)) throw new Retry();
      this.pin(EBX);
      const ea = (base + (this.regs[EAX] & 0xff)) & (this.asz === 2 ? 0xffff : 0xffffffff);
      this.finishMemory(SEG_DS, ea, 1);
      return;
    }
    if (m === "DIV" || m === "IDIV") {
      this.divisionSetup();
      return;
    }
    if (m === "AAM") {
      this.immediates[0] = rnd.chance(0.1) ? 0 : rnd.chance(0.5) ? 10 : rnd.range(1, 255);
      return;
    }
    if (m === "AAD") {
      if (rnd.chance(0.5)) this.immediates[0] = 10;
      return;
    }
    if (m === "BSF" || m === "BSR") {
      let value = rnd.interesting(this.osz * 8);
      if (value === 0) value = 1 << rnd.int(this.osz * 8);
      if (this.useMemory) this.setSource(value, this.osz);
      else if (!this.setOperandReg(this.rmRegister, value, this.osz) && this.operandReg(this.rmRegister, this.osz) === 0) throw new Retry();
      return;
    }
    if (m === "BOUND") {
      if (!this.useMemory) return;
      const index = this.operandReg(this.modrmReg, this.osz);
      const bits = this.osz * 8;
      const signed = (v: number) => (bits === 32 ? v | 0 : (v << 16) >> 16);
      const i = signed(index);
      let lower: number, upper: number;
      if (rnd.chance(0.6)) { lower = i - rnd.int(100); upper = i + rnd.int(100); }
      else { lower = signed(rnd.interesting(bits)); upper = signed(rnd.interesting(bits)); }
      this.presetAtMemory([...this.little(lower, this.osz), ...this.little(upper, this.osz)]);
      return;
    }
    if (m === "CMPXCHG") {
      const bytes = this.sizeOf(specs[0].kind === "rm" ? specs[0].size : "v");
      if (rnd.chance(0.5)) {
        const acc = this.operandReg(EAX, bytes);
        if (this.useMemory) this.presetAtMemory(this.little(acc, bytes));
        else this.setOperandReg(this.rmRegister, acc, bytes);
      }
      return;
    }
    if (m === "CMPXCHG8B") {
      if (this.useMemory && rnd.chance(0.5)) this.presetAtMemory([...this.little(this.regs[EAX], 4), ...this.little(this.regs[EDX], 4)]);
      return;
    }
    if (m === "SHLD" || m === "SHRD" || ["ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAR"].includes(m)) {
      this.countSetup();
      return;
    }
    if (m === "INT") {
      this.immediates[0] = rnd.int(256);
      return;
    }
  }

  /** EBP (or BP) inside the stack area, for LEAVE and for the frame copies of ENTER. */
  private frameBase(): void {
    const sp = this.stackLinear();
    const bp = sp + this.rnd.range(-64, 256) & ~(this.rnd.chance(0.8) ? 3 : 0);
    const value = this.stack32 ? bp : ((this.regs[EBP] & 0xffff0000) | (bp & 0xffff)) >>> 0;
    if (!this.pinned[EBP]) this.pin(EBP, value);
  }

  private countSetup(): void {
    const { rnd, m, specs } = this;
    const last = specs[specs.length - 1];
    const bits = this.operandBits();
    const draw = () => (rnd.chance(0.8) ? rnd.int(34) : rnd.int(256));
    let count: number;
    if (last.kind === "constant") count = 1;
    else if (last.kind === "immediate") {
      count = draw();
      const at = this.immediateOffset(this.immediateSpecs().indexOf(last));
      this.immediates[at] = count;
    } else {
      count = draw();
      if (!this.setReg(ECX, count, 1)) count = this.regs[ECX] & 0xff;
    }
    if ((m === "SHLD" || m === "SHRD") && (count & 31) > bits) {
      if (last.kind === "immediate") {
        count = rnd.int(bits + 1);
        const at = this.immediateOffset(this.immediateSpecs().indexOf(last));
        this.immediates[at] = count;
      } else throw new Retry(); // undefined result, and CL is pinned by the address
    }
    this.count = count;
  }

  private divisionSetup(): void {
    const { rnd, m } = this;
    const bytes = this.memorySize();
    if (rnd.chance(0.15)) return; // whatever the registers say: #DE now and then
    const bits = bytes * 8;
    const signed = m === "IDIV";
    let divisor = rnd.interesting(bits);
    if (divisor === 0) divisor = 1;
    if (this.useMemory) this.setSource(divisor, bytes);
    else if (!this.setOperandReg(this.rmRegister, divisor, bytes)) return;
    divisor = this.useMemory ? divisor : this.operandReg(this.rmRegister, bytes);
    if (divisor === 0) return;
    const B = BigInt(bits);
    const d = signed ? BigInt.asIntN(bits, BigInt(divisor)) : BigInt(divisor);
    const qMax = signed ? (1n << (B - 1n)) - 1n : (1n << B) - 1n;
    const qMin = signed ? -(1n << (B - 1n)) : 0n;
    const q = qMin + (BigInt(rnd.u32()) * BigInt(rnd.u32()) + BigInt(rnd.u32())) % (qMax - qMin + 1n);
    const absD = d < 0n ? -d : d;
    let r = (BigInt(rnd.u32()) * BigInt(rnd.u32())) % absD;
    let dividend = q * d;
    if (signed && dividend < 0n) r = -r;
    if (signed && dividend === 0n && rnd.chance(0.5)) r = -r;
    dividend += r;
    const wide = BigInt.asUintN(bits * 2, dividend);
    const low = Number(wide & ((1n << B) - 1n));
    const high = Number(wide >> B);
    if (bytes === 1) {
      if (this.pinned[EAX]) return;
      this.setReg(EAX, (high << 8) | low, 2);
    } else {
      if (this.pinned[EAX] || this.pinned[EDX]) return;
      this.setReg(EAX, low, bytes);
      this.setReg(EDX, high, bytes);
    }
    // The divisor may have been AL/AH/AX/DX itself: the final registers decide, a #DE is fine.
  }


  private stringSetup(): void {
    const { rnd, m } = this;
    const amask = this.asz === 2 ? 0xffff : 0xffffffff;
    const pick = (segment: number) => {
      const [lo, hi] = this.targetRange(segment, 4, 64);
      return rnd.range(lo, hi);
    };
    const usesSource = m === "MOVS" || m === "CMPS" || m === "LODS";
    const usesDest = m !== "LODS";
    if (usesSource) this.setReg(ESI, pick(this.segmentOverride ?? SEG_DS), this.asz);
    if (usesDest) this.setReg(EDI, pick(SEG_ES), this.asz);
    this.pin(ESI); this.pin(EDI);
    if (this.rep !== undefined) this.setReg(ECX, rnd.chance(0.15) ? 0 : rnd.range(1, 8), this.asz);
    else if (rnd.chance(0.5)) this.setReg(ECX, rnd.range(0, 8), this.asz);
    this.pin(ECX);
    const sourceSegment = this.segmentOverride ?? SEG_DS;
    if (usesSource) {
      const ea = this.regs[ESI] & amask;
      this.windows.push(sourceSegment === SEG_CS
        ? { address: ea - 40, codeRelative: true, length: 80 }
        : { address: this.segmentBase(sourceSegment) + ea - 40, length: 80 });
    }
    if (usesDest) this.windows.push({ address: (this.regs[EDI] & amask) - 40, length: 80 });
  }

  // ---- layout ---------------------------------------------------------------------------------
  private assemble(): number[] {
    const bytes: number[] = [];
    const prefixes = [...this.prefixes];
    if (this.segmentOverride !== undefined) prefixes.push(SEGMENT_PREFIX[this.segmentOverride]);
    if (this.rep !== undefined) prefixes.push(this.rep);
    if (this.lock) prefixes.push(0xf0);
    // Prefix order is free; shuffle deterministically per test.
    const order = this.prefixOrder ??= prefixes.map(() => this.rnd.u32());
    const sorted = prefixes.map((p, i) => [p, order[i]] as const).sort((a, b) => a[1] - b[1]).map(([p]) => p);
    bytes.push(...sorted);
    if (this.row.opcode >= TWO_BYTE) bytes.push(0x0f);
    bytes.push(this.row.opcode & 0xff);
    if (this.hasModrm) {
      if (this.useMemory) bytes.push(this.modrmByte, ...this.addressBytes);
      else bytes.push(0xc0 | (this.modrmReg << 3) | this.rmRegister);
    }
    bytes.push(...this.immediates);
    return bytes;
  }
  private prefixOrder?: number[];

  /**
   * The Iw of RET/RETF (bytes released). Below 0x8000 only: QEMU 7.2 sign-extends it (its
   * decoder reads the immediate as a signed word), while the SDM adds it unsigned — see
   * QEMU_DEVIATIONS in exclusions.ts.
   */
  private releaseCount(): number {
    return this.rnd.chance(0.7) ? this.rnd.int(64) : this.rnd.int(0x8000);
  }

  private addWindows(): void {
    const sp = this.stackLinear();
    // Only RAM is the CPU's to compare: above it QEMU maps its BIOS ROM where wasmvisor has open
    // bus, so a stack window there (ESP holding a random value) would compare firmware.
    if (sp >= 48 && sp + 32 <= GUEST_RAM_BYTES) this.windows.unshift({ address: sp - 48, length: 80 });
    if (this.memory && this.windows.length < 3) {
      const { linear, segment } = this.memory;
      const pad = BIT_TESTS.has(this.m) ? 80 : 8;
      const length = BIT_TESTS.has(this.m) ? 176 : 32;
      if (segment === SEG_CS) this.windows.push({ address: linear - pad, codeRelative: true, length });
      else this.windows.push({ address: Math.max(0, linear - pad), length: Math.min(length, SCRATCH_END - Math.max(0, linear - pad)) });
    }
    if (this.preset && this.windows.length < 3 && !this.windows.some((w) => !w.codeRelative && w.address <= this.preset!.address && this.preset!.address + 16 <= w.address + w.length)) {
      this.windows.push({ address: this.preset.address, length: 16 });
    }
    if (this.windows.length > 3) throw new Error("at most three windows");
  }
}

/** Choices a caller can force instead of drawing them (probes and focused runs). */
export interface ForcedChoices {
  lock?: boolean;
  memory?: boolean;
}

/** One test of `row` in 16- or 32-bit code. */
export function generateTest(row: OpcodeRow, code32: boolean, rnd: Random, force: ForcedChoices = {}): TestCase {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return new TestBuilder(row, code32, rnd, force).build();
    } catch (error) {
      if (!(error instanceof Retry)) throw error;
    }
  }
  throw new Error(`cannot generate a test for ${rowKey(row)}`);
}

// ---- Guests ----------------------------------------------------------------------------------------
export interface Guest {
  id: number;
  seed: number;
  tests: TestCase[];
}

export interface GenerateOptions {
  seed: number;
  guests: number;
  testsPerGuest: number;
  rows?: readonly OpcodeRow[];
}

/** Seed of guest `id` under the run seed. */
export function guestSeed(seed: number, id: number): number {
  return new Random((seed ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0).u32();
}

/**
 * The tests of one guest: every (row, mode) pair once in a shuffled order, repeated until the
 * guest is full, so each guest covers the whole table in both modes when it has room for it.
 */
export function generateGuest(seed: number, id: number, count: number, rows: readonly OpcodeRow[] = generatedRows()): Guest {
  const gseed = guestSeed(seed, id);
  const rnd = new Random(gseed);
  const pairs: [OpcodeRow, boolean][] = [];
  for (const row of rows) pairs.push([row, false], [row, true]);
  const tests: TestCase[] = [];
  while (tests.length < count) {
    const order = pairs.map((p) => [p, rnd.u32()] as const).sort((a, b) => a[1] - b[1]);
    for (const [[row, code32]] of order) {
      if (tests.length >= count) break;
      tests.push(generateTest(row, code32, rnd));
    }
  }
  return { id, seed: gseed, tests };
}

const hex = (v: number, width = 8) => `0x${(v >>> 0).toString(16).padStart(width, "0")}`;

/** NASM source of one guest; `verbose` makes the guest print every outcome in full. */
export function guestSource(guest: Guest, options: { verbose?: boolean; harnessPath: string; checkEvery?: number }): string {
  const lines: string[] = [];
  lines.push(`; randomized differential test guest ${guest.id}, guest seed ${hex(guest.seed)} (generated by test/random/generate.ts)`);
  lines.push(`%define GUEST_ID ${guest.id}`);
  lines.push(`%define GUEST_SEED ${hex(guest.seed)}`);
  lines.push(`%define TEST_COUNT ${guest.tests.length}`);
  lines.push(`%define VERBOSE ${options.verbose ? 1 : 0}`);
  lines.push(`%define CHECK_EVERY ${options.checkEvery ?? 64}`);
  lines.push(`%include "${options.harnessPath}"`);
  lines.push("section .tests");
  guest.tests.forEach((test, i) => {
    lines.push(`; ${i} ${test.code32 ? "c32" : "c16"} ${rowKey(test.row)}`);
    const exit = test.code32 ? "" : "0x66,";
    lines.push(`t${i}: db ${test.bytes.map((b) => hex(b, 2)).join(",")}`);
    lines.push(` db ${exit}0xea`, " dd exit_fell_through", ` dw ${SEL_CODE32}`);
    lines.push(` db ${exit}0xea`, " dd exit_branched", ` dw ${SEL_CODE32}`);
  });
  lines.push("section .records");
  lines.push("align 4");
  lines.push("test_records:");
  guest.tests.forEach((test, i) => {
    const preset = test.preset ?? { address: 0, bytes: [] };
    const presetBytes = [...preset.bytes, ...new Array(16 - preset.bytes.length).fill(0)];
    const presetWords = [0, 1, 2, 3].map((w) => presetBytes[w * 4] | (presetBytes[w * 4 + 1] << 8) | (presetBytes[w * 4 + 2] << 16) | (presetBytes[w * 4 + 3] << 24));
    const windows = [0, 1, 2].map((w) => test.windows[w]);
    const windowFields = windows.flatMap((w) => (w ? [w.codeRelative ? `t${i}+(${w.address})` : hex(w.address), String(w.length)] : ["0", "0"]));
    const fields = [
      "0", hex(test.code32 ? SEL_CODE32_TEST : SEL_CODE16), `t${i}`, hex(test.stack32 ? SEL_DATA32 : SEL_DATA16),
      ...test.regs.map((r) => hex(r)), hex(test.eflags), hex(test.flagMask),
      hex(preset.address), String(preset.bytes.length), ...presetWords.map((w) => hex(w)),
      ...windowFields,
    ];
    lines.push(` dd ${fields.join(",")}`);
  });
  lines.push("");
  return lines.join("\n");
}
