// The default guest: Debian's i386 kernel for 686 PCs and a busybox initramfs, fetched with a
// private apt (see apt.ts) on first use and cached. The cache holds, under <cacheDir>/debian-guest:
//
//   apt/            private apt configuration, package lists and state
//   debs/           the downloaded packages
//   vmlinuz-<release>, initrd-busybox-<version>.img
//   manifest.json   versions and sha256 of everything above
//
// A later call returns the cached files without touching the network; `refresh` fetches again.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PrivateApt, type PackageRecord } from "./apt.ts";
import { formatProtocol, readBzImageHeader } from "./bzimage.ts";
import { readDeb } from "./deb.ts";
import { GuestImageError } from "./errors.ts";
import { buildInitramfs, GUEST_PROMPT } from "./initramfs.ts";

export { GuestImageError } from "./errors.ts";
export { GUEST_BANNER, GUEST_PROMPT } from "./initramfs.ts";

const SUITE = "bookworm"; // Debian 12
const ARCHITECTURE = "i386";
const KERNEL_METAPACKAGE = "linux-image-686"; // depends on the current linux-image-<abi>-686
const BUSYBOX_PACKAGE = "busybox-static";
const BUSYBOX_PATH = "bin/busybox";
const KERNEL_IMAGE = /^boot\/vmlinuz-(.+)$/;
const MIN_BOOT_PROTOCOL = 0x020a; // 2.10: cmdline_size, relocatable kernels, 32-bit entry
// Bumped whenever the manifest or the initramfs contents change, so older caches are rebuilt.
const CACHE_FORMAT = 1;

/**
 * The kernel command line for a PC with a 16550 at 0x3F8 as its only console and no VGA:
 * - console=ttyS0,115200n8: kernel messages and /dev/console on the first serial port;
 * - earlyprintk=serial,ttyS0,115200: messages from before the serial driver starts (port 0x3F8);
 * - nokaslr: the kernel at the same address every boot, so runs are reproducible (the decompressor
 *   reads it; the kernel proper does not know it and hands it to /init as an argument, harmlessly);
 * - mitigations=off: the VMM is the isolation; page-table isolation only costs time here;
 * - panic=-1: reboot at once on a panic, so the VMM sees it end instead of a silent hang.
 * ACPI stays on: when the machine provides tables with \_S5, /init's `poweroff -f` after the shell
 * exits is an ACPI soft-off; without them it ends in "reboot: System halted" (HLT, interrupts off).
 */
export const DEFAULT_CMDLINE = "console=ttyS0,115200n8 earlyprintk=serial,ttyS0,115200 nokaslr mitigations=off panic=-1";

export interface DebianGuestOptions {
  /** Cache directory; default $XDG_CACHE_HOME/wasmvisor or ~/.cache/wasmvisor. */
  cacheDir?: string;
  /** Called with one line for each step (updating lists, downloading, extracting, building). */
  onProgress?: (message: string) => void;
  /** Fetch the newest packages even when a cached guest exists. */
  refresh?: boolean;
}

export interface DebianGuest {
  /** The bzImage. */
  kernelPath: string;
  /** The gzip-compressed cpio initramfs with busybox. */
  initrdPath: string;
  /** The command line to boot it with (DEFAULT_CMDLINE). */
  cmdline: string;
  /** The kernel release, as `uname -r` shows it (e.g. "6.1.0-50-686"). */
  kernelVersion: string;
  /** The Debian package the kernel came from and its version (e.g. "6.1.176-1"). */
  kernelPackage: string;
  kernelPackageVersion: string;
  busyboxVersion: string;
  /** The shell prompt on the serial console once the guest is up. */
  prompt: string;
}

interface CachedPackage {
  name: string;
  version: string;
  file: string; // in debs/
  sha256: string;
}

interface Manifest {
  format: number;
  suite: string;
  architecture: string;
  kernelVersion: string;
  kernel: CachedPackage;
  busybox: CachedPackage;
  kernelImage: { file: string; sha256: string };
  initrd: { file: string; sha256: string };
}

/** $XDG_CACHE_HOME/wasmvisor, or ~/.cache/wasmvisor. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache"), "wasmvisor");
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function fileSha256(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined;
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Writes through a temporary name, so a reader never sees half a file. */
function writeAtomically(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

/** The file name apt-get download gives a package: name_version_arch.deb, ":" escaped as "%3a". */
function debFileName(record: PackageRecord): string {
  return `${record.name}_${record.version.replace(/:/g, "%3a")}_${record.architecture}.deb`;
}

class GuestCache {
  readonly dir: string;
  readonly debs: string;
  readonly manifestFile: string;

  constructor(cacheDir: string) {
    this.dir = path.join(path.resolve(cacheDir), "debian-guest");
    this.debs = path.join(this.dir, "debs");
    this.manifestFile = path.join(this.dir, "manifest.json");
  }

  readManifest(): Manifest | undefined {
    try {
      const manifest = JSON.parse(readFileSync(this.manifestFile, "utf8")) as Manifest;
      return manifest.format === CACHE_FORMAT && manifest.suite === SUITE && manifest.architecture === ARCHITECTURE ? manifest : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether a cached file is present and unchanged. */
  intact(file: string, expectedSha256: string): boolean {
    return fileSha256(file) === expectedSha256;
  }

  debIntact(cached: CachedPackage): boolean {
    return this.intact(path.join(this.debs, cached.file), cached.sha256);
  }
}

function guestFrom(cache: GuestCache, manifest: Manifest): DebianGuest {
  return {
    kernelPath: path.join(cache.dir, manifest.kernelImage.file),
    initrdPath: path.join(cache.dir, manifest.initrd.file),
    cmdline: DEFAULT_CMDLINE,
    kernelVersion: manifest.kernelVersion,
    kernelPackage: manifest.kernel.name,
    kernelPackageVersion: manifest.kernel.version,
    busyboxVersion: manifest.busybox.version,
    prompt: GUEST_PROMPT,
  };
}

/**
 * Returns the default Linux guest, fetching and building it on first use: Debian bookworm's
 * linux-image-686 (followed from the metapackage to the real kernel package) and busybox-static,
 * downloaded with a private apt configuration (no root needed), the kernel's bzImage extracted and
 * an initramfs built whose /init mounts proc, sys and devtmpfs and starts a root shell on ttyS0
 * with the prompt GUEST_PROMPT.
 */
export async function ensureDebianGuest(options: DebianGuestOptions = {}): Promise<DebianGuest> {
  const progress = options.onProgress ?? (() => {});
  const cache = new GuestCache(options.cacheDir ?? defaultCacheDir());

  const manifest = cache.readManifest();
  if (manifest && !options.refresh) {
    const kernelOk = cache.intact(path.join(cache.dir, manifest.kernelImage.file), manifest.kernelImage.sha256);
    const initrdOk = cache.intact(path.join(cache.dir, manifest.initrd.file), manifest.initrd.sha256);
    if (kernelOk && initrdOk) {
      progress(`using cached Debian guest in ${cache.dir} (Linux ${manifest.kernelVersion}, busybox ${manifest.busybox.version})`);
      return guestFrom(cache, manifest);
    }
    if (cache.debIntact(manifest.kernel) && cache.debIntact(manifest.busybox)) {
      progress("rebuilding the guest from the cached packages");
      return build(cache, manifest.kernel, manifest.busybox, progress);
    }
  }

  mkdirSync(cache.debs, { recursive: true });
  const apt = new PrivateApt({ root: path.join(cache.dir, "apt"), suite: SUITE, architecture: ARCHITECTURE });
  await apt.configure();
  progress(`updating package lists (Debian ${SUITE}, ${ARCHITECTURE})`);
  const update = await apt.update();
  const reported = update.errors === "" ? "" : ` (apt-get update reported: ${update.errors.replace(/\n/g, " ")})`;
  const reachHint = "check that Debian's archive is reachable from this machine (a proxy goes in http_proxy or apt's Acquire::http::Proxy), then run again";
  if (!apt.hasPackageLists()) {
    throw new GuestImageError(`could not download Debian ${SUITE}'s package lists${reported}; ${reachHint}`);
  }
  if (update.errors !== "") progress(`apt-get update reported problems (continuing with the lists it has):\n${update.errors}`);
  const unavailable = (name: string) =>
    new GuestImageError(`package ${name} (${ARCHITECTURE}) was not found in Debian ${SUITE}${reported}; ${reachHint}`);

  progress(`resolving ${KERNEL_METAPACKAGE}`);
  const metapackage = await apt.show(KERNEL_METAPACKAGE);
  if (!metapackage) throw unavailable(KERNEL_METAPACKAGE);
  const kernelName = metapackage.depends.find((name) => /^linux-image-\d/.test(name));
  if (!kernelName) {
    throw new GuestImageError(
      `${KERNEL_METAPACKAGE} ${metapackage.version} depends on no linux-image-<version> package (depends: ${metapackage.depends.join(", ")})`,
    );
  }
  const kernelRecord = await apt.show(kernelName);
  if (!kernelRecord) throw unavailable(kernelName);
  const busyboxRecord = await apt.show(BUSYBOX_PACKAGE);
  if (!busyboxRecord) throw unavailable(BUSYBOX_PACKAGE);
  progress(`${KERNEL_METAPACKAGE} ${metapackage.version} → ${kernelName} ${kernelRecord.version}`);

  const fetched: CachedPackage[] = [];
  for (const record of [kernelRecord, busyboxRecord]) {
    const file = debFileName(record);
    const debPath = path.join(cache.debs, file);
    if (fileSha256(debPath) === record.sha256) {
      progress(`already downloaded ${record.name} ${record.version}`);
    } else {
      progress(`downloading ${record.name} ${record.version} (${mebibytes(record.size)})`);
      await apt.download([`${record.name}=${record.version}`], cache.debs);
    }
    const actual = fileSha256(debPath);
    if (actual === undefined) throw new GuestImageError(`apt-get download reported success but ${debPath} is missing`);
    if (actual !== record.sha256) throw new GuestImageError(`${debPath} does not match the archive's SHA256 (${record.sha256}); delete it and run again`);
    fetched.push({ name: record.name, version: record.version, file, sha256: actual });
  }
  // Packages from earlier versions are no longer needed.
  const keep = new Set(fetched.map((cached) => cached.file));
  for (const name of readdirSync(cache.debs)) if (name.endsWith(".deb") && !keep.has(name)) rmSync(path.join(cache.debs, name));

  return build(cache, fetched[0], fetched[1], progress);
}

/** Extracts the bzImage and busybox from the cached packages and builds the initramfs. */
async function build(cache: GuestCache, kernel: CachedPackage, busybox: CachedPackage, progress: (message: string) => void): Promise<DebianGuest> {
  progress(`extracting the kernel from ${kernel.file}`);
  const kernelContents = await readDeb(path.join(cache.debs, kernel.file), (member) => KERNEL_IMAGE.test(member));
  const [imageMember, imageData] = [...kernelContents.files].find(([member]) => KERNEL_IMAGE.test(member)) ?? [];
  if (!imageMember || !imageData) throw new GuestImageError(`${kernel.file} contains no boot/vmlinuz-*; is ${kernel.name} a kernel image package?`);
  const kernelVersion = KERNEL_IMAGE.exec(imageMember)![1];
  const header = readBzImageHeader(imageData);
  if (!header || !header.loadedHigh || header.protocol < MIN_BOOT_PROTOCOL) {
    throw new GuestImageError(
      `${imageMember} in ${kernel.file} is not a bzImage with boot protocol 2.10 or later` +
        (header ? ` (protocol ${formatProtocol(header.protocol)})` : " (no HdrS setup header)"),
    );
  }

  progress(`extracting busybox from ${busybox.file}`);
  const busyboxContents = await readDeb(path.join(cache.debs, busybox.file), (member) => member === BUSYBOX_PATH);
  const busyboxBinary = busyboxContents.files.get(BUSYBOX_PATH);
  if (!busyboxBinary) throw new GuestImageError(`${busybox.file} contains no /${BUSYBOX_PATH}`);

  progress("building the initramfs");
  const initrd = buildInitramfs({ busybox: busyboxBinary });
  const kernelFile = `vmlinuz-${kernelVersion}`;
  const initrdFile = `initrd-busybox-${busybox.version.replace(/^\d+:/, "").replace(/[^\w.+~-]/g, "_")}.img`;
  writeAtomically(path.join(cache.dir, kernelFile), imageData);
  writeAtomically(path.join(cache.dir, initrdFile), initrd);
  const manifest: Manifest = {
    format: CACHE_FORMAT,
    suite: SUITE,
    architecture: ARCHITECTURE,
    kernelVersion,
    kernel,
    busybox,
    kernelImage: { file: kernelFile, sha256: sha256(imageData) },
    initrd: { file: initrdFile, sha256: sha256(initrd) },
  };
  // Images from earlier versions are no longer needed.
  for (const name of readdirSync(cache.dir)) {
    if ((name.startsWith("vmlinuz-") || name.startsWith("initrd-")) && name !== kernelFile && name !== initrdFile) {
      rmSync(path.join(cache.dir, name), { force: true });
    }
  }
  writeAtomically(cache.manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  progress(
    `Debian guest ready: Linux ${kernelVersion} (${mebibytes(statSync(path.join(cache.dir, kernelFile)).size)}, boot protocol ${formatProtocol(header.protocol)}), ` +
      `initramfs with busybox ${busybox.version} (${mebibytes(initrd.length)})`,
  );
  return guestFrom(cache, manifest);
}
