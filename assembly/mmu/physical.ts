// Guest physical memory: RAM at GUEST_RAM for RAM_SIZE bytes; everything above goes to the host
// (device memory, or open bus reading all ones). Every RAM access is bounds-checked here or by the
// TLB, which maps only RAM pages, so a guest can never reach host memory outside its RAM.
import { GUEST_RAM, RAM_SIZE } from "../layout";
import { hostMmioRead, hostMmioWrite } from "../host";
import { noteCodeWrite } from "./code_pages";
import { syncInstructionsRetired } from "../cpu/run";

// Devices derive guest time from the retired count (a timer's current count, say), so it is
// brought up to date first, as for port I/O (cpu/io.ts).
function mmioRead(address: u32, size: i32): u32 {
  syncInstructionsRetired();
  return <u32>hostMmioRead(address, size);
}
function mmioWrite(address: u32, size: i32, value: u32): void {
  syncInstructionsRetired();
  hostMmioWrite(address, size, value);
}

// RAM size cached in a global: read on every slow-path access.
export let ramBytes: u32 = 0;

export function setRamSize(bytes: u32): void {
  ramBytes = bytes;
  store<u32>(RAM_SIZE, bytes);
}

@inline export function isRam(address: u32, size: u32): bool {
  return address <= ramBytes - size;
}

export function physRead8(address: u32): u32 {
  if (isRam(address, 1)) return load<u8>(GUEST_RAM + address);
  return mmioRead(address, 1) & 0xff;
}
export function physRead16(address: u32): u32 {
  if (isRam(address, 2)) return load<u16>(GUEST_RAM + address);
  return mmioRead(address, 2) & 0xffff;
}
export function physRead32(address: u32): u32 {
  if (isRam(address, 4)) return load<u32>(GUEST_RAM + address);
  return mmioRead(address, 4);
}
export function physWrite8(address: u32, value: u32): void {
  if (isRam(address, 1)) {
    noteCodeWrite(address, 1);
    store<u8>(GUEST_RAM + address, value);
  }
  else mmioWrite(address, 1, value & 0xff);
}
export function physWrite16(address: u32, value: u32): void {
  if (isRam(address, 2)) {
    noteCodeWrite(address, 2);
    store<u16>(GUEST_RAM + address, value);
  }
  else mmioWrite(address, 2, value & 0xffff);
}
export function physWrite32(address: u32, value: u32): void {
  if (isRam(address, 4)) {
    noteCodeWrite(address, 4);
    store<u32>(GUEST_RAM + address, value);
  }
  else mmioWrite(address, 4, value);
}
