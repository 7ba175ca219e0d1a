// Validation of device state handed to restore(). A snapshot may come from disk or another build,
// so every field is checked for presence, type and range before the device changes anything; a
// problem becomes a DeviceStateError naming the device and the field.

import { DeviceStateError } from "./device.ts";

/** Reads fields out of an untrusted state object, throwing DeviceStateError on the first problem. */
export class StateReader {
  private readonly fields: Record<string, unknown>;

  constructor(
    private readonly device: string,
    state: unknown,
    private readonly path = "",
  ) {
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new DeviceStateError(device, `${path || "state"} is not an object`);
    }
    this.fields = state as Record<string, unknown>;
  }

  /** Throw a DeviceStateError for this device. */
  fail(problem: string): never {
    throw new DeviceStateError(this.device, problem);
  }

  /** Check the `version` field against the one save() writes. */
  version(expected: number): void {
    const found = this.fields.version;
    if (found !== expected) {
      this.fail(`${this.name("version")} is ${describe(found)}, expected ${expected}`);
    }
  }

  /** An integer field in [min, max]. */
  int(field: string, min: number, max: number): number {
    const value = this.fields[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(`${this.name(field)} is ${describe(value)}, expected an integer in [${min}, ${max}]`);
    }
    return value;
  }

  /** A byte field (0..255). */
  byte(field: string): number {
    return this.int(field, 0, 0xff);
  }

  /** A boolean field. */
  bool(field: string): boolean {
    const value = this.fields[field];
    if (typeof value !== "boolean") this.fail(`${this.name(field)} is ${describe(value)}, expected a boolean`);
    return value;
  }

  /** An array of bytes of length at most `maxLength`. */
  bytes(field: string, maxLength: number): number[] {
    const value = this.fields[field];
    if (!Array.isArray(value)) this.fail(`${this.name(field)} is ${describe(value)}, expected an array of bytes`);
    if (value.length > maxLength) {
      this.fail(`${this.name(field)} holds ${value.length} entries, at most ${maxLength} allowed`);
    }
    for (let i = 0; i < value.length; i++) {
      const b = value[i];
      if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 0xff) {
        this.fail(`${this.name(field)}[${i}] is ${describe(b)}, expected a byte`);
      }
    }
    return value as number[];
  }

  /** A nested object field, read with its own StateReader. */
  object(field: string): StateReader {
    return new StateReader(this.device, this.fields[field], this.name(field));
  }

  /** An array field of exactly `length` objects, each read with its own StateReader. */
  objects(field: string, length: number): StateReader[] {
    const value = this.fields[field];
    if (!Array.isArray(value) || value.length !== length) {
      this.fail(`${this.name(field)} is ${describe(value)}, expected an array of ${length} objects`);
    }
    return value.map((item, i) => new StateReader(this.device, item, `${this.name(field)}[${i}]`));
  }

  private name(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return value === null ? "null" : "an object";
  return String(value);
}
