// The Intel 82093AA I/O APIC, written from its datasheet (290566-001): 3.0 "Register Description"
// (Table 2 memory-mapped registers IOREGSEL/IOWIN, Table 3 IOAPICID, IOAPICVER, IOAPICARB, and
// 3.2.4 the I/O redirection table registers), and 2.4 "Interrupt Signals" (edge and level
// sensitivity, polarity, Remote IRR). The device is the 32-byte register window (offsets 0x00 and
// 0x10); the machine maps it at 0xFEC00000 as the MADT says.
//
// Interrupt messages go to an injected `deliver` sink (the machine routes them to the local APIC:
// LocalApic.isDestination() then acceptInterrupt()); the local APIC's EOI broadcast comes back
// through endOfInterrupt(vector), which clears Remote IRR of level-triggered entries with that
// vector and re-delivers any whose input is still asserted.
//
// Modelling choices:
// - Delivery is instantaneous, so Delivery Status (bit 12) always reads 0 (idle).
// - Writing an entry with the trigger mode set to edge clears its Remote IRR, as Linux expects of
//   version-0x11 parts without an EOI register (it toggles the trigger mode to end a stuck level
//   interrupt; QEMU behaves the same).
// - Edges that arrive while an entry is masked are lost; a level input still asserted when it is
//   unmasked is delivered then.
// - IOREGSEL and IOWIN are accessed as 32-bit registers; narrower reads return the low bytes, and a
//   narrower write to IOREGSEL sets the selected register (bits 7-0).

import type { AccessSize, Device } from "./device.ts";
import { StateReader } from "./state_check.ts";

/** Default physical base (datasheet 3.0; MADT I/O APIC structure). */
export const IO_APIC_DEFAULT_BASE = 0xfec00000;
/** Bytes the window decodes (IOREGSEL at 0x00, IOWIN at 0x10). */
export const IO_APIC_WINDOW_SIZE = 0x20;
/** Number of interrupt inputs and redirection entries. */
export const IO_APIC_PINS = 24;

// Memory-mapped registers (Table 2).
/** I/O Register Select: bits 7-0 select the register IOWIN reaches. */
export const IOREGSEL = 0x00;
/** I/O Window: the selected register. */
export const IOWIN = 0x10;

// Indirect registers (Table 3).
/** IOAPIC ID, bits 27-24. */
export const IOAPICID = 0x00;
/** Version (bits 7-0) and maximum redirection entry (bits 23-16). */
export const IOAPICVER = 0x01;
/** Arbitration ID, bits 27-24 (read-only). */
export const IOAPICARB = 0x02;
/** Redirection table: entry n's low dword at 0x10 + 2n, high dword at 0x11 + 2n. */
export const IOREDTBL = 0x10;

/** IOAPICVER: version 0x11 (82093AA), maximum redirection entry 23. */
export const IO_APIC_VERSION_VALUE = ((IO_APIC_PINS - 1) << 16) | 0x11;
/** IOAPICID bits that are stored. */
export const IOAPICID_MASK = 0x0f000000;

// Redirection entry (3.2.4).
export const REDIR_VECTOR_MASK = 0xff;
/** Bits 10-8: delivery mode (fixed 000, lowest priority 001, SMI 010, NMI 100, INIT 101, ExtINT 111). */
export const REDIR_DELIVERY_MODE_MASK = 0x700;
/** Bit 11: destination mode, 1 = logical. */
export const REDIR_LOGICAL = 1 << 11;
/** Bit 12: delivery status (read-only). */
export const REDIR_DELIVERY_PENDING = 1 << 12;
/** Bit 13: interrupt input pin polarity, 1 = active low. */
export const REDIR_POLARITY_LOW = 1 << 13;
/** Bit 14: Remote IRR (read-only), set when a level interrupt is accepted, cleared by its EOI. */
export const REDIR_REMOTE_IRR = 1 << 14;
/** Bit 15: trigger mode, 1 = level. */
export const REDIR_LEVEL_TRIGGER = 1 << 15;
/** Bit 16: masked. */
export const REDIR_MASKED = 1 << 16;
/** Low-dword bits software can write. */
export const REDIR_LOW_WRITABLE = 0x1afff;
/** High dword bits 31-24 (entry bits 63-56): destination. */
export const REDIR_HIGH_WRITABLE = 0xff000000;

/** An interrupt message on the APIC bus. */
export interface ApicMessage {
  vector: number;
  /** Delivery mode (local_apic.ts DeliveryMode). */
  deliveryMode: number;
  logical: boolean;
  destination: number;
  /** Level-triggered: the local APIC sets TMR and broadcasts the EOI. */
  levelTriggered: boolean;
}

export interface IoApicOptions {
  /** Initial IOAPIC ID (default 1, after local APIC 0; the MADT must say the same). */
  id?: number;
  /** Send a message to the local APICs. */
  deliver?: (message: ApicMessage) => void;
}

/** Plain-data state of an IoApic. */
export interface IoApicState {
  version: number;
  id: number;
  select: number;
  /** Low and high dword of each redirection entry. */
  entries: number[];
  /** Input pin levels. */
  inputs: boolean[];
}

const STATE_VERSION = 1;
const DEVICE_NAME = "io_apic";

export class IoApic implements Device {
  private readonly deliverMessage: (message: ApicMessage) => void;
  private readonly initialId: number;
  private id = 0;
  private select = 0;
  private readonly low = new Array<number>(IO_APIC_PINS).fill(REDIR_MASKED);
  private readonly high = new Array<number>(IO_APIC_PINS).fill(0);
  private readonly inputs = new Array<boolean>(IO_APIC_PINS).fill(false);

  constructor(options: IoApicOptions = {}) {
    this.deliverMessage = options.deliver ?? (() => {});
    this.initialId = options.id ?? 1;
    this.reset();
  }

  read(offset: number, size: AccessSize): number {
    let value: number;
    if (offset === IOREGSEL) value = this.select;
    else if (offset === IOWIN) value = this.readRegister(this.select);
    else return 0;
    return size === 4 ? value >>> 0 : value & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset === IOREGSEL) this.select = value & 0xff;
    else if (offset === IOWIN && size === 4) this.writeRegister(this.select, value >>> 0);
  }

  /** Drive input pin `pin` (0-23); `level` is the electrical level, polarity applies. */
  setIrq(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IO_APIC_PINS || this.inputs[pin] === level) return;
    const before = this.asserted(pin);
    this.inputs[pin] = level;
    const after = this.asserted(pin);
    if (this.low[pin] & REDIR_LEVEL_TRIGGER) this.evaluateLevel(pin);
    else if (!before && after && !(this.low[pin] & REDIR_MASKED)) this.send(pin);
  }

  /** EOI broadcast from a local APIC (82093AA 2.4: clears Remote IRR of entries with this vector). */
  endOfInterrupt(vector: number): void {
    for (let pin = 0; pin < IO_APIC_PINS; pin++) {
      if ((this.low[pin] & REDIR_VECTOR_MASK) !== vector || !(this.low[pin] & REDIR_REMOTE_IRR)) continue;
      this.low[pin] &= ~REDIR_REMOTE_IRR;
      this.evaluateLevel(pin);
    }
  }

  /** Redirection entry `pin` as a 64-bit value split in two dwords, for inspection. */
  entry(pin: number): { low: number; high: number } {
    return { low: this.low[pin], high: this.high[pin] >>> 0 };
  }

  reset(): void {
    this.id = (this.initialId & 0xf) << 24;
    this.select = 0;
    this.low.fill(REDIR_MASKED);
    this.high.fill(0);
  }

  save(): IoApicState {
    const entries: number[] = [];
    for (let pin = 0; pin < IO_APIC_PINS; pin++) entries.push(this.low[pin], this.high[pin] >>> 0);
    return { version: STATE_VERSION, id: this.id, select: this.select, entries, inputs: [...this.inputs] };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const id = s.int("id", 0, IOAPICID_MASK);
    if (id & ~IOAPICID_MASK) s.fail("id has bits outside 27-24");
    const select = s.byte("select");
    const fields = state as Record<string, unknown>;
    const entries = fields.entries as number[];
    if (!Array.isArray(entries) || entries.length !== 2 * IO_APIC_PINS) s.fail(`entries is not an array of ${2 * IO_APIC_PINS} dwords`);
    entries.forEach((v, i) => {
      const allowed = i % 2 === 0 ? REDIR_LOW_WRITABLE | REDIR_REMOTE_IRR : REDIR_HIGH_WRITABLE;
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff || (v & ~allowed) !== 0) s.fail(`entries[${i}] is ${v}, not a valid redirection dword`);
    });
    const inputs = fields.inputs as boolean[];
    if (!Array.isArray(inputs) || inputs.length !== IO_APIC_PINS || !inputs.every((v) => typeof v === "boolean")) {
      s.fail(`inputs is not an array of ${IO_APIC_PINS} booleans`);
    }
    this.id = id;
    this.select = select;
    for (let pin = 0; pin < IO_APIC_PINS; pin++) {
      this.low[pin] = entries[2 * pin] as number;
      this.high[pin] = entries[2 * pin + 1] as number;
      this.inputs[pin] = inputs[pin] as boolean;
    }
    // A level interrupt still asserted and not in service is delivered again.
    for (let pin = 0; pin < IO_APIC_PINS; pin++) this.evaluateLevel(pin);
  }

  private readRegister(index: number): number {
    if (index === IOAPICID) return this.id;
    if (index === IOAPICVER) return IO_APIC_VERSION_VALUE;
    if (index === IOAPICARB) return this.id; // arbitration ID is loaded from the ID (Table 3)
    const pin = (index - IOREDTBL) >> 1;
    if (index < IOREDTBL || pin >= IO_APIC_PINS) return 0;
    return index & 1 ? this.high[pin] >>> 0 : this.low[pin];
  }

  private writeRegister(index: number, value: number): void {
    if (index === IOAPICID) {
      this.id = value & IOAPICID_MASK;
      return;
    }
    const pin = (index - IOREDTBL) >> 1;
    if (index < IOREDTBL || pin >= IO_APIC_PINS) return;
    if (index & 1) {
      this.high[pin] = value & REDIR_HIGH_WRITABLE;
      return;
    }
    let next = (this.low[pin] & REDIR_REMOTE_IRR) | (value & REDIR_LOW_WRITABLE);
    if (!(next & REDIR_LEVEL_TRIGGER)) next &= ~REDIR_REMOTE_IRR;
    this.low[pin] = next;
    this.evaluateLevel(pin);
  }

  private asserted(pin: number): boolean {
    return this.inputs[pin] !== ((this.low[pin] & REDIR_POLARITY_LOW) !== 0);
  }

  /** Level-triggered entries: deliver while asserted, unmasked and not awaiting an EOI. */
  private evaluateLevel(pin: number): void {
    const entry = this.low[pin];
    if (!(entry & REDIR_LEVEL_TRIGGER) || (entry & (REDIR_MASKED | REDIR_REMOTE_IRR)) || !this.asserted(pin)) return;
    const mode = (entry & REDIR_DELIVERY_MODE_MASK) >> 8;
    // Remote IRR is defined for fixed (and lowest-priority) level interrupts only.
    if (mode === 0 || mode === 1) this.low[pin] |= REDIR_REMOTE_IRR;
    this.send(pin);
  }

  private send(pin: number): void {
    const entry = this.low[pin];
    this.deliverMessage({
      vector: entry & REDIR_VECTOR_MASK,
      deliveryMode: (entry & REDIR_DELIVERY_MODE_MASK) >> 8,
      logical: (entry & REDIR_LOGICAL) !== 0,
      destination: this.high[pin] >>> 24,
      levelTriggered: (entry & REDIR_LEVEL_TRIGGER) !== 0,
    });
  }
}
