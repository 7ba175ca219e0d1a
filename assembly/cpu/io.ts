// Port I/O goes straight to the host's device bus. A device may ask the VM to stop (isa-debug-exit)
// or raise an interrupt; run() notices both at the next instruction boundary.
import { hostPortIn, hostPortOut } from "../host";
import { syncInstructionsRetired } from "./run";

// Devices derive guest time from the retired count, so it is brought up to date first.
@inline export function portIn(port: u32, size: u32): u32 {
  syncInstructionsRetired();
  const v = <u32>hostPortIn(<i32>port, <i32>(size >> 3));
  return size == 32 ? v : v & ((<u32>1 << size) - 1);
}
@inline export function portOut(port: u32, size: u32, value: u32): void {
  syncInstructionsRetired();
  hostPortOut(<i32>port, <i32>(size >> 3), <i32>value);
}
