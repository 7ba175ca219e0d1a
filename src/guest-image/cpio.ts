// A cpio "newc" archive writer: the SVR4 portable format without checksums (magic 070701), the
// one the Linux kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
// buffer-format.rst). Each member is a 110-byte ASCII header of thirteen 8-digit hex fields, the
// NUL-terminated name padded to a 4-byte boundary, then the data padded to a 4-byte boundary; the
// archive ends with a member named TRAILER!!!.
import { gzipSync } from "node:zlib";
import { GuestImageError } from "./errors.ts";

const NEWC_MAGIC = "070701"; // SVR4 portable format, no CRC
const HEADER_BYTES = 110; // 6-byte magic + 13 fields of 8 hex digits
const ALIGNMENT = 4; // name and data each end on a 4-byte boundary
const TRAILER_NAME = "TRAILER!!!";

// File type bits of st_mode (POSIX <sys/stat.h>), as cpio stores them.
const S_IFDIR = 0o040000; // directory
const S_IFCHR = 0o020000; // character device
const S_IFBLK = 0o060000; // block device
const S_IFREG = 0o100000; // regular file
const S_IFLNK = 0o120000; // symbolic link
const PERMISSION_BITS = 0o7777; // rwx for user, group, other plus setuid, setgid, sticky

/** One member of an archive, as plain data. Paths are absolute or relative to the archive root. */
export type CpioEntry =
  | { type: "directory"; path: string; mode?: number }
  | { type: "file"; path: string; data: Uint8Array | string; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "characterDevice" | "blockDevice"; path: string; major: number; minor: number; mode?: number };

export interface CpioOptions {
  /** Modification time of every member, in seconds since 1970; fixed so builds are reproducible. */
  mtime?: number;
  /** Owner of every member (the initramfs is root's). */
  uid?: number;
  gid?: number;
}

const DEFAULT_MODES = { directory: 0o755, file: 0o644, symlink: 0o777, characterDevice: 0o600, blockDevice: 0o600 };
const TYPE_BITS = { directory: S_IFDIR, file: S_IFREG, symlink: S_IFLNK, characterDevice: S_IFCHR, blockDevice: S_IFBLK };

/** The name stored in the archive: no leading "/" or "./", no empty or "." components. */
export function archiveName(path: string): string {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.length === 0) throw new GuestImageError(`cpio: '${path}' names the archive root, not a member`);
  if (parts.includes("..")) throw new GuestImageError(`cpio: '${path}' leaves the archive root`);
  return parts.join("/");
}

function hex8(value: number, field: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new GuestImageError(`cpio: ${field} ${value} of '${name}' does not fit a newc header`);
  }
  return value.toString(16).padStart(8, "0");
}

function padding(length: number): number {
  return (ALIGNMENT - (length % ALIGNMENT)) % ALIGNMENT;
}

interface Header {
  inode: number;
  mode: number;
  uid: number;
  gid: number;
  links: number;
  mtime: number;
  size: number;
  deviceMajor: number;
  deviceMinor: number;
}

function member(name: string, header: Header, data: Uint8Array): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  const fields: [number, string][] = [
    [header.inode, "inode"],
    [header.mode, "mode"],
    [header.uid, "uid"],
    [header.gid, "gid"],
    [header.links, "link count"],
    [header.mtime, "mtime"],
    [header.size, "size"],
    [0, "devmajor"], // device holding the member: meaningless in an image
    [0, "devminor"],
    [header.deviceMajor, "rdevmajor"],
    [header.deviceMinor, "rdevminor"],
    [nameBytes.length, "name size"],
    [0, "check"], // newc (070701) carries no checksum
  ];
  const headerText = NEWC_MAGIC + fields.map(([value, field]) => hex8(value, field, name)).join("");
  return [
    Buffer.from(headerText, "ascii"),
    nameBytes,
    Buffer.alloc(padding(HEADER_BYTES + nameBytes.length)),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    Buffer.alloc(padding(data.byteLength)),
  ];
}

/**
 * Writes `entries` in order as a newc archive. Parents must come before their children (the kernel
 * creates members in archive order); each path may appear only once.
 */
export function writeCpio(entries: readonly CpioEntry[], options: CpioOptions = {}): Buffer {
  const { mtime = 0, uid = 0, gid = 0 } = options;
  const chunks: Buffer[] = [];
  const seen = new Set<string>();
  let inode = 1; // 0 is left for the trailer
  for (const entry of entries) {
    const name = archiveName(entry.path);
    if (seen.has(name)) throw new GuestImageError(`cpio: '${name}' appears twice`);
    const parent = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : undefined;
    if (parent !== undefined && !seen.has(parent)) {
      throw new GuestImageError(`cpio: '${name}' comes before its directory '${parent}'`);
    }
    seen.add(name);
    const permissions = entry.type === "symlink" ? DEFAULT_MODES.symlink : (entry.mode ?? DEFAULT_MODES[entry.type]);
    if ((permissions & ~PERMISSION_BITS) !== 0) {
      throw new GuestImageError(`cpio: mode ${permissions.toString(8)} of '${name}' has bits beyond the permissions`);
    }
    let data: Uint8Array = new Uint8Array(0);
    if (entry.type === "file") data = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : entry.data;
    if (entry.type === "symlink") data = Buffer.from(entry.target, "utf8"); // a symlink's data is its target
    const isDevice = entry.type === "characterDevice" || entry.type === "blockDevice";
    chunks.push(
      ...member(
        name,
        {
          inode: inode++,
          mode: TYPE_BITS[entry.type] | permissions,
          uid,
          gid,
          links: entry.type === "directory" ? 2 : 1,
          mtime,
          size: data.byteLength,
          deviceMajor: isDevice ? entry.major : 0,
          deviceMinor: isDevice ? entry.minor : 0,
        },
        data,
      ),
    );
  }
  chunks.push(
    ...member(
      TRAILER_NAME,
      { inode: 0, mode: 0, uid: 0, gid: 0, links: 1, mtime: 0, size: 0, deviceMajor: 0, deviceMinor: 0 },
      new Uint8Array(0),
    ),
  );
  return Buffer.concat(chunks);
}

/** The archive gzip-compressed, as initrds usually are (the kernel's RD_GZIP decompressor). */
export function writeCpioGzip(entries: readonly CpioEntry[], options: CpioOptions = {}): Buffer {
  return gzipSync(writeCpio(entries, options), { level: 9 });
}
