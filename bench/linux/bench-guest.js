// What the Linux benchmark boots and runs, built from the default Debian guest in build/bench/:
// - bench/guests/cbench.c compiled with gcc -m32 -static -O2;
// - a bench initrd: the guest's own initrd with a second archive holding /bin/cbench appended
//   (the kernel unpacks concatenated initramfs archives in order), so the project's default
//   initramfs stays as it is;
// - a directory for the native runs: the guest's busybox (an i386 static binary, which this host
//   runs), a link per applet, and cbench, so `busybox sh -c` runs the same commands with the same
//   tools as the guest.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { writeCpioGzip } from "../../dist/index.js";

// newc header (see src/guest-image/cpio.ts): "070701", then 13 fields of 8 hex digits.
const NEWC_MAGIC = "070701";
const HEADER_BYTES = 110;
const FILE_SIZE_FIELD = 6;
const NAME_SIZE_FIELD = 11;
const align4 = (offset) => (offset + 3) & ~3;

/** The data of member `name` in a gzip-compressed newc archive (the guest's initrd). */
function readCpioMember(gzipped, name) {
  const archive = gunzipSync(gzipped);
  let offset = 0;
  while (offset + HEADER_BYTES <= archive.length) {
    if (archive.toString("latin1", offset, offset + 6) !== NEWC_MAGIC) break;
    const field = (index) => parseInt(archive.toString("latin1", offset + 6 + index * 8, offset + 14 + index * 8), 16);
    const nameEnd = offset + HEADER_BYTES + field(NAME_SIZE_FIELD) - 1; // the name ends with a NUL
    const memberName = archive.toString("utf8", offset + HEADER_BYTES, nameEnd);
    const dataStart = align4(nameEnd + 1);
    const dataEnd = dataStart + field(FILE_SIZE_FIELD);
    if (memberName === name) return archive.subarray(dataStart, dataEnd);
    if (memberName === "TRAILER!!!") break;
    offset = align4(dataEnd);
  }
  throw new Error(`the guest's initrd has no ${name}`);
}

function compileCbench(root, output) {
  const source = path.join(root, "bench/guests/cbench.c");
  try {
    execFileSync("gcc", ["-m32", "-static", "-O2", "-Wall", source, "-o", output], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = error.stderr?.toString().trim() ?? error.message;
    throw new Error(`gcc -m32 -static could not build ${source} (install gcc-multilib for 32-bit builds):\n${stderr}`);
  }
}

/**
 * Builds what the benchmark needs from `guest` (ensureDebianGuest's answer) and returns the guest
 * to boot, with `initrdPath` replaced by the bench initrd, plus `nativeBin` (the native runs' PATH).
 */
export function prepareBenchGuest(guest, root) {
  const out = path.join(root, "build/bench");
  mkdirSync(out, { recursive: true });
  const cbench = path.join(out, "cbench");
  compileCbench(root, cbench);

  const initrd = readFileSync(guest.initrdPath);
  const extra = writeCpioGzip([
    { type: "directory", path: "bin", mode: 0o755 },
    { type: "file", path: "bin/cbench", data: readFileSync(cbench), mode: 0o755 },
  ]);
  // Zeros between archives are skipped; the kernel wants each archive to start 4-byte aligned.
  const padding = Buffer.alloc(align4(initrd.length) - initrd.length);
  const initrdPath = path.join(out, "initrd-cbench.img");
  writeFileSync(initrdPath, Buffer.concat([initrd, padding, extra]));

  const nativeBin = path.join(out, "native-bin");
  rmSync(nativeBin, { recursive: true, force: true });
  mkdirSync(nativeBin);
  const busybox = path.join(nativeBin, "busybox");
  writeFileSync(busybox, readCpioMember(initrd, "bin/busybox"), { mode: 0o755 });
  for (const applet of execFileSync(busybox, ["--list"], { encoding: "latin1" }).split("\n")) {
    if (applet !== "" && applet !== "busybox") symlinkSync("busybox", path.join(nativeBin, applet));
  }
  symlinkSync(path.relative(nativeBin, cbench), path.join(nativeBin, "cbench"));

  return { ...guest, initrdPath, nativeBin };
}
