// The `wasmvisor` command.
import { readFileSync, statSync } from "node:fs";
import { parseRunArguments, UsageError, USAGE } from "./args.ts";
import { createMachine, MachineError, LoaderError, MIN_MEMORY_MIB, MAX_MEMORY_MIB } from "../machine/machine.ts";
import { EngineError } from "../machine/engine.ts";

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
  const kernel = readImage(args.kernel, "kernel");
  const modules = args.modules.map((module) => ({ name: module.cmdline, data: readImage(module.path, "module") }));
  const machine = createMachine({
    kernel,
    kernelName: args.kernel,
    cmdline: args.append,
    memoryMiB: args.memoryMiB,
    modules,
    rebootOnTripleFault: args.reboot,
    flat: args.flatLoadAddress === undefined ? undefined : { loadAddress: args.flatLoadAddress },
  });
  // A reader that goes away (`wasmvisor ... | head`) ends the run quietly instead of crashing on
  // the unhandled EPIPE; any other stdout error is reported in one line.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    machine.stop();
    if (error.code === "EPIPE") process.exit(0);
    fail(`cannot write the guest's serial output: ${error.message}`, 1);
  });
  machine.serial.onData((bytes) => process.stdout.write(bytes));
  const outcome = await machine.run();
  if (args.stats) {
    const seconds = outcome.elapsedMs / 1000;
    process.stderr.write(`wasmvisor: ${outcome.instructions} instructions in ${seconds.toFixed(3)} s ` +
      `(${(Number(outcome.instructions) / seconds / 1e6).toFixed(1)} M instructions/s)\n`);
    for (const [name, value] of Object.entries(machine.statistics())) process.stderr.write(`  ${name}: ${value}\n`);
  }
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  switch (outcome.reason) {
    case "exit": process.exit((outcome.exitStatus ?? 1) & 0xff);
    // QEMU with -no-reboot exits with status 0 on a guest shutdown; say why on stderr.
    case "triple-fault": process.stderr.write("wasmvisor: guest triple-faulted (CPU shutdown); stopped\n"); process.exit(0);
    case "halted-forever": fail("guest halted with interrupts disabled and no timer pending; stopped", 1);
    default: process.exit(0);
  }
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
    if (error instanceof LoaderError || error instanceof MachineError || error instanceof EngineError) fail(error.message, 1);
    throw error;
  }
}

await main(process.argv.slice(2));
