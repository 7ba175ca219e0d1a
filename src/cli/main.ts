// The `wasmvisor` command.
import { readFileSync, statSync } from "node:fs";
import { parseRunArguments, UsageError, USAGE } from "./args.ts";
import { createMachine, MachineError, LoaderError, MIN_MEMORY_MIB, MAX_MEMORY_MIB } from "../machine/machine.ts";
import { EngineError } from "../machine/engine.ts";
import { attachConsole } from "./console.ts";
import { ensureDebianGuest } from "../guest-image/debian.ts";
import { GuestImageError } from "../guest-image/errors.ts";

function fail(message: string, status = 2): never {
  process.stderr.write(`wasmvisor: ${message}\n`);
  process.exit(status);
}

// Nothing larger than the largest RAM could be loaded; this also refuses endless devices.
const MAX_IMAGE_BYTES = MAX_MEMORY_MIB * 1024 * 1024;

function readImage(path: string, what: string): Uint8Array {
  try {
    const info = statSync(path);
    if (info.isDirectory()) fail(`cannot read ${what} '${path}': is a directory`);
    if (!info.isFile()) fail(`cannot read ${what} '${path}': not a regular file`);
    if (info.size > MAX_IMAGE_BYTES) fail(`${what} '${path}' is ${info.size} bytes, larger than the largest guest RAM`);
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (error as Error).message;
    fail(`cannot read ${what} '${path}': ${reason}`);
  }
}

async function runCommand(argv: string[]): Promise<void> {
  const args = parseRunArguments(argv);
  if (args.memoryMiB < MIN_MEMORY_MIB || args.memoryMiB > MAX_MEMORY_MIB) {
    throw new UsageError(`--mem must be from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB} MiB, not ${args.memoryMiB}`);
  }
  let kernelPath = args.kernel;
  let initrdPath = args.initrd;
  let cmdline = args.append;
  if (kernelPath === "") {
    // The default guest: Debian's i386 kernel and a busybox initramfs, built on first use.
    const progress = (message: string): void => { process.stderr.write(`wasmvisor: ${message}\n`); };
    const guest = await ensureDebianGuest({ onProgress: progress });
    kernelPath = guest.kernelPath;
    initrdPath = guest.initrdPath;
    cmdline = args.append === "" ? guest.cmdline : `${guest.cmdline} ${args.append}`;
    progress(`booting Linux ${guest.kernelVersion} (Ctrl-A X quits)`);
  }
  const kernel = readImage(kernelPath, "kernel");
  const initrd = initrdPath === undefined ? undefined : readImage(initrdPath, "initrd");
  const modules = args.modules.map((module) => ({ name: module.cmdline, data: readImage(module.path, "module") }));
  const machine = createMachine({
    kernel,
    kernelName: kernelPath,
    initrd,
    cmdline,
    memoryMiB: args.memoryMiB,
    modules,
    rebootOnReset: args.reboot,
    jit: args.jit,
    flat: args.flatLoadAddress === undefined ? undefined : { loadAddress: args.flatLoadAddress },
  });
  machine.serial.onData((bytes) => process.stdout.write(bytes));
  const terminal = attachConsole((bytes) => machine.serial.write(bytes), () => machine.stop());
  let outcome;
  try {
    outcome = await machine.run();
  } finally {
    terminal.detach();
  }
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  // Why the run ended first (tools read that line), then how fast it went.
  let status = 0;
  switch (outcome.reason) {
    case "exit": status = (outcome.exitStatus ?? 1) & 0xff; break;
    // QEMU with -no-reboot exits with status 0 on a guest shutdown; say why on stderr.
    case "triple-fault": process.stderr.write("wasmvisor: guest triple-faulted (CPU shutdown); stopped\n"); break;
    case "reboot": process.stderr.write("wasmvisor: guest rebooted; stopped (--no-reboot)\n"); break;
    case "halted-forever":
      process.stderr.write("wasmvisor: guest halted with interrupts disabled and no timer pending; stopped\n");
      status = 1;
      break;
    default: break; // power-off, or Ctrl-A X
  }
  const seconds = outcome.elapsedMs / 1000;
  process.stderr.write(`wasmvisor: ${outcome.instructions} guest instructions in ${seconds.toFixed(2)} s ` +
    `(${(Number(outcome.instructions) / seconds / 1e6).toFixed(1)} M instructions/s)\n`);
  if (args.stats) {
    for (const [name, value] of Object.entries(machine.statistics())) process.stderr.write(`  ${name}: ${value}\n`);
  }
  process.exit(status);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command !== "run") fail(`unknown command '${command}'\n${USAGE}`);
  try {
    await runCommand(rest);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n${USAGE}`);
    if (error instanceof LoaderError || error instanceof MachineError || error instanceof EngineError || error instanceof GuestImageError) {
      fail(error.message, 1);
    }
    throw error;
  }
}

await main(process.argv.slice(2));
