// The lockstep tool (src/machine/lockstep.ts, scripts/lockstep.js): a correct translator shows no
// divergence, and a difference planted in the translating machine is found, narrowed down to the
// instruction after which it appeared, and named in the report.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuests } from "../../guests/build.js";
import { Machine, type MachineOptions } from "../../src/machine/machine.ts";
import { runLockstep, describeDivergence, differingRam } from "../../src/machine/lockstep.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const libraryBuilt = existsSync(path.join(repoRoot, "dist/index.js"));
const GUEST = "c_algorithms"; // ~2.7 M instructions, mostly in translated loops
/** Where the planted difference goes: well inside the run, not on a slice boundary. */
const PLANT_AT = 1_234_567;

let guest: MachineOptions;

beforeAll(() => {
  const [built] = buildGuests([GUEST]);
  guest = { kernel: readFileSync(built.elf), kernelName: GUEST, memoryMiB: 16, rebootOnReset: false };
});

/**
 * A machine factory whose translating machine gets `plant` applied once, at the first step
 * boundary at or after PLANT_AT instructions, the way a translator bug would show up.
 */
function plantingFactory(plant: (machine: Machine) => void): (options: MachineOptions) => Machine {
  return (options) => {
    const machine = new Machine(options);
    if (options.jit === "off") return machine;
    let planted = false;
    const step = machine.step.bind(machine);
    machine.step = (maxInstructions) => {
      const outcome = step(maxInstructions);
      if (!planted && machine.instructionsRetired() >= PLANT_AT) {
        plant(machine);
        planted = true;
      }
      return outcome;
    };
    return machine;
  };
}

describe("lockstep", () => {
  it.each(["on", "force"] as const)("finds no divergence on a correct run (jit %s)", (jit) => {
    const result = runLockstep({ machine: guest, jit });
    expect(result.status).toBe("stopped");
    expect(result.stop).toEqual({ reason: "exit", exitStatus: 1 });
    expect(result.instructions).toBeGreaterThan(PLANT_AT);
  });

  // Page faults in translated code (a thunk call's push among them, which the translator runs
  // in line with the thunk's two instructions counted in its block), with RAM compared every step.
  it("finds no divergence in the paging guest's faults (jit force)", () => {
    const [paging] = buildGuests(["paging"]);
    const machine = { kernel: readFileSync(paging.elf), kernelName: "paging", memoryMiB: 16, rebootOnReset: false };
    const result = runLockstep({ machine, jit: "force", ramEvery: 1 });
    expect(result.status, result.divergence && describeDivergence(result.divergence, "force")).toBe("stopped");
    expect(result.stop).toEqual({ reason: "exit", exitStatus: 1 });
  });

  it("stops at maxInstructions", () => {
    const result = runLockstep({ machine: guest, jit: "on", maxInstructions: 300_000 });
    expect(result.status).toBe("limit");
    expect(result.instructions).toBeGreaterThanOrEqual(300_000);
  });

  it("narrows a corrupted register down to the instruction after which it changed", () => {
    const result = runLockstep({
      machine: guest,
      jit: "force",
      createMachine: plantingFactory((machine) => machine.setRegister("ebx", machine.registers().ebx ^ 0x100)),
    });
    expect(result.status).toBe("diverged");
    const divergence = result.divergence!;
    expect(divergence.difference.registers).toEqual(["ebx"]);
    expect(divergence.difference.ram).toEqual([]);
    expect(divergence.from).toBe(PLANT_AT - 1);
    expect(divergence.to).toBe(PLANT_AT);
    expect(divergence.translated.ebx).toBe(divergence.reference.ebx ^ 0x100);
    expect(divergence.trace).toHaveLength(1);
    expect(divergence.trace[0].instructions).toBe(PLANT_AT - 1);
    const report = describeDivergence(divergence, "force");
    expect(report).toContain(`narrowed to instructions ${PLANT_AT - 1}..${PLANT_AT}`);
    expect(report).toContain("registers differing: ebx");
    expect(report).toMatch(/ebx {8}[0-9a-f]{8} {3}[0-9a-f]{8} <--/);
  });

  it("finds a corrupted RAM byte even when RAM is compared only every few steps", () => {
    const address = 0x2_3456;
    const result = runLockstep({
      machine: guest,
      jit: "on",
      ramEvery: 8,
      createMachine: plantingFactory((machine) => machine.writeRam(address, Uint8Array.of(machine.guestRam()[address] ^ 0xff))),
    });
    expect(result.status).toBe("diverged");
    const divergence = result.divergence!;
    expect(divergence.difference.registers).toEqual([]);
    expect(divergence.difference.ram).toEqual([{ start: address, end: address + 1 }]);
    expect([divergence.from, divergence.to]).toEqual([PLANT_AT - 1, PLANT_AT]);
    expect(describeDivergence(divergence, "on")).toContain("RAM differing: 00023456..00023457");
  });

  it("reports differing RAM as ranges, joining bytes that lie close together", () => {
    const a = new Uint8Array(3 * 4096);
    const b = a.slice();
    b[10] = 1;
    b[20] = 1;
    b[4096 + 100] = 1;
    expect(differingRam(a, b)).toEqual([{ start: 10, end: 21 }, { start: 4196, end: 4197 }]);
    expect(differingRam(a, a.slice())).toEqual([]);
  });

  it.skipIf(!libraryBuilt)("the script exits 0 when the guest stops alike in both", () => {
    const [built] = buildGuests([GUEST]);
    const run = spawnSync(process.execPath, [path.join(repoRoot, "scripts/lockstep.js"), "--jit", "force", "--mem", "16", built.elf],
      { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^lockstep: no divergence; both stopped alike: exit \(status 1\); \d+ instructions compared/);
    expect(run.status).toBe(0);
  });

  it.skipIf(!libraryBuilt)("the script refuses bad arguments with status 2", () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, "scripts/lockstep.js"), "--slice", "0", "--linux"], { encoding: "utf8" });
    expect(run.stderr).toContain("--slice takes a whole number from 1, not '0'");
    expect(run.status).toBe(2);
  });
});
