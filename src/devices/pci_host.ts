// A PCI host bridge with configuration mechanism #1, written from the PCI Local Bus Specification
// 3.0: 3.2.2.3.2 "Software Generation of Configuration Transactions" (CONFIG_ADDRESS at 0xCF8,
// CONFIG_DATA at 0xCFC, Figure 3-2 layout), 6.1 "Configuration Space Organization" (Figure 6-1
// Type 00h header), 6.2 "Configuration Space Functional Description" (vendor/device ID, command,
// status with write-1-to-clear bits, class code, header type; absent functions read FFFFh as
// vendor ID) and 6.2.5.1 (BAR sizing by writing all ones, done here with per-byte write masks).
//
// The device is the 8-port window 0xCF8-0xCFF: offsets 0-3 CONFIG_ADDRESS, 4-7 CONFIG_DATA.
// Only a 32-bit access at offset 0 reaches CONFIG_ADDRESS (3.2.2.3.2: "Anything but a DWORD
// access … is passed through as a normal I/O"); a byte write at offset 1 (port 0xCF9) is the
// PIIX/PIIX3 Reset Control Register (82371SB datasheet, "RC—Reset Control Register"): writing RCPU
// (bit 2) = 1 resets the system through the injected onReset. The ACPI FADT names it as the reset
// register (value 0x06).
//
// Bus 0 holds functions attached with attach(); the machine attaches an Intel 440FX-like host
// bridge (00:00.0, 8086:1237, class 0600) and a PIIX3-like PCI-to-ISA bridge (00:01.0, 8086:7000,
// class 0601), so Linux finds both. Configuration cycles to other buses or absent functions read
// all ones (master abort) and ignore writes.
//
// PciDevice is what later devices (virtio) implement; PciFunction is a ready base: a 256-byte
// configuration space with per-byte write masks and write-1-to-clear masks.

import type { AccessSize, Device } from "./device.ts";
import { StateReader } from "./state_check.ts";

/** Where the window sits on a PC. */
export const PCI_CONFIG_PORT = 0xcf8;
/** Ports the window decodes (0xCF8-0xCFF). */
export const PCI_CONFIG_WINDOW = 8;
/** Offset of CONFIG_ADDRESS (port 0xCF8). */
export const PCI_CONFIG_ADDRESS = 0;
/** Offset of the PIIX Reset Control Register (port 0xCF9), byte access only. */
export const PCI_RESET_CONTROL = 1;
/** Offset of CONFIG_DATA (port 0xCFC). */
export const PCI_CONFIG_DATA = 4;

// CONFIG_ADDRESS (Figure 3-2).
/** Bit 31: enable configuration space mapping. */
export const CONFIG_ADDRESS_ENABLE = 0x80000000;
/** Bits that are stored: enable, bus (23-16), device (15-11), function (10-8), register (7-2). */
export const CONFIG_ADDRESS_MASK = 0x80fffffc;

// Reset Control Register (82371SB, RC).
/** Bit 1 SRST: system reset (1 = hard reset when RCPU fires). */
export const RESET_CONTROL_SYSTEM_RESET = 0x02;
/** Bit 2 RCPU: a 0→1 write starts the reset. */
export const RESET_CONTROL_RESET_CPU = 0x04;
/** Bit 3: full reset (hold reset ~1 s). */
export const RESET_CONTROL_FULL_RESET = 0x08;

// Type 00h configuration header offsets (Figure 6-1).
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
/** Class code: programming interface (0x09), subclass (0x0A), base class (0x0B). */
export const PCI_CLASS_CODE = 0x09;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BAR0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_CAPABILITIES_POINTER = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
/** Header type bit 7: the device has more than one function. */
export const HEADER_TYPE_MULTIFUNCTION = 0x80;

// Command register (6.2.2).
export const COMMAND_IO_SPACE = 0x0001;
export const COMMAND_MEMORY_SPACE = 0x0002;
export const COMMAND_BUS_MASTER = 0x0004;
export const COMMAND_PARITY_ERROR_RESPONSE = 0x0040;
export const COMMAND_SERR_ENABLE = 0x0100;
export const COMMAND_INTERRUPT_DISABLE = 0x0400;
/** Status bits 15-11 and 8 are write-1-to-clear error bits (6.2.3). */
export const STATUS_WRITE_ONE_TO_CLEAR = 0xf900;

/** A function's configuration space as the host bridge sees it. */
export interface PciDevice {
  /** Read `size` bytes at `offset` (naturally aligned, within 256 bytes). */
  readConfig(offset: number, size: AccessSize): number;
  /** Write `size` bytes at `offset` (naturally aligned, within 256 bytes). */
  writeConfig(offset: number, size: AccessSize, value: number): void;
  reset(): void;
  save(): object;
  restore(state: object): void;
}

export interface PciFunctionIdentity {
  vendorId: number;
  deviceId: number;
  /** 24 bits: base class << 16 | subclass << 8 | programming interface. */
  classCode: number;
  revision?: number;
  headerType?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** INTA#-INTD# = 1-4, 0 = none. */
  interruptPin?: number;
}

/** Plain-data state of a PciFunction. */
export interface PciFunctionState {
  version: number;
  config: number[];
}

const STATE_VERSION = 1;

/**
 * A configuration space of 256 bytes with a write mask per byte (1 = writable bit) and a
 * write-1-to-clear mask. Subclasses set masks for their registers (e.g. a BAR's size bits) and
 * override configWritten() to act on changes.
 */
export class PciFunction implements PciDevice {
  readonly config = new Uint8Array(256);
  readonly writeMask = new Uint8Array(256);
  readonly clearMask = new Uint8Array(256);
  private readonly initial: Uint8Array;

  constructor(readonly name: string, identity: PciFunctionIdentity) {
    const c = this.config;
    put(c, PCI_VENDOR_ID, 2, identity.vendorId);
    put(c, PCI_DEVICE_ID, 2, identity.deviceId);
    put(c, PCI_REVISION_ID, 1, identity.revision ?? 0);
    put(c, PCI_CLASS_CODE, 3, identity.classCode);
    put(c, PCI_HEADER_TYPE, 1, identity.headerType ?? 0);
    put(c, PCI_SUBSYSTEM_VENDOR_ID, 2, identity.subsystemVendorId ?? 0);
    put(c, PCI_SUBSYSTEM_ID, 2, identity.subsystemId ?? 0);
    put(c, PCI_INTERRUPT_PIN, 1, identity.interruptPin ?? 0);
    this.setWritable(PCI_COMMAND, 2, COMMAND_IO_SPACE | COMMAND_MEMORY_SPACE | COMMAND_BUS_MASTER |
      COMMAND_PARITY_ERROR_RESPONSE | COMMAND_SERR_ENABLE | COMMAND_INTERRUPT_DISABLE);
    put(this.clearMask, PCI_STATUS, 2, STATUS_WRITE_ONE_TO_CLEAR);
    this.setWritable(PCI_INTERRUPT_LINE, 1, 0xff);
    this.initial = this.config.slice();
  }

  /** Make bits of the `size`-byte register at `offset` writable (a mask value). */
  setWritable(offset: number, size: number, mask: number): void {
    put(this.writeMask, offset, size, mask);
  }

  /** Call after setting up config bytes in a subclass constructor: they become the reset values. */
  protected captureResetValues(): void {
    this.initial.set(this.config);
  }

  readConfig(offset: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.config[offset + i] << (8 * i);
    return value >>> 0;
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const byte = (value >>> (8 * i)) & 0xff;
      const mask = this.writeMask[at];
      let next = (this.config[at] & ~mask) | (byte & mask);
      next &= ~(byte & this.clearMask[at]);
      this.config[at] = next;
    }
    this.configWritten(offset, size);
  }

  /** Hook for subclasses: the register at `offset` was written. */
  protected configWritten(_offset: number, _size: AccessSize): void {}

  reset(): void {
    this.config.set(this.initial);
  }

  save(): PciFunctionState {
    return { version: STATE_VERSION, config: [...this.config] };
  }

  restore(state: object): void {
    const s = new StateReader(this.name, state);
    s.version(STATE_VERSION);
    const config = s.bytes("config", 256);
    if (config.length !== 256) s.fail("config must hold 256 bytes");
    for (let i = 0; i < 4; i++) if (config[i] !== this.initial[i]) s.fail("config holds another device's vendor/device ID");
    this.config.set(config);
  }
}

/** Intel 82441FX (440FX) PCI and memory controller, function 0: the host bridge (8086:1237). */
export class HostBridge440fx extends PciFunction {
  constructor() {
    super("pci 00:00.0 host bridge", { vendorId: 0x8086, deviceId: 0x1237, revision: 0x02, classCode: 0x060000 });
  }
}

/** PIIX3 PIRQ Route Control registers PIRQRC[A:D] (82371SB, 0x60-0x63; default 80h: disabled). */
export const PIIX3_PIRQRC = 0x60;

/** Intel 82371SB (PIIX3) function 0, the PCI-to-ISA bridge (8086:7000, class 0601). */
export class IsaBridgePiix3 extends PciFunction {
  constructor() {
    super("pci 00:01.0 ISA bridge", {
      vendorId: 0x8086, deviceId: 0x7000, revision: 0x00, classCode: 0x060100, headerType: HEADER_TYPE_MULTIFUNCTION,
    });
    for (let i = 0; i < 4; i++) this.config[PIIX3_PIRQRC + i] = 0x80;
    this.setWritable(PIIX3_PIRQRC, 4, 0x8f8f8f8f);
    this.captureResetValues();
  }
}

export interface PciHostOptions {
  /** The Reset Control Register asked for a reset (0xCF9 with RCPU). */
  onReset?: () => void;
  /** Attach the 440FX host bridge at 00:00.0 and the PIIX3 ISA bridge at 00:01.0 (default true). */
  standardBridges?: boolean;
}

/** Plain-data state of a PciHost. */
export interface PciHostState {
  version: number;
  address: number;
  resetControl: number;
  /** save() of each attached function, keyed "device.function". */
  functions: Record<string, object>;
}

export class PciHost implements Device {
  private readonly onReset: () => void;
  private readonly functions = new Map<number, PciDevice>();
  private address = 0;
  private resetControl = 0;

  constructor(options: PciHostOptions = {}) {
    this.onReset = options.onReset ?? (() => {});
    if (options.standardBridges ?? true) {
      this.attach(new HostBridge440fx(), 0);
      this.attach(new IsaBridgePiix3(), 1);
    }
  }

  /** Put `device` on bus 0 at device number `slot` (0-31), function `fn` (0-7). */
  attach(device: PciDevice, slot: number, fn = 0): void {
    if (!Number.isInteger(slot) || slot < 0 || slot > 31 || !Number.isInteger(fn) || fn < 0 || fn > 7) {
      throw new RangeError(`PCI address 00:${slot}.${fn} is out of range`);
    }
    const key = (slot << 3) | fn;
    if (this.functions.has(key)) throw new RangeError(`PCI address 00:${slot}.${fn} is taken`);
    this.functions.set(key, device);
  }

  /** The function at bus 0 `slot`.`fn`, if any. */
  device(slot: number, fn = 0): PciDevice | undefined {
    return this.functions.get((slot << 3) | fn);
  }

  read(offset: number, size: AccessSize): number {
    if (offset === PCI_CONFIG_ADDRESS && size === 4) return this.address >>> 0;
    if (offset === PCI_RESET_CONTROL && size === 1) return this.resetControl;
    if (offset < PCI_CONFIG_DATA || offset + size > PCI_CONFIG_WINDOW) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    const target = this.target();
    const register = (this.address & 0xfc) + (offset - PCI_CONFIG_DATA);
    if (!target) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return target.readConfig(register, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset === PCI_CONFIG_ADDRESS && size === 4) {
      this.address = (value & CONFIG_ADDRESS_MASK) >>> 0;
      return;
    }
    if (offset === PCI_RESET_CONTROL && size === 1) {
      const rising = (value & RESET_CONTROL_RESET_CPU) !== 0 && (this.resetControl & RESET_CONTROL_RESET_CPU) === 0;
      this.resetControl = value & (RESET_CONTROL_SYSTEM_RESET | RESET_CONTROL_FULL_RESET);
      if (rising) this.onReset();
      return;
    }
    if (offset < PCI_CONFIG_DATA || offset + size > PCI_CONFIG_WINDOW) return;
    const target = this.target();
    if (target) target.writeConfig((this.address & 0xfc) + (offset - PCI_CONFIG_DATA), size, value >>> 0);
  }

  reset(): void {
    this.address = 0;
    this.resetControl = 0;
    for (const f of this.functions.values()) f.reset();
  }

  save(): PciHostState {
    const functions: Record<string, object> = {};
    for (const [key, f] of this.functions) functions[`${key >> 3}.${key & 7}`] = f.save();
    return { version: STATE_VERSION, address: this.address, resetControl: this.resetControl, functions };
  }

  restore(state: object): void {
    const s = new StateReader("pci_host", state);
    s.version(STATE_VERSION);
    const address = s.int("address", 0, 0xffffffff);
    if (address & ~CONFIG_ADDRESS_MASK) s.fail("address has reserved bits set");
    const resetControl = s.int("resetControl", 0, RESET_CONTROL_SYSTEM_RESET | RESET_CONTROL_FULL_RESET);
    const functions = (state as Record<string, unknown>).functions;
    if (typeof functions !== "object" || functions === null) s.fail("functions is not an object");
    const saved = functions as Record<string, unknown>;
    const keys = [...this.functions.keys()].map((k) => `${k >> 3}.${k & 7}`);
    if (Object.keys(saved).sort().join() !== keys.sort().join()) s.fail(`functions are ${Object.keys(saved).join(", ")}, expected ${keys.join(", ")}`);
    // Validate every function before changing any: restore into a copy of the current state first.
    const before = new Map([...this.functions].map(([k, f]) => [k, f.save()]));
    try {
      for (const [key, f] of this.functions) f.restore(saved[`${key >> 3}.${key & 7}`] as object);
    } catch (error) {
      for (const [key, f] of this.functions) f.restore(before.get(key)!);
      throw error;
    }
    this.address = address;
    this.resetControl = resetControl;
  }

  /** The function CONFIG_ADDRESS selects, if mapping is enabled, the bus is 0 and it exists. */
  private target(): PciDevice | undefined {
    if (!(this.address & CONFIG_ADDRESS_ENABLE)) return undefined;
    if ((this.address >>> 16) & 0xff) return undefined;
    return this.functions.get((this.address >>> 8) & 0xff);
  }
}

function put(bytes: Uint8Array, offset: number, size: number, value: number): void {
  for (let i = 0; i < size; i++) bytes[offset + i] = (value >>> (8 * i)) & 0xff;
}
