// The emulators the Linux benchmark compares, each booting the same kernel, initramfs and command
// line with 128 MiB of RAM and its shell on the first serial port, and the host itself running the
// same commands natively (nothing to boot). start(guest) begins the boot and returns
// { session, close }; session.run(command) resolves to { output, seconds }.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createMachine } from "../../dist/index.js";
import { ShellSession } from "./shell-session.js";

const MEMORY_MIB = 128;
// Debian's seabios package; v86 needs a BIOS to run its bzImage loader.
const SEABIOS = "/usr/share/seabios/bios.bin";

const latin1 = (bytes) => Buffer.from(bytes).toString("latin1");

function startWasmvisor(guest, jit) {
  const machine = createMachine({ kernel: readFileSync(guest.kernelPath), initrd: readFileSync(guest.initrdPath), cmdline: guest.cmdline, memoryMiB: MEMORY_MIB, jit });
  const session = new ShellSession((text) => machine.serial.write(text));
  machine.serial.onData((bytes) => session.receive(latin1(bytes)));
  machine.run().then((outcome) => session.stopped(`wasmvisor stopped (${outcome.reason})`), (error) => session.stopped(`wasmvisor failed: ${error.message}`));
  return { session, close: () => machine.stop() };
}

function startQemu(guest) {
  const qemu = spawn("qemu-system-i386", ["-accel", "tcg", "-cpu", "pentium2", "-m", String(MEMORY_MIB), "-kernel", guest.kernelPath,
    "-initrd", guest.initrdPath, "-append", guest.cmdline, "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]);
  const session = new ShellSession((text) => qemu.stdin.write(text));
  qemu.stdout.on("data", (chunk) => session.receive(latin1(chunk)));
  qemu.on("error", (error) => session.stopped(`qemu-system-i386 could not start: ${error.message}`));
  qemu.on("exit", (code) => session.stopped(`qemu-system-i386 exited with ${code}`));
  return { session, close: () => qemu.kill() };
}

async function startV86(guest) {
  if (!existsSync(SEABIOS)) throw new Error(`v86 needs SeaBIOS at ${SEABIOS}: install Debian's seabios package`);
  const { V86 } = await import("v86");
  const v86Build = path.dirname(createRequire(import.meta.url).resolve("v86"));
  const image = (file) => {
    const bytes = readFileSync(file);
    return { buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
  };
  const emulator = new V86({
    wasm_path: path.join(v86Build, "v86.wasm"),
    bios: image(SEABIOS),
    bzimage: image(guest.kernelPath),
    initrd: image(guest.initrdPath),
    cmdline: guest.cmdline,
    memory_size: MEMORY_MIB << 20,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
  });
  const session = new ShellSession((text) => emulator.serial0_send(text));
  emulator.add_listener("serial0-output-byte", (byte) => session.receive(String.fromCharCode(byte)));
  return { session, close: () => emulator.destroy() };
}

// The guest's busybox and tools run on the host (guest.nativeBin is the only PATH), each command in
// its own `busybox sh -c`, timed from spawn to exit. Standard error joins the output, as on the
// guest's console.
function startNative(guest) {
  const run = (command) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const options = { cwd: guest.nativeBin, env: { PATH: guest.nativeBin, HOME: guest.nativeBin }, encoding: "latin1", maxBuffer: 1 << 20 };
      execFile(path.join(guest.nativeBin, "busybox"), ["sh", "-c", `exec 2>&1; ${command}`], options, (error, stdout) => {
        const seconds = (performance.now() - started) / 1000;
        // A failing command is still a result (its output will not match); failing to start is not.
        if (error && typeof error.code !== "number") reject(new Error(`native busybox sh could not run: ${error.message}`));
        else resolve({ output: stdout, seconds });
      });
    });
  return { session: { run }, close: () => {} };
}

export const EMULATORS = {
  wasmvisor: { label: "wasmvisor (translator)", boots: true, start: (guest) => startWasmvisor(guest, "on") },
  "wasmvisor-interpreter": { label: "wasmvisor (interpreter)", boots: true, start: (guest) => startWasmvisor(guest, "off") },
  qemu: { label: "qemu-system-i386 (TCG)", boots: true, start: startQemu },
  v86: { label: "v86 (npm)", boots: true, start: startV86 },
  native: { label: "native (host)", boots: false, start: startNative },
};
