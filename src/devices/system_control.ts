// Port 0x61, system control port B of the PC/AT: the gate of PIT counter 2 and the speaker enable
// (bits 0 and 1, read/write), the DRAM refresh toggle (bit 4) and counter 2's OUT (bit 5).
// Linux calibrates the TSC against counter 2 through this port.
import { DeviceStateError, type AccessSize, type Device } from "./device.ts";

export const PORT_B_TIMER2_GATE = 0x01; // gate input of PIT counter 2
export const PORT_B_SPEAKER_DATA = 0x02; // speaker enable
export const PORT_B_WRITABLE = PORT_B_TIMER2_GATE | PORT_B_SPEAKER_DATA;
export const PORT_B_REFRESH = 0x10; // toggles every 15.085 µs on an AT
export const PORT_B_TIMER2_OUT = 0x20; // PIT counter 2 OUT

/** Refresh request period: 15.085 µs, in nanoseconds. */
const REFRESH_PERIOD_NS = 15_085;

export interface SystemControlOptions {
  /** Drive the gate of PIT counter 2. */
  setTimer2Gate?: (level: boolean) => void;
  /** Read PIT counter 2's OUT. */
  timer2Out?: () => boolean;
  /** Guest time in nanoseconds, for the refresh toggle. */
  clockNs?: () => number;
}

export class SystemControlPort implements Device {
  private value = 0;
  private readonly setTimer2Gate: (level: boolean) => void;
  private readonly timer2Out: () => boolean;
  private readonly clockNs: () => number;

  constructor(options: SystemControlOptions = {}) {
    this.setTimer2Gate = options.setTimer2Gate ?? (() => {});
    this.timer2Out = options.timer2Out ?? (() => false);
    this.clockNs = options.clockNs ?? (() => 0);
    this.reset();
  }

  read(_offset: number, _size: AccessSize): number {
    const refresh = Math.floor(this.clockNs() / REFRESH_PERIOD_NS) % 2 === 1 ? PORT_B_REFRESH : 0;
    return this.value | refresh | (this.timer2Out() ? PORT_B_TIMER2_OUT : 0);
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.value = value & PORT_B_WRITABLE;
    this.setTimer2Gate((this.value & PORT_B_TIMER2_GATE) !== 0);
  }

  reset(): void {
    this.value = 0;
    this.setTimer2Gate(false);
  }

  save(): { value: number } { return { value: this.value }; }

  restore(state: object): void {
    const value = (state as { value?: unknown }).value;
    if (typeof value !== "number" || !Number.isInteger(value) || (value & ~PORT_B_WRITABLE) !== 0) {
      throw new DeviceStateError("system control port", "value must hold only the gate and speaker bits");
    }
    this.write(0, 1, value);
  }
}
