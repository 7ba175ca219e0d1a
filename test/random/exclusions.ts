// The one list of opcode-table rows the randomized differential test does not generate, each with
// the reason. Everything else in src/isa/opcodes.ts is generated in both 16- and 32-bit code.
import type { OpcodeRow } from "../../src/isa/opcodes.ts";
import { parseOperands } from "../../src/isa/operands.ts";

/** Excluded by mnemonic. */
export const EXCLUDED_MNEMONICS: Readonly<Record<string, string>> = {
  HLT: "halts the CPU; with interrupts masked the guest would stop",
  IN: "port I/O: the value read depends on the emulated device, not the CPU",
  OUT: "port I/O: writes to a real device of the emulator",
  INS: "port I/O (string form)",
  OUTS: "port I/O (string form)",
  LGDT: "replaces the harness GDT",
  LIDT: "replaces the harness IDT (exceptions could no longer be recorded)",
  LLDT: "system-table change; LDTR stays 0 so SLDT and TI=1 selectors are deterministic",
  LTR: "system-table change; TR stays on the harness TSS so STR is deterministic",
  LMSW: "changes CR0 (could clear PE or set TS/EM)",
  WRMSR: "changes model-specific state",
  RDMSR: "MSR values are model specific (QEMU's pentium2 model against wasmvisor's)",
  RDTSC: "reads host-dependent time",
  RDPMC: "performance counters are not modelled identically",
  CPUID: "the leaves differ between QEMU's CPU model and wasmvisor",
  SYSENTER: "transfers control to an MSR-defined entry point outside the sequence",
  SYSEXIT: "transfers control to ring 3 outside the sequence",
  FXSAVE: "writes the whole x87 state, whose FIP/FDP/FOP and reserved fields QEMU fills differently; covered by guests/tests/fpu_control.asm with those fields masked",
  FXRSTOR: "loads the whole x87 state from memory; covered by guests/tests/fpu_control.asm",
};

/**
 * Rows where QEMU 7.2 (the reference) departs from P6 hardware, found by the generator's probes:
 * comparing against QEMU there would report QEMU's deviation as a wasmvisor bug.
 */
export const QEMU_DEVIATIONS: readonly { opcode: number; reg?: number; reason: string }[] = [
  { opcode: 0xf1, reason: "QEMU 7.2 raises #UD for INT1/ICEBP (F1); P6 raises a #DB trap" },
  { opcode: 0xf6, reg: 1, reason: "QEMU 7.2 raises #UD for the TEST alias F6 /1; P6 executes it as TEST" },
  { opcode: 0xf7, reg: 1, reason: "QEMU 7.2 raises #UD for the TEST alias F7 /1; P6 executes it as TEST" },
];

/**
 * Operand values where QEMU 7.2 departs from the SDM, so the generator stays out of them (the
 * rows themselves are generated):
 * - RET Iw / RETF Iw with an immediate of 0x8000 or more: QEMU sign-extends the 16-bit release
 *   count; the SDM adds it to (E)SP unsigned (vol. 2, RET). Same bug reported against QEMU-derived
 *   Unicorn (unicorn-engine/unicorn#2336). generate.ts releaseCount() keeps it below 0x8000.
 * - LOCK REP CMPS/SCAS with a zero count: QEMU skips the instruction before its LOCK check; the
 *   SDM raises #UD for LOCK CMPS/SCAS at decode. generate.ts checkLock() drops LOCK there.
 */
export const QEMU_OPERAND_DEVIATIONS = ["RET/RETF Iw >= 0x8000", "LOCK REP CMPS/SCAS"] as const;

/** Why a row is not generated, or undefined if it is. */
export function exclusionReason(row: OpcodeRow): string | undefined {
  const deviation = QEMU_DEVIATIONS.find((d) => d.opcode === row.opcode && d.reg === row.reg);
  if (deviation) return deviation.reason;
  if (row.flags?.includes("x87")) return "x87 escape: not an integer instruction (covered by the x87 tests)";
  if (row.flags?.includes("io")) return EXCLUDED_MNEMONICS[row.mnemonic] ?? "port I/O";
  const byMnemonic = EXCLUDED_MNEMONICS[row.mnemonic];
  if (byMnemonic) return byMnemonic;
  const specs = parseOperands(row.operands);
  if (specs.some((spec) => spec.kind === "reg" && (spec.method === "C" || spec.method === "D"))) {
    return "MOV to/from control or debug registers: mode and paging changes; values are emulator specific";
  }
  return undefined;
}

/**
 * Whether QEMU 7.2 TCG raises #UD, as the SDM requires, for a LOCK prefix on this row when it is
 * not a lockable read-modify-write of memory. Measured with a probe guest: QEMU ignores an illegal
 * LOCK on most other instructions (MOV, PUSH, XCHG r,r, SHL, ...), treats `lock xor r,r` as the
 * zeroing idiom without a check, and aborts ("tcg fatal error") on LOCK BT/BTS/BTR/BTC with a
 * register operand. The generator puts an illegal LOCK only where this returns true, so a
 * divergence there is wasmvisor's; the rest of the "LOCK on illegal forms gives #UD" rule is left
 * to the unit tests.
 */
export function qemuRaisesLockUd(row: OpcodeRow, memory: boolean): boolean {
  const op = row.opcode;
  if (op < 0x40 && (op & 7) <= 5) return true; // ADD..CMP (XOR r,r excepted by the generator)
  if (op >= 0x40 && op <= 0x4f) return true; // INC/DEC r
  if (op >= 0x80 && op <= 0x83) return !memory || row.mnemonic === "CMP";
  if ((op === 0xf6 || op === 0xf7) && (row.reg === 2 || row.reg === 3)) return !memory; // NOT/NEG r
  if ((op === 0xfe || op === 0xff) && (row.reg === 0 || row.reg === 1)) return !memory; // INC/DEC r/m
  if (op === 0x1b0 || op === 0x1b1) return !memory; // CMPXCHG r,r
  return [0x90, 0xa6, 0xa7, 0xae, 0xaf, 0x10b, 0x1b9].includes(op); // NOP CMPS SCAS UD2 UD1
}
