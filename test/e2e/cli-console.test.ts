// The command a user types first: `wasmvisor run` with no kernel boots the default Debian guest on
// the terminal. Driven here through pipes: progress on stderr, the shell on stdout, keystrokes on
// stdin, Ctrl-A X to quit, the exit status of a guest power-off, and a guest reboot.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GUEST_PROMPT } from "../../src/guest-image/initramfs.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface Cli {
  send(text: string): void;
  /** Wait until `text` has appeared on stdout `times` times. */
  waitFor(text: string, times?: number): Promise<void>;
  done: Promise<{ status: number | null; stderr: string }>;
}

function startCli(): Cli {
  const child = spawn(process.execPath, [path.join(root, "bin/wasmvisor.js"), "run"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString("latin1"); waiters.splice(0).forEach((wake) => wake()); });
  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("latin1"); });
  const done = new Promise<{ status: number | null; stderr: string }>((resolve) => child.on("exit", (status) => resolve({ status, stderr })));
  return {
    send: (text) => child.stdin.write(text),
    async waitFor(text, times = 1) {
      while (stdout.split(text).length - 1 < times) await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 1000); });
    },
    done,
  };
}

describe("wasmvisor run (default guest) on a console", () => {
  it("boots to the shell, reports progress, and exits 0 when the guest powers off", async () => {
    const cli = startCli();
    await cli.waitFor(GUEST_PROMPT);
    cli.send("echo console-$((6*7))\n");
    await cli.waitFor("console-42");
    cli.send("poweroff -f\n");
    const { status, stderr } = await cli.done;
    expect(status).toBe(0);
    expect(stderr).toMatch(/wasmvisor: booting Linux 6\.1\.\d+-\d+-686 \(Ctrl-A X quits\)/);
    expect(stderr).toMatch(/wasmvisor: \d+ guest instructions in [\d.]+ s \([\d.]+ M instructions\/s\)/);
  }, 600_000);

  it("boots the guest again when it reboots, and quits on Ctrl-A X", async () => {
    const cli = startCli();
    await cli.waitFor(GUEST_PROMPT);
    cli.send("reboot -f\n");
    await cli.waitFor("Linux version 6.1", 2);
    cli.send("\x01x");
    const { status } = await cli.done;
    expect(status).toBe(0);
  }, 600_000);
});
