// Port 0x80, the POST diagnostic port: guests write progress codes or use it as a short I/O
// delay. Writes are kept (the last code) and reads return it, as on PC chipsets.
import { DeviceStateError, type AccessSize, type Device } from "./device.ts";

export class PostCodePort implements Device {
  lastCode = 0;
  read(_offset: number, _size: AccessSize): number { return this.lastCode; }
  write(_offset: number, _size: AccessSize, value: number): void { this.lastCode = value & 0xff; }
  reset(): void { this.lastCode = 0; }
  save(): { lastCode: number } { return { lastCode: this.lastCode }; }
  restore(state: object): void {
    const code = (state as { lastCode?: unknown }).lastCode;
    if (typeof code !== "number" || !Number.isInteger(code) || code < 0 || code > 0xff) {
      throw new DeviceStateError("post code port", "lastCode must be a byte");
    }
    this.lastCode = code;
  }
}
