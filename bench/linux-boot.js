// Boot-to-prompt time of the Debian guest (same kernel, initramfs and command line) under
// wasmvisor and qemu-system-i386 (TCG), in the same run; medians of --runs (default 3).
// The v86 column is not measured yet (it needs SeaBIOS from Debian's seabios package).
//   node bench/linux-boot.js [--runs N]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createMachine, ensureDebianGuest, GUEST_PROMPT } from "../dist/index.js";

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 3;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const guest = await ensureDebianGuest({});

function bootWasmvisor() {
  return new Promise((resolve) => {
    const started = performance.now();
    const machine = createMachine({ kernel: readFileSync(guest.kernelPath), initrd: readFileSync(guest.initrdPath), cmdline: guest.cmdline });
    let output = "";
    machine.serial.onData((bytes) => {
      output += Buffer.from(bytes).toString("latin1");
      if (output.includes(GUEST_PROMPT)) {
        const seconds = (performance.now() - started) / 1000;
        machine.stop();
        resolve(seconds);
      }
    });
    void machine.run();
  });
}

function bootQemu() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const qemu = spawn("qemu-system-i386", ["-accel", "tcg", "-cpu", "pentium2", "-m", "128", "-kernel", guest.kernelPath,
      "-initrd", guest.initrdPath, "-append", guest.cmdline, "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]);
    let output = "";
    qemu.stdout.on("data", (chunk) => {
      output += chunk.toString("latin1");
      if (output.includes(GUEST_PROMPT)) {
        const seconds = (performance.now() - started) / 1000;
        qemu.kill();
        resolve(seconds);
      }
    });
    qemu.on("exit", () => { if (!output.includes(GUEST_PROMPT)) reject(new Error(`QEMU stopped before the prompt:\n${output.slice(-1000)}`)); });
  });
}

const wasmvisor = [];
const qemu = [];
for (let i = 0; i < runs; i++) {
  qemu.push(await bootQemu());
  wasmvisor.push(await bootWasmvisor());
  process.stderr.write(`run ${i + 1}: wasmvisor ${wasmvisor.at(-1).toFixed(1)} s, QEMU ${qemu.at(-1).toFixed(1)} s\n`);
}
console.log(`Debian guest (Linux ${guest.kernelVersion}, busybox initramfs), boot to "${GUEST_PROMPT.trim()}", median of ${runs}`);
console.log("| emulator | boot to prompt (s) |");
console.log("|---|---|");
console.log(`| wasmvisor (interpreter) | ${median(wasmvisor).toFixed(1)} |`);
console.log(`| qemu-system-i386 (TCG) | ${median(qemu).toFixed(1)} |`);
console.log(`| v86 | not measured yet |`);
console.log(`wasmvisor / QEMU: ${(median(wasmvisor) / median(qemu)).toFixed(1)}×`);
process.exit(0);
