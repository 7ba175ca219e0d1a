// Runs a guest twice side by side, interpreted (jit=off, the reference) and translated, and
// compares them after every step: the first difference is narrowed down to the instructions that
// cause it and reported. Exits 0 when the guest stopped alike in both or the limit was reached,
// 1 on a divergence, 2 on bad arguments or another error. Uses the built library (npm run build).
//
//   node scripts/lockstep.js [--jit on|force] [--slice N] [--ram-every N] [--max-instructions N]
//                            [--no-narrow] GUEST
//   GUEST: --linux [--append STRING]       the cached Debian guest (as `wasmvisor run` with no kernel)
//          [--kernel] FILE [--initrd FILE] [--append STRING]   a multiboot ELF or a Linux bzImage
//          --flat FILE [--load-address ADDR]                   a flat binary entered in real mode
//          [--mem MiB] [--reboot]          guest RAM (default 128); boot again on reset (default: stop)
import { readFileSync } from "node:fs";
import {
  runLockstep, describeDivergence, ensureDebianGuest, LockstepError, LoaderError, MachineError, GuestImageError,
} from "../dist/index.js";

const USAGE = "usage: node scripts/lockstep.js [--jit on|force] [--slice N] [--ram-every N] [--max-instructions N] [--no-narrow]\n" +
  "         (--linux | [--kernel] FILE [--initrd FILE] | --flat FILE [--load-address ADDR]) [--append STRING] [--mem MiB] [--reboot]";

function fail(message) {
  process.stderr.write(`lockstep: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const args = { jit: "on", append: "", memoryMiB: 128, narrow: true, reboot: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    };
    const count = () => {
      const text = value();
      // Underscores allowed for readability: --max-instructions 300_000_000.
      if (!/^[0-9][0-9_]*$/.test(text) || Number(text.replaceAll("_", "")) < 1) fail(`${flag} takes a whole number from 1, not '${text}'`);
      return Number(text.replaceAll("_", ""));
    };
    switch (flag) {
      case "--jit": {
        args.jit = value();
        if (args.jit !== "on" && args.jit !== "force") fail(`--jit takes on or force, not '${args.jit}'`);
        break;
      }
      case "--slice": args.stepInstructions = count(); break;
      case "--ram-every": args.ramEvery = count(); break;
      case "--max-instructions": args.maxInstructions = count(); break;
      case "--no-narrow": args.narrow = false; break;
      case "--linux": args.linux = true; break;
      case "--kernel": args.kernel = value(); break;
      case "--flat": args.kernel = value(); args.flat = true; break;
      case "--load-address": args.loadAddress = Number(value()); break;
      case "--initrd": args.initrd = value(); break;
      case "--append": args.append = value(); break;
      case "--mem": args.memoryMiB = count(); break;
      case "--reboot": args.reboot = true; break;
      default:
        if (flag.startsWith("-")) fail(`unknown option '${flag}'`);
        if (args.kernel !== undefined) fail(`unexpected argument '${flag}'`);
        args.kernel = flag;
    }
  }
  if ((args.linux === true) === (args.kernel !== undefined)) fail("give a guest: --linux or a kernel file, not both");
  if (args.loadAddress !== undefined && (!args.flat || !Number.isInteger(args.loadAddress))) fail("--load-address takes a number and goes with --flat");
  return args;
}

async function machineOptions(args) {
  const common = { memoryMiB: args.memoryMiB, rebootOnReset: args.reboot };
  if (args.linux) {
    const guest = await ensureDebianGuest({ onProgress: (message) => process.stderr.write(`lockstep: ${message}\n`) });
    const cmdline = args.append === "" ? guest.cmdline : `${guest.cmdline} ${args.append}`;
    return { ...common, kernel: readFileSync(guest.kernelPath), kernelName: "vmlinuz", initrd: readFileSync(guest.initrdPath), cmdline };
  }
  return {
    ...common,
    kernel: readFileSync(args.kernel),
    kernelName: args.kernel,
    initrd: args.initrd === undefined ? undefined : readFileSync(args.initrd),
    cmdline: args.append,
    flat: args.flat ? { loadAddress: args.loadAddress } : undefined,
  };
}

const args = parseArguments(process.argv.slice(2));
const started = performance.now();
const millions = (n) => (n / 1e6).toFixed(1);

function showProgress(instructions, what) {
  const seconds = (performance.now() - started) / 1000;
  const rate = what === "compared" ? ` (${millions(instructions / seconds)} M/s)` : "";
  process.stderr.write(`lockstep: ${millions(instructions)} M instructions ${what}${rate}, ${seconds.toFixed(0)} s\n`);
}

let result;
try {
  const { jit, stepInstructions, ramEvery, maxInstructions, narrow } = args;
  const machine = await machineOptions(args);
  result = runLockstep({ machine, jit, stepInstructions, ramEvery, maxInstructions, narrow, onProgress: showProgress });
} catch (error) {
  const expected = [LockstepError, LoaderError, MachineError, GuestImageError].some((type) => error instanceof type);
  if (!expected && error.code !== "ENOENT") throw error;
  process.stderr.write(`lockstep: ${error.message}\n`);
  process.exit(2);
}
const seconds = (performance.now() - started) / 1000;
const summary = `${result.instructions} instructions compared in ${seconds.toFixed(1)} s`;
switch (result.status) {
  case "stopped": {
    const status = result.stop.exitStatus === undefined ? "" : ` (status ${result.stop.exitStatus})`;
    process.stdout.write(`lockstep: no divergence; both stopped alike: ${result.stop.reason}${status}; ${summary}\n`);
    break;
  }
  case "limit":
    process.stdout.write(`lockstep: no divergence up to the limit; ${summary}\n`);
    break;
  default:
    process.stdout.write(`${describeDivergence(result.divergence, args.jit)}\n`);
    process.exitCode = 1;
}
