// Two builds of wasmvisor on the Debian bench guest in one process, taking turns at run slices on
// one thread, so changes in the host's speed (other tenants, clock frequency) hit both alike. A
// build's time is what its slices took (statistics().runningMilliseconds), and B's total over A's
// tells a change of a few per cent from noise on a machine where separate runs vary by ±10-30 %.
// Guest time follows retired instructions, so both guests do the same work. Some noise remains
// (a build against itself differed by up to 10 % on one row while other work ran): take the
// total over several rounds, and run again with A and B swapped.
//   node bench/ab.js DIR_A DIR_B [--rounds N] [--workloads shell,dd,gzip,cbench]
// DIR_A and DIR_B are checkouts (git worktrees, say) where `npm run build` has run.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDebianGuest, GUEST_PROMPT, relaunchWithV8WorkerPool } from "../dist/index.js";
import { prepareBenchGuest } from "./linux/bench-guest.js";
import { ShellSession } from "./linux/shell-session.js";
import { WORKLOADS } from "./linux/workloads.js";

await relaunchWithV8WorkerPool(fileURLToPath(import.meta.url));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const options = { "--rounds": "2", "--workloads": WORKLOADS.map((workload) => workload.key).join(",") };
const dirs = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (!(arg in options)) dirs.push(arg);
  else if (i + 1 < process.argv.length) options[arg] = process.argv[++i];
  else fail(`${arg} wants a value`);
}
if (dirs.length !== 2) fail("usage: node bench/ab.js DIR_A DIR_B [--rounds N] [--workloads shell,dd,gzip,cbench]");
const rounds = Number(options["--rounds"]);
if (!(rounds >= 1)) fail("--rounds wants a positive number");
const chosen = options["--workloads"].split(",").map((key) => WORKLOADS.find((workload) => workload.key === key) ??
  fail(`unknown workload ${JSON.stringify(key)}; choose from ${WORKLOADS.map((workload) => workload.key).join(", ")}`));
const builds = dirs.map((dir) => path.resolve(dir));
for (const dir of builds) {
  if (!existsSync(path.join(dir, "dist/index.js"))) fail(`${dir} has no dist/index.js: run npm run build there first`);
}

function fail(message) {
  console.error(`bench/ab.js: ${message}`);
  process.exit(2);
}

const guest = prepareBenchGuest(await ensureDebianGuest({}), root);
const sides = [];
for (const dir of builds) {
  const { createMachine } = await import(path.join(dir, "dist/index.js"));
  const machine = createMachine({ kernel: readFileSync(guest.kernelPath), initrd: readFileSync(guest.initrdPath), cmdline: guest.cmdline, memoryMiB: 128 });
  const session = new ShellSession((text) => machine.serial.write(text));
  machine.serial.onData((bytes) => session.receive(Buffer.from(bytes).toString("latin1")));
  machine.run().then((outcome) => session.stopped(`${dir} stopped (${outcome.reason})`), (error) => session.stopped(`${dir} failed: ${error.message}`));
  if (machine.statistics().runningMilliseconds === undefined) fail(`${dir} is older than the runningMilliseconds statistic this needs`);
  sides.push({ machine, session });
}
const running = () => sides.map(({ machine }) => machine.statistics().runningMilliseconds / 1000);

console.log(`A: ${builds[0]}\nB: ${builds[1]}\nseconds in each build's run slices; the two run side by side`);
console.log("| workload | A | B | B/A |\n|---|---|---|---|");
const row = (name, a, b) => console.log(`| ${name.replaceAll("|", "\\|")} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(3)} |`);
await Promise.all(sides.map(({ session }) => session.waitFor(GUEST_PROMPT)));
const [bootA, bootB] = running();
row("boot to prompt", bootA, bootB);
const totals = [0, 0];
for (let round = 1; round <= rounds; round++) {
  for (const workload of chosen) {
    const before = running();
    const [a, b] = await Promise.all(sides.map(({ session }) => session.run(workload.command)));
    if (a.output !== b.output) fail(`${workload.name}: the builds printed different output:\nA: ${a.output}\nB: ${b.output}`);
    const [secondsA, secondsB] = running().map((seconds, i) => seconds - before[i]);
    totals[0] += secondsA;
    totals[1] += secondsB;
    row(`${workload.name}, round ${round}`, secondsA, secondsB);
  }
}
row("workloads in all", totals[0], totals[1]);
for (const { machine } of sides) machine.stop();
process.exit(0);
