// Linux x86 boot protocol, 32-bit entry (Documentation/arch/x86/boot.rst): the protected-mode part
// of a bzImage is loaded at 1 MiB, a struct boot_params ("zero page") is built from the image's
// setup header plus an e820 memory map, the command line and the initrd, and the CPU enters at
// code32_start in flat 32-bit protected mode with ESI pointing at boot_params. No BIOS is needed.
import { LoaderError } from "./loader_error.ts";

// Setup header offsets within the image and within boot_params (boot.rst, "The real-mode kernel header").
const SETUP_SECTS = 0x1f1;
const HEADER_JUMP = 0x200; // the byte at 0x201 gives the header's length
const HEADER_MAGIC = 0x202; // "HdrS"
const HEADER_VERSION = 0x206;
const TYPE_OF_LOADER = 0x210;
const LOADFLAGS = 0x211;
const CODE32_START = 0x214;
const RAMDISK_IMAGE = 0x218;
const RAMDISK_SIZE = 0x21c;
const HEAP_END_PTR = 0x224;
const CMD_LINE_PTR = 0x228;
const INITRD_ADDR_MAX = 0x22c;
const CMDLINE_SIZE = 0x238;
const HARDWARE_SUBARCH = 0x23c;
// boot_params fields outside the setup header (arch/x86/include/uapi/asm/bootparam.h).
const ACPI_RSDP_ADDR = 0x070; // u64, protocol 2.14+
const E820_ENTRIES = 0x1e8;
const E820_TABLE = 0x2d0; // 20-byte entries: base u64, length u64, type u32
const E820_MAX_ENTRIES = 128;
const BOOT_PARAMS_SIZE = 0x1000;

const HDRS = 0x53726448; // "HdrS" read little-endian
const MINIMUM_PROTOCOL = 0x0206; // 32-bit entry with cmdline_size and initrd_addr_max
const LOADED_HIGH = 1 << 0; // loadflags: the protected-mode kernel is loaded at 1 MiB (bzImage)
const CAN_USE_HEAP = 1 << 7;
const LOADER_TYPE_UNDEFINED = 0xff; // boot.rst: 0xFF means "undefined"

import { MEMORY_RAM, type MemoryRegion } from "./memory_map.ts";

// Where the loader puts its pieces (all below 1 MiB, in conventional memory).
export const BOOT_GDT_ADDRESS = 0x1000;
export const BOOT_PARAMS_ADDRESS = 0x10000;
export const CMDLINE_ADDRESS = 0x20000;
const KERNEL_LOAD_ADDRESS = 0x100000;
/** Selectors the protocol requires at entry (boot.rst: __BOOT_CS and __BOOT_DS). */
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;

export interface LinuxBoot {
  entry: number;
  bootParamsAddress: number;
  protocolVersion: number;
}

export function isBzImage(image: Uint8Array): boolean {
  return image.length > HEADER_MAGIC + 4 && new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(HEADER_MAGIC, true) === HDRS;
}

/**
 * Load a bzImage, its initrd and command line into `ram` and build boot_params and a boot GDT.
 * Every placement is checked against the RAM size before anything is written.
 */
export function loadLinux(ram: Uint8Array, image: Uint8Array, name: string, cmdline: string, initrd: Uint8Array | undefined,
  memoryMap: MemoryRegion[], rsdpAddress: number | undefined): LinuxBoot {
  if (!isBzImage(image)) throw new LoaderError(`${name}: not a Linux bzImage (no "HdrS" setup header at 0x202)`);
  const header = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const version = header.getUint16(HEADER_VERSION, true);
  if (version < MINIMUM_PROTOCOL) {
    throw new LoaderError(`${name}: boot protocol ${versionText(version)} is too old (need ${versionText(MINIMUM_PROTOCOL)} or later)`);
  }
  if ((image[LOADFLAGS] & LOADED_HIGH) === 0) throw new LoaderError(`${name}: a zImage (loaded low) is not supported; use a bzImage`);
  const setupSectors = image[SETUP_SECTS] === 0 ? 4 : image[SETUP_SECTS];
  const kernelOffset = (setupSectors + 1) * 512;
  if (kernelOffset >= image.length) throw new LoaderError(`${name}: setup (${setupSectors} sectors) is larger than the file`);
  const kernel = image.subarray(kernelOffset);
  if (KERNEL_LOAD_ADDRESS + kernel.length > ram.length) {
    throw new LoaderError(`${name}: the ${kernel.length}-byte kernel does not fit in ${ram.length >> 20} MiB of RAM`);
  }
  const cmdlineBytes = Buffer.from(cmdline, "latin1");
  const cmdlineLimit = header.getUint32(CMDLINE_SIZE, true);
  if (cmdlineBytes.length > cmdlineLimit) throw new LoaderError(`${name}: the command line is ${cmdlineBytes.length} bytes; this kernel takes ${cmdlineLimit}`);

  // The initrd goes as high as allowed, page aligned, below both RAM's top and initrd_addr_max.
  let initrdAddress = 0;
  if (initrd && initrd.length > 0) {
    const highestUsable = Math.min(highestRamEnd(memoryMap), header.getUint32(INITRD_ADDR_MAX, true) + 1);
    initrdAddress = Math.floor((highestUsable - initrd.length) / 0x1000) * 0x1000;
    const kernelEnd = KERNEL_LOAD_ADDRESS + kernel.length;
    if (initrdAddress < kernelEnd) throw new LoaderError(`initrd: ${initrd.length} bytes do not fit above the kernel in ${ram.length >> 20} MiB of RAM`);
  }

  // boot_params: zeroed, then the setup header copied from the image (boot.rst: 0x1f1 up to
  // 0x202 + the byte at 0x201), then the loader's fields.
  const params = new Uint8Array(BOOT_PARAMS_SIZE);
  const headerEnd = Math.min(HEADER_MAGIC + image[HEADER_JUMP + 1], BOOT_PARAMS_SIZE);
  params.set(image.subarray(SETUP_SECTS, headerEnd), SETUP_SECTS);
  const view = new DataView(params.buffer);
  params[TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
  params[LOADFLAGS] = (params[LOADFLAGS] | CAN_USE_HEAP) & 0xff;
  view.setUint16(HEAP_END_PTR, 0xfe00, true);
  view.setUint32(CMD_LINE_PTR, CMDLINE_ADDRESS, true);
  view.setUint32(RAMDISK_IMAGE, initrdAddress, true);
  view.setUint32(RAMDISK_SIZE, initrd?.length ?? 0, true);
  view.setUint32(HARDWARE_SUBARCH, 0, true); // a PC
  if (rsdpAddress !== undefined && version >= 0x020e) view.setBigUint64(ACPI_RSDP_ADDR, BigInt(rsdpAddress), true);
  if (memoryMap.length > E820_MAX_ENTRIES) throw new LoaderError(`memory map has ${memoryMap.length} entries; boot_params holds ${E820_MAX_ENTRIES}`);
  params[E820_ENTRIES] = memoryMap.length;
  memoryMap.forEach((entry, i) => {
    const at = E820_TABLE + 20 * i;
    view.setBigUint64(at, BigInt(entry.base), true);
    view.setBigUint64(at + 8, BigInt(entry.length), true);
    view.setUint32(at + 16, entry.type, true);
  });

  ram.set(kernel, KERNEL_LOAD_ADDRESS);
  if (initrd && initrd.length > 0) ram.set(initrd, initrdAddress);
  ram.set(params, BOOT_PARAMS_ADDRESS);
  ram.set(cmdlineBytes, CMDLINE_ADDRESS);
  ram[CMDLINE_ADDRESS + cmdlineBytes.length] = 0;
  writeBootGdt(ram);
  return { entry: header.getUint32(CODE32_START, true), bootParamsAddress: BOOT_PARAMS_ADDRESS, protocolVersion: version };
}

/** A GDT with flat __BOOT_CS (0x10) and __BOOT_DS (0x18), as the protocol requires at entry. */
function writeBootGdt(ram: Uint8Array): void {
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  view.setBigUint64(BOOT_GDT_ADDRESS, 0n, true);
  view.setBigUint64(BOOT_GDT_ADDRESS + 8, 0n, true);
  view.setBigUint64(BOOT_GDT_ADDRESS + BOOT_CS, 0x00cf9b000000ffffn, true); // 4 GiB code, read/execute
  view.setBigUint64(BOOT_GDT_ADDRESS + BOOT_DS, 0x00cf93000000ffffn, true); // 4 GiB data, read/write
}
export const BOOT_GDT_LIMIT = BOOT_DS + 7;

function highestRamEnd(memoryMap: MemoryRegion[]): number {
  return Math.max(...memoryMap.filter((entry) => entry.type === MEMORY_RAM).map((entry) => entry.base + entry.length));
}

function versionText(version: number): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, "0")}`;
}
