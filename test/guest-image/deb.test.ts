// Reading members out of a .deb: a package built here with dpkg-deb, holding a long name (a GNU or
// pax extension header in the tar), a symlink and files of several sizes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readDeb } from "../../src/guest-image/deb.ts";
import { GuestImageError } from "../../src/guest-image/errors.ts";

describe("deb reader", () => {
  let dir: string;
  let deb: string;
  const longName = `usr/share/${"a-rather-long-directory-name/".repeat(5)}file-with-a-long-name.txt`;
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, index) => (index * 131) & 0xff));

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-deb-"));
    const root = path.join(dir, "root");
    mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
    writeFileSync(
      path.join(root, "DEBIAN", "control"),
      "Package: wasmvisor-test\nVersion: 1.0\nArchitecture: i386\nMaintainer: test <test@example.org>\nDescription: test\n",
    );
    mkdirSync(path.join(root, "boot"));
    writeFileSync(path.join(root, "boot", "vmlinuz-1.2.3-test"), big);
    writeFileSync(path.join(root, "boot", "empty"), "");
    mkdirSync(path.join(root, path.dirname(longName)), { recursive: true });
    writeFileSync(path.join(root, longName), "long\n");
    mkdirSync(path.join(root, "bin"));
    symlinkSync("../boot/vmlinuz-1.2.3-test", path.join(root, "bin", "link"));
    deb = path.join(dir, "test.deb");
    const built = spawnSync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, deb], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists every member and returns the data of the wanted ones", async () => {
    const contents = await readDeb(deb, (member) => member.startsWith("boot/") || member === longName);
    const byPath = new Map(contents.members.map((member) => [member.path, member]));
    expect(byPath.get("boot/vmlinuz-1.2.3-test")).toMatchObject({ type: "file", size: big.length });
    expect(byPath.get("bin/link")).toMatchObject({ type: "symlink", linkTarget: "../boot/vmlinuz-1.2.3-test" });
    expect(byPath.get("boot")).toMatchObject({ type: "other" });
    expect(contents.files.get("boot/vmlinuz-1.2.3-test")?.equals(big)).toBe(true);
    expect(contents.files.get("boot/empty")).toEqual(Buffer.alloc(0));
    expect(contents.files.get(longName)?.toString()).toBe("long\n");
    expect([...contents.files.keys()].sort()).toEqual(["boot/empty", "boot/vmlinuz-1.2.3-test", longName].sort());
  });

  it("reports a file that is not a package", async () => {
    const bogus = path.join(dir, "bogus.deb");
    writeFileSync(bogus, "not a package");
    await expect(readDeb(bogus, () => true)).rejects.toThrow(GuestImageError);
    await expect(readDeb(path.join(dir, "missing.deb"), () => true)).rejects.toThrow(/dpkg-deb could not read/);
  });
});
