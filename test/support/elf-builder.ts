// Builds small kernel images byte by byte for loader and CLI tests: an ELF executable (32- or
// 64-bit, any machine number) with one PT_LOAD segment and, optionally, a multiboot v1 header
// (Multiboot Specification 0.6.96 §3.1) near the start of the file. No toolchain needed.

export const MULTIBOOT_MAGIC = 0x1badb002;

/** Physical address the segment is loaded at (1 MiB, like the test guests). */
export const LOAD_ADDRESS = 0x100000;
/** File offset of the segment's contents (the code); the headers come before it. */
const SEGMENT_OFFSET = 0x1000;
/** File offset of the multiboot header: inside the first 8 KiB, outside the ELF headers. */
const MULTIBOOT_OFFSET = 0x200;

export interface ElfOptions {
  /** Machine code placed at the entry point (the start of the segment). */
  code?: Uint8Array | number[];
  /** ELF class: 32 (ELFCLASS32) or 64 (ELFCLASS64). Default 32. */
  bits?: 32 | 64;
  /** e_machine. Default 3 (EM_386). */
  machine?: number;
  /** Size of the segment in memory; the part after `code` is zero (bss). Default: code length. */
  memorySize?: number;
  /** Include a multiboot header: true = valid, "bad-checksum" = magic with a wrong checksum. */
  multiboot?: boolean | "bad-checksum";
}

/** An ELF executable whose one segment holds `code` at LOAD_ADDRESS, the entry point. */
export function buildElf(options: ElfOptions = {}): Uint8Array {
  const code = Uint8Array.from(options.code ?? [0xf4]); // hlt
  const bits = options.bits ?? 32;
  const memorySize = options.memorySize ?? code.length;
  const image = new Uint8Array(SEGMENT_OFFSET + code.length);
  const view = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, 1 /* little-endian */, 1 /* EV_CURRENT */]);
  view.setUint16(16, 2, true); // e_type ET_EXEC
  view.setUint16(18, options.machine ?? 3, true);
  view.setUint32(20, 1, true); // e_version
  if (bits === 32) {
    view.setUint32(24, LOAD_ADDRESS, true); // e_entry
    view.setUint32(28, 52, true); // e_phoff
    view.setUint16(40, 52, true); // e_ehsize
    view.setUint16(42, 32, true); // e_phentsize
    view.setUint16(44, 1, true); // e_phnum
    const ph = 52;
    view.setUint32(ph, 1, true); // PT_LOAD
    view.setUint32(ph + 4, SEGMENT_OFFSET, true);
    view.setUint32(ph + 8, LOAD_ADDRESS, true); // p_vaddr
    view.setUint32(ph + 12, LOAD_ADDRESS, true); // p_paddr
    view.setUint32(ph + 16, code.length, true); // p_filesz
    view.setUint32(ph + 20, memorySize, true); // p_memsz
    view.setUint32(ph + 24, 7, true); // RWX
    view.setUint32(ph + 28, 0x1000, true);
  } else {
    view.setBigUint64(24, BigInt(LOAD_ADDRESS), true);
    view.setBigUint64(32, 64n, true); // e_phoff
    view.setUint16(52, 64, true); // e_ehsize
    view.setUint16(54, 56, true); // e_phentsize
    view.setUint16(56, 1, true);
    const ph = 64;
    view.setUint32(ph, 1, true);
    view.setUint32(ph + 4, 7, true);
    view.setBigUint64(ph + 8, BigInt(SEGMENT_OFFSET), true);
    view.setBigUint64(ph + 16, BigInt(LOAD_ADDRESS), true);
    view.setBigUint64(ph + 24, BigInt(LOAD_ADDRESS), true);
    view.setBigUint64(ph + 32, BigInt(code.length), true);
    view.setBigUint64(ph + 40, BigInt(memorySize), true);
    view.setBigUint64(ph + 48, 0x1000n, true);
  }
  if (options.multiboot) {
    const flags = 0;
    const checksum = (-(MULTIBOOT_MAGIC + flags) + (options.multiboot === "bad-checksum" ? 1 : 0)) >>> 0;
    view.setUint32(MULTIBOOT_OFFSET, MULTIBOOT_MAGIC, true);
    view.setUint32(MULTIBOOT_OFFSET + 4, flags, true);
    view.setUint32(MULTIBOOT_OFFSET + 8, checksum, true);
  }
  image.set(code, SEGMENT_OFFSET);
  return image;
}

/** 32-bit code that writes `text` to COM1's transmit register, one OUT per byte. */
export function serialPrintCode(text: string): number[] {
  const code = [0x66, 0xba, 0xf8, 0x03]; // mov dx, 0x3f8
  for (const byte of Buffer.from(text, "latin1")) code.push(0xb0, byte, 0xee); // mov al, b; out dx, al
  return code;
}

/** 32-bit code that writes `value` to QEMU's isa-debug-exit at port 0xf4 (status (v << 1) | 1). */
export function debugExitCode(value: number): number[] {
  return [0xb0, value & 0xff, 0xe6, 0xf4]; // mov al, value; out 0xf4, al
}

export const CLI_HLT = [0xfa, 0xf4]; // cli; hlt
