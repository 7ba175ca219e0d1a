// Throughput on a CPU-bound guest: wasmvisor's interpreter and translator, with QEMU (TCG) on
// the same binary in the same run for scale. Prints a table of medians; writes bench/results/cpu-loop.json.
//   node bench/run.js [--iterations N] [--runs N]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMachine, relaunchWithV8WorkerPool } from "../dist/index.js";

// (V8 gets a worker pool one thread smaller than the cores: src/machine/v8_worker_pool.ts)
await relaunchWithV8WorkerPool(fileURLToPath(import.meta.url));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const iterations = option("--iterations", 4_000_000);
const runs = option("--runs", 5);
const INSTRUCTIONS_PER_ITERATION = 23;

function buildGuest(name) {
  const out = path.join(root, "build/bench");
  mkdirSync(out, { recursive: true });
  const object = path.join(out, `${name}.o`);
  const elf = path.join(out, `${name}.elf`);
  execFileSync("nasm", ["-f", "elf32", path.join(root, "bench/guests", `${name}.asm`), "-o", object]);
  execFileSync("ld", ["-m", "elf_i386", "--no-warn-rwx-segments", "-T", path.join(root, "guests/lib/link.ld"), object, "-o", elf]);
  return elf;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function runWasmvisor(kernel, jit) {
  let serial = "";
  const machine = createMachine({ kernel, kernelName: "cpu_loop", cmdline: String(iterations), memoryMiB: 32, jit });
  machine.serial.onData((bytes) => { serial += Buffer.from(bytes).toString("latin1"); });
  const outcome = machine.runToCompletion();
  return { seconds: outcome.elapsedMs / 1000, instructions: Number(outcome.instructions), serial };
}

function runQemu(elf) {
  const started = performance.now();
  const result = spawnSync("qemu-system-i386", ["-accel", "tcg", "-cpu", "pentium2", "-kernel", elf, "-append", String(iterations),
    "-display", "none", "-serial", "stdio", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-no-reboot", "-m", "32"],
    { encoding: "latin1" });
  return { seconds: (performance.now() - started) / 1000, serial: result.stdout, status: result.status };
}

const elf = buildGuest("cpu_loop");
const kernel = new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(elf)));
const guestInstructions = iterations * INSTRUCTIONS_PER_ITERATION;
process.stderr.write(`cpu_loop: ${iterations} iterations (~${(guestInstructions / 1e6).toFixed(0)} M instructions), ${runs} runs each\n`);

const wasmvisorRuns = [];
const translatorRuns = [];
const qemuRuns = [];
for (let i = 0; i < runs; i++) {
  wasmvisorRuns.push(runWasmvisor(kernel, "off"));
  translatorRuns.push(runWasmvisor(kernel, "on"));
  qemuRuns.push(runQemu(elf));
  process.stderr.write(".");
}
process.stderr.write("\n");
const checksum = wasmvisorRuns[0].serial.trim();
for (const run of [...wasmvisorRuns, ...translatorRuns, ...qemuRuns]) {
  if (run.serial.trim() !== checksum) throw new Error(`checksum mismatch: ${run.serial.trim()} vs ${checksum}`);
}
const wasmvisorSeconds = median(wasmvisorRuns.map((run) => run.seconds));
const translatorSeconds = median(translatorRuns.map((run) => run.seconds));
const qemuSeconds = median(qemuRuns.map((run) => run.seconds));
const result = {
  date: new Date().toISOString(),
  guest: "bench/guests/cpu_loop.asm",
  iterations,
  instructions: wasmvisorRuns[0].instructions,
  checksum,
  runs,
  wasmvisorInterpreter: { medianSeconds: wasmvisorSeconds, instructionsPerSecond: wasmvisorRuns[0].instructions / wasmvisorSeconds },
  wasmvisorTranslator: { medianSeconds: translatorSeconds, instructionsPerSecond: translatorRuns[0].instructions / translatorSeconds },
  qemuTcg: { medianSeconds: qemuSeconds, note: "wall time of the whole qemu-system-i386 process, startup included" },
  ratioWasmvisorToQemu: wasmvisorSeconds / qemuSeconds,
  ratioTranslatorToQemu: translatorSeconds / qemuSeconds,
  speedupTranslatorOverInterpreter: wasmvisorSeconds / translatorSeconds,
};
mkdirSync(path.join(root, "bench/results"), { recursive: true });
writeFileSync(path.join(root, "bench/results/cpu-loop.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(`guest: cpu_loop, ${result.instructions} instructions, checksum ${checksum} (identical on both)`);
console.log("| emulator | median time (s) | guest instructions/s |");
console.log("|---|---|---|");
console.log(`| wasmvisor interpreter | ${wasmvisorSeconds.toFixed(3)} | ${(result.wasmvisorInterpreter.instructionsPerSecond / 1e6).toFixed(1)} M |`);
console.log(`| wasmvisor translator | ${translatorSeconds.toFixed(3)} | ${(result.wasmvisorTranslator.instructionsPerSecond / 1e6).toFixed(1)} M |`);
console.log(`| qemu-system-i386 (TCG) | ${qemuSeconds.toFixed(3)} | ${(result.instructions / qemuSeconds / 1e6).toFixed(1)} M (incl. startup) |`);
console.log(`time / QEMU's: interpreter ${result.ratioWasmvisorToQemu.toFixed(2)}×, translator ${result.ratioTranslatorToQemu.toFixed(2)}×; ` +
  `translator speed-up over the interpreter ${result.speedupTranslatorOverInterpreter.toFixed(2)}×`);
