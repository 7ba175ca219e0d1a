// The local APIC of one processor (xAPIC mode), written from the Intel SDM vol. 3A chapter 10
// "Advanced Programmable Interrupt Controller (APIC)": 10.4 (IA32_APIC_BASE, Table 10-1 register
// map, ID 10.4.6, Version 10.4.8, SVR 10.9), 10.5 (LVT 10.5.1, ESR 10.5.3, timer 10.5.4),
// 10.6 (ICR 10.6.1, logical destinations 10.6.2.2, self IPIs), 10.8 (IRR/ISR/TMR 10.8.4, TPR/PPR
// 10.8.3, EOI 10.8.5), and 10.12 ("Local APIC in virtual wire mode"; MP Spec 1.4, 3.6.2.2).
//
// The device is the register page at offsets 0x000-0x3F0; the CPU side maps it at the base in
// IA32_APIC_BASE (baseMsr(), default 0xFEE00000) and routes RDMSR/WRMSR 0x1B to baseMsr() and
// setBaseMsr(). Registers are 32 bits wide at 16-byte strides; reads of any width return the bytes
// of the register, writes narrower than 32 bits are ignored (the SDM makes them undefined), and so
// are writes to bytes 4-15 of a 16-byte slot.
//
// Interface to the CPU core:
// - hasInterrupt(): INTR to the core: a fixed interrupt above the processor priority, or an ExtINT
//   (8259 INTR through LINT0 in virtual wire mode, an ExtINT message, or — APIC globally disabled —
//   the 8259's INTR straight through). onChange(level) reports its changes.
// - acknowledge(): the INTA cycle: returns the vector and moves it IRR → ISR, or asks the 8259
//   (picAcknowledge) for ExtINT, or returns the spurious vector when TPR was raised in between.
// - onNmi / onInit: NMI (LINT1, ICR, LVT delivery mode NMI) and INIT (ICR to self) events.
// - Interrupt messages from IOAPICs: isDestination() then acceptInterrupt(); onEoi(vector) is the
//   EOI broadcast for level-triggered vectors (the IOAPIC clears Remote IRR).
//
// Time is injected: `clock()` returns APIC bus clock ticks (LAPIC_BUS_FREQUENCY_HZ, 100 MHz, which
// is one tick per instruction at the machine's nominal 100 M instructions/s), never decreasing.
// The timer is kept in closed form (start time, initial count, divisor); call update() when
// nextEventTicks() says the count reaches 0. Only one CPU exists: IPIs other than to self are
// dropped, and lowest-priority delivery is fixed delivery to the one destination.

import type { AccessSize, Device } from "./device.ts";
import { StateReader } from "./state_check.ts";

/** The bus clock the timer counts (documented choice; Linux calibrates it against the PIT). */
export const LAPIC_BUS_FREQUENCY_HZ = 100_000_000;
/** Bytes of the register page. */
export const LAPIC_PAGE_SIZE = 0x1000;
/** Default IA32_APIC_BASE physical base (10.4.4). */
export const LAPIC_DEFAULT_BASE = 0xfee00000;
/** The IA32_APIC_BASE MSR number (10.4.4). */
export const MSR_IA32_APIC_BASE = 0x1b;
/** IA32_APIC_BASE bit 8: this processor is the BSP. */
export const APIC_BASE_BSP = 1 << 8;
/** IA32_APIC_BASE bit 11: APIC global enable. */
export const APIC_BASE_ENABLE = 1 << 11;
/** IA32_APIC_BASE bits 31-12: page base. */
export const APIC_BASE_ADDRESS_MASK = 0xfffff000;

// Register offsets (Table 10-1 "Local APIC Register Address Map").
export const LAPIC_ID = 0x020;
export const LAPIC_VERSION = 0x030;
export const LAPIC_TPR = 0x080;
export const LAPIC_APR = 0x090;
export const LAPIC_PPR = 0x0a0;
export const LAPIC_EOI = 0x0b0;
export const LAPIC_RRD = 0x0c0;
export const LAPIC_LDR = 0x0d0;
export const LAPIC_DFR = 0x0e0;
export const LAPIC_SVR = 0x0f0;
/** ISR bits 31-0 at 0x100; bits 255-224 at 0x170. */
export const LAPIC_ISR = 0x100;
export const LAPIC_TMR = 0x180;
export const LAPIC_IRR = 0x200;
export const LAPIC_ESR = 0x280;
export const LAPIC_ICR_LOW = 0x300;
export const LAPIC_ICR_HIGH = 0x310;
export const LAPIC_LVT_TIMER = 0x320;
export const LAPIC_LVT_THERMAL = 0x330;
export const LAPIC_LVT_PERF = 0x340;
export const LAPIC_LVT_LINT0 = 0x350;
export const LAPIC_LVT_LINT1 = 0x360;
export const LAPIC_LVT_ERROR = 0x370;
export const LAPIC_TIMER_INITIAL_COUNT = 0x380;
export const LAPIC_TIMER_CURRENT_COUNT = 0x390;
export const LAPIC_TIMER_DIVIDE = 0x3e0;

/**
 * Version register (10.4.8, Figure 10-7): version 0x14 (an integrated xAPIC, as Pentium 4 / P6
 * family parts report 1xH), Max LVT Entry = 5 (six LVT entries: timer, thermal, performance,
 * LINT0, LINT1, error), no EOI-broadcast suppression.
 */
export const LAPIC_VERSION_VALUE = 0x00050014;

// SVR (10.9, Figure 10-23).
/** SVR bit 8: APIC software enable. */
export const SVR_APIC_ENABLE = 1 << 8;
/** SVR bit 9: focus processor checking disabled. */
export const SVR_FOCUS_DISABLE = 1 << 9;
/** SVR bits that are stored (vector, enable, focus). */
export const SVR_WRITABLE = 0x3ff;

// LVT fields (10.5.1, Figure 10-8).
export const LVT_VECTOR_MASK = 0xff;
/** Bits 10-8: delivery mode. */
export const LVT_DELIVERY_MODE_MASK = 0x700;
/** Bit 12: delivery status (read-only; always idle here: delivery is instantaneous). */
export const LVT_DELIVERY_PENDING = 1 << 12;
/** Bit 13: LINT input pin polarity, 1 = active low. */
export const LVT_POLARITY_LOW = 1 << 13;
/** Bit 14: LINT remote IRR (read-only), set while a level-triggered fixed LINT interrupt is in service. */
export const LVT_REMOTE_IRR = 1 << 14;
/** Bit 15: LINT trigger mode, 1 = level. */
export const LVT_LEVEL_TRIGGER = 1 << 15;
/** Bit 16: masked. */
export const LVT_MASKED = 1 << 16;
/** Timer bits 18-17: 00 one-shot, 01 periodic (10, TSC-deadline, is not supported). */
export const LVT_TIMER_PERIODIC = 1 << 17;

/** Delivery modes (10.5.1 LVT, 10.6.1 ICR, and the IOAPIC redirection table). */
export const DeliveryMode = {
  Fixed: 0,
  LowestPriority: 1,
  Smi: 2,
  Nmi: 4,
  Init: 5,
  StartUp: 6,
  ExtInt: 7,
} as const;

// ICR (10.6.1, Figure 10-12).
/** Bit 11: destination mode, 1 = logical. */
export const ICR_LOGICAL = 1 << 11;
/** Bit 12: delivery status (read-only, idle). */
export const ICR_SEND_PENDING = 1 << 12;
/** Bit 14: level, 0 = de-assert (INIT level de-assert). */
export const ICR_LEVEL_ASSERT = 1 << 14;
/** Bit 15: trigger mode, 1 = level. */
export const ICR_LEVEL_TRIGGER = 1 << 15;
/** Bits 19-18: destination shorthand. */
export const ICR_SHORTHAND_SHIFT = 18;
export const Shorthand = { None: 0, Self: 1, AllIncludingSelf: 2, AllExcludingSelf: 3 } as const;
/** Writable ICR low bits: vector, mode, destination mode, level, trigger, shorthand. */
export const ICR_LOW_WRITABLE = 0x000ccfff;
/** ICR high bits 31-24: destination. */
export const ICR_HIGH_WRITABLE = 0xff000000;

// ESR (10.5.3, Figure 10-9).
/** Bit 5: Send Illegal Vector. */
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
/** Bit 6: Receive Illegal Vector. */
export const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
/** Bit 7: Illegal Register Address. */
export const ESR_ILLEGAL_REGISTER = 1 << 7;

/** DFR bits 31-28: model, 1111 flat, 0000 cluster; bits 27-0 read as 1s (10.6.2.2). */
export const DFR_MODEL_FLAT = 0xf0000000;
const DFR_RESERVED_ONES = 0x0fffffff;

// LVT indices in this model and the writable bits of each entry (Figure 10-8).
const LVT_OFFSETS = [LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL, LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR];
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;
const LVT_WRITABLE = [
  LVT_VECTOR_MASK | LVT_MASKED | LVT_TIMER_PERIODIC,
  LVT_VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_MASKED,
  LVT_VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_MASKED,
  LVT_VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_POLARITY_LOW | LVT_LEVEL_TRIGGER | LVT_MASKED,
  LVT_VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_POLARITY_LOW | LVT_LEVEL_TRIGGER | LVT_MASKED,
  LVT_VECTOR_MASK | LVT_MASKED,
];
/** Divide configuration register bits 0, 1 and 3 (10.5.4, Figure 10-10). */
const DIVIDE_WRITABLE = 0x0b;

const STATE_VERSION = 1;
const DEVICE_NAME = "local_apic";

export interface LocalApicOptions {
  /** Initial APIC ID (default 0). */
  apicId?: number;
  /** This is the bootstrap processor: IA32_APIC_BASE.BSP (default true). */
  bsp?: boolean;
  /** Current time in APIC bus ticks (LAPIC_BUS_FREQUENCY_HZ), never decreasing. Default: always 0. */
  clock?: () => number;
  /** INTR to the processor core changed: the new value of hasInterrupt(). */
  onChange?: (pending: boolean) => void;
  /** The INTA cycle on the 8259 pair, for ExtINT delivery: returns its vector. */
  picAcknowledge?: () => number;
  /** An NMI is delivered to the processor. */
  onNmi?: () => void;
  /** An INIT is delivered to the processor. */
  onInit?: () => void;
  /** EOI of a level-triggered vector: broadcast to the IOAPICs (10.8.5). */
  onEoi?: (vector: number) => void;
}

/** Plain-data state of a LocalApic; times are relative to the clock at save(). */
export interface LocalApicState {
  version: number;
  baseMsr: number;
  id: number;
  tpr: number;
  ldr: number;
  dfr: number;
  svr: number;
  isr: number[];
  tmr: number[];
  irr: number[];
  esr: number;
  pendingErrors: number;
  icrLow: number;
  icrHigh: number;
  lvt: number[];
  divide: number;
  initialCount: number;
  timerArmed: boolean;
  timerStart: number;
  timerExpiries: number;
  lint: boolean[];
  extIntMessage: boolean;
}

export class LocalApic implements Device {
  private readonly clock: () => number;
  private readonly onChange: (pending: boolean) => void;
  private readonly picAcknowledge: () => number;
  private readonly onNmi: () => void;
  private readonly onInit: () => void;
  private readonly onEoi: (vector: number) => void;
  private readonly initialId: number;
  private readonly bsp: boolean;

  private base = 0;
  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  private esr = 0;
  private pendingErrors = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt = LVT_OFFSETS.map(() => LVT_MASKED);
  private divide = 0;
  private initialCount = 0;
  private timerArmed = false;
  private timerStart = 0;
  /** Expiries (counts reaching 0) already turned into interrupts in the current run. */
  private timerExpiries = 0;
  /** Levels at the LINT0 and LINT1 pins (LINT0 = the 8259's INTR in a PC). */
  private readonly lint = [false, false];
  /** An ExtINT message (IOAPIC pin in ExtINT mode) awaits its INTA. */
  private extIntMessage = false;
  private intr = false;

  constructor(options: LocalApicOptions = {}) {
    this.clock = options.clock ?? (() => 0);
    this.onChange = options.onChange ?? (() => {});
    this.picAcknowledge = options.picAcknowledge ?? (() => 0xff);
    this.onNmi = options.onNmi ?? (() => {});
    this.onInit = options.onInit ?? (() => {});
    this.onEoi = options.onEoi ?? (() => {});
    this.initialId = options.apicId ?? 0;
    this.bsp = options.bsp ?? true;
    this.base = LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (this.bsp ? APIC_BASE_BSP : 0);
    this.resetRegisters();
  }

  // ---- IA32_APIC_BASE ----

  /** IA32_APIC_BASE (MSR 0x1B) as RDMSR returns it (low 32 bits; the high half is 0). */
  baseMsr(): number {
    return this.base >>> 0;
  }

  /**
   * WRMSR IA32_APIC_BASE. Clearing the global enable bit returns the APIC to its power-on state and
   * makes LINT0/LINT1 the processor's INTR/NMI pins (10.4.3); setting it again re-enables it.
   */
  setBaseMsr(value: number): void {
    const wasEnabled = this.globallyEnabled;
    this.base = ((value & (APIC_BASE_ADDRESS_MASK | APIC_BASE_ENABLE)) | (this.bsp ? APIC_BASE_BSP : 0)) >>> 0;
    if (wasEnabled && !this.globallyEnabled) this.resetRegisters();
    this.updateIntr();
  }

  /** IA32_APIC_BASE.EN. */
  get globallyEnabled(): boolean {
    return (this.base & APIC_BASE_ENABLE) !== 0;
  }

  /** SVR.APIC software enable. */
  get softwareEnabled(): boolean {
    return (this.svr & SVR_APIC_ENABLE) !== 0;
  }

  /** The physical address the register page is mapped at. */
  get baseAddress(): number {
    return (this.base & APIC_BASE_ADDRESS_MASK) >>> 0;
  }

  // ---- register access ----

  read(offset: number, size: AccessSize): number {
    const slot = offset & ~0xf;
    const within = offset & 0xf;
    if (within + size > 4) return 0;
    const value = this.readRegister(slot);
    const shifted = value >>> (8 * within);
    return size === 4 ? shifted >>> 0 : shifted & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0) return;
    this.writeRegister(offset, value >>> 0);
    this.updateIntr();
  }

  private readRegister(offset: number): number {
    switch (offset) {
      case LAPIC_ID: return this.id;
      case LAPIC_VERSION: return LAPIC_VERSION_VALUE;
      case LAPIC_TPR: return this.tpr;
      case LAPIC_APR: return this.arbitrationPriority();
      case LAPIC_PPR: return this.processorPriority();
      case LAPIC_EOI: return 0;
      case LAPIC_RRD: return 0;
      case LAPIC_LDR: return this.ldr;
      case LAPIC_DFR: return this.dfr;
      case LAPIC_SVR: return this.svr;
      case LAPIC_ESR: return this.esr;
      case LAPIC_ICR_LOW: return this.icrLow;
      case LAPIC_ICR_HIGH: return this.icrHigh;
      case LAPIC_TIMER_INITIAL_COUNT: return this.initialCount;
      case LAPIC_TIMER_CURRENT_COUNT: return this.currentCount();
      case LAPIC_TIMER_DIVIDE: return this.divide;
    }
    if (offset >= LAPIC_ISR && offset < LAPIC_ISR + 0x80) return this.isr[(offset - LAPIC_ISR) >> 4];
    if (offset >= LAPIC_TMR && offset < LAPIC_TMR + 0x80) return this.tmr[(offset - LAPIC_TMR) >> 4];
    if (offset >= LAPIC_IRR && offset < LAPIC_IRR + 0x80) return this.irr[(offset - LAPIC_IRR) >> 4];
    const lvt = LVT_OFFSETS.indexOf(offset);
    if (lvt >= 0) return this.lvt[lvt];
    this.signalError(ESR_ILLEGAL_REGISTER);
    return 0;
  }

  private writeRegister(offset: number, value: number): void {
    switch (offset) {
      case LAPIC_ID:
        this.id = value & 0xff000000;
        return;
      case LAPIC_TPR:
        this.tpr = value & 0xff;
        return;
      case LAPIC_EOI:
        this.endOfInterrupt();
        return;
      case LAPIC_LDR:
        this.ldr = value & 0xff000000;
        return;
      case LAPIC_DFR:
        this.dfr = ((value & 0xf0000000) | DFR_RESERVED_ONES) >>> 0;
        return;
      case LAPIC_SVR:
        this.svr = value & SVR_WRITABLE;
        // Software disable masks every LVT entry (10.4.7.2).
        if (!this.softwareEnabled) for (let i = 0; i < this.lvt.length; i++) this.lvt[i] |= LVT_MASKED;
        this.evaluateLint(0);
        return;
      case LAPIC_ESR:
        // A write loads the errors detected since the last write (10.5.3).
        this.esr = this.pendingErrors;
        this.pendingErrors = 0;
        return;
      case LAPIC_ICR_LOW:
        this.icrLow = value & ICR_LOW_WRITABLE;
        this.sendIpi();
        return;
      case LAPIC_ICR_HIGH:
        this.icrHigh = (value & ICR_HIGH_WRITABLE) >>> 0;
        return;
      case LAPIC_TIMER_INITIAL_COUNT:
        this.initialCount = value;
        this.startTimer();
        return;
      case LAPIC_TIMER_DIVIDE:
        this.setDivide(value & DIVIDE_WRITABLE);
        return;
    }
    const lvt = LVT_OFFSETS.indexOf(offset);
    if (lvt >= 0) {
      this.writeLvt(lvt, value);
      return;
    }
    // Read-only registers (version, APR, PPR, RRD, ISR, TMR, IRR, current count) ignore writes.
    const readOnly = [LAPIC_VERSION, LAPIC_APR, LAPIC_PPR, LAPIC_RRD, LAPIC_TIMER_CURRENT_COUNT].includes(offset) ||
      (offset >= LAPIC_ISR && offset < LAPIC_IRR + 0x80);
    if (!readOnly) this.signalError(ESR_ILLEGAL_REGISTER);
  }

  private writeLvt(index: number, value: number): void {
    if (index === LVT_TIMER) this.update(); // settle the old mode's expiries first
    const keep = this.lvt[index] & ~LVT_WRITABLE[index];
    let next = keep | (value & LVT_WRITABLE[index]);
    if (!this.softwareEnabled) next |= LVT_MASKED;
    this.lvt[index] = next >>> 0;
    if (index === LVT_LINT0 || index === LVT_LINT1) this.evaluateLint(index - LVT_LINT0);
  }

  // ---- interrupt acceptance and delivery to the core ----

  /**
   * Whether an interrupt message for (destination, logical mode) reaches this APIC (10.6.2):
   * physical: the APIC ID or 0xFF (broadcast); logical: flat model — LDR bits AND destination,
   * cluster model — same cluster (bits 7-4) and a common bit in 3-0; 0xFF is broadcast in both.
   */
  isDestination(destination: number, logical: boolean): boolean {
    destination &= 0xff;
    if (destination === 0xff) return true;
    if (!logical) return destination === this.id >>> 24;
    const ldr = this.ldr >>> 24;
    if ((this.dfr >>> 28) === 0xf) return (ldr & destination) !== 0;
    return (destination >> 4) === (ldr >> 4) && (destination & ldr & 0x0f) !== 0;
  }

  /**
   * Accept an interrupt message (from an IOAPIC, an LVT entry or an IPI). Fixed and lowest
   * priority set IRR (and TMR for level-triggered); vectors 0-15 are illegal (ESR bit 6).
   */
  acceptInterrupt(deliveryMode: number, vector: number, levelTriggered: boolean): void {
    this.accept(deliveryMode, vector, levelTriggered);
    this.updateIntr();
  }

  /** Drive a LINT pin (0 or 1). In a PC, LINT0 is the 8259's INTR and LINT1 the NMI line. */
  setLint(pin: number, level: boolean): void {
    if (this.lint[pin] === level) return;
    const before = this.lintAsserted(pin);
    this.lint[pin] = level;
    const after = this.lintAsserted(pin);
    if (!this.globallyEnabled) {
      // Without the APIC the pins are the core's INTR and NMI (10.4.3).
      if (pin === 1 && level) this.onNmi();
      this.updateIntr();
      return;
    }
    const entry = this.lvt[LVT_LINT0 + pin];
    if (!before && after && (entry & LVT_MASKED) === 0) {
      const mode = (entry & LVT_DELIVERY_MODE_MASK) >> 8;
      if (mode !== DeliveryMode.ExtInt && !((mode === DeliveryMode.Fixed) && (entry & LVT_LEVEL_TRIGGER))) {
        this.accept(mode, entry & LVT_VECTOR_MASK, false);
      }
    }
    this.evaluateLint(pin);
    this.updateIntr();
  }

  /** INTR to the core (see the header). */
  hasInterrupt(): boolean {
    if (this.extIntPending()) return true;
    if (!this.globallyEnabled || !this.softwareEnabled) return false;
    const v = highest(this.irr);
    return v >= 0 && (v & 0xf0) > (this.processorPriority() & 0xf0);
  }

  /**
   * The INTA cycle. Fixed interrupts come first (as QEMU orders them), then ExtINT from the 8259;
   * if nothing is deliverable any more, the spurious vector (SVR bits 7-0, no ISR bit, 10.9).
   */
  acknowledge(): number {
    this.update();
    let vector: number;
    const v = this.globallyEnabled && this.softwareEnabled ? highest(this.irr) : -1;
    if (v >= 0 && (v & 0xf0) > (this.processorPriority() & 0xf0)) {
      clearBit(this.irr, v);
      setBit(this.isr, v);
      vector = v;
    } else if (this.extIntPending()) {
      this.extIntMessage = false;
      vector = this.picAcknowledge() & 0xff;
    } else {
      vector = this.svr & 0xff;
    }
    this.updateIntr();
    return vector;
  }

  // ---- timer ----

  /** Bring the timer up to clock(): a count that reached 0 raises its LVT interrupt. */
  update(): void {
    if (!this.timerArmed) return;
    const expiries = this.expiriesAt(this.clock());
    if (expiries <= this.timerExpiries) return;
    this.timerExpiries = expiries;
    if (!(this.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC)) this.timerArmed = false; // one-shot: stays at 0
    const entry = this.lvt[LVT_TIMER];
    if ((entry & LVT_MASKED) === 0) this.accept(DeliveryMode.Fixed, entry & LVT_VECTOR_MASK, false);
    this.updateIntr();
  }

  /** Bus ticks from now until the timer count next reaches 0, or Infinity if it is not counting. */
  nextEventTicks(): number {
    this.update();
    if (!this.timerArmed) return Infinity;
    const period = this.initialCount * this.divisor();
    return Math.max(0, this.timerStart + (this.timerExpiries + 1) * period - this.clock());
  }

  /** The timer divisor selected by the divide configuration register (1-128). */
  divisor(): number {
    const code = ((this.divide >> 1) & 4) | (this.divide & 3);
    return code === 7 ? 1 : 2 << code;
  }

  private currentCount(): number {
    this.update();
    if (!this.timerArmed) return 0;
    const ticks = Math.floor((this.clock() - this.timerStart) / this.divisor());
    return this.initialCount - (ticks % this.initialCount);
  }

  private expiriesAt(now: number): number {
    const ticks = Math.floor((now - this.timerStart) / this.divisor());
    return Math.floor(ticks / this.initialCount);
  }

  private startTimer(): void {
    this.timerArmed = this.initialCount !== 0;
    this.timerStart = this.clock();
    this.timerExpiries = 0;
  }

  private setDivide(value: number): void {
    if (!this.timerArmed) {
      this.divide = value;
      return;
    }
    // Keep the current count and continue counting at the new rate from now.
    const count = this.currentCount();
    this.divide = value;
    if (!this.timerArmed) return;
    this.timerStart = this.clock() - (this.initialCount - count) * this.divisor();
    this.timerExpiries = 0;
  }

  // ---- internals ----

  private accept(deliveryMode: number, vector: number, levelTriggered: boolean): void {
    switch (deliveryMode) {
      case DeliveryMode.Fixed:
      case DeliveryMode.LowestPriority:
        if (vector < 16) {
          this.signalError(ESR_RECEIVE_ILLEGAL_VECTOR);
          return;
        }
        setBit(this.irr, vector);
        if (levelTriggered) setBit(this.tmr, vector);
        else clearBit(this.tmr, vector);
        return;
      case DeliveryMode.Nmi:
        this.onNmi();
        return;
      case DeliveryMode.Init:
        this.onInit();
        return;
      case DeliveryMode.ExtInt:
        this.extIntMessage = true;
        return;
      default:
        // SMI and start-up: nothing to do for a single processor without SMM.
        return;
    }
  }

  private endOfInterrupt(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    clearBit(this.isr, v);
    if (testBit(this.tmr, v)) {
      clearBit(this.tmr, v);
      this.onEoi(v);
    }
    // A level-triggered fixed LINT interrupt in service: clear Remote IRR and look at the pin again.
    for (const pin of [0, 1]) {
      const index = LVT_LINT0 + pin;
      if ((this.lvt[index] & LVT_REMOTE_IRR) && (this.lvt[index] & LVT_VECTOR_MASK) === v) {
        this.lvt[index] &= ~LVT_REMOTE_IRR;
        this.evaluateLint(pin);
      }
    }
  }

  /** Level-triggered fixed LINT inputs: accept while asserted and not already in service. */
  private evaluateLint(pin: number): void {
    const index = LVT_LINT0 + pin;
    const entry = this.lvt[index];
    if (!this.globallyEnabled || (entry & LVT_MASKED)) return;
    if (((entry & LVT_DELIVERY_MODE_MASK) >> 8) !== DeliveryMode.Fixed || !(entry & LVT_LEVEL_TRIGGER)) return;
    if (this.lintAsserted(pin) && !(entry & LVT_REMOTE_IRR)) {
      this.lvt[index] |= LVT_REMOTE_IRR;
      this.accept(DeliveryMode.Fixed, entry & LVT_VECTOR_MASK, true);
    }
  }

  private lintAsserted(pin: number): boolean {
    const low = this.globallyEnabled && (this.lvt[LVT_LINT0 + pin] & LVT_POLARITY_LOW) !== 0;
    return this.lint[pin] !== low;
  }

  /** An ExtINT is deliverable: an ExtINT message, or the 8259's INTR through LINT0. */
  private extIntPending(): boolean {
    if (!this.globallyEnabled) return this.lint[0];
    if (this.extIntMessage) return true;
    const entry = this.lvt[LVT_LINT0];
    return (entry & LVT_MASKED) === 0 && ((entry & LVT_DELIVERY_MODE_MASK) >> 8) === DeliveryMode.ExtInt && this.lint[0];
  }

  private sendIpi(): void {
    const mode = (this.icrLow & LVT_DELIVERY_MODE_MASK) >> 8;
    const vector = this.icrLow & 0xff;
    const shorthand = (this.icrLow >> ICR_SHORTHAND_SHIFT) & 3;
    const level = (this.icrLow & ICR_LEVEL_TRIGGER) !== 0;
    // INIT level de-assert only synchronises arbitration IDs (10.6.1).
    if (mode === DeliveryMode.Init && level && !(this.icrLow & ICR_LEVEL_ASSERT)) return;
    if ((mode === DeliveryMode.Fixed || mode === DeliveryMode.LowestPriority) && vector < 16) {
      this.signalError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    let toSelf: boolean;
    if (shorthand === Shorthand.Self || shorthand === Shorthand.AllIncludingSelf) toSelf = true;
    else if (shorthand === Shorthand.AllExcludingSelf) toSelf = false;
    else toSelf = this.isDestination(this.icrHigh >>> 24, (this.icrLow & ICR_LOGICAL) !== 0);
    if (toSelf) this.accept(mode, vector, level && mode === DeliveryMode.Fixed);
  }

  private signalError(bit: number): void {
    this.pendingErrors |= bit;
    const entry = this.lvt[LVT_ERROR];
    if (this.globallyEnabled && (entry & LVT_MASKED) === 0) {
      const vector = entry & LVT_VECTOR_MASK;
      if (vector >= 16) {
        setBit(this.irr, vector);
        clearBit(this.tmr, vector);
      }
    }
  }

  /** PPR (10.8.3.1): TPR if its class is at least the highest in-service class, else that class. */
  private processorPriority(): number {
    const isrv = Math.max(0, highest(this.isr));
    return (this.tpr >> 4) >= (isrv >> 4) ? this.tpr : isrv & 0xf0;
  }

  /** APR (P6 definition, 10.8.3 of older SDMs): TPR, or the highest of the TPR, ISR and IRR classes. */
  private arbitrationPriority(): number {
    const isrv = Math.max(0, highest(this.isr));
    const irrv = Math.max(0, highest(this.irr));
    if ((this.tpr >> 4) >= (irrv >> 4) && (this.tpr >> 4) > (isrv >> 4)) return this.tpr;
    return Math.max(this.tpr & 0xf0, isrv & 0xf0, irrv & 0xf0);
  }

  private updateIntr(): void {
    const level = this.hasInterrupt();
    if (level === this.intr) return;
    this.intr = level;
    this.onChange(level);
  }

  private resetRegisters(): void {
    this.id = (this.initialId & 0xff) << 24;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = 0;
    this.pendingErrors = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    this.divide = 0;
    this.initialCount = 0;
    this.timerArmed = false;
    this.timerStart = 0;
    this.timerExpiries = 0;
    this.extIntMessage = false;
  }

  /**
   * What a PC BIOS leaves behind (MP Spec 1.4, 3.6.2.2 "Virtual Wire Mode"; SDM 10.12): APIC
   * software-enabled, LINT0 = ExtINT (the 8259 reaches the core through the APIC) and LINT1 = NMI.
   * Call it after reset() when booting a kernel directly, without firmware.
   */
  setupVirtualWireMode(): void {
    this.svr |= SVR_APIC_ENABLE;
    this.lvt[LVT_LINT0] = DeliveryMode.ExtInt << 8;
    this.lvt[LVT_LINT1] = DeliveryMode.Nmi << 8;
    this.updateIntr();
  }

  /** Power-on/RESET: IA32_APIC_BASE back to its default and every register to its reset value (10.4.7.1). */
  reset(): void {
    this.base = LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (this.bsp ? APIC_BASE_BSP : 0);
    this.resetRegisters();
    this.updateIntr();
  }

  save(): LocalApicState {
    this.update();
    const now = this.clock();
    return {
      version: STATE_VERSION,
      baseMsr: this.base >>> 0,
      id: this.id >>> 0,
      tpr: this.tpr,
      ldr: this.ldr >>> 0,
      dfr: this.dfr >>> 0,
      svr: this.svr,
      isr: [...this.isr],
      tmr: [...this.tmr],
      irr: [...this.irr],
      esr: this.esr,
      pendingErrors: this.pendingErrors,
      icrLow: this.icrLow,
      icrHigh: this.icrHigh >>> 0,
      lvt: [...this.lvt],
      divide: this.divide,
      initialCount: this.initialCount >>> 0,
      timerArmed: this.timerArmed,
      timerStart: this.timerStart - now,
      timerExpiries: this.timerExpiries,
      lint: [...this.lint],
      extIntMessage: this.extIntMessage,
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const U32 = 0xffffffff;
    const baseMsr = s.int("baseMsr", 0, U32);
    const id = s.int("id", 0, U32);
    const tpr = s.byte("tpr");
    const ldr = s.int("ldr", 0, U32);
    const dfr = s.int("dfr", 0, U32);
    const svr = s.int("svr", 0, SVR_WRITABLE);
    const array = (field: string, length: number, max: number) => {
      const value = (state as Record<string, unknown>)[field];
      if (!Array.isArray(value) || value.length !== length || !value.every((v) => Number.isInteger(v) && v >= 0 && v <= max)) {
        s.fail(`${field} is not an array of ${length} integers in [0, ${max}]`);
      }
      return value as number[];
    };
    const isr = array("isr", 8, U32);
    const tmr = array("tmr", 8, U32);
    const irr = array("irr", 8, U32);
    const esr = s.byte("esr");
    const pendingErrors = s.byte("pendingErrors");
    const icrLow = s.int("icrLow", 0, ICR_LOW_WRITABLE);
    const icrHigh = s.int("icrHigh", 0, U32);
    const lvt = array("lvt", 6, U32);
    lvt.forEach((v, i) => {
      if (v & ~(LVT_WRITABLE[i] | LVT_REMOTE_IRR)) s.fail(`lvt[${i}] has bits that are not stored`);
    });
    const divide = s.int("divide", 0, DIVIDE_WRITABLE);
    const initialCount = s.int("initialCount", 0, U32);
    const timerArmed = s.bool("timerArmed");
    const timerStart = s.int("timerStart", -Number.MAX_SAFE_INTEGER, 0);
    const timerExpiries = s.int("timerExpiries", 0, Number.MAX_SAFE_INTEGER);
    const lint = (state as Record<string, unknown>).lint as unknown[];
    if (!Array.isArray(lint) || lint.length !== 2 || !lint.every((v) => typeof v === "boolean")) s.fail("lint is not an array of 2 booleans");
    const extIntMessage = s.bool("extIntMessage");
    if (timerArmed && initialCount === 0) s.fail("timerArmed with initialCount 0");

    const now = this.clock();
    this.base = baseMsr;
    this.id = id;
    this.tpr = tpr;
    this.ldr = ldr;
    this.dfr = dfr;
    this.svr = svr;
    this.isr.set(isr);
    this.tmr.set(tmr);
    this.irr.set(irr);
    this.esr = esr;
    this.pendingErrors = pendingErrors;
    this.icrLow = icrLow;
    this.icrHigh = icrHigh;
    lvt.forEach((v, i) => (this.lvt[i] = v));
    this.divide = divide;
    this.initialCount = initialCount;
    this.timerArmed = timerArmed;
    this.timerStart = now + timerStart;
    this.timerExpiries = timerExpiries;
    this.lint[0] = lint[0] as boolean;
    this.lint[1] = lint[1] as boolean;
    this.extIntMessage = extIntMessage;
    // Re-raise INTR to the core, once, even if unchanged.
    this.intr = this.hasInterrupt();
    this.onChange(this.intr);
  }
}

function highest(bits: Uint32Array): number {
  for (let word = 7; word >= 0; word--) {
    if (bits[word] !== 0) return word * 32 + 31 - Math.clz32(bits[word]);
  }
  return -1;
}

function setBit(bits: Uint32Array, n: number): void {
  bits[n >> 5] |= 1 << (n & 31);
}

function clearBit(bits: Uint32Array, n: number): void {
  bits[n >> 5] &= ~(1 << (n & 31));
}

function testBit(bits: Uint32Array, n: number): boolean {
  return (bits[n >> 5] & (1 << (n & 31))) !== 0;
}
