// The Debian guest (same kernel, initramfs and command line) under wasmvisor (translator on and
// off), qemu-system-i386 (TCG) and v86 in one run: time to the shell prompt, then workloads timed
// between markers the guest prints: shell commands and a small C benchmark (bench/guests/cbench.c,
// added to the initrd by bench/linux/bench-guest.js). The native column runs the same commands on
// the host with the guest's busybox. Every workload's output is checked against what the host
// computes. Prints a table of medians and ratios; writes bench/results/linux-guest.json.
//   node bench/linux-guest.js [--runs N] [--emulators wasmvisor,wasmvisor-interpreter,qemu,v86,native]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDebianGuest, GUEST_PROMPT, relaunchWithV8WorkerPool } from "../dist/index.js";
import { prepareBenchGuest } from "./linux/bench-guest.js";
import { EMULATORS } from "./linux/emulators.js";
import { CBENCH_ROUNDS, WORKLOADS as ALL_WORKLOADS } from "./linux/workloads.js";

// (wasmvisor and v86 alike run with V8's worker pool one thread smaller than the cores: src/machine/v8_worker_pool.ts)
await relaunchWithV8WorkerPool(fileURLToPath(import.meta.url));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option("--runs", "3"));
const chosen = option("--emulators", Object.keys(EMULATORS).join(",")).split(",");
for (const name of chosen) {
  if (!EMULATORS[name]) throw new Error(`unknown emulator ${JSON.stringify(name)}; choose from ${Object.keys(EMULATORS).join(", ")}`);
}
if (!(runs >= 1)) throw new Error("--runs wants a positive number");

const guest = prepareBenchGuest(await ensureDebianGuest({}), root);

const md5 = (data) => `${createHash("md5").update(data).digest("hex")}  -\n`;
const seq = (count) => Array.from({ length: count }, (_, i) => `${i + 1}\n`).join("");
const EXPECTED = {
  shell: "30000\n",
  dd: md5(Buffer.alloc(16 << 20)),
  gzip: md5(seq(100000)),
  // The same binary run natively gives the expected line (its checksum does not depend on the CPU).
  cbench: execFileSync(path.join(guest.nativeBin, "cbench"), [String(CBENCH_ROUNDS)], { encoding: "latin1" }),
};
const WORKLOADS = ALL_WORKLOADS.map((workload) => ({ ...workload, expected: EXPECTED[workload.key] }));
const ROWS = ["boot to prompt", ...WORKLOADS.map((workload) => workload.name)];

// A workload whose output is wrong has no time; the run goes on so the other figures are kept.
const failures = [];

/** Seconds for each row; null for the boot of what does not boot (native) and for wrong output. */
async function measure(name) {
  const started = performance.now();
  const { session, close } = await EMULATORS[name].start(guest);
  try {
    const seconds = [null];
    if (EMULATORS[name].boots) {
      await session.waitFor(GUEST_PROMPT);
      seconds[0] = (performance.now() - started) / 1000;
    }
    for (const workload of WORKLOADS) {
      const { output: printed, seconds: workloadSeconds } = await session.run(workload.command);
      // A kernel message on the console is not the command's output (on v86 the kernel has
      // warned mid-workload that a timer interrupt took 21 ms).
      const output = printed.replace(/^\[ *\d+\.\d+\] .*\n/gm, "");
      if (output !== workload.expected) {
        failures.push({ emulator: name, workload: workload.name, output, expected: workload.expected });
        process.stderr.write(`${name}: "${workload.command}" printed ${JSON.stringify(printed)}, the host computes ${JSON.stringify(workload.expected)}\n`);
      }
      seconds.push(output === workload.expected ? workloadSeconds : null);
    }
    return seconds;
  } finally {
    close();
  }
}

const median = (values) => (values.includes(null) ? null : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const formatSeconds = (seconds) => (seconds >= 0.1 ? seconds.toFixed(2) : seconds.toPrecision(2));
const formatRatio = (ratio) => (ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2));
const samples = Object.fromEntries(chosen.map((name) => [name, []]));
for (let run = 1; run <= runs; run++) {
  for (const name of chosen) {
    samples[name].push(await measure(name));
    process.stderr.write(`run ${run}/${runs} ${name}: ${samples[name].at(-1).map((s) => (s === null ? "—" : `${formatSeconds(s)} s`)).join(", ")}\n`);
  }
}
const medians = Object.fromEntries(chosen.map((name) => [name, ROWS.map((_, row) => median(samples[name].map((sample) => sample[row])))]));

const reference = chosen.includes("qemu") ? "qemu" : chosen[0];
console.log(`Debian guest: Linux ${guest.kernelVersion}, busybox initramfs + /bin/cbench, 128 MiB; seconds, median of ${runs}; ratio = time / ${reference}'s`);
console.log(`host: ${availableParallelism()} cores, Node ${process.version} ${process.execArgv.join(" ")}`);
console.log(`| workload | ${chosen.map((name) => EMULATORS[name].label).join(" | ")} |`);
console.log(`|---|${chosen.map(() => "---|").join("")}`);
ROWS.forEach((row, index) => {
  const cells = chosen.map((name) => {
    const seconds = medians[name][index];
    const base = medians[reference][index];
    if (seconds === null) return failures.some((failure) => failure.emulator === name && failure.workload === row) ? "wrong output" : "—";
    const ratio = name === reference || base === null ? "" : ` (${formatRatio(seconds / base)}×)`;
    return `${formatSeconds(seconds)}${ratio}`;
  });
  console.log(`| ${row.replaceAll("|", "\\|")} | ${cells.join(" | ")} |`);
});

const result = {
  date: new Date().toISOString(),
  guest: { kernel: guest.kernelVersion, cmdline: guest.cmdline, memoryMiB: 128 },
  host: { cores: availableParallelism(), node: process.version, execArgv: process.execArgv },
  runs,
  rows: ROWS,
  workloads: WORKLOADS.map(({ name, command }) => ({ name, command })),
  medianSeconds: medians,
  failures,
  samples,
};
mkdirSync(path.join(root, "bench/results"), { recursive: true });
writeFileSync(path.join(root, "bench/results/linux-guest.json"), `${JSON.stringify(result, null, 2)}\n`);
for (const failed of new Set(failures.map(({ emulator, workload }) => `${emulator}, ${workload}`))) console.log(`wrong output: ${failed} (printed above)`);
process.exit(failures.length > 0 ? 1 : 0);
