// Wide accesses to byte-wide devices. The UART, PIC and PIT are 8-bit parts on the ISA bus; a 16- or
// 32-bit IN/OUT to one of them is split by the bus into byte cycles at consecutive addresses, low
// byte first (PC/AT bus conversion). These helpers do that split so each device only handles bytes.

import type { AccessSize } from "./device.ts";

/** What an 8-bit device exposes to the helpers below. */
export interface ByteRegisters {
  /** Read one byte register; offsets the device does not decode read as 0xff (floating bus). */
  readByte(offset: number): number;
  /** Write one byte register; offsets the device does not decode ignore the write. */
  writeByte(offset: number, value: number): void;
}

/** A read of `size` bytes at `offset`, as consecutive byte reads assembled little-endian. */
export function readSplit(device: ByteRegisters, offset: number, size: AccessSize): number {
  if (size === 1) return device.readByte(offset);
  let value = 0;
  for (let i = 0; i < size; i++) value |= device.readByte(offset + i) << (8 * i);
  return value >>> 0;
}

/** A write of `size` bytes at `offset`, as consecutive byte writes, low byte first. */
export function writeSplit(device: ByteRegisters, offset: number, size: AccessSize, value: number): void {
  if (size === 1) {
    device.writeByte(offset, value & 0xff);
    return;
  }
  for (let i = 0; i < size; i++) device.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
}

/** Floating-bus value read from an offset no register decodes. */
export const OPEN_BUS = 0xff;
