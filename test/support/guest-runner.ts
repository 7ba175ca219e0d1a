// Runs one test guest (a multiboot ELF) under qemu-system-i386 or under wasmvisor and returns what
// it printed on COM1 and its isa-debug-exit status, so the two can be compared.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export interface GuestRun {
  /** Everything the guest wrote to COM1. */
  serial: string;
  /** Process exit status: (value << 1) | 1 after a write to isa-debug-exit, as QEMU does. */
  exitCode: number | null;
  /** Anything the emulator itself printed on stderr. */
  stderr: string;
}

export interface RunOptions {
  memoryMiB?: number;
  timeoutMs?: number;
  append?: string;
  /**
   * QEMU CPU model. Defaults to `pentium2`: a P6-family CPU (family 6) with the i686 feature set
   * (CMOV, CX8, SEP, PGE, PSE, PAE, TSC, MSR, FXSR, MMX) that wasmvisor models, so CPUID, the
   * CR4 bits and the P6-only instructions agree. QEMU's default `qemu32` reports family 6 too but
   * a different feature and vendor mix.
   */
  cpu?: string;
  /**
   * wasmvisor only: reset and boot again on a triple fault. Default false (`--no-reboot`), to
   * match runQemu, which always passes `-no-reboot`: a shutdown then ends both runs with status 0.
   */
  reboot?: boolean;
  /**
   * The image is a flat boot sector instead of a multiboot kernel: QEMU boots it from a floppy
   * through its BIOS, wasmvisor loads it with `--flat` (real mode at 0000:7C00 either way).
   */
  bootSector?: boolean;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function runQemu(kernel: string, options: RunOptions = {}): GuestRun {
  const args = [
    ...(options.bootSector ? ["-drive", `file=${kernel},format=raw,if=floppy`] : ["-kernel", kernel]),
    "-accel", "tcg",
    "-cpu", options.cpu ?? "pentium2",
    "-display", "none",
    "-serial", "stdio",
    "-monitor", "none",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
    "-no-reboot",
    "-m", String(options.memoryMiB ?? 32),
  ];
  if (options.append !== undefined) args.push("-append", options.append);
  const result = spawnSync("qemu-system-i386", args, {
    encoding: "latin1",
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { serial: result.stdout, exitCode: result.status, stderr: result.stderr };
}

export function runWasmvisor(kernel: string, options: RunOptions = {}): GuestRun {
  const args = [path.join(repoRoot, "bin/wasmvisor.js"), "run", options.bootSector ? "--flat" : "--kernel", kernel, "--mem", String(options.memoryMiB ?? 32)];
  if (options.append !== undefined) args.push("--append", options.append);
  if (!options.reboot) args.push("--no-reboot");
  const result = spawnSync(process.execPath, args, {
    encoding: "latin1",
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { serial: result.stdout, exitCode: result.status, stderr: result.stderr };
}
