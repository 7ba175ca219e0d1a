// QEMU's isa-debug-exit device (QEMU documentation, "isa-debug-exit"; hw/misc/debugexit.c is the
// behaviour's definition): a write of value v at any offset asks the emulator to stop with process
// status (v << 1) | 1, so a guest can never produce status 0 by this route. The value is taken at
// the width the guest wrote (outb, outw or outl). Reads return 0. The device has no state.

import type { AccessSize, Device } from "./device.ts";
import { StateReader } from "./state_check.ts";

/** The register: any offset in the device's window behaves the same; 0 is the conventional one. */
export const DEBUG_EXIT_REGISTER = 0;
/** Where QEMU's tests and ours map it: iobase 0xf4, iosize 4. */
export const DEBUG_EXIT_CONVENTIONAL_PORT = 0xf4;

const STATE_VERSION = 1;

export interface DebugExitOptions {
  /**
   * Called with (v << 1) | 1 for each write of v. Computed without 32-bit overflow, so an outl of
   * 0x80000000 gives 0x100000001; a process exit status keeps the low 8 bits.
   */
  onExit?: (status: number) => void;
}

/** The status a write of `value` (already truncated to the written width) asks for. */
export function debugExitStatus(value: number): number {
  return value * 2 + 1;
}

export class DebugExit implements Device {
  private readonly onExit: (status: number) => void;

  constructor(options: DebugExitOptions = {}) {
    this.onExit = options.onExit ?? (() => {});
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(_offset: number, size: AccessSize, value: number): void {
    const width = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    this.onExit(debugExitStatus((value & width) >>> 0));
  }

  reset(): void {}

  save(): { version: number } {
    return { version: STATE_VERSION };
  }

  restore(state: object): void {
    new StateReader("debug-exit", state).version(STATE_VERSION);
  }
}
