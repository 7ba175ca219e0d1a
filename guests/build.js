#!/usr/bin/env node
// Builds the test guests: every guests/tests/NAME.asm (NASM) or NAME.c (gcc -m32, freestanding)
// is linked with the shared library in guests/lib into build/guests/NAME.elf, a multiboot v1 ELF.
// A guest is rebuilt only when its source, any file in guests/lib, or this script is newer than it.
//
//   node guests/build.js            build every guest
//   node guests/build.js alu shift  build the named guests
//   node guests/build.js --list     print the guest names
//
// Also importable: `buildGuests(names?)` returns [{ name, elf }].
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const libDir = path.join(here, "lib");
const testsDir = path.join(here, "tests");
export const outDir = path.join(repoRoot, "build", "guests");
const objDir = path.join(outDir, "obj");

const LIB_ASM = ["boot.asm", "serial.asm"];
const CFLAGS = [
  "-m32", "-march=i686", "-ffreestanding", "-fno-pic", "-fno-pie", "-nostdlib", "-O2",
  "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-builtin", "-Wall", "-Wextra",
];

export class GuestBuildError extends Error {
  constructor(message) {
    super(message);
    this.name = "GuestBuildError";
  }
}

function run(tool, args) {
  const result = spawnSync(tool, args, { encoding: "utf8" });
  if (result.error && result.error.code === "ENOENT") {
    const hint = {
      nasm: "install it with `apt-get install nasm`",
      gcc: "install gcc with 32-bit support: `apt-get install gcc-multilib`",
      ld: "install binutils: `apt-get install binutils`",
    }[tool] ?? "install it";
    throw new GuestBuildError(`guest build needs \`${tool}\`, which is not on PATH: ${hint}`);
  }
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new GuestBuildError(`${tool} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : -1);

/** Newest modification time among the files every guest depends on. */
function libraryMtime() {
  let newest = mtime(fileURLToPath(import.meta.url));
  for (const f of readdirSync(libDir)) newest = Math.max(newest, mtime(path.join(libDir, f)));
  return newest;
}

export function listGuests() {
  return readdirSync(testsDir)
    .filter((f) => /\.(asm|c)$/.test(f))
    .map((f) => ({ name: f.replace(/\.(asm|c)$/, ""), source: path.join(testsDir, f) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function assemble(source, object) {
  run("nasm", ["-f", "elf32", "-g", "-I", libDir + path.sep, "-o", object, source]);
}

function buildLibrary(libStamp) {
  mkdirSync(objDir, { recursive: true });
  return LIB_ASM.map((file) => {
    const object = path.join(objDir, "lib_" + file.replace(/\.asm$/, ".o"));
    if (mtime(object) < libStamp) assemble(path.join(libDir, file), object);
    return object;
  });
}

function buildLibraryC(libStamp) {
  const object = path.join(objDir, "lib_string.o");
  if (mtime(object) < libStamp) run("gcc", [...CFLAGS, "-I", libDir, "-c", "-o", object, path.join(libDir, "string.c")]);
  return object;
}

export function buildGuests(names) {
  const all = listGuests();
  const wanted = names && names.length > 0 ? names : all.map((g) => g.name);
  const unknown = wanted.filter((n) => !all.some((g) => g.name === n));
  if (unknown.length) throw new GuestBuildError(`no such guest: ${unknown.join(", ")}`);

  const libStamp = libraryMtime();
  const libObjects = buildLibrary(libStamp);
  const built = [];
  for (const guest of all.filter((g) => wanted.includes(g.name))) {
    const elf = path.join(outDir, guest.name + ".elf");
    const stamp = Math.max(libStamp, mtime(guest.source));
    if (mtime(elf) < stamp) {
      const object = path.join(objDir, guest.name + ".o");
      if (guest.source.endsWith(".asm")) {
        assemble(guest.source, object);
      } else {
        run("gcc", [...CFLAGS, "-I", libDir, "-c", "-o", object, guest.source]);
      }
      // C guests also get the library's C runtime pieces (memset, memcpy).
      const cObjects = guest.source.endsWith(".c") ? [buildLibraryC(libStamp)] : [];
      run("ld", ["-m", "elf_i386", "-T", path.join(libDir, "link.ld"), "-o", elf, ...libObjects, ...cObjects, object]);
    }
    built.push({ name: guest.name, elf });
  }
  return built;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    if (args.includes("--list")) {
      for (const g of listGuests()) console.log(g.name);
    } else {
      for (const g of buildGuests(args)) console.log(path.relative(process.cwd(), g.elf));
    }
  } catch (e) {
    console.error(e instanceof GuestBuildError ? e.message : e);
    process.exit(1);
  }
}
