// Randomized differential test of the CPU: random instructions of every generated opcode-table row,
// in 16- and 32-bit code, run under qemu-system-i386 (TCG) and under wasmvisor; outcomes compared
// one instruction at a time. The seed is always printed; RANDOM_SEED=<n> replays a run.
//   RANDOM_SEED    run seed (decimal or 0x hex); random when unset
//   RANDOM_TESTS   instructions per run (default 200000)
//   RANDOM_GUESTS  guests the run is split into (default 20)
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runQemu, runWasmvisor, type GuestRun } from "../support/guest-runner.ts";
import { buildGuest } from "./build.ts";
import { describeDivergence, firstDivergence, parseOutput, type GuestOutput } from "./compare.ts";
import { generatedRows, generateGuest, rowKey, type Guest } from "./generate.ts";
import { PREFIX_BYTES } from "../../src/isa/opcodes.ts";

const seed = process.env.RANDOM_SEED ? Number(process.env.RANDOM_SEED) >>> 0 : randomInt(0x7fffffff);
const totalTests = Number(process.env.RANDOM_TESTS ?? 200_000);
const guestCount = Number(process.env.RANDOM_GUESTS ?? 20);
const testsPerGuest = Math.ceil(totalTests / guestCount);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wasmvisorBuilt = existsSync(path.join(repoRoot, "bin/wasmvisor.js"));
/** isa-debug-exit status of a guest that wrote 0 to port 0xf4. */
const EXIT_OK = 1;

console.log(`random differential test: seed ${seed} (replay with RANDOM_SEED=${seed}), ${totalTests} instructions in ${guestCount} guests`);

let workDir: string;
const guests: Guest[] = [];
const elfs: string[] = [];
const qemuOutputs: GuestOutput[] = [];

/** Lets vitest's worker RPC through between the long synchronous emulator runs. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A guest takes well under a second in QEMU; wasmvisor's interpreter gets more room. */
function run(which: "qemu" | "wasmvisor", elf: string): GuestRun {
  try {
    return which === "qemu" ? runQemu(elf, { timeoutMs: 60_000 }) : runWasmvisor(elf, { timeoutMs: 600_000 });
  } catch (error) {
    throw new Error(`${which} failed on ${path.basename(elf)} (seed ${seed}; RANDOM_KEEP=1 keeps the guests): ${error}`);
  }
}

describe(`randomized differential test (seed ${seed})`, () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "wasmvisor-random-"));
    const rows = generatedRows();
    for (let id = 0; id < guestCount; id++) {
      await yieldToEventLoop();
      const guest = generateGuest(seed, id, testsPerGuest, rows);
      guests.push(guest);
      elfs.push(buildGuest(guest, workDir, `guest${id}`));
    }
  });

  afterAll(() => {
    if (workDir && !process.env.RANDOM_KEEP) rmSync(workDir, { recursive: true, force: true });
    else if (workDir) console.log(`random differential test: guests kept in ${workDir}`);
  });

  test("every generated opcode-table row is covered in 16- and 32-bit code", () => {
    const covered = new Set<string>();
    for (const guest of guests) for (const t of guest.tests) covered.add(`${t.code32 ? 32 : 16} ${rowKey(t.row)}`);
    const missing = generatedRows().flatMap((row) => [16, 32].map((bits) => `${bits} ${rowKey(row)}`)).filter((key) => !covered.has(key));
    expect(missing).toEqual([]);
    expect(guests.reduce((n, g) => n + g.tests.length, 0)).toBeGreaterThanOrEqual(totalTests);
  });

  test("every prefix is generated in 16- and 32-bit code", () => {
    const seen = new Set<string>();
    for (const guest of guests) {
      for (const t of guest.tests) {
        for (const byte of t.bytes) {
          if (!PREFIX_BYTES.includes(byte)) break;
          seen.add(`${t.code32 ? 32 : 16} ${byte.toString(16)}`);
        }
      }
    }
    const missing = PREFIX_BYTES.flatMap((p) => [16, 32].map((bits) => `${bits} ${p.toString(16)}`)).filter((key) => !seen.has(key));
    expect(missing).toEqual([]);
  });

  test("QEMU runs every generated instruction to the end", { timeout: 900_000 }, async () => {
    for (let id = 0; id < guests.length; id++) {
      await yieldToEventLoop();
      const result = run("qemu", elfs[id]);
      const output = parseOutput(result.serial);
      expect.soft(result.exitCode, `guest ${id}: ${result.stderr}`).toBe(EXIT_OK);
      expect(output.ended, `guest ${id} did not finish: ${result.stderr}`).toBe(true);
      expect(output.tests.length, `guest ${id}`).toBe(guests[id].tests.length);
      qemuOutputs[id] = output;
    }
  });

  test("QEMU output is deterministic (guest 0 run twice)", { timeout: 300_000 }, () => {
    const again = parseOutput(run("qemu", elfs[0]).serial);
    expect(firstDivergence(qemuOutputs[0], again)).toBeUndefined();
  });

  test.skipIf(!wasmvisorBuilt)("wasmvisor matches QEMU instruction by instruction", { timeout: 1_800_000 }, async () => {
    for (let id = 0; id < guests.length; id++) {
      await yieldToEventLoop();
      const expected = qemuOutputs[id] ?? parseOutput(run("qemu", elfs[id]).serial);
      const actualRun = run("wasmvisor", elfs[id]);
      const actual = parseOutput(actualRun.serial);
      const divergence = firstDivergence(expected, actual);
      if (!divergence) continue;
      // Rebuild this guest printing full outcomes, so the report shows both states field by field.
      let report: string;
      try {
        const verboseElf = buildGuest(guests[id], workDir, `guest${id}-verbose`, true);
        report = describeDivergence(seed, guests[id], divergence, {
          expected: parseOutput(run("qemu", verboseElf).serial),
          actual: parseOutput(run("wasmvisor", verboseElf).serial),
        });
      } catch (error) {
        report = `${describeDivergence(seed, guests[id], divergence)}\n  (verbose rerun failed: ${error})`;
      }
      if (actualRun.stderr) report += `\n  wasmvisor stderr: ${actualRun.stderr.slice(0, 2000)}`;
      expect.fail(report);
    }
  });
});
