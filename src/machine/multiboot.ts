// Multiboot 1 loader (Multiboot Specification 0.6.96): finds the header, loads an ELF or an
// a.out-kludge image, builds the boot information structure and the machine state at entry.
import { LoaderError } from "./loader_error.ts";
import { isElf, parseElf32, type ElfSegment } from "./elf.ts";
import { pcMemoryMap, LOW_MEMORY_END, HIGH_MEMORY_START } from "./memory_map.ts";

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002; // 3.1.2
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002; // 3.2, in EAX at entry
const HEADER_SEARCH_BYTES = 8192; // 3.1.1: the header lies in the first 8 KiB
const HEADER_FLAG_PAGE_ALIGN_MODULES = 1 << 0;
const HEADER_FLAG_MEMORY_INFO = 1 << 1;
const HEADER_FLAG_VIDEO_MODE = 1 << 2;
const HEADER_FLAG_ADDRESSES = 1 << 16; // a.out kludge: load addresses in the header
const HEADER_FLAGS_SUPPORTED = HEADER_FLAG_PAGE_ALIGN_MODULES | HEADER_FLAG_MEMORY_INFO | HEADER_FLAG_VIDEO_MODE | HEADER_FLAG_ADDRESSES;

// Boot information flags (3.3).
const INFO_MEMORY = 1 << 0;
const INFO_CMDLINE = 1 << 2;
const INFO_MODULES = 1 << 3;
const INFO_MEMORY_MAP = 1 << 6;
const INFO_BOOT_LOADER_NAME = 1 << 9;
const INFO_SIZE = 88;


export interface MultibootModule {
  name: string;
  data: Uint8Array;
}

export interface MultibootBoot {
  entry: number;
  /** Physical address of the boot information structure (EBX at entry). */
  infoAddress: number;
}

interface Header {
  offset: number;
  flags: number;
}

interface HeaderSearch {
  header?: Header;
  /** Offset of the first magic whose checksum is wrong, to explain why nothing was found. */
  badChecksumAt?: number;
}

function searchHeader(image: Uint8Array): HeaderSearch {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(image.length, HEADER_SEARCH_BYTES) - 12;
  let badChecksumAt: number | undefined;
  for (let offset = 0; offset <= end; offset += 4) {
    if (view.getUint32(offset, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(offset + 4, true);
    const checksum = view.getUint32(offset + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) === 0) return { header: { offset, flags } };
    badChecksumAt ??= offset;
  }
  return { badChecksumAt };
}

function findHeader(image: Uint8Array): Header | undefined {
  return searchHeader(image).header;
}

export function hasMultibootHeader(image: Uint8Array): boolean {
  return findHeader(image) !== undefined;
}

/** Why `image` has no usable multiboot header, as the tail of a LoaderError message. */
function missingHeaderReason(image: Uint8Array, badChecksumAt: number | undefined): string {
  if (image.length === 0) return "the file is empty";
  if (badChecksumAt !== undefined) {
    return `the multiboot header at offset 0x${badChecksumAt.toString(16)} has a bad checksum ` +
      "(magic + flags + checksum must be 0 modulo 2^32)";
  }
  return "no multiboot header in the first 8 KiB";
}

/**
 * Load a multiboot kernel into `ram` (guest physical memory) and build its boot information.
 * Everything is range-checked against the RAM size first, so a bad image changes nothing.
 */
export function loadMultiboot(ram: Uint8Array, kernel: Uint8Array, name: string, cmdline: string, modules: MultibootModule[]): MultibootBoot {
  const { header, badChecksumAt } = searchHeader(kernel);
  if (!header) throw new LoaderError(`${name}: ${missingHeaderReason(kernel, badChecksumAt)}`);
  const unsupported = header.flags & 0xffff & ~HEADER_FLAGS_SUPPORTED;
  if (unsupported !== 0) throw new LoaderError(`${name}: multiboot header requires unsupported features (flags 0x${unsupported.toString(16)})`);
  let segments: ElfSegment[];
  let entry: number;
  if (header.flags & HEADER_FLAG_ADDRESSES) {
    ({ segments, entry } = aoutKludgeSegments(kernel, name, header));
  } else if (isElf(kernel)) {
    const elf = parseElf32(kernel, name);
    segments = elf.segments;
    entry = elf.entry;
  } else {
    throw new LoaderError(`${name}: multiboot image is neither ELF nor has load addresses in its header`);
  }
  let imageEnd = 0;
  for (const segment of segments) {
    const end = segment.physicalAddress + segment.memorySize;
    if (end > ram.length) {
      throw new LoaderError(`${name}: segment at 0x${segment.physicalAddress.toString(16)}-0x${end.toString(16)} does not fit in ${ram.length >> 20} MiB of RAM`);
    }
    imageEnd = Math.max(imageEnd, end);
  }
  const placer = new Placer(ram.length, alignUp(imageEnd, 0x1000), name);
  // Plan every placement before writing anything.
  const moduleAddresses = modules.map((module) => placer.take(module.data.length, 0x1000, `module ${module.name}`));
  const moduleNameAddresses = modules.map((module) => placer.take(module.name.length + 1, 1, "module name"));
  const cmdlineAddress = placer.take(Buffer.byteLength(cmdline) + 1, 1, "command line");
  const loaderNameAddress = placer.take(LOADER_NAME.length + 1, 1, "loader name");
  const moduleTableAddress = placer.take(16 * modules.length, 4, "module table");
  const memoryMap = pcMemoryMap(ram.length); // multiboot mmap types match ACPI's (3.3)
  const memoryMapAddress = placer.take(memoryMap.length * 24, 4, "memory map");
  const infoAddress = placer.take(INFO_SIZE, 4, "boot information");

  for (const segment of segments) {
    ram.set(segment.data, segment.physicalAddress);
    ram.fill(0, segment.physicalAddress + segment.data.length, segment.physicalAddress + segment.memorySize);
  }
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  writeString(ram, cmdlineAddress, cmdline);
  writeString(ram, loaderNameAddress, LOADER_NAME);
  modules.forEach((module, i) => {
    ram.set(module.data, moduleAddresses[i]);
    writeString(ram, moduleNameAddresses[i], module.name);
    const at = moduleTableAddress + 16 * i;
    view.setUint32(at, moduleAddresses[i], true);
    view.setUint32(at + 4, moduleAddresses[i] + module.data.length, true);
    view.setUint32(at + 8, moduleNameAddresses[i], true);
    view.setUint32(at + 12, 0, true);
  });
  memoryMap.forEach((region, i) => {
    const at = memoryMapAddress + 24 * i;
    view.setUint32(at, 20, true); // size of the entry, not counting this field
    view.setBigUint64(at + 4, BigInt(region.base), true);
    view.setBigUint64(at + 12, BigInt(region.length), true);
    view.setUint32(at + 20, region.type, true);
  });
  ram.fill(0, infoAddress, infoAddress + INFO_SIZE);
  view.setUint32(infoAddress, INFO_MEMORY | INFO_CMDLINE | INFO_MODULES | INFO_MEMORY_MAP | INFO_BOOT_LOADER_NAME, true);
  view.setUint32(infoAddress + 4, LOW_MEMORY_END >> 10, true); // mem_lower in KiB
  view.setUint32(infoAddress + 8, (ram.length - HIGH_MEMORY_START) >> 10, true); // mem_upper in KiB
  view.setUint32(infoAddress + 16, cmdlineAddress, true);
  view.setUint32(infoAddress + 20, modules.length, true);
  view.setUint32(infoAddress + 24, moduleTableAddress, true);
  view.setUint32(infoAddress + 44, memoryMap.length * 24, true);
  view.setUint32(infoAddress + 48, memoryMapAddress, true);
  view.setUint32(infoAddress + 64, loaderNameAddress, true);
  return { entry, infoAddress };
}

const LOADER_NAME = "wasmvisor";

function aoutKludgeSegments(kernel: Uint8Array, name: string, header: Header): { segments: ElfSegment[]; entry: number } {
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  if (header.offset + 32 > kernel.length) throw new LoaderError(`${name}: multiboot header is truncated`);
  const headerAddress = view.getUint32(header.offset + 12, true);
  const loadAddress = view.getUint32(header.offset + 16, true);
  const loadEndAddress = view.getUint32(header.offset + 20, true);
  const bssEndAddress = view.getUint32(header.offset + 24, true);
  const entry = view.getUint32(header.offset + 28, true);
  const fileOffset = header.offset - (headerAddress - loadAddress);
  if (loadAddress > headerAddress || fileOffset < 0) throw new LoaderError(`${name}: multiboot load address lies after the header`);
  const loadEnd = loadEndAddress === 0 ? loadAddress + (kernel.length - fileOffset) : loadEndAddress;
  if (loadEnd < loadAddress || fileOffset + (loadEnd - loadAddress) > kernel.length) {
    throw new LoaderError(`${name}: multiboot load range extends past the end of the file`);
  }
  const bssEnd = bssEndAddress === 0 ? loadEnd : bssEndAddress;
  if (bssEnd < loadEnd) throw new LoaderError(`${name}: multiboot bss ends before the loaded image`);
  return {
    segments: [{ physicalAddress: loadAddress, data: kernel.subarray(fileOffset, fileOffset + (loadEnd - loadAddress)), memorySize: bssEnd - loadAddress }],
    entry,
  };
}


/** Hands out RAM above the kernel image for modules and boot information. */
class Placer {
  constructor(private readonly ramBytes: number, private next: number, private readonly name: string) {}
  take(bytes: number, alignment: number, what: string): number {
    const at = alignUp(this.next, alignment);
    if (at + bytes > this.ramBytes) throw new LoaderError(`${this.name}: not enough RAM for the ${what} (${bytes} bytes at 0x${at.toString(16)})`);
    this.next = at + bytes;
    return at;
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function writeString(ram: Uint8Array, at: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  ram.set(bytes, at);
  ram[at + bytes.length] = 0;
}
