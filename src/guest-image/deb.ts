// Reading files out of a Debian package. A .deb is an ar archive whose data member is a tar
// compressed with xz (Debian bookworm) or zstd; Node decompresses neither, so the host's
// `dpkg-deb --fsys-tarfile` (present wherever apt is, and usable by any user) turns the package into
// a plain tar stream, and this module picks the wanted members out of that stream in one pass,
// without writing the rest (a kernel package's modules) to disk.
import { spawn } from "node:child_process";
import { GuestImageError } from "./errors.ts";

const BLOCK = 512; // tar block size (POSIX ustar)
// Offsets and lengths within a ustar header block.
const NAME = [0, 100] as const; // member name, NUL-terminated unless it fills the field
const SIZE = [124, 12] as const; // data size, octal (or base-256 when the top bit is set)
const TYPEFLAG = 156; // member type
const LINKNAME = [157, 100] as const; // symlink target
const MAGIC = [257, 6] as const; // "ustar\0" (POSIX) or "ustar " (GNU)
const PREFIX = [345, 155] as const; // POSIX name prefix, joined to the name with "/"

// Type flags.
const TYPE_REGULAR = "0"; // regular file ("\0" in old archives)
const TYPE_SYMLINK = "2"; // symbolic link
const TYPE_GNU_LONGNAME = "L"; // GNU: the data is the next member's name
const TYPE_GNU_LONGLINK = "K"; // GNU: the data is the next member's link target
const TYPE_PAX = "x"; // POSIX pax: "length key=value\n" records for the next member

export interface DebMember {
  /** Path inside the package, without the leading "./" (e.g. "boot/vmlinuz-6.1.0-50-686"). */
  path: string;
  type: "file" | "symlink" | "other";
  size: number;
  /** Symlink target, for symlinks. */
  linkTarget?: string;
}

export interface DebContents {
  /** Every member of the package, in archive order. */
  members: DebMember[];
  /** The data of each regular file that `want` selected, by path. */
  files: Map<string, Buffer>;
}

function field(block: Buffer, [offset, length]: readonly [number, number]): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString("utf8");
}

function numberField(block: Buffer, [offset, length]: readonly [number, number]): number {
  const bytes = block.subarray(offset, offset + length);
  if ((bytes[0] & 0x80) !== 0) {
    // GNU base-256: big-endian binary after the marker bit.
    let value = bytes[0] & 0x7f;
    for (let index = 1; index < length; index++) value = value * 256 + bytes[index];
    return value;
  }
  const text = field(block, [offset, length]).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function normalise(path: string): string {
  return path.replace(/^(\.\/)+/, "").replace(/^\/+/, "").replace(/\/+$/, "");
}

/** Parses pax extended-header records ("<length> <key>=<value>\n") into a map. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString("ascii"), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8"); // drop the "\n"
    const equals = record.indexOf("=");
    if (equals !== -1) records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

/**
 * A push parser for a tar stream: feed it chunks, it records every member and keeps the data of
 * the regular files `want` selects.
 */
class TarReader {
  readonly contents: DebContents = { members: [], files: new Map() };
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private finished = false;
  // The member whose data is being read.
  private dataLeft = 0; // bytes of data (plus padding) still to come
  private dataSize = 0;
  private dataChunks: Buffer[] | undefined; // collected when the member is wanted or metadata
  private dataOwner: { kind: "file"; path: string } | { kind: "longname" | "longlink" | "pax" } | undefined;
  // Overrides for the next member, from GNU long-name or pax headers.
  private nextPath: string | undefined;
  private nextLinkTarget: string | undefined;

  constructor(private readonly want: (path: string) => boolean) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.finished) return;
      if (this.dataLeft > 0) {
        if (this.pendingBytes === 0) return;
        const take = this.take(Math.min(this.dataLeft, this.pendingBytes));
        if (this.dataChunks) this.dataChunks.push(take);
        this.dataLeft -= take.length;
        if (this.dataLeft === 0) this.endData();
        continue;
      }
      if (this.pendingBytes < BLOCK) return;
      this.header(this.take(BLOCK));
    }
  }

  /** Whether the end-of-archive blocks were seen. */
  get complete(): boolean {
    return this.finished;
  }

  private take(count: number): Buffer {
    const whole = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const taken = whole.subarray(0, count);
    const rest = whole.subarray(count);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.finished = true; // the first of the two zero blocks ends the archive
      return;
    }
    if (!field(block, MAGIC).startsWith("ustar")) throw new GuestImageError("package data is not a tar archive");
    const type = String.fromCharCode(block[TYPEFLAG] || 0x30);
    const size = numberField(block, SIZE);
    const prefix = field(block, PREFIX);
    const headerName = prefix !== "" ? `${prefix}/${field(block, NAME)}` : field(block, NAME);
    const path = normalise(this.nextPath ?? headerName);
    const linkTarget = this.nextLinkTarget ?? field(block, LINKNAME);
    if (type === TYPE_GNU_LONGNAME || type === TYPE_GNU_LONGLINK || type === TYPE_PAX) {
      const kind = type === TYPE_GNU_LONGNAME ? "longname" : type === TYPE_GNU_LONGLINK ? "longlink" : "pax";
      this.startData(size, { kind }, true);
      return;
    }
    if (type === "g") {
      this.startData(size, undefined, false); // global pax header: nothing this reader needs
      return;
    }
    this.nextPath = undefined;
    this.nextLinkTarget = undefined;
    const memberType = type === TYPE_REGULAR ? "file" : type === TYPE_SYMLINK ? "symlink" : "other";
    this.contents.members.push({
      path,
      type: memberType,
      size: memberType === "file" ? size : 0,
      ...(memberType === "symlink" ? { linkTarget } : {}),
    });
    const keep = memberType === "file" && this.want(path);
    this.startData(memberType === "file" ? size : 0, keep ? { kind: "file", path } : undefined, keep);
  }

  private startData(size: number, owner: TarReader["dataOwner"], collect: boolean): void {
    this.dataSize = size;
    this.dataLeft = size + ((BLOCK - (size % BLOCK)) % BLOCK);
    this.dataOwner = owner;
    this.dataChunks = collect ? [] : undefined;
    if (this.dataLeft === 0) this.endData();
  }

  private endData(): void {
    const data = this.dataChunks ? Buffer.concat(this.dataChunks).subarray(0, this.dataSize) : undefined;
    const owner = this.dataOwner;
    this.dataChunks = undefined;
    this.dataOwner = undefined;
    if (!owner || !data) return;
    if (owner.kind === "file") this.contents.files.set(owner.path, Buffer.from(data));
    else if (owner.kind === "longname") this.nextPath = field(data, [0, data.length]);
    else if (owner.kind === "longlink") this.nextLinkTarget = field(data, [0, data.length]);
    else {
      const records = paxRecords(data);
      if (records.has("path")) this.nextPath = records.get("path");
      if (records.has("linkpath")) this.nextLinkTarget = records.get("linkpath");
    }
  }
}

/**
 * Lists a package's files and returns the data of those `want` selects (paths without the leading
 * "./"). Runs `dpkg-deb --fsys-tarfile`, which works as any user.
 */
export function readDeb(debPath: string, want: (path: string) => boolean): Promise<DebContents> {
  return new Promise((resolve, reject) => {
    const reader = new TarReader(want);
    const child = spawn("dpkg-deb", ["--fsys-tarfile", debPath], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let failure: Error | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      try {
        reader.push(chunk);
      } catch (error) {
        failure = error as Error;
        child.kill();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error: NodeJS.ErrnoException) => {
      failure ??=
        error.code === "ENOENT"
          ? new GuestImageError("dpkg-deb is not installed; it comes with dpkg on Debian-based systems (apt-get install dpkg)")
          : error;
    });
    child.on("close", (status) => {
      if (failure) return reject(failure instanceof GuestImageError ? failure : new GuestImageError(`reading ${debPath}: ${failure.message}`));
      if (status !== 0) return reject(new GuestImageError(`dpkg-deb could not read ${debPath}: ${stderr.trim() || `exit status ${status}`}`));
      if (!reader.complete) return reject(new GuestImageError(`${debPath}: the package's data archive ends early`));
      resolve(reader.contents);
    });
  });
}
