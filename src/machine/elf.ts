// Just enough of ELF32 (System V ABI, i386 supplement) to load an executable's segments.
import { LoaderError } from "./loader_error.ts";

const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const EM_386 = 3;
const PT_LOAD = 1;

export interface ElfSegment {
  /** Physical load address (p_paddr). */
  physicalAddress: number;
  /** Bytes taken from the file. */
  data: Uint8Array;
  /** Size in memory; the rest after `data` is zeroed. */
  memorySize: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === ELF_MAGIC;
}

export function parseElf32(bytes: Uint8Array, name: string): ElfImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 52 || !isElf(bytes)) throw new LoaderError(`${name}: not an ELF file`);
  if (bytes[4] !== ELFCLASS32) throw new LoaderError(`${name}: not a 32-bit ELF file (class ${bytes[4]})`);
  if (bytes[5] !== ELFDATA2LSB) throw new LoaderError(`${name}: not a little-endian ELF file`);
  const machine = view.getUint16(18, true);
  if (machine !== EM_386) throw new LoaderError(`${name}: ELF machine ${machine} is not i386 (3)`);
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum === 0) throw new LoaderError(`${name}: ELF file has no program headers`);
  if (phentsize < 32 || phoff + phnum * phentsize > bytes.length) {
    throw new LoaderError(`${name}: ELF program header table lies outside the file`);
  }
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = view.getUint32(at + 4, true);
    const physicalAddress = view.getUint32(at + 12, true);
    const fileSize = view.getUint32(at + 16, true);
    const memorySize = view.getUint32(at + 20, true);
    if (offset + fileSize > bytes.length) throw new LoaderError(`${name}: ELF segment ${i} extends past the end of the file`);
    if (fileSize > memorySize) throw new LoaderError(`${name}: ELF segment ${i} is larger in the file than in memory`);
    segments.push({ physicalAddress, data: bytes.subarray(offset, offset + fileSize), memorySize });
  }
  if (segments.length === 0) throw new LoaderError(`${name}: ELF file has no loadable segment`);
  return { entry, segments };
}
