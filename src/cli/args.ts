// Command-line parsing for `wasmvisor`: every malformed flag is refused with a one-line message.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface RunArguments {
  /** The kernel file; empty for the default Debian guest. */
  kernel: string;
  initrd?: string;
  /** The kernel is a flat binary loaded at this address (undefined: multiboot). */
  flatLoadAddress?: number;
  append: string;
  memoryMiB: number;
  modules: { path: string; cmdline: string }[];
  reboot: boolean;
  stats: boolean;
  loadAddress?: number;
  /** Binary translator mode (undefined: the default, or WASMVISOR_JIT). */
  jit?: "off" | "on" | "force";
}

export const USAGE = `usage: wasmvisor run [--kernel FILE [--initrd FILE] | --flat FILE [--load-address ADDR]] [--append STRING]
                     [--mem MiB] [--module FILE[=CMDLINE]]... [--no-reboot] [--stats]

  With no --kernel or --flat, boots the default guest: Debian's i386 Linux with a busybox shell
  on the serial console (fetched from Debian's archive and built on first use). Ctrl-A X quits.

  --kernel FILE      a Linux bzImage, or a multiboot (v1) kernel: ELF, or an image with load addresses in its header
  --initrd FILE      initial ramdisk for a Linux kernel
  --flat FILE        flat binary, entered in real mode at 0000:ADDR like a BIOS boot sector
  --load-address ADDR  where --flat loads (default 0x7c00; decimal or 0x hex, below 0x10000)
  --append STRING    kernel command line
  --mem MiB          guest RAM in MiB (default 128)
  --module FILE      a multiboot module; text after '=' is its command line (repeatable)
  --no-reboot        stop instead of restarting when the guest reboots or triple-faults (as QEMU's -no-reboot)
  --jit MODE         binary translation to WebAssembly: on (hot code, the default), off (interpret
                     everything), force (translate all code on first use; for testing the translator)
  --stats            print execution counters on stderr when the run ends`;

export function parseRunArguments(argv: string[]): RunArguments {
  const args: RunArguments = { kernel: "", append: "", memoryMiB: 128, modules: [], reboot: true, stats: false };
  let kernelGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case "--kernel":
      case "--flat": {
        if (kernelGiven) throw new UsageError("give one of --kernel and --flat, once");
        args.kernel = value();
        kernelGiven = true;
        if (flag === "--flat") args.flatLoadAddress ??= 0x7c00;
        break;
      }
      case "--load-address": {
        const text = value();
        if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) throw new UsageError(`--load-address takes a number (decimal or 0x hex), not '${text}'`);
        args.loadAddress = Number(text);
        break;
      }
      case "--append": args.append = value(); break;
      case "--initrd": args.initrd = value(); break;
      case "--mem": {
        const text = value();
        if (!/^[0-9]+$/.test(text)) throw new UsageError(`--mem takes a whole number of MiB, not '${text}'`);
        args.memoryMiB = Number(text);
        break;
      }
      case "--module": {
        const text = value();
        const split = text.indexOf("=");
        args.modules.push(split < 0 ? { path: text, cmdline: text } : { path: text.slice(0, split), cmdline: text.slice(split + 1) });
        break;
      }
      case "--no-reboot": args.reboot = false; break;
      case "--stats": args.stats = true; break;
      case "--jit": {
        const mode = value();
        if (mode !== "off" && mode !== "on" && mode !== "force") throw new UsageError(`--jit takes off, on or force, not '${mode}'`);
        args.jit = mode;
        break;
      }
      default:
        throw new UsageError(flag.startsWith("-") ? `unknown option '${flag}'` : `unexpected argument '${flag}'`);
    }
  }
  if (args.initrd !== undefined && (!kernelGiven || args.flatLoadAddress !== undefined)) {
    throw new UsageError("--initrd goes with --kernel");
  }
  if (args.loadAddress !== undefined) {
    if (args.flatLoadAddress === undefined) throw new UsageError("--load-address goes with --flat");
    args.flatLoadAddress = args.loadAddress;
  }
  return args;
}
