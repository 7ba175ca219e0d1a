// The `wasmvisor` command's failures: each bad invocation or bad kernel ends with a non-zero status
// and one line on stderr that says what is wrong (usage errors may add the usage text after it),
// never a stack trace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { USAGE } from "../../src/cli/args.ts";
import { buildElf, debugExitCode } from "../support/elf-builder.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(repoRoot, "bin/wasmvisor.js");
const built = existsSync(path.join(repoRoot, "dist/cli.js"));

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function wasmvisor(...args: string[]): CliRun {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Asserts a clean failure: non-zero status, nothing on stdout, and stderr is one line
 * "wasmvisor: <message>" matching `message`, optionally followed by the usage text.
 */
function expectFailure(run: CliRun, message: RegExp, status?: number): void {
  const context = `status ${run.status}\nstderr:\n${run.stderr}`;
  expect(run.status, context).not.toBe(0);
  expect(run.status, context).not.toBeNull();
  if (status !== undefined) expect(run.status, context).toBe(status);
  expect(run.stdout, context).toBe("");
  expect(run.stderr, context).not.toMatch(/^\s+at |Error:|node:internal|file:\/\//m);
  const [first, ...rest] = run.stderr.split("\n");
  expect(first, context).toMatch(/^wasmvisor: /);
  expect(first, context).toMatch(message);
  const after = rest.join("\n").trim();
  if (after !== "") expect(after, context).toBe(USAGE.trim());
}

describe.skipIf(!built)("wasmvisor command line", () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  let goodKernel: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-cli-"));
    goodKernel = file("good.elf");
    writeFileSync(goodKernel, buildElf({ multiboot: true, code: debugExitCode(0x21) }));
  });

  afterAll(() => {
    if (existsSync(file("unreadable.elf"))) chmodSync(file("unreadable.elf"), 0o644);
    rmSync(dir, { recursive: true, force: true });
  });

  it("--help prints the usage and exits 0", () => {
    const run = wasmvisor("--help");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(USAGE.trim());
    expect(run.stderr).toBe("");
  });

  it("runs the hand-built kernel the failure cases below are variations of", () => {
    // Makes sure each failure comes from the one thing changed, not from a broken builder.
    const run = wasmvisor("run", "--kernel", goodKernel);
    expect(run.status, run.stderr).toBe((0x21 << 1) | 1);
  });

  describe("arguments", () => {
    it("refuses --initrd without --kernel (run alone boots the default Debian guest)", () => {
      expectFailure(wasmvisor("run", "--initrd", goodKernel), /--initrd goes with --kernel/, 2);
      expectFailure(wasmvisor("run", "--flat", goodKernel, "--initrd", goodKernel), /--initrd goes with --kernel/, 2);
    });

    it("refuses an unknown command", () => {
      expectFailure(wasmvisor("boot"), /unknown command 'boot'/, 2);
    });

    it("refuses an unknown option", () => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--turbo"), /unknown option '--turbo'/, 2);
    });

    it("refuses --append without a value", () => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--append"), /--append needs a value/, 2);
    });

    it("refuses an unknown --jit mode", () => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--jit", "fast"), /--jit takes off, on or force, not 'fast'/, 2);
    });

    it("refuses --kernel without a value", () => {
      expectFailure(wasmvisor("run", "--kernel"), /--kernel needs a value/, 2);
    });

    it.each([
      ["0", /--mem must be from 2 to 3072 MiB, not 0\b/],
      ["1", /--mem must be from 2 to 3072 MiB, not 1\b/],
      ["99999", /--mem must be from 2 to 3072 MiB, not 99999\b/],
      ["abc", /--mem takes a whole number of MiB, not 'abc'/],
      ["-5", /--mem takes a whole number of MiB, not '-5'/],
      ["1.5", /--mem takes a whole number of MiB, not '1.5'/],
    ])("refuses --mem %s", (value, message) => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--mem", value), message, 2);
    });
  });

  describe("kernel files", () => {
    it("refuses a file that does not exist", () => {
      expectFailure(wasmvisor("run", "--kernel", file("missing.elf")), /cannot read kernel '.*missing\.elf': no such file/);
    });

    it("refuses a directory", () => {
      mkdirSync(file("a-directory"));
      expectFailure(wasmvisor("run", "--kernel", file("a-directory")), /cannot read kernel '.*a-directory': is a directory/);
    });

    // chmod 000 keeps a file from its owner unless the owner is root (CAP_DAC_OVERRIDE): then the
    // file stays readable and this case cannot be produced, so it is skipped.
    const unreadableWorks = (() => {
      const probeDir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-cli-probe-"));
      const probe = path.join(probeDir, "probe");
      writeFileSync(probe, "x");
      chmodSync(probe, 0);
      let readable = true;
      try {
        readFileSync(probe);
      } catch {
        readable = false;
      }
      rmSync(probeDir, { recursive: true, force: true });
      return !readable;
    })();
    it.skipIf(!unreadableWorks)("refuses an unreadable file (skipped when running as root, which can read it anyway)", () => {
      writeFileSync(file("unreadable.elf"), buildElf({ multiboot: true }));
      chmodSync(file("unreadable.elf"), 0);
      expectFailure(wasmvisor("run", "--kernel", file("unreadable.elf")), /cannot read kernel '.*unreadable\.elf': permission denied/);
    });

    it("refuses --kernel and --flat together, and --load-address without --flat", () => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--flat", goodKernel), /give one of --kernel and --flat, once/, 2);
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--load-address", "0x7c00"), /--load-address goes with --flat/, 2);
      expectFailure(wasmvisor("run", "--flat", goodKernel, "--load-address", "seven"), /--load-address takes a number .*'seven'/, 2);
    });

    it("refuses a flat image that does not fit in real mode", () => {
      writeFileSync(file("big.bin"), new Uint8Array(0x100000));
      expectFailure(wasmvisor("run", "--flat", file("big.bin")), /big\.bin: 1048576 bytes at 0x7c00 do not fit below 1 MiB/, 1);
      expectFailure(wasmvisor("run", "--flat", goodKernel, "--load-address", "0x10000"), /load address 0x10000 is not in the first 64 KiB/, 1);
    });

    it("refuses an empty file", () => {
      writeFileSync(file("empty.elf"), new Uint8Array(0));
      expectFailure(wasmvisor("run", "--kernel", file("empty.elf")), /empty\.elf: the file is empty/, 1);
    });

    it("refuses random bytes (no multiboot header)", () => {
      const bytes = new Uint8Array(16384);
      let seed = 0x12345678;
      for (let i = 0; i < bytes.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      writeFileSync(file("random.bin"), bytes);
      expectFailure(wasmvisor("run", "--kernel", file("random.bin")), /random\.bin: no multiboot header in the first 8 KiB/, 1);
    });

    it("refuses an ELF without a multiboot header", () => {
      writeFileSync(file("plain.elf"), buildElf({ multiboot: false }));
      expectFailure(wasmvisor("run", "--kernel", file("plain.elf")), /plain\.elf: no multiboot header in the first 8 KiB/, 1);
    });

    it("refuses a multiboot header with a bad checksum", () => {
      writeFileSync(file("checksum.elf"), buildElf({ multiboot: "bad-checksum" }));
      expectFailure(wasmvisor("run", "--kernel", file("checksum.elf")), /checksum\.elf: the multiboot header at offset 0x200 has a bad checksum/, 1);
    });

    it("refuses a segment larger than RAM", () => {
      // 1 MiB + 3 MiB of bss does not fit in 2 MiB.
      writeFileSync(file("huge.elf"), buildElf({ multiboot: true, memorySize: 3 << 20 }));
      expectFailure(
        wasmvisor("run", "--kernel", file("huge.elf"), "--mem", "2"),
        /huge\.elf: segment at 0x100000-0x400000 does not fit in 2 MiB of RAM/,
        1,
      );
    });

    it("refuses a 64-bit ELF", () => {
      writeFileSync(file("elf64.elf"), buildElf({ multiboot: true, bits: 64, machine: 62 }));
      expectFailure(wasmvisor("run", "--kernel", file("elf64.elf")), /elf64\.elf: not a 32-bit ELF file/, 1);
    });

    it("refuses a 32-bit ELF for another machine", () => {
      writeFileSync(file("x32.elf"), buildElf({ multiboot: true, machine: 62 }));
      expectFailure(wasmvisor("run", "--kernel", file("x32.elf")), /x32\.elf: ELF machine 62 is not i386/, 1);
    });

    it("refuses a module that does not exist", () => {
      expectFailure(wasmvisor("run", "--kernel", goodKernel, "--module", file("nope.bin")), /cannot read module '.*nope\.bin': no such file/);
    });
  });
});
