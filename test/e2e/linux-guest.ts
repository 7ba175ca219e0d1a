// Drives a Linux guest over its serial console: boot, wait for text, send commands and collect
// their output. Used by the end-to-end tests and the benchmarks.
import { readFileSync } from "node:fs";
import { createMachine, type Machine, type RunOutcome } from "../../src/machine/machine.ts";
import { ensureDebianGuest } from "../../src/guest-image/debian.ts";
import { GUEST_PROMPT } from "../../src/guest-image/initramfs.ts";

export class LinuxGuest {
  readonly machine: Machine;
  /** Everything the guest printed (kernel log and shell). */
  output = "";
  readonly outcome: Promise<RunOutcome>;
  private waiters: (() => void)[] = [];

  private constructor(machine: Machine) {
    this.machine = machine;
    machine.serial.onData((bytes) => {
      this.output += Buffer.from(bytes).toString("latin1");
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.outcome = machine.run();
  }

  static async boot(memoryMiB = 128): Promise<LinuxGuest> {
    const image = await ensureDebianGuest({});
    const machine = createMachine({
      kernel: readFileSync(image.kernelPath),
      kernelName: "vmlinuz",
      initrd: readFileSync(image.initrdPath),
      cmdline: image.cmdline,
      memoryMiB,
    });
    return new LinuxGuest(machine);
  }

  /** Wait until `text` appears in the output after position `from`; returns where it ends. */
  async waitFor(text: string, from = 0, timeoutMs = 300_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; output ends with:\n${this.output.slice(-2000)}`);
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        this.outcome.then(() => { throw new Error(`guest stopped while waiting for ${JSON.stringify(text)}:\n${this.output.slice(-2000)}`); }),
        new Promise<void>((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
  }

  /** Run a shell command; returns what it printed. */
  async run(command: string, timeoutMs = 300_000): Promise<string> {
    // The markers are computed by the shell ($((1+1)) → 2), so the echoed command line, which
    // the line editor may also wrap, never contains them.
    const id = Math.random().toString(36).slice(2);
    const start = this.output.length;
    this.machine.serial.write(`echo __start_$((1+1))_${id}; ${command}; echo __end_$((1+1))_${id}\n`);
    const begin = await this.waitFor(`__start_2_${id}\r\n`, start, timeoutMs);
    const end = await this.waitFor(`__end_2_${id}\r\n`, begin, timeoutMs);
    return this.output.slice(begin, end - `__end_2_${id}\r\n`.length).replace(/\r\n/g, "\n");
  }

  static readonly prompt = GUEST_PROMPT;
}
