// One test per register behaviour of the local APIC; expected values from the Intel SDM vol. 3A,
// chapter 10 (sections named in each describe block).
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  APIC_BASE_BSP,
  APIC_BASE_ENABLE,
  DeliveryMode,
  ESR_ILLEGAL_REGISTER,
  ESR_RECEIVE_ILLEGAL_VECTOR,
  ESR_SEND_ILLEGAL_VECTOR,
  ICR_LOGICAL,
  ICR_SHORTHAND_SHIFT,
  LAPIC_APR,
  LAPIC_DFR,
  LAPIC_EOI,
  LAPIC_ESR,
  LAPIC_ICR_HIGH,
  LAPIC_ICR_LOW,
  LAPIC_ID,
  LAPIC_IRR,
  LAPIC_ISR,
  LAPIC_LDR,
  LAPIC_LVT_ERROR,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_LINT1,
  LAPIC_LVT_TIMER,
  LAPIC_PPR,
  LAPIC_SVR,
  LAPIC_TIMER_CURRENT_COUNT,
  LAPIC_TIMER_DIVIDE,
  LAPIC_TIMER_INITIAL_COUNT,
  LAPIC_TMR,
  LAPIC_TPR,
  LAPIC_VERSION,
  LVT_LEVEL_TRIGGER,
  LVT_MASKED,
  LVT_REMOTE_IRR,
  LVT_TIMER_PERIODIC,
  LocalApic,
  Shorthand,
  SVR_APIC_ENABLE,
} from "../../src/devices/local_apic.ts";

function setup(apicId = 0) {
  const clock = { now: 0 };
  const log: string[] = [];
  const intr: boolean[] = [];
  let picVector = 0x30;
  const apic = new LocalApic({
    apicId,
    clock: () => clock.now,
    onChange: (level) => intr.push(level),
    picAcknowledge: () => picVector,
    onNmi: () => log.push("nmi"),
    onInit: () => log.push("init"),
    onEoi: (v) => log.push(`eoi ${v}`),
  });
  const w = (offset: number, value: number) => apic.write(offset, 4, value);
  const r = (offset: number) => apic.read(offset, 4);
  const enable = () => w(LAPIC_SVR, SVR_APIC_ENABLE | 0xff);
  return { apic, clock, log, intr, w, r, enable, setPicVector: (v: number) => (picVector = v) };
}

describe("LocalApic identification (10.4.6, 10.4.8, 10.4.4)", () => {
  test("ID holds the APIC ID in bits 31-24 and is writable there", () => {
    const { r, w } = setup(3);
    expect(r(LAPIC_ID)).toBe(0x03000000);
    w(LAPIC_ID, 0x05ffffff);
    expect(r(LAPIC_ID)).toBe(0x05000000);
  });

  test("version reports 0x14 with six LVT entries", () => {
    const { r, w } = setup();
    expect(r(LAPIC_VERSION)).toBe(0x00050014);
    w(LAPIC_VERSION, 0);
    expect(r(LAPIC_VERSION)).toBe(0x00050014);
  });

  test("IA32_APIC_BASE resets to 0xFEE00900 (BSP, enabled)", () => {
    const { apic } = setup();
    expect(apic.baseMsr()).toBe((0xfee00000 | APIC_BASE_ENABLE | APIC_BASE_BSP) >>> 0);
    expect(apic.baseAddress).toBe(0xfee00000);
  });

  test("byte reads return the register's bytes; narrow writes are ignored", () => {
    const { apic, r } = setup();
    expect(apic.read(LAPIC_VERSION + 2, 1)).toBe(0x05);
    apic.write(LAPIC_TPR, 1, 0x20);
    expect(r(LAPIC_TPR)).toBe(0);
  });
});

describe("LocalApic SVR and software enable (10.4.7, 10.9)", () => {
  test("SVR resets to 0xFF: software disabled, LVTs masked", () => {
    const { r } = setup();
    expect(r(LAPIC_SVR)).toBe(0xff);
    expect(r(LAPIC_LVT_TIMER)).toBe(LVT_MASKED);
  });

  test("while software disabled, LVT mask bits cannot be cleared", () => {
    const { w, r, enable } = setup();
    w(LAPIC_LVT_TIMER, 0x40);
    expect(r(LAPIC_LVT_TIMER)).toBe(LVT_MASKED | 0x40);
    enable();
    w(LAPIC_LVT_TIMER, 0x40);
    expect(r(LAPIC_LVT_TIMER)).toBe(0x40);
  });

  test("software disable masks every LVT entry", () => {
    const { w, r, enable } = setup();
    enable();
    w(LAPIC_LVT_LINT0, 0x700);
    w(LAPIC_SVR, 0xff);
    expect(r(LAPIC_LVT_LINT0) & LVT_MASKED).toBe(LVT_MASKED);
  });

  test("pending interrupts are held, not delivered, while software disabled", () => {
    const { apic, enable } = setup();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x40, false);
    expect(apic.hasInterrupt()).toBe(false);
    enable();
    expect(apic.hasInterrupt()).toBe(true);
  });
});

describe("LocalApic IRR, ISR, TMR, EOI (10.8.4, 10.8.5)", () => {
  test("acceptance sets IRR; acknowledge moves the highest vector to ISR", () => {
    const { apic, r, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x41, false);
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x62, false);
    expect(r(LAPIC_IRR + 0x20)).toBe(1 << 1);
    expect(r(LAPIC_IRR + 0x30)).toBe(1 << 2);
    expect(apic.acknowledge()).toBe(0x62);
    expect(r(LAPIC_ISR + 0x30)).toBe(1 << 2);
    expect(r(LAPIC_IRR + 0x30)).toBe(0);
  });

  test("a level-triggered vector sets TMR and its EOI is broadcast", () => {
    const { apic, r, w, log, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x51, true);
    expect(r(LAPIC_TMR + 0x20)).toBe(1 << 17);
    apic.acknowledge();
    w(LAPIC_EOI, 0);
    expect(log).toEqual(["eoi 81"]);
    expect(r(LAPIC_ISR + 0x20)).toBe(0);
  });

  test("EOI of an edge-triggered vector is not broadcast", () => {
    const { apic, w, log, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x51, false);
    apic.acknowledge();
    w(LAPIC_EOI, 0);
    expect(log).toEqual([]);
  });

  test("vectors 0-15 are illegal: not accepted, ESR bit 6 after an ESR write", () => {
    const { apic, r, w, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x0f, false);
    expect(apic.hasInterrupt()).toBe(false);
    expect(r(LAPIC_ESR)).toBe(0);
    w(LAPIC_ESR, 0);
    expect(r(LAPIC_ESR)).toBe(ESR_RECEIVE_ILLEGAL_VECTOR);
    w(LAPIC_ESR, 0);
    expect(r(LAPIC_ESR)).toBe(0);
  });

  test("onChange follows INTR to the core", () => {
    const { apic, intr, w, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x40, false);
    apic.acknowledge();
    w(LAPIC_EOI, 0);
    expect(intr).toEqual([true, false]);
  });
});

describe("LocalApic priorities (10.8.3)", () => {
  test("TPR blocks interrupts of its class and below", () => {
    const { apic, w, enable } = setup();
    enable();
    w(LAPIC_TPR, 0x40);
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x45, false);
    expect(apic.hasInterrupt()).toBe(false);
    w(LAPIC_TPR, 0x3f);
    expect(apic.hasInterrupt()).toBe(true);
  });

  test("an in-service vector blocks its class; a higher class nests", () => {
    const { apic, enable } = setup();
    enable();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x50, false);
    apic.acknowledge();
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x55, false);
    expect(apic.hasInterrupt()).toBe(false);
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x60, false);
    expect(apic.acknowledge()).toBe(0x60);
  });

  test("PPR is TPR or the in-service class, whichever is higher", () => {
    const { apic, r, w, enable } = setup();
    enable();
    w(LAPIC_TPR, 0x23);
    expect(r(LAPIC_PPR)).toBe(0x23);
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x57, false);
    apic.acknowledge();
    expect(r(LAPIC_PPR)).toBe(0x50);
  });

  test("APR reflects TPR, IRR and ISR classes", () => {
    const { apic, r, w, enable } = setup();
    enable();
    w(LAPIC_TPR, 0x12);
    expect(r(LAPIC_APR)).toBe(0x12);
    apic.acceptInterrupt(DeliveryMode.Fixed, 0x47, false);
    expect(r(LAPIC_APR)).toBe(0x40);
  });

  test("acknowledge with nothing deliverable returns the spurious vector without ISR", () => {
    const { apic, r, w } = setup();
    w(LAPIC_SVR, SVR_APIC_ENABLE | 0xef);
    expect(apic.acknowledge()).toBe(0xef);
    expect(r(LAPIC_ISR + 0x70)).toBe(0);
  });
});

describe("LocalApic ICR and IPIs to self (10.6.1)", () => {
  test("a fixed IPI with the self shorthand sets IRR", () => {
    const { apic, w, enable } = setup();
    enable();
    w(LAPIC_ICR_LOW, (Shorthand.Self << ICR_SHORTHAND_SHIFT) | 0x90);
    expect(apic.acknowledge()).toBe(0x90);
  });

  test("a physical destination matching the APIC ID reaches this APIC; another does not", () => {
    const { apic, w, enable } = setup(2);
    enable();
    w(LAPIC_ICR_HIGH, 0x03000000);
    w(LAPIC_ICR_LOW, 0x91);
    expect(apic.hasInterrupt()).toBe(false);
    w(LAPIC_ICR_HIGH, 0x02000000);
    w(LAPIC_ICR_LOW, 0x91);
    expect(apic.hasInterrupt()).toBe(true);
  });

  test("logical flat destinations match LDR bits", () => {
    const { apic, w, enable } = setup();
    enable();
    w(LAPIC_LDR, 0x04000000);
    expect(apic.isDestination(0x04, true)).toBe(true);
    expect(apic.isDestination(0x03, true)).toBe(false);
    w(LAPIC_ICR_HIGH, 0x0c000000);
    w(LAPIC_ICR_LOW, ICR_LOGICAL | 0x92);
    expect(apic.acknowledge()).toBe(0x92);
  });

  test("logical cluster destinations match cluster and member bits", () => {
    const { apic, w, r } = setup();
    w(LAPIC_DFR, 0);
    expect(r(LAPIC_DFR)).toBe(0x0fffffff);
    w(LAPIC_LDR, 0x21000000);
    expect(apic.isDestination(0x21, true)).toBe(true);
    expect(apic.isDestination(0x31, true)).toBe(false);
    expect(apic.isDestination(0xff, true)).toBe(true);
  });

  test("NMI and INIT to self call onNmi and onInit; all-excluding-self goes nowhere", () => {
    const { w, log } = setup();
    w(LAPIC_ICR_LOW, (Shorthand.Self << ICR_SHORTHAND_SHIFT) | (DeliveryMode.Nmi << 8));
    w(LAPIC_ICR_LOW, (Shorthand.Self << ICR_SHORTHAND_SHIFT) | (DeliveryMode.Init << 8) | 0x4000);
    w(LAPIC_ICR_LOW, (Shorthand.AllExcludingSelf << ICR_SHORTHAND_SHIFT) | (DeliveryMode.Nmi << 8));
    expect(log).toEqual(["nmi", "init"]);
  });

  test("sending an illegal vector sets ESR bit 5", () => {
    const { w, r } = setup();
    w(LAPIC_ICR_LOW, (Shorthand.Self << ICR_SHORTHAND_SHIFT) | 0x05);
    w(LAPIC_ESR, 0);
    expect(r(LAPIC_ESR)).toBe(ESR_SEND_ILLEGAL_VECTOR);
  });

  test("ICR delivery status reads idle and ICR high keeps only bits 31-24", () => {
    const { w, r } = setup();
    w(LAPIC_ICR_HIGH, 0xffffffff);
    expect(r(LAPIC_ICR_HIGH)).toBe(0xff000000);
    w(LAPIC_ICR_LOW, 0xffffffff);
    expect(r(LAPIC_ICR_LOW)).toBe(0x000ccfff);
  });
});

describe("LocalApic ESR and error LVT (10.5.3)", () => {
  test("an illegal register address sets ESR bit 7 and raises the error vector", () => {
    const { apic, w, r, enable } = setup();
    enable();
    w(LAPIC_LVT_ERROR, 0xfe);
    r(0x2f0); // CMCI is not implemented (Max LVT Entry 5)
    w(LAPIC_ESR, 0);
    expect(r(LAPIC_ESR)).toBe(ESR_ILLEGAL_REGISTER);
    expect(apic.acknowledge()).toBe(0xfe);
  });
});

describe("LocalApic timer (10.5.4)", () => {
  test("one-shot: counts down at bus/divisor and interrupts once at 0", () => {
    const { apic, clock, w, r, enable } = setup();
    enable();
    w(LAPIC_TIMER_DIVIDE, 0x0); // divide by 2
    w(LAPIC_LVT_TIMER, 0xec);
    w(LAPIC_TIMER_INITIAL_COUNT, 100);
    expect(apic.nextEventTicks()).toBe(200);
    clock.now = 50;
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(75);
    clock.now = 200;
    apic.update();
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(0);
    expect(apic.acknowledge()).toBe(0xec);
    expect(apic.nextEventTicks()).toBe(Infinity);
  });

  test("periodic: reloads and interrupts every period", () => {
    const { apic, clock, w, r, enable } = setup();
    enable();
    w(LAPIC_TIMER_DIVIDE, 0xb); // divide by 1
    w(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0xec);
    w(LAPIC_TIMER_INITIAL_COUNT, 10);
    clock.now = 10;
    expect(apic.nextEventTicks()).toBe(10);
    expect(apic.acknowledge()).toBe(0xec);
    w(LAPIC_EOI, 0);
    clock.now = 23;
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(7);
    expect(apic.acknowledge()).toBe(0xec);
  });

  test("the divide register selects 1-128", () => {
    const { apic, w } = setup();
    const divisors = [0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb].map((v) => {
      w(LAPIC_TIMER_DIVIDE, v);
      return apic.divisor();
    });
    expect(divisors).toEqual([2, 4, 8, 16, 32, 64, 128, 1]);
  });

  test("a masked timer counts but does not interrupt", () => {
    const { apic, clock, w, enable } = setup();
    enable();
    w(LAPIC_TIMER_DIVIDE, 0xb);
    w(LAPIC_LVT_TIMER, LVT_MASKED | 0xec);
    w(LAPIC_TIMER_INITIAL_COUNT, 10);
    clock.now = 20;
    apic.update();
    expect(apic.hasInterrupt()).toBe(false);
  });

  test("writing initial count 0 stops the timer", () => {
    const { apic, w, r } = setup();
    w(LAPIC_TIMER_INITIAL_COUNT, 10);
    w(LAPIC_TIMER_INITIAL_COUNT, 0);
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(0);
    expect(apic.nextEventTicks()).toBe(Infinity);
  });

  test("changing the divisor keeps the current count", () => {
    const { clock, w, r } = setup();
    w(LAPIC_TIMER_DIVIDE, 0xb);
    w(LAPIC_TIMER_INITIAL_COUNT, 100);
    clock.now = 40;
    w(LAPIC_TIMER_DIVIDE, 0x0);
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(60);
    clock.now = 60;
    expect(r(LAPIC_TIMER_CURRENT_COUNT)).toBe(50);
  });
});

describe("LocalApic LINT pins and ExtINT (10.5.1, 10.12)", () => {
  test("at reset (LINT0 masked) the 8259's INTR does not reach the core", () => {
    const { apic } = setup();
    apic.setLint(0, true);
    expect(apic.hasInterrupt()).toBe(false);
  });

  test("virtual wire mode passes the 8259 through LINT0 and asks it for the vector", () => {
    const { apic, setPicVector } = setup();
    apic.setupVirtualWireMode();
    setPicVector(0x21);
    apic.setLint(0, true);
    expect(apic.hasInterrupt()).toBe(true);
    expect(apic.acknowledge()).toBe(0x21);
  });

  test("ExtINT ignores the TPR", () => {
    const { apic, w } = setup();
    apic.setupVirtualWireMode();
    w(LAPIC_TPR, 0xff);
    apic.setLint(0, true);
    expect(apic.hasInterrupt()).toBe(true);
  });

  test("with the APIC globally disabled LINT0 is INTR and LINT1 is NMI", () => {
    const { apic, log, setPicVector } = setup();
    apic.setBaseMsr(0xfee00000);
    setPicVector(0x08);
    apic.setLint(0, true);
    expect(apic.acknowledge()).toBe(0x08);
    apic.setLint(1, true);
    expect(log).toEqual(["nmi"]);
  });

  test("LINT1 programmed as NMI delivers an NMI on a rising edge", () => {
    const { apic, log } = setup();
    apic.setupVirtualWireMode();
    apic.setLint(1, true);
    apic.setLint(1, false);
    expect(log).toEqual(["nmi"]);
  });

  test("a level-triggered fixed LINT sets Remote IRR until EOI, then re-requests", () => {
    const { apic, w, r, enable } = setup();
    enable();
    w(LAPIC_LVT_LINT1, LVT_LEVEL_TRIGGER | 0x70);
    apic.setLint(1, true);
    expect(r(LAPIC_LVT_LINT1) & LVT_REMOTE_IRR).toBe(LVT_REMOTE_IRR);
    expect(apic.acknowledge()).toBe(0x70);
    w(LAPIC_EOI, 0);
    expect(apic.hasInterrupt()).toBe(true); // still asserted
  });

  test("an ExtINT message (IOAPIC pin in ExtINT mode) is answered by the 8259", () => {
    const { apic, setPicVector, enable } = setup();
    enable();
    setPicVector(0x20);
    apic.acceptInterrupt(DeliveryMode.ExtInt, 0, false);
    expect(apic.acknowledge()).toBe(0x20);
    expect(apic.hasInterrupt()).toBe(false);
  });
});

describe("LocalApic state", () => {
  test("save → restore round-trips, including a running timer, and re-raises INTR", () => {
    const a = setup();
    a.enable();
    a.w(LAPIC_TIMER_DIVIDE, 0xb);
    a.w(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0xec);
    a.w(LAPIC_TIMER_INITIAL_COUNT, 1000);
    a.apic.acceptInterrupt(DeliveryMode.Fixed, 0x44, true);
    a.clock.now = 250;
    const state = a.apic.save();
    const b = setup();
    b.clock.now = 10_000;
    b.apic.restore(structuredClone(state));
    expect(b.r(LAPIC_TIMER_CURRENT_COUNT)).toBe(750);
    expect(b.apic.save()).toEqual(state);
    expect(b.intr).toEqual([true]);
  });

  test("restore rejects malformed state and leaves the device unchanged", () => {
    const { apic } = setup();
    const good = apic.save();
    expect(() => apic.restore({ ...good, irr: [1, 2] })).toThrow(DeviceStateError);
    expect(() => apic.restore({ ...good, lvt: [0, 0, 0, 0, 0, 0xffffffff] })).toThrow(/lvt\[5\]/);
    expect(() => apic.restore({ ...good, timerArmed: true, initialCount: 0 })).toThrow(DeviceStateError);
    expect(apic.save()).toEqual(good);
  });

  test("reset returns registers to their power-on values", () => {
    const { apic, w, r, enable } = setup();
    enable();
    w(LAPIC_TPR, 0x30);
    apic.setBaseMsr(0);
    apic.reset();
    expect(r(LAPIC_TPR)).toBe(0);
    expect(r(LAPIC_SVR)).toBe(0xff);
    expect(apic.globallyEnabled).toBe(true);
  });
});
