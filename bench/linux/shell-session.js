// A busybox shell reached over a guest's serial console, whatever emulator carries the bytes:
// wait for text, run a command and time it between markers the shell prints.

export class ShellSession {
  /** @param {(text: string) => void} send writes to the guest's serial input */
  constructor(send) {
    this.send = send;
    this.output = "";
    this.waiters = [];
    this.stoppedWith = undefined;
  }

  /** Bytes from the guest's serial output. */
  receive(text) {
    this.output += text;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The emulator went away: every wait fails with this message. */
  stopped(message) {
    this.stoppedWith = message;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Wait until `text` appears after position `from`; returns the position just past it. */
  async waitFor(text, from = 0, timeoutMs = 900_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(text, from);
      if (at >= 0) return at + text.length;
      const tail = this.output.slice(-1500);
      if (this.stoppedWith) throw new Error(`${this.stoppedWith} while waiting for ${JSON.stringify(text)}; output ends with:\n${tail}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; output ends with:\n${tail}`);
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Run a shell command; returns its output and the seconds from its first to its last marker. */
  async run(command) {
    // The shell computes the markers ($((1+1)) → 2), so the echoed command line never matches them.
    const id = Math.random().toString(36).slice(2);
    const from = this.output.length;
    this.send(`echo __start_$((1+1))_${id}; ${command}; echo __end_$((1+1))_${id}\n`);
    const begin = await this.waitFor(`__start_2_${id}\r\n`, from);
    const started = performance.now();
    const end = await this.waitFor(`__end_2_${id}\r\n`, begin);
    const seconds = (performance.now() - started) / 1000;
    return { output: this.output.slice(begin, end - `__end_2_${id}\r\n`.length).replace(/\r\n/g, "\n"), seconds };
  }
}
