// Just enough of the Linux x86 boot protocol (Documentation/arch/x86/boot.rst) to tell that a file
// extracted from a kernel package is a bzImage a 32-bit boot loader can load.

const HEADER_MAGIC_OFFSET = 0x202; // "HdrS": the real-mode setup header is present
const HEADER_MAGIC = 0x53726448; // "HdrS" read little-endian
const VERSION_OFFSET = 0x206; // boot protocol version, major in the high byte
const LOADFLAGS_OFFSET = 0x211;
const LOADED_HIGH = 1 << 0; // protected-mode code is loaded at 1 MiB: a bzImage, not a zImage

export interface BzImageHeader {
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  protocol: number;
  /** Whether the protected-mode kernel loads at 1 MiB (a bzImage). */
  loadedHigh: boolean;
}

/** The setup header's essentials, or undefined when `image` has no "HdrS" header. */
export function readBzImageHeader(image: Uint8Array): BzImageHeader | undefined {
  if (image.length < LOADFLAGS_OFFSET + 1) return undefined;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (view.getUint32(HEADER_MAGIC_OFFSET, true) !== HEADER_MAGIC) return undefined;
  return {
    protocol: view.getUint16(VERSION_OFFSET, true),
    loadedHigh: (image[LOADFLAGS_OFFSET] & LOADED_HIGH) !== 0,
  };
}

/** "2.15" for 0x020f. */
export function formatProtocol(protocol: number): string {
  return `${protocol >> 8}.${protocol & 0xff}`;
}
