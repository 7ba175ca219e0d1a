// The command line tools start Node again with V8's worker pool one thread smaller than the
// machine has cores (src/machine/v8_worker_pool.ts): the script runs once, in the relaunched
// Node, with its arguments, and its exit status or signal becomes the tool's; signals sent to the
// tool reach it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const library = path.join(repoRoot, "dist/index.js");
const built = existsSync(library);

describe.skipIf(!built)("relaunch with a smaller V8 worker pool", () => {
  let dir: string;
  let script: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-pool-"));
    script = path.join(dir, "tool.mjs");
    // Prints how its Node was started, then exits with the status (or dies of the signal) asked.
    writeFileSync(script, `
      import { relaunchWithV8WorkerPool } from ${JSON.stringify(library)};
      import { fileURLToPath } from "node:url";
      await relaunchWithV8WorkerPool(fileURLToPath(import.meta.url));
      console.log(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2), pid: process.pid }));
      const [how, what] = process.argv.slice(2);
      if (how === "signal") process.kill(process.pid, what);
      else if (how === "wait") setInterval(() => {}, 1000);
      else process.exit(Number(what));
    `);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (nodeOptions: string[], ...args: string[]) =>
    spawnSync(process.execPath, [...nodeOptions, script, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } });

  it("runs the script once, in a Node with cores - 1 workers, with its arguments and exit status", () => {
    const result = run([], "status", "7", "--an-argument");
    expect(result.status).toBe(7);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const started = JSON.parse(lines[0]);
    expect(started.execArgv).toEqual([`--v8-pool-size=${Math.max(1, os.availableParallelism() - 1)}`]);
    expect(started.argv).toEqual(["status", "7", "--an-argument"]);
  });

  it("dies of the signal the relaunched Node died of", () => {
    const result = run([], "signal", "SIGTERM");
    expect(result.signal).toBe("SIGTERM");
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("passes a signal it gets on to the relaunched Node, and dies of it when that does", async () => {
    const tool = spawn(process.execPath, [script, "wait"], { env: { ...process.env, NODE_OPTIONS: "" } });
    let printed = "";
    await new Promise<void>((ready) => tool.stdout.on("data", (chunk) => { printed += chunk; if (printed.includes("\n")) ready(); }));
    const started = JSON.parse(printed);
    expect(started.execArgv[0]).toMatch(/^--v8-pool-size=/);
    tool.kill("SIGTERM");
    const [status, signal] = await new Promise<[number | null, string | null]>((ended) => tool.on("exit", (...how) => ended(how)));
    expect({ status, signal }).toEqual({ status: null, signal: "SIGTERM" });
    // The relaunched Node ended first (no orphan left running).
    const alive = (): boolean => { try { process.kill(started.pid, 0); return true; } catch { return false; } };
    const orphaned = alive();
    if (orphaned) process.kill(started.pid, "SIGKILL");
    expect(started.pid).not.toBe(tool.pid);
    expect(orphaned).toBe(false);
  });

  it("leaves a pool size given on Node's command line as it is", () => {
    const result = run(["--v8-pool-size=3"], "status", "0");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).execArgv).toEqual(["--v8-pool-size=3"]);
  });
});
