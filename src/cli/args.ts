// Command-line parsing for `wasmvisor`: every malformed flag is refused with a one-line message.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface RunArguments {
  kernel: string;
  append: string;
  memoryMiB: number;
  modules: { path: string; cmdline: string }[];
  reboot: boolean;
  stats: boolean;
}

export const USAGE = `usage: wasmvisor run --kernel FILE [--append STRING] [--mem MiB] [--module FILE[=CMDLINE]]... [--no-reboot] [--stats]

  --kernel FILE      multiboot (v1) kernel: ELF, or an image with load addresses in its header
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
      case "--kernel": args.kernel = value(); kernelGiven = true; break;
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
  if (!kernelGiven) throw new UsageError("--kernel FILE is required");
  return args;
}
