// One test per register behaviour of the 82093AA I/O APIC (datasheet 290566, section 3), plus its
// wiring to the local APIC model: level interrupts, Remote IRR and the EOI broadcast.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  type ApicMessage,
  IOAPICARB,
  IOAPICID,
  IOAPICVER,
  IOREDTBL,
  IOREGSEL,
  IOWIN,
  IoApic,
  REDIR_LEVEL_TRIGGER,
  REDIR_LOGICAL,
  REDIR_MASKED,
  REDIR_POLARITY_LOW,
  REDIR_REMOTE_IRR,
} from "../../src/devices/io_apic.ts";
import { DeliveryMode, LAPIC_EOI, LAPIC_SVR, LocalApic, SVR_APIC_ENABLE } from "../../src/devices/local_apic.ts";

function setup() {
  const sent: ApicMessage[] = [];
  const io = new IoApic({ deliver: (m) => sent.push(m) });
  const select = (index: number) => io.write(IOREGSEL, 4, index);
  const readReg = (index: number) => {
    select(index);
    return io.read(IOWIN, 4);
  };
  const writeReg = (index: number, value: number) => {
    select(index);
    io.write(IOWIN, 4, value);
  };
  const program = (pin: number, low: number, high = 0) => {
    writeReg(IOREDTBL + 2 * pin + 1, high);
    writeReg(IOREDTBL + 2 * pin, low);
  };
  return { io, sent, select, readReg, writeReg, program };
}

describe("IoApic identification registers (Table 3)", () => {
  test("IOREGSEL reads back the selected index", () => {
    const { io, select } = setup();
    select(0x13);
    expect(io.read(IOREGSEL, 4)).toBe(0x13);
  });

  test("ID is bits 27-24 and writable; the arbitration ID follows it", () => {
    const { readReg, writeReg } = setup();
    expect(readReg(IOAPICID)).toBe(0x01000000);
    writeReg(IOAPICID, 0xffffffff);
    expect(readReg(IOAPICID)).toBe(0x0f000000);
    expect(readReg(IOAPICARB)).toBe(0x0f000000);
  });

  test("version 0x11 with 24 redirection entries, read-only", () => {
    const { readReg, writeReg } = setup();
    writeReg(IOAPICVER, 0);
    expect(readReg(IOAPICVER)).toBe(0x00170011);
  });
});

describe("IoApic redirection table (3.2.4)", () => {
  test("entries reset masked and keep only writable bits", () => {
    const { readReg, writeReg } = setup();
    expect(readReg(IOREDTBL)).toBe(REDIR_MASKED);
    writeReg(IOREDTBL, 0xffffffff);
    writeReg(IOREDTBL + 1, 0xffffffff);
    expect(readReg(IOREDTBL)).toBe(0x1afff);
    expect(readReg(IOREDTBL + 1)).toBe(0xff000000);
  });

  test("indices past entry 23 read 0", () => {
    const { readReg } = setup();
    expect(readReg(IOREDTBL + 48)).toBe(0);
  });

  test("an edge on an unmasked edge-triggered pin sends one message with its fields", () => {
    const { io, sent, program } = setup();
    program(4, REDIR_LOGICAL | 0x34, 0x01000000);
    io.setIrq(4, true);
    io.setIrq(4, true);
    io.setIrq(4, false);
    expect(sent).toEqual([{ vector: 0x34, deliveryMode: 0, logical: true, destination: 1, levelTriggered: false }]);
  });

  test("edges on a masked pin are lost", () => {
    const { io, sent, program } = setup();
    program(4, REDIR_MASKED | 0x34);
    io.setIrq(4, true);
    program(4, 0x34);
    expect(sent).toEqual([]);
  });

  test("polarity low: a falling input is the assertion", () => {
    const { io, sent, program } = setup();
    io.setIrq(5, true);
    program(5, REDIR_POLARITY_LOW | 0x35);
    io.setIrq(5, false);
    expect(sent.map((m) => m.vector)).toEqual([0x35]);
  });

  test("level-triggered: Remote IRR holds further delivery until the EOI", () => {
    const { io, sent, program, readReg } = setup();
    program(9, REDIR_LEVEL_TRIGGER | 0x39);
    io.setIrq(9, true);
    expect(readReg(IOREDTBL + 18) & REDIR_REMOTE_IRR).toBe(REDIR_REMOTE_IRR);
    io.endOfInterrupt(0x39);
    expect(sent.length).toBe(2); // still asserted: delivered again
    io.setIrq(9, false);
    io.endOfInterrupt(0x39);
    expect(readReg(IOREDTBL + 18) & REDIR_REMOTE_IRR).toBe(0);
    expect(sent.length).toBe(2);
  });

  test("unmasking an asserted level pin delivers it", () => {
    const { io, sent, program } = setup();
    program(10, REDIR_MASKED | REDIR_LEVEL_TRIGGER | 0x3a);
    io.setIrq(10, true);
    expect(sent).toEqual([]);
    program(10, REDIR_LEVEL_TRIGGER | 0x3a);
    expect(sent.map((m) => m.vector)).toEqual([0x3a]);
  });

  test("switching an entry to edge clears Remote IRR", () => {
    const { io, program, readReg } = setup();
    program(9, REDIR_LEVEL_TRIGGER | 0x39);
    io.setIrq(9, true);
    program(9, REDIR_MASKED | 0x39);
    expect(readReg(IOREDTBL + 18) & REDIR_REMOTE_IRR).toBe(0);
  });

  test("ExtINT and NMI delivery modes are carried in the message", () => {
    const { io, sent, program } = setup();
    program(0, DeliveryMode.ExtInt << 8);
    program(1, DeliveryMode.Nmi << 8);
    io.setIrq(0, true);
    io.setIrq(1, true);
    expect(sent.map((m) => m.deliveryMode)).toEqual([DeliveryMode.ExtInt, DeliveryMode.Nmi]);
  });
});

describe("IoApic with a LocalApic", () => {
  test("a level interrupt is accepted, serviced, and its EOI broadcast clears Remote IRR", () => {
    let io: IoApic | undefined;
    const lapic = new LocalApic({ onEoi: (v) => io!.endOfInterrupt(v) });
    io = new IoApic({
      deliver: (m) => {
        if (lapic.isDestination(m.destination, m.logical)) lapic.acceptInterrupt(m.deliveryMode, m.vector, m.levelTriggered);
      },
    });
    lapic.write(LAPIC_SVR, 4, SVR_APIC_ENABLE | 0xff);
    io.write(IOREGSEL, 4, IOREDTBL + 2 * 11);
    io.write(IOWIN, 4, REDIR_LEVEL_TRIGGER | 0x4b);
    io.setIrq(11, true);
    expect(lapic.acknowledge()).toBe(0x4b);
    io.setIrq(11, false);
    lapic.write(LAPIC_EOI, 4, 0);
    expect(io.entry(11).low & REDIR_REMOTE_IRR).toBe(0);
    expect(lapic.hasInterrupt()).toBe(false);
  });
});

describe("IoApic state", () => {
  test("save → restore round-trips", () => {
    const a = setup();
    a.program(3, REDIR_LEVEL_TRIGGER | 0x43, 0x05000000);
    a.io.setIrq(3, true);
    const state = a.io.save();
    const b = setup();
    b.io.restore(structuredClone(state));
    expect(b.io.save()).toEqual(state);
    expect(b.sent).toEqual([]); // Remote IRR set: not delivered again
  });

  test("restore rejects malformed state and leaves the device unchanged", () => {
    const { io } = setup();
    const good = io.save();
    expect(() => io.restore({ ...good, entries: [1] })).toThrow(DeviceStateError);
    expect(() => io.restore({ ...good, entries: good.entries.map((v, i) => (i === 0 ? 0x80000000 : v)) })).toThrow(/entries\[0\]/);
    expect(() => io.restore({ ...good, id: 0x10000000 })).toThrow(DeviceStateError);
    expect(io.save()).toEqual(good);
  });
});
