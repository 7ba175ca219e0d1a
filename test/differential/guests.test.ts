// Differential test: every guest in guests/tests runs under QEMU (the reference CPU) and under
// wasmvisor; both must print the same serial text and exit with the same status. QEMU's run must
// also end in the guest's own success exit (status 1; a few guests that end otherwise on purpose
// are listed in expectedQemuStatus), so a guest that breaks under the reference fails here too
// instead of being compared against an equally broken wasmvisor run.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuests, listGuests } from "../../guests/build.js";
import { runQemu, runWasmvisor, type GuestRun } from "../support/guest-runner.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wasmvisorBuilt = existsSync(path.join(repoRoot, "bin/wasmvisor.js"));
const guestNames: string[] = listGuests().map((g) => g.name);

/** Exit status QEMU reports for a guest that wrote `value` to isa-debug-exit. */
const statusFor = (value: number) => (value << 1) | 1;

/**
 * Guests that end some other way than their success exit, with the QEMU status that ending
 * gives. triple_fault shuts the CPU down on purpose: QEMU with -no-reboot exits with 0.
 */
const expectedQemuStatus: Record<string, number> = { triple_fault: 0 };

/** Describes the first differing line of two serial transcripts with a few lines of context. */
export function firstDifference(expected: string, actual: string, context = 3): string | null {
  if (expected === actual) return null;
  const a = expected.split("\n");
  const b = actual.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - context);
  const show = (lines: string[]) =>
    lines
      .slice(from, i + context + 1)
      .map((line, k) => `${from + k + 1 === i + 1 ? ">" : " "} ${String(from + k + 1).padStart(5)} | ${line}`)
      .join("\n");
  return (
    `serial output differs at line ${i + 1} ` +
    `(qemu ${a.length} lines, wasmvisor ${b.length} lines)\n` +
    `--- qemu\n${show(a)}\n--- wasmvisor\n${show(b)}`
  );
}

function describeRun(run: GuestRun): string {
  const tail = run.serial.split("\n").slice(-8).join("\n");
  return `exit status ${run.exitCode}; last serial lines:\n${tail}\nstderr:\n${run.stderr.slice(0, 2000)}`;
}

describe("differential: guests under QEMU and wasmvisor", () => {
  const elves = new Map<string, string>();
  const qemuRuns = new Map<string, GuestRun>();

  beforeAll(() => {
    for (const g of buildGuests()) elves.set(g.name, g.elf);
  });

  const qemuRun = (name: string): GuestRun => {
    let run = qemuRuns.get(name);
    if (!run) {
      run = runQemu(elves.get(name)!);
      qemuRuns.set(name, run);
    }
    return run;
  };

  describe.each(guestNames)("%s", (name) => {
    it("runs to its expected end under QEMU", () => {
      const run = qemuRun(name);
      expect(run.exitCode, describeRun(run)).toBe(expectedQemuStatus[name] ?? statusFor(0));
    });

    it.skipIf(!wasmvisorBuilt)("prints the same and exits the same under wasmvisor", () => {
      const reference = qemuRun(name);
      const run = runWasmvisor(elves.get(name)!);
      const diff = firstDifference(reference.serial, run.serial);
      expect(diff, diff ?? "").toBeNull();
      expect(run.exitCode, `qemu exited ${reference.exitCode}; ${describeRun(run)}`).toBe(reference.exitCode);
    });
  });
});
