// isa-debug-exit: a write of v asks for process status (v << 1) | 1, at the width written (QEMU
// documentation, "isa-debug-exit").
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import { DEBUG_EXIT_REGISTER, DebugExit, debugExitStatus } from "../../src/devices/debug_exit.ts";

function setup() {
  const statuses: number[] = [];
  const dev = new DebugExit({ onExit: (status) => statuses.push(status) });
  return { dev, statuses };
}

describe("DebugExit", () => {
  test("outb v asks for status (v << 1) | 1", () => {
    const { dev, statuses } = setup();
    dev.write(DEBUG_EXIT_REGISTER, 1, 0x10);
    expect(statuses).toEqual([0x21]);
  });

  test("the value is taken at the width written: outb keeps 8 bits, outw 16", () => {
    const { dev, statuses } = setup();
    dev.write(DEBUG_EXIT_REGISTER, 1, 0x1234);
    dev.write(DEBUG_EXIT_REGISTER, 2, 0x12345);
    expect(statuses).toEqual([0x69, 0x468b]);
  });

  test("outl of a value with bit 31 set does not overflow", () => {
    const { dev, statuses } = setup();
    dev.write(DEBUG_EXIT_REGISTER, 4, 0x80000000);
    expect(statuses).toEqual([0x100000001]);
    expect(debugExitStatus(0xffffffff)).toBe(0x1ffffffff);
  });

  test("any offset in the window behaves the same; reads return 0", () => {
    const { dev, statuses } = setup();
    dev.write(3, 1, 1);
    expect(statuses).toEqual([3]);
    expect(dev.read(0, 4)).toBe(0);
  });

  test("without a sink, writes are harmless", () => {
    expect(() => new DebugExit().write(0, 1, 5)).not.toThrow();
  });

  test("save → restore round-trips the (empty) state", () => {
    const { dev } = setup();
    const other = new DebugExit();
    other.restore(dev.save());
    expect(other.save()).toEqual(dev.save());
  });

  test("restore rejects a malformed state", () => {
    const { dev } = setup();
    expect(() => dev.restore({ version: 7 })).toThrow(DeviceStateError);
    expect(() => dev.restore({ version: 7 })).toThrow(/debug-exit: cannot restore state: version is 7/);
    expect(() => dev.restore([] as unknown as object)).toThrow(/state is not an object/);
  });
});
