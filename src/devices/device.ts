// The interface every device implements (../shared/STYLE.md, practice 6): a device knows only its
// register offsets, never its base address; interrupt lines and output sinks are injected.

/** Access width in bytes. */
export type AccessSize = 1 | 2 | 4;

/** An interrupt line a device drives: level true = asserted. */
export type IrqLine = (level: boolean) => void;

/** A line that goes nowhere, for devices built without a wired interrupt. */
export const unconnectedIrq: IrqLine = () => {};

export interface Device {
  /** Read the register at `offset` from the device's base. */
  read(offset: number, size: AccessSize): number;
  /** Write the register at `offset` from the device's base. */
  write(offset: number, size: AccessSize, value: number): void;
  /** Return to power-on state. */
  reset(): void;
  /** Plain-data copy of the device state. */
  save(): object;
  /** Load state from save(); throws DeviceStateError when the state is malformed. */
  restore(state: object): void;
}

/** Raised by restore() for state that did not come from save() of the same device kind. */
export class DeviceStateError extends Error {
  constructor(device: string, problem: string) {
    super(`${device}: cannot restore state: ${problem}`);
    this.name = "DeviceStateError";
  }
}
