// Command-line parsing for `wasmvisor`: every malformed flag is refused with a one-line message.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface RunArguments {
  kernel: string;
  /** The kernel is a flat binary loaded at this address (undefined: multiboot). */
  flatLoadAddress?: number;
  append: string;
  memoryMiB: number;
  modules: { path: string; cmdline: string }[];
  reboot: boolean;
  stats: boolean;
  loadAddress?: number;
}

export const USAGE = `usage: wasmvisor run (--kernel FILE | --flat FILE [--load-address ADDR]) [--append STRING] [--mem MiB]
                     [--module FILE[=CMDLINE]]... [--no-reboot] [--stats]

  --kernel FILE      multiboot (v1) kernel: ELF, or an image with load addresses in its header
  --flat FILE        flat binary, entered in real mode at 0000:ADDR like a BIOS boot sector
  --load-address ADDR  where --flat loads (default 0x7c00; decimal or 0x hex, below 0x10000)
  --append STRING    kernel command line
  --mem MiB          guest RAM in MiB (default 32)
  --module FILE      a multiboot module; text after '=' is its command line (repeatable)
  --no-reboot        stop instead of rebooting when the guest triple-faults (as QEMU's -no-reboot)
  --stats            print execution counters on stderr when the run ends`;

export function parseRunArguments(argv: string[]): RunArguments {
  const args: RunArguments = { kernel: "", append: "", memoryMiB: 32, modules: [], reboot: true, stats: false };
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
      default:
        throw new UsageError(flag.startsWith("-") ? `unknown option '${flag}'` : `unexpected argument '${flag}'`);
    }
  }
  if (!kernelGiven) throw new UsageError("--kernel FILE (or --flat FILE) is required");
  if (args.loadAddress !== undefined) {
    if (args.flatLoadAddress === undefined) throw new UsageError("--load-address goes with --flat");
    args.flatLoadAddress = args.loadAddress;
  }
  return args;
}
