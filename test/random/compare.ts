// Randomized differential test, comparison side: parses what a guest printed, finds the first
// divergence between two runs and describes it (instruction, disassembly, inputs, both outcomes).
import { disassemble } from "../../src/isa/disassemble.ts";
import { rowKey, type Guest, type TestCase } from "./generate.ts";

export interface GuestOutput {
  /** One outcome line per test (hash, or the full outcome in verbose builds). */
  tests: string[];
  /** Whole-scratch hashes: `after` is the number of tests run when it was printed. */
  scratch: { after: number; value: string }[];
  ended: boolean;
}

export function parseOutput(serial: string): GuestOutput {
  const output: GuestOutput = { tests: [], scratch: [], ended: false };
  for (const raw of serial.split("\n")) {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("RANDOM ")) continue;
    if (line === "END") output.ended = true;
    else if (line.startsWith("=")) output.scratch.push({ after: output.tests.length, value: line.slice(1) });
    else output.tests.push(line);
  }
  return output;
}

export type Divergence =
  | { kind: "test"; index: number; expected?: string; actual?: string }
  /** Whole-scratch hash differs although every outcome line before it agreed: a stray write. */
  | { kind: "scratch"; after: number; expected: string; actual?: string }
  | { kind: "end"; expected: boolean; actual: boolean };

/** First place where `actual` (wasmvisor) departs from `expected` (QEMU), or undefined. */
export function firstDivergence(expected: GuestOutput, actual: GuestOutput): Divergence | undefined {
  const count = Math.max(expected.tests.length, actual.tests.length);
  let scratchIndex = 0;
  for (let i = 0; i <= count; i++) {
    while (scratchIndex < expected.scratch.length && expected.scratch[scratchIndex].after === i) {
      const e = expected.scratch[scratchIndex];
      const a = actual.scratch[scratchIndex];
      if (!a || a.after !== e.after || a.value !== e.value) return { kind: "scratch", after: e.after, expected: e.value, actual: a?.value };
      scratchIndex++;
    }
    if (i < count && expected.tests[i] !== actual.tests[i]) return { kind: "test", index: i, expected: expected.tests[i], actual: actual.tests[i] };
  }
  if (expected.ended !== actual.ended) return { kind: "end", expected: expected.ended, actual: actual.ended };
  return undefined;
}

const REGISTER_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
/** Field names of a verbose outcome line, in the order the harness prints them. */
export const OUTCOME_FIELDS = [
  "tag", ...REGISTER_NAMES, "eflags", "ds", "es", "fs", "gs", "ss", "frameSize", "error", "frameEip", "frameCs", "frameEflags",
];

export function parseVerbose(line: string): Map<string, string> {
  const parts = line.trim().split(/\s+/);
  const fields = new Map<string, string>();
  OUTCOME_FIELDS.forEach((name, i) => fields.set(name, parts[i] ?? "?"));
  parts.slice(OUTCOME_FIELDS.length).forEach((window, i) => fields.set(`window${i}`, window.replace(/^w/, "")));
  return fields;
}

const hex = (v: number) => (v >>> 0).toString(16).padStart(8, "0");

function describeTag(tag: string): string {
  const value = parseInt(tag, 16);
  if (value === 1) return "fell through (exit A)";
  if (value === 2) return "branched (exit B)";
  if (value >= 0x100) return `exception/interrupt vector ${value - 0x100}`;
  return `tag ${tag}`;
}

export function describeTest(test: TestCase): string {
  const text = disassemble(new Uint8Array(test.bytes), 0, test.code32).text;
  const bytes = test.bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const lines = [
    `  instruction: ${bytes}   ${text}`,
    `  table row:   ${rowKey(test.row)}; ${test.code32 ? "32" : "16"}-bit code, ${test.stack32 ? "32" : "16"}-bit stack`,
    `  inputs:      ${test.regs.map((v, i) => `${REGISTER_NAMES[i]}=${hex(v)}`).join(" ")} eflags=${hex(test.eflags)}`,
    `  compared EFLAGS bits: ${hex(test.flagMask)}`,
  ];
  if (test.preset) lines.push(`  memory preset at ${hex(test.preset.address)}: ${test.preset.bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  test.windows.forEach((w, i) => lines.push(`  window${i}: ${w.codeRelative ? "code+" : ""}${hex(w.address)} (${w.length} bytes)`));
  return lines.join("\n");
}

/** Side-by-side outcome fields that differ, from verbose lines of the two runs. */
export function describeOutcomes(expectedLine: string | undefined, actualLine: string | undefined): string {
  if (expectedLine === undefined || actualLine === undefined) {
    return `  QEMU:      ${expectedLine ?? "(no line)"}\n  wasmvisor: ${actualLine ?? "(no line)"}`;
  }
  const expected = parseVerbose(expectedLine);
  const actual = parseVerbose(actualLine);
  const lines = [`  QEMU outcome: ${describeTag(expected.get("tag")!)}; wasmvisor: ${describeTag(actual.get("tag")!)}`];
  for (const [name, value] of expected) {
    const other = actual.get(name);
    const mark = other === value ? " " : "≠";
    if (name.startsWith("window") && other === value) continue;
    lines.push(`  ${mark} ${name.padEnd(11)} QEMU ${value}${other === value ? "" : `   wasmvisor ${other}`}`);
  }
  return lines.join("\n");
}

export function describeDivergence(seed: number, guest: Guest, divergence: Divergence, verbose?: { expected: GuestOutput; actual: GuestOutput }): string {
  const header = `random differential test: wasmvisor diverges from QEMU — seed ${seed} (replay: RANDOM_SEED=${seed}), guest ${guest.id}`;
  if (divergence.kind === "end") return `${header}\n  QEMU ${divergence.expected ? "finished" : "did not finish"}, wasmvisor ${divergence.actual ? "finished" : "did not finish"}`;
  if (divergence.kind === "scratch") {
    const from = Math.max(0, divergence.after - 64);
    return `${header}\n  whole-scratch hash after test ${divergence.after} differs (QEMU ${divergence.expected}, wasmvisor ${divergence.actual ?? "none"}):\n` +
      `  a write outside the compared windows in tests ${from}..${divergence.after - 1}`;
  }
  const test = guest.tests[divergence.index];
  const parts = [`${header}, test ${divergence.index}`, test ? describeTest(test) : "  (no such test)"];
  if (verbose) parts.push(describeOutcomes(verbose.expected.tests[divergence.index], verbose.actual.tests[divergence.index]));
  else parts.push(`  outcome hash: QEMU ${divergence.expected ?? "(none)"}, wasmvisor ${divergence.actual ?? "(none)"}`);
  return parts.join("\n");
}
