// The newc writer checked against GNU cpio: it lists and extracts our archives, and lists the same
// tree the same way when cpio itself archived it from disk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync, lutimesSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { type CpioEntry, archiveName, writeCpio, writeCpioGzip } from "../../src/guest-image/cpio.ts";
import { GuestImageError } from "../../src/guest-image/errors.ts";

const cpioEnv = { ...process.env, LC_ALL: "C", TZ: "UTC" };

function cpio(args: string[], input: Uint8Array, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("cpio", args, { input, cwd, env: cpioEnv, encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Listed {
  mode: string;
  uid: string;
  gid: string;
  sizeOrDevice: string;
  name: string;
}

/** Parses `cpio -itvn` lines: mode, links, uid, gid, size or "major, minor", date, name. */
function listing(archive: Uint8Array): Listed[] {
  const result = cpio(["-itvn", "--quiet"], archive);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout
    .trimEnd()
    .split("\n")
    .map((line) => {
      const match = /^(\S{10})\s+\d+\s+(\d+)\s+(\d+)\s+(\d+,\s*\d+|\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+(.*)$/.exec(line);
      if (!match) throw new Error(`unexpected cpio listing line: ${line}`);
      return { mode: match[1], uid: match[2], gid: match[3], sizeOrDevice: match[4].replace(/\s+/g, ""), name: match[5] };
    });
}

// Names of every length modulo 4 and data of every length modulo 4, so each padding case occurs.
const TREE: CpioEntry[] = [
  { type: "directory", path: "/d" },
  { type: "file", path: "/d/a", data: "" },
  { type: "file", path: "/d/ab", data: "1" },
  { type: "file", path: "/d/abc", data: "12" },
  { type: "file", path: "/d/abcd", data: "123" },
  { type: "file", path: "/d/abcde", data: "1234", mode: 0o600 },
  { type: "file", path: "/d/run", data: "#!/bin/sh\necho hi\n", mode: 0o755 },
  { type: "file", path: "/d/binary", data: Uint8Array.from({ length: 1001 }, (_, index) => (index * 37) & 0xff) },
  { type: "directory", path: "/d/sub", mode: 0o700 },
  { type: "file", path: "/d/sub/deep", data: "deep\n", mode: 0o640 },
  { type: "symlink", path: "/d/link", target: "sub/deep" },
  { type: "symlink", path: "/d/absolute", target: "/bin/busybox" },
  { type: "directory", path: "/t", mode: 0o1777 },
];

const DEVICES: CpioEntry[] = [
  { type: "directory", path: "dev" },
  { type: "characterDevice", path: "dev/console", major: 5, minor: 1 },
  { type: "characterDevice", path: "dev/ttyS0", major: 4, minor: 64, mode: 0o660 },
  { type: "blockDevice", path: "dev/sda", major: 8, minor: 0, mode: 0o660 },
];

describe("cpio newc writer", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-cpio-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the magic, 4-byte alignment and the trailer", () => {
    const archive = writeCpio(TREE);
    expect(archive.subarray(0, 6).toString("ascii")).toBe("070701");
    expect(archive.length % 4).toBe(0);
    const trailer = archive.lastIndexOf("TRAILER!!!\0");
    expect(trailer).toBeGreaterThan(0);
    const header = archive.subarray(trailer - 110, trailer).toString("ascii");
    expect(header.slice(0, 6)).toBe("070701");
    expect(parseInt(header.slice(94, 102), 16)).toBe("TRAILER!!!\0".length); // namesize
  });

  it("lists as cpio expects: types, modes, owners, sizes, devices and link targets", () => {
    const listed = listing(writeCpio([...TREE, ...DEVICES], { uid: 0, gid: 0 }));
    const byName = new Map(listed.map((entry) => [entry.name.replace(/ -> .*/, ""), entry]));
    expect([...byName.keys()]).toEqual([...TREE, ...DEVICES].map((entry) => archiveName(entry.path)));
    expect(byName.get("d")).toMatchObject({ mode: "drwxr-xr-x", uid: "0", gid: "0" });
    expect(byName.get("d/a")).toMatchObject({ mode: "-rw-r--r--", sizeOrDevice: "0" });
    expect(byName.get("d/abcde")).toMatchObject({ mode: "-rw-------", sizeOrDevice: "4" });
    expect(byName.get("d/run")).toMatchObject({ mode: "-rwxr-xr-x", sizeOrDevice: "18" });
    expect(byName.get("d/binary")).toMatchObject({ sizeOrDevice: "1001" });
    expect(byName.get("d/sub")).toMatchObject({ mode: "drwx------" });
    expect(byName.get("d/link")).toMatchObject({ mode: "lrwxrwxrwx", name: "d/link -> sub/deep" });
    expect(byName.get("d/absolute")).toMatchObject({ name: "d/absolute -> /bin/busybox" });
    expect(byName.get("t")).toMatchObject({ mode: "drwxrwxrwt" });
    expect(byName.get("dev/console")).toMatchObject({ mode: "crw-------", sizeOrDevice: "5,1" });
    expect(byName.get("dev/ttyS0")).toMatchObject({ mode: "crw-rw----", sizeOrDevice: "4,64" });
    expect(byName.get("dev/sda")).toMatchObject({ mode: "brw-rw----", sizeOrDevice: "8,0" });
  });

  it("extracts to the same files, modes and symlinks", () => {
    const out = path.join(dir, "extracted");
    mkdirSync(out);
    const result = cpio(["-idm", "--quiet", "--no-absolute-filenames"], writeCpio(TREE), out);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    for (const entry of TREE) {
      const file = path.join(out, archiveName(entry.path));
      const info = lstatSync(file);
      if (entry.type === "file") {
        expect(info.isFile()).toBe(true);
        expect(readFileSync(file)).toEqual(Buffer.from(entry.data));
        expect(info.mode & 0o7777).toBe(entry.mode ?? 0o644);
      } else if (entry.type === "symlink") {
        expect(info.isSymbolicLink()).toBe(true);
        expect(readlinkSync(file)).toBe(entry.target);
      } else if (entry.type === "directory") {
        expect(info.isDirectory()).toBe(true);
      }
    }
  });

  it("lists the same as cpio's own archive of that tree", () => {
    // The tree on disk, with the modes and mtimes of TREE.
    const root = path.join(dir, "tree");
    mkdirSync(root);
    for (const entry of TREE) {
      const file = path.join(root, archiveName(entry.path));
      if (entry.type === "directory") mkdirSync(file);
      if (entry.type === "file") writeFileSync(file, entry.data);
      if (entry.type === "symlink") symlinkSync(entry.target, file);
    }
    for (const entry of [...TREE].reverse()) {
      const file = path.join(root, archiveName(entry.path));
      if (entry.type === "symlink") {
        lutimesSync(file, 0, 0);
        continue;
      }
      spawnSync("chmod", [(entry.mode ?? (entry.type === "directory" ? 0o755 : 0o644)).toString(8), file]);
      utimesSync(file, 0, 0);
    }
    const names = TREE.map((entry) => archiveName(entry.path)).join("\n") + "\n";
    const made = spawnSync("cpio", ["-o", "-H", "newc", "--quiet"], { cwd: root, input: names, env: cpioEnv });
    expect(made.status).toBe(0);
    const uid = String(process.getuid?.() ?? 0);
    const gid = String(process.getgid?.() ?? 0);
    const theirs = listing(made.stdout);
    const ours = listing(writeCpio(TREE, { uid: Number(uid), gid: Number(gid), mtime: 0 }));
    expect(ours).toEqual(theirs);
  });

  it("gzips the same archive", () => {
    expect(gunzipSync(writeCpioGzip(TREE))).toEqual(writeCpio(TREE));
  });

  it("refuses a member before its directory, a duplicate, a path out of the root and bad modes", () => {
    expect(() => writeCpio([{ type: "file", path: "a/b", data: "" }])).toThrow(GuestImageError);
    expect(() => writeCpio([{ type: "file", path: "x", data: "" }, { type: "file", path: "/x", data: "" }])).toThrow(/twice/);
    expect(() => writeCpio([{ type: "file", path: "../x", data: "" }])).toThrow(/leaves the archive root/);
    expect(() => writeCpio([{ type: "directory", path: "/" }])).toThrow(/archive root/);
    expect(() => writeCpio([{ type: "file", path: "x", data: "", mode: 0o100644 }])).toThrow(/beyond the permissions/);
  });
});
