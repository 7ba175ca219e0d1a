// One test per behaviour of configuration mechanism #1 (PCI Local Bus Spec 3.0, 3.2.2.3.2) and
// the configuration header rules of chapter 6, plus the PIIX Reset Control Register at 0xCF9.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  PCI_BAR0,
  PCI_COMMAND,
  PCI_CONFIG_ADDRESS,
  PCI_CONFIG_DATA,
  PCI_INTERRUPT_LINE,
  PCI_RESET_CONTROL,
  PCI_STATUS,
  PciFunction,
  PciHost,
} from "../../src/devices/pci_host.ts";

const cfg = (slot: number, fn: number, register: number, bus = 0) =>
  (0x80000000 | (bus << 16) | (slot << 11) | (fn << 8) | (register & 0xfc)) >>> 0;

function setup() {
  let resets = 0;
  const pci = new PciHost({ onReset: () => resets++ });
  const read = (slot: number, fn: number, register: number, size: 1 | 2 | 4 = 4) => {
    pci.write(PCI_CONFIG_ADDRESS, 4, cfg(slot, fn, register));
    return pci.read(PCI_CONFIG_DATA + (register & 3), size);
  };
  const write = (slot: number, fn: number, register: number, size: 1 | 2 | 4, value: number) => {
    pci.write(PCI_CONFIG_ADDRESS, 4, cfg(slot, fn, register));
    pci.write(PCI_CONFIG_DATA + (register & 3), size, value);
  };
  return { pci, read, write, resets: () => resets };
}

describe("PciHost CONFIG_ADDRESS (3.2.2.3.2)", () => {
  test("a dword write latches the address; bits 1-0 and 30-24 read 0", () => {
    const { pci } = setup();
    pci.write(PCI_CONFIG_ADDRESS, 4, 0xffffffff);
    expect(pci.read(PCI_CONFIG_ADDRESS, 4)).toBe(0x80fffffc);
  });

  test("byte and word accesses to 0xCF8 do not touch CONFIG_ADDRESS", () => {
    const { pci } = setup();
    pci.write(PCI_CONFIG_ADDRESS, 4, cfg(0, 0, 0));
    pci.write(PCI_CONFIG_ADDRESS, 2, 0x1234);
    expect(pci.read(PCI_CONFIG_ADDRESS, 4)).toBe(cfg(0, 0, 0));
  });

  test("with the enable bit clear, data reads are all ones", () => {
    const { pci } = setup();
    pci.write(PCI_CONFIG_ADDRESS, 4, 0);
    expect(pci.read(PCI_CONFIG_DATA, 4)).toBe(0xffffffff);
  });
});

describe("PciHost bus 0 functions", () => {
  test("00:00.0 is an Intel 440FX host bridge, class 0600", () => {
    const { read } = setup();
    expect(read(0, 0, 0)).toBe(0x12378086);
    expect(read(0, 0, 8) >>> 8).toBe(0x060000);
  });

  test("00:01.0 is a PIIX3 ISA bridge, class 0601, multi-function header", () => {
    const { read } = setup();
    expect(read(1, 0, 0)).toBe(0x70008086);
    expect(read(1, 0, 8) >>> 8).toBe(0x060100);
    expect(read(1, 0, 0x0e, 1)).toBe(0x80);
  });

  test("absent functions and other buses read all ones; writes are dropped", () => {
    const { pci, read, write } = setup();
    expect(read(5, 0, 0)).toBe(0xffffffff);
    expect(read(1, 1, 0, 2)).toBe(0xffff);
    pci.write(PCI_CONFIG_ADDRESS, 4, cfg(0, 0, 0, 1));
    expect(pci.read(PCI_CONFIG_DATA, 4)).toBe(0xffffffff);
    write(5, 0, 4, 4, 0x7);
  });

  test("bytes and words at 0xCFC-0xCFF reach the dword's lanes", () => {
    const { read } = setup();
    expect(read(0, 0, 0, 1)).toBe(0x86);
    expect(read(0, 0, 1, 1)).toBe(0x80);
    expect(read(0, 0, 2, 2)).toBe(0x1237);
    expect(read(0, 0, 3, 1)).toBe(0x12);
  });
});

describe("PciFunction configuration header (6.2)", () => {
  test("read-only registers ignore writes", () => {
    const { read, write } = setup();
    write(0, 0, 0, 4, 0);
    expect(read(0, 0, 0)).toBe(0x12378086);
  });

  test("command bits are writable through the mask; others stay 0", () => {
    const { read, write } = setup();
    write(0, 0, PCI_COMMAND, 2, 0xffff);
    expect(read(0, 0, PCI_COMMAND, 2)).toBe(0x0547);
  });

  test("status error bits are write-1-to-clear", () => {
    const f = new PciFunction("test", { vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000 });
    f.config[PCI_STATUS + 1] = 0x82;
    f.writeConfig(PCI_STATUS, 2, 0x8000);
    expect(f.readConfig(PCI_STATUS, 2)).toBe(0x0200);
  });

  test("interrupt line is writable", () => {
    const { read, write } = setup();
    write(1, 0, PCI_INTERRUPT_LINE, 1, 0x0b);
    expect(read(1, 0, PCI_INTERRUPT_LINE, 1)).toBe(0x0b);
  });

  test("a BAR's write mask gives its size when all ones are written", () => {
    class WithBar extends PciFunction {
      constructor() {
        super("bar", { vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000 });
        this.config[PCI_BAR0] = 0x01; // I/O space
        this.setWritable(PCI_BAR0, 4, 0xffffffe0); // 32 ports
        this.captureResetValues();
      }
    }
    const { pci, read, write } = setup();
    pci.attach(new WithBar(), 3);
    write(3, 0, PCI_BAR0, 4, 0xffffffff);
    expect(read(3, 0, PCI_BAR0)).toBe(0xffffffe1);
    pci.reset();
    expect(read(3, 0, PCI_BAR0)).toBe(0x01);
  });

  test("attach refuses a taken or invalid address", () => {
    const { pci } = setup();
    expect(() => pci.attach(new PciFunction("x", { vendorId: 1, deviceId: 2, classCode: 0 }), 0)).toThrow(RangeError);
    expect(() => pci.attach(new PciFunction("x", { vendorId: 1, deviceId: 2, classCode: 0 }), 32)).toThrow(RangeError);
  });
});

describe("PciHost Reset Control Register (0xCF9)", () => {
  test("writing RCPU = 1 resets; SRST and full reset bits are stored", () => {
    const { pci, resets } = setup();
    pci.write(PCI_RESET_CONTROL, 1, 0x02);
    expect(resets()).toBe(0);
    expect(pci.read(PCI_RESET_CONTROL, 1)).toBe(0x02);
    pci.write(PCI_RESET_CONTROL, 1, 0x06);
    expect(resets()).toBe(1);
  });
});

describe("PciHost state", () => {
  test("save → restore round-trips the address and every function's space", () => {
    const a = setup();
    a.write(1, 0, PCI_INTERRUPT_LINE, 1, 9);
    const state = a.pci.save();
    const b = setup();
    b.pci.restore(structuredClone(state));
    expect(b.pci.save()).toEqual(state);
    expect(b.read(1, 0, PCI_INTERRUPT_LINE, 1)).toBe(9);
  });

  test("restore rejects malformed state and leaves the host unchanged", () => {
    const { pci, write } = setup();
    write(1, 0, PCI_INTERRUPT_LINE, 1, 9);
    const good = pci.save();
    const wrongId = structuredClone(good);
    (wrongId.functions["1.0"] as { config: number[] }).config[0] = 0;
    (wrongId.functions["0.0"] as { config: number[] }).config[PCI_INTERRUPT_LINE] = 5;
    expect(() => pci.restore(wrongId)).toThrow(DeviceStateError);
    expect(() => pci.restore({ ...good, functions: {} })).toThrow(/functions/);
    expect(pci.save()).toEqual(good);
  });
});
