// Assembles and links generated guests with nasm and ld (multiboot ELF at 1 MiB).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { guestSource, type Guest } from "./generate.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HARNESS = path.join(repoRoot, "guests/random/harness.asm");
export const LINKER_SCRIPT = path.join(repoRoot, "guests/random/link.ld");

export class GuestBuildError extends Error {
  constructor(step: string, output: string) {
    super(`${step} failed:\n${output}`);
    this.name = "GuestBuildError";
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new GuestBuildError(`${command} ${args.join(" ")}`, result.stderr + result.stdout);
}

/** Writes `<dir>/<name>.asm`, builds `<dir>/<name>.elf` and returns the ELF path. */
export function buildGuest(guest: Guest, dir: string, name: string, verbose = false): string {
  const asm = path.join(dir, `${name}.asm`);
  const obj = path.join(dir, `${name}.o`);
  const elf = path.join(dir, `${name}.elf`);
  writeFileSync(asm, guestSource(guest, { verbose, harnessPath: HARNESS }));
  run("nasm", ["-f", "elf32", "-o", obj, asm]);
  run("ld", ["-m", "elf_i386", "--no-warn-rwx-segments", "-T", LINKER_SCRIPT, "-o", elf, obj]);
  return elf;
}
