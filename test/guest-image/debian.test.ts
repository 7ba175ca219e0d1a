// The default guest for real: fetched from Debian's archive into the user's cache (or
// WASMVISOR_CACHE_DIR) on the first run, reused after. A cold fetch downloads about 51 MiB.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  DEFAULT_CMDLINE,
  type DebianGuest,
  defaultCacheDir,
  ensureDebianGuest,
  GUEST_PROMPT,
  GuestImageError,
} from "../../src/guest-image/debian.ts";
import { readBzImageHeader } from "../../src/guest-image/bzimage.ts";

const cacheDir = process.env.WASMVISOR_CACHE_DIR || defaultCacheDir();

function cpioList(initrd: Buffer): string[] {
  const result = spawnSync("cpio", ["-itvn", "--quiet"], { input: gunzipSync(initrd), encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
  if (result.error) throw result.error;
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trimEnd().split("\n");
}

function cpioExtract(initrd: Buffer, member: string): Buffer {
  const result = spawnSync("cpio", ["-i", "--quiet", "--to-stdout", member], { input: gunzipSync(initrd), maxBuffer: 64 * 1024 * 1024 });
  expect(result.status).toBe(0);
  return result.stdout;
}

describe("default Debian guest", () => {
  let guest: DebianGuest;
  const progress: string[] = [];

  beforeAll(async () => {
    const started = Date.now();
    guest = await ensureDebianGuest({ cacheDir, onProgress: (message) => progress.push(message) });
    console.log(`Debian guest (Linux ${guest.kernelVersion}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s:\n  ${progress.join("\n  ")}`);
  }, 600_000);

  it("is Debian's 686 kernel as a bzImage with boot protocol 2.10 or later", () => {
    expect(guest.kernelVersion).toMatch(/^\d+\.\d+\.\d+-\d+-686$/);
    expect(guest.kernelPackage).toBe(`linux-image-${guest.kernelVersion}`);
    const image = readFileSync(guest.kernelPath);
    expect(image.subarray(0x202, 0x206).toString("latin1")).toBe("HdrS");
    expect(image.readUInt16LE(0x206)).toBeGreaterThanOrEqual(0x020a);
    expect(readBzImageHeader(image)).toMatchObject({ loadedHigh: true });
  });

  it("has an initramfs with /init, busybox and the console device", () => {
    const initrd = readFileSync(guest.initrdPath);
    expect(initrd.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    const lines = cpioList(initrd);
    const find = (name: string) => lines.find((line) => line.endsWith(` ${name}`) || line.includes(` ${name} -> `));
    expect(find("init")).toMatch(/^-rwxr-xr-x\s+1\s+0\s+0\s/);
    expect(find("bin/busybox")).toMatch(/^-rwxr-xr-x\s+1\s+0\s+0\s+\d{6,}\s/);
    expect(find("bin/sh")).toMatch(/^lrwxrwxrwx.* bin\/sh -> busybox$/);
    expect(find("dev/console")).toMatch(/^crw-------\s+1\s+0\s+0\s+5,\s+1\s/);
    expect(find("dev/ttyS0")).toMatch(/^crw-rw----\s+1\s+0\s+0\s+4,\s+64\s/);
    for (const directory of ["proc", "sys", "dev", "tmp", "root", "etc"]) expect(find(directory)).toMatch(/^d/);
    expect(find("etc/passwd")).toBeDefined();

    const init = cpioExtract(initrd, "init").toString("utf8");
    expect(init.startsWith("#!/bin/busybox sh\n")).toBe(true);
    expect(init).toContain("mount -t proc proc /proc");
    expect(init).toContain("mount -t sysfs sysfs /sys");
    expect(init).toContain("mount -t devtmpfs devtmpfs /dev");
    expect(cpioExtract(initrd, "etc/profile").toString("utf8")).toContain("PS1='wasmvisor:\\w# '");

    const busybox = cpioExtract(initrd, "bin/busybox");
    expect(busybox.subarray(0, 4)).toEqual(Buffer.from("\x7fELF", "latin1"));
    expect(busybox[4]).toBe(1); // ELFCLASS32
    expect(busybox.readUInt16LE(18)).toBe(3); // EM_386
  });

  it("boots with a serial console and reports the prompt tests wait for", () => {
    expect(guest.cmdline).toBe(DEFAULT_CMDLINE);
    expect(guest.cmdline).toMatch(/(^| )console=ttyS0/);
    expect(guest.prompt).toBe(GUEST_PROMPT);
    expect(GUEST_PROMPT).toBe("wasmvisor:~# ");
  });

  it("is reused from the cache without apt", async () => {
    const messages: string[] = [];
    const started = Date.now();
    const again = await ensureDebianGuest({ cacheDir, onProgress: (message) => messages.push(message) });
    expect(again).toEqual(guest);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^using cached Debian guest/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("rebuilds a missing initramfs from the cached packages without apt", async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-guest-"));
    try {
      // A copy of the cache without the images; apt cannot run (no PATH), so only the cached
      // packages can rebuild them.
      const source = path.join(cacheDir, "debian-guest");
      const target = path.join(copy, "debian-guest");
      const copied = spawnSync("cp", ["-r", path.join(source, "debs"), path.join(source, "manifest.json"), "-t", copy]);
      expect(copied.status).toBe(0);
      spawnSync("mkdir", ["-p", target]);
      spawnSync("mv", [path.join(copy, "debs"), path.join(copy, "manifest.json"), "-t", target]);
      const messages: string[] = [];
      const savedPath = process.env.PATH;
      process.env.PATH = "/usr/bin:/bin"; // dpkg-deb stays reachable; the cache decides, not apt
      let rebuilt: DebianGuest;
      try {
        rebuilt = await ensureDebianGuest({ cacheDir: copy, onProgress: (message) => messages.push(message) });
      } finally {
        process.env.PATH = savedPath;
      }
      expect(messages[0]).toBe("rebuilding the guest from the cached packages");
      expect(messages.some((message) => /updating package lists/.test(message))).toBe(false);
      expect(readFileSync(rebuilt.initrdPath).equals(readFileSync(guest.initrdPath))).toBe(true); // reproducible
      expect(readFileSync(rebuilt.kernelPath).equals(readFileSync(guest.kernelPath))).toBe(true);
      expect(statSync(rebuilt.kernelPath).isFile()).toBe(true);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it("says what to do when Debian's archive is unreachable", async () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-offline-"));
    const saved = process.env.http_proxy;
    process.env.http_proxy = "http://127.0.0.1:9"; // the discard port: nothing listens, connections are refused
    try {
      const attempt = ensureDebianGuest({ cacheDir: fresh });
      await expect(attempt).rejects.toThrow(GuestImageError);
      await expect(attempt).rejects.toThrow(/could not download Debian bookworm's package lists .*Failed to fetch.*; check that Debian's archive is reachable/);
    } finally {
      if (saved === undefined) delete process.env.http_proxy;
      else process.env.http_proxy = saved;
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 60_000);

  it("says what to do when apt is missing", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-noapt-"));
    const savedPath = process.env.PATH;
    process.env.PATH = empty;
    try {
      const attempt = ensureDebianGuest({ cacheDir: empty });
      await expect(attempt).rejects.toThrow(GuestImageError);
      await expect(attempt).rejects.toThrow(/is not installed; fetching the Debian guest needs apt/);
    } finally {
      process.env.PATH = savedPath;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
