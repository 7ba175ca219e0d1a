// How a run ends when the guest stops the CPU instead of exiting: a triple fault (stop with
// --no-reboot as QEMU's -no-reboot does, or reset and boot again), and HLT with interrupts
// disabled (a clear message and a failure status instead of hanging).
import { beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuests } from "../../guests/build.js";
import { createMachine } from "../../src/machine/machine.ts";
import { runQemu, runWasmvisor } from "../support/guest-runner.ts";
import { buildElf, CLI_HLT, serialPrintCode } from "../support/elf-builder.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(repoRoot, "bin/wasmvisor.js");
const cliBuilt = existsSync(path.join(repoRoot, "dist/cli.js"));
const engineBuilt = existsSync(path.join(repoRoot, "build/wasmvisor.wasm"));
const qemuAvailable = spawnSync("qemu-system-i386", ["--version"]).status === 0;

const BANNER = "triple fault guest: booted\n";

const occurrences = (text: string, part: string) => text.split(part).length - 1;

/**
 * Run the CLI on `kernel`, which reboots forever, until `banner` has come twice (or 60 s have
 * passed): its output by then. A fixed 3 s cut saw only one boot on a loaded machine.
 */
function runUntilBootedTwice(kernel: string, banner: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, "run", "--kernel", kernel]);
    let stdout = "";
    let stderr = "";
    const finish = (): void => {
      clearTimeout(deadline);
      child.kill();
      resolve({ stdout, stderr });
    };
    const deadline = setTimeout(finish, 60_000);
    child.stdout.setEncoding("latin1");
    child.stderr.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      if (occurrences(stdout, banner) >= 2) finish();
    });
    child.stderr.on("data", (chunk: string) => { stderr += chunk; });
    child.on("exit", finish);
  });
}

describe("triple fault", () => {
  let elf: string;
  beforeAll(() => {
    elf = buildGuests(["triple_fault"])[0].elf;
  });

  it.skipIf(!cliBuilt || !qemuAvailable)("with --no-reboot stops like QEMU with -no-reboot: same serial, status 0", () => {
    const qemu = runQemu(elf);
    const run = runWasmvisor(elf); // passes --no-reboot
    expect(qemu.serial).toBe(BANNER);
    expect(qemu.exitCode).toBe(0);
    expect(run.serial).toBe(qemu.serial);
    expect(run.exitCode, run.stderr).toBe(qemu.exitCode);
    // The outcome first, then the end-of-run speed report.
    const [outcomeLine, speedLine] = run.stderr.split("\n");
    expect(outcomeLine).toBe("wasmvisor: guest triple-faulted (CPU shutdown); stopped");
    expect(speedLine).toMatch(/^wasmvisor: \d+ guest instructions in [\d.]+ s \([\d.]+ M instructions\/s\)$/);
  });

  it.skipIf(!cliBuilt)("without --no-reboot the CLI resets and boots the kernel again", async () => {
    const result = await runUntilBootedTwice(elf, BANNER);
    expect(occurrences(result.stdout, BANNER), result.stderr).toBeGreaterThanOrEqual(2);
    // Nothing but banners (the last one perhaps cut short by the stop).
    expect(BANNER.startsWith(result.stdout.replaceAll(BANNER, ""))).toBe(true);
  });

  it.skipIf(!engineBuilt)("the library's machine resets on a triple fault and boots the kernel again", async () => {
    const machine = createMachine({ kernel: readFileSync(elf), rebootOnReset: true });
    let serial = "";
    machine.serial.onData((bytes) => {
      serial += Buffer.from(bytes).toString("latin1");
      if (occurrences(serial, BANNER) >= 2) machine.stop();
    });
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      machine.stop();
    }, 30_000);
    const outcome = await machine.run();
    clearTimeout(watchdog);
    expect(timedOut, "stop() from the serial listener was not honoured").toBe(false);
    expect(outcome.reason).toBe("stopped");
    expect(machine.resetCount).toBeGreaterThanOrEqual(1);
    expect(serial.startsWith(BANNER + BANNER), serial).toBe(true);
    expect(serial.replaceAll(BANNER, "")).toBe("");
  });

  it.skipIf(!engineBuilt)("guest time keeps running after a reset", async () => {
    // A guest that prints a dot every 200 000 instructions. After a long first boot and a reset,
    // the 8254 must count during the (shorter) second boot: its clock may not go back to zero
    // with the CPU's instruction counter (it would stand still until it caught up again).
    const loop = [0xb9, 0xa0, 0x86, 0x01, 0x00, 0x49, 0x75, 0xfd, 0xb0, 0x2e, 0xee, 0xeb, 0xf3];
    const kernel = buildElf({ multiboot: true, code: [0x66, 0xba, 0xf8, 0x03, ...loop] });
    const machine = createMachine({ kernel });
    let dots = 0;
    let target = 0;
    machine.serial.onData((bytes) => {
      dots += bytes.length;
      if (dots >= target) machine.stop();
    });
    const runForDots = async (n: number) => {
      target = dots + n;
      expect((await machine.run()).reason).toBe("stopped");
    };
    const latchCounter0 = () => {
      machine.platform.ports.write(0x43, 1, 0x00); // counter latch command, counter 0
      return machine.platform.ports.read(0x40, 1) | (machine.platform.ports.read(0x40, 1) << 8);
    };
    await runForDots(50);
    machine.reset();
    machine.platform.ports.write(0x43, 1, 0x34); // counter 0, LSB then MSB, mode 2, count 0xffff
    machine.platform.ports.write(0x40, 1, 0xff);
    machine.platform.ports.write(0x40, 1, 0xff);
    await runForDots(2);
    const first = latchCounter0();
    await runForDots(2);
    const second = latchCounter0();
    // 400 000 instructions are about 4 800 PIT ticks (100 M instructions per simulated second).
    expect(first - second, `count ${first.toString(16)} then ${second.toString(16)}`).toBeGreaterThan(4000);
  });

  it.skipIf(!engineBuilt)("stop() can be followed by another run()", async () => {
    const kernel = buildElf({ multiboot: true, code: [...serialPrintCode("x"), 0xeb, 0xfe] }); // jmp $
    const machine = createMachine({ kernel });
    let serial = "";
    machine.serial.onData((bytes) => {
      serial += Buffer.from(bytes).toString("latin1");
    });
    setTimeout(() => machine.stop(), 50);
    expect((await machine.run()).reason).toBe("stopped");
    const before = machine.instructionsRetired();
    setTimeout(() => machine.stop(), 200);
    expect((await machine.run()).reason).toBe("stopped");
    // The second run must really have run (an earlier stop() is not still pending).
    expect(machine.instructionsRetired() - before).toBeGreaterThan(1_000_000);
    expect(serial).toBe("x");
  });

  it.skipIf(!engineBuilt)("the library's machine stops on a triple fault when asked not to reboot", () => {
    const machine = createMachine({ kernel: readFileSync(elf), rebootOnReset: false });
    let serial = "";
    machine.serial.onData((bytes) => {
      serial += Buffer.from(bytes).toString("latin1");
    });
    const outcome = machine.runToCompletion();
    expect(outcome.reason).toBe("triple-fault");
    expect(machine.resetCount).toBe(0);
    expect(serial).toBe(BANNER);
  });
});

describe.skipIf(!cliBuilt)("HLT with interrupts disabled", () => {
  it("ends the run with a clear message and a failure status instead of hanging", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-halt-"));
    try {
      const kernel = path.join(dir, "cli_hlt.elf");
      writeFileSync(kernel, buildElf({ multiboot: true, code: [...serialPrintCode("halting\n"), ...CLI_HLT] }));
      for (const reboot of [false, true]) {
        const run = runWasmvisor(kernel, { reboot, timeoutMs: 20_000 });
        expect(run.serial).toBe("halting\n");
        expect(run.exitCode, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/^wasmvisor: guest halted with interrupts disabled\b.*\nwasmvisor: \d+ guest instructions in .*\n$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!cliBuilt || !qemuAvailable)("reset asked of the chipset", () => {
  // mov al, value; out port, al; jmp $ — the two ways a PC kernel reboots itself.
  const RESETS = [
    { name: "8042 pulse (0xFE to port 0x64)", code: [0xb0, 0xfe, 0xe6, 0x64, 0xeb, 0xfe] },
    { name: "reset control register (0x06 to port 0xCF9)", code: [0x66, 0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee, 0xeb, 0xfe] },
  ];
  for (const reset of RESETS) {
    it(`${reset.name}: with --no-reboot stops like QEMU, without it boots again`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-reset-"));
      try {
        const kernel = path.join(dir, "reset.elf");
        writeFileSync(kernel, buildElf({ multiboot: true, code: [...serialPrintCode("resetting\n"), ...reset.code] }));
        const qemu = runQemu(kernel);
        const stopped = runWasmvisor(kernel);
        expect(qemu.serial).toBe("resetting\n");
        expect(stopped.serial).toBe(qemu.serial);
        expect(stopped.exitCode, stopped.stderr).toBe(qemu.exitCode);
        expect(stopped.stderr).toMatch(/^wasmvisor: guest rebooted; stopped \(--no-reboot\)\n/);
        const rebooting = await runUntilBootedTwice(kernel, "resetting\n");
        expect(occurrences(rebooting.stdout, "resetting\n"), rebooting.stderr).toBeGreaterThanOrEqual(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
