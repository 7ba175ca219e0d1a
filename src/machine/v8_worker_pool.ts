// V8 compiles translated code, and optimizes it again once it is hot, on its worker threads;
// Node starts four of them whatever the machine. With more workers than spare cores they take the
// guest's thread off its core: on 2 cores, the main thread ran about 40 % of the first second of
// the bench's shell loop. With the pool one thread smaller than the machine has cores, 3
// alternating runs of the Linux bench booted in 11.7 s against 13.1 (every run faster) and ran
// the shell loop, dd and gzip about a tenth faster. The pool's size is fixed when Node starts, so the command
// line tools start Node again with it set.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";

const POOL_FLAG = "--v8-pool-size";

/** The worker pool size that leaves the guest's thread a core of its own. */
function guestFriendlyPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Unless Node was started with a pool size (on its command line or in NODE_OPTIONS), runs
 * `script` again in a Node started with guestFriendlyPoolSize() workers, with the same
 * arguments and standard streams, passes it the signals this process gets, and exits as it did:
 * the promise settles only in the process that is to go on (this one, if Node cannot be started).
 */
export function relaunchWithV8WorkerPool(script: string): Promise<void> {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((argument) => argument.startsWith(POOL_FLAG))) return Promise.resolve();
  const node = [...process.execArgv, `${POOL_FLAG}=${guestFriendlyPoolSize()}`, script, ...process.argv.slice(2)];
  const child = spawn(process.execPath, node, { stdio: "inherit" });
  const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal: NodeJS.Signals): void => { child.kill(signal); };
  for (const signal of forwarded) process.on(signal, forward);
  return new Promise((goOnHere) => {
    child.on("error", () => {
      for (const signal of forwarded) process.off(signal, forward);
      goOnHere();
    });
    child.on("exit", (status, signal) => {
      if (signal === null) process.exit(status ?? 1);
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  });
}
