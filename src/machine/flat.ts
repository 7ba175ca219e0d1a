// A flat binary: raw bytes copied to one physical address and entered in real mode at
// 0000:address, the way a PC BIOS starts a boot sector (which is why 0x7C00 is the default).
import { LoaderError } from "./loader_error.ts";

/** Where a BIOS loads a boot sector. */
export const DEFAULT_FLAT_LOAD_ADDRESS = 0x7c00;
/** Real mode reaches the first MiB only (plus the HMA, which a flat image must not rely on). */
const REAL_MODE_LIMIT = 0x100000;

export function loadFlat(ram: Uint8Array, image: Uint8Array, name: string, address: number): void {
  if (image.length === 0) throw new LoaderError(`${name}: the file is empty`);
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) {
    throw new LoaderError(`${name}: load address 0x${address.toString(16)} is not in the first 64 KiB, where real mode starts at segment 0`);
  }
  const end = address + image.length;
  if (end > REAL_MODE_LIMIT || end > ram.length) {
    throw new LoaderError(`${name}: ${image.length} bytes at 0x${address.toString(16)} do not fit below 1 MiB`);
  }
  ram.set(image, address);
}
