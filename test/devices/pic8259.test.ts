// One test per behaviour of the 8259A model; expected values come from the Intel 8259A datasheet
// (231468) sections named in each comment, and for the ELCR from the Intel 82371 PIIX datasheet.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  DualPic,
  ELCR_MASTER,
  ELCR_SLAVE,
  OCW2_NONSPECIFIC_EOI,
  OCW2_ROTATE_AEOI_SET,
  OCW2_ROTATE_NONSPECIFIC_EOI,
  OCW2_ROTATE_SPECIFIC_EOI,
  OCW2_SET_PRIORITY,
  OCW2_SPECIFIC_EOI,
  OCW3_ENABLE_SPECIAL_MASK,
  OCW3_POLL,
  OCW3_READ_ISR,
  OCW3_READ_REGISTER,
  OCW3_SELECT,
  OCW3_SPECIAL_MASK,
  PIC_COMMAND,
  PIC_DATA,
  Pic8259,
} from "../../src/devices/pic8259.ts";

const ICW1_EDGE_ICW4 = 0x11; // ICW1: D4 = 1, IC4 = 1, cascade, edge triggered
const ICW4_8086 = 0x01;
const ICW4_8086_AEOI = 0x03;
const ICW4_8086_SFNM = 0x11;

/** A single 8259A in 8086 mode with vectors 0x20-0x27 (ICW1 SNGL, so no ICW3). */
function singleChip(icw4 = ICW4_8086) {
  const ints: boolean[] = [];
  const pic = new Pic8259({ int: (level) => ints.push(level) });
  pic.write(PIC_COMMAND, 1, 0x13); // ICW1: SNGL, IC4
  pic.write(PIC_DATA, 1, 0x20); // ICW2
  pic.write(PIC_DATA, 1, icw4); // ICW4
  const pulse = (line: number) => {
    pic.setInput(line, true);
    pic.setInput(line, false);
  };
  const ack = () => pic.vector(pic.acknowledgeRequest());
  const cmd = (value: number) => pic.write(PIC_COMMAND, 1, value);
  const readIsr = () => {
    cmd(OCW3_SELECT | OCW3_READ_REGISTER | OCW3_READ_ISR);
    return pic.read(PIC_COMMAND, 1);
  };
  const readIrr = () => {
    cmd(OCW3_SELECT | OCW3_READ_REGISTER);
    return pic.read(PIC_COMMAND, 1);
  };
  return { pic, ints, pulse, ack, cmd, readIsr, readIrr };
}

/** Master and slave programmed as a PC BIOS/Linux does: vectors 0x20 and 0x28, slave on IR2. */
function pcPics(masterIcw4 = ICW4_8086) {
  const changes: boolean[] = [];
  const pics = new DualPic({ onChange: (intr) => changes.push(intr) });
  const m = pics.master;
  const s = pics.slave;
  m.write(PIC_COMMAND, 1, ICW1_EDGE_ICW4);
  m.write(PIC_DATA, 1, 0x20);
  m.write(PIC_DATA, 1, 0x04); // ICW3 (master): slave on IR2
  m.write(PIC_DATA, 1, masterIcw4);
  s.write(PIC_COMMAND, 1, ICW1_EDGE_ICW4);
  s.write(PIC_DATA, 1, 0x28);
  s.write(PIC_DATA, 1, 0x02); // ICW3 (slave): ID 2
  s.write(PIC_DATA, 1, ICW4_8086);
  const isr = (chip: Pic8259) => chip.inServiceRegister;
  return { pics, m, s, changes, isr };
}

describe("Pic8259 initialization (Initialization Command Words)", () => {
  test("ICW2 sets vector bits 7-3; the IR level fills bits 2-0 (8086 mode)", () => {
    const { pic, pulse, ack } = singleChip();
    pulse(5);
    expect(pic.hasInterrupt()).toBe(true);
    expect(ack()).toBe(0x25);
  });

  test("after the ICWs, A0 = 1 writes are OCW1 and read back as IMR", () => {
    const { pic } = singleChip();
    pic.write(PIC_DATA, 1, 0xa5);
    expect(pic.read(PIC_DATA, 1)).toBe(0xa5);
  });

  test("cascade mode without IC4 expects ICW2 and ICW3, then OCW1", () => {
    const pic = new Pic8259();
    pic.write(PIC_COMMAND, 1, 0x10); // ICW1: cascade, no ICW4
    pic.write(PIC_DATA, 1, 0x40); // ICW2
    pic.write(PIC_DATA, 1, 0x04); // ICW3
    pic.write(PIC_DATA, 1, 0xfe); // OCW1
    expect(pic.read(PIC_DATA, 1)).toBe(0xfe);
    expect(pic.vector(3)).toBe(0x43);
  });

  test("ICW1 clears IMR, ISR and the edge sense: a high input must go low and high again (ICW1 a, b)", () => {
    const { pic, cmd, readIsr } = singleChip();
    pic.write(PIC_DATA, 1, 0xff);
    pic.write(PIC_DATA, 1, 0x00);
    pic.setInput(1, true);
    pic.acknowledgeRequest();
    pic.setInput(3, true);
    cmd(0x13);
    pic.write(PIC_DATA, 1, 0x20);
    pic.write(PIC_DATA, 1, ICW4_8086);
    expect(pic.read(PIC_DATA, 1)).toBe(0);
    expect(readIsr()).toBe(0);
    expect(pic.hasInterrupt()).toBe(false); // IR3 is still high but saw no new edge
    pic.setInput(3, false);
    pic.setInput(3, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  test("ICW1 sets status read to IRR (ICW1 e)", () => {
    const { pic, pulse, readIsr } = singleChip();
    readIsr();
    pic.write(PIC_COMMAND, 1, 0x13);
    pic.write(PIC_DATA, 1, 0x20);
    pic.write(PIC_DATA, 1, ICW4_8086);
    pulse(6);
    expect(pic.read(PIC_COMMAND, 1)).toBe(0x40);
  });
});

describe("Pic8259 masking and priorities", () => {
  test("a masked request stays in IRR and is delivered when unmasked (OCW1)", () => {
    const { pic, pulse, readIrr, ack } = singleChip();
    pic.write(PIC_DATA, 1, 1 << 4);
    pulse(4);
    expect(pic.hasInterrupt()).toBe(false);
    expect(readIrr()).toBe(1 << 4);
    pic.write(PIC_DATA, 1, 0);
    expect(pic.hasInterrupt()).toBe(true);
    expect(ack()).toBe(0x24);
  });

  test("fully nested: IR0 is highest; lower levels wait for the EOI, higher ones preempt (Fully Nested Mode)", () => {
    const { pic, pulse, ack, cmd, readIsr } = singleChip();
    pulse(3);
    pulse(5);
    expect(ack()).toBe(0x23);
    expect(pic.hasInterrupt()).toBe(false); // IR5 is lower than in-service IR3
    pulse(1);
    expect(pic.hasInterrupt()).toBe(true); // IR1 is higher
    expect(ack()).toBe(0x21);
    expect(readIsr()).toBe((1 << 1) | (1 << 3));
    cmd(OCW2_NONSPECIFIC_EOI); // clears IR1, the highest in service
    expect(readIsr()).toBe(1 << 3);
    expect(pic.hasInterrupt()).toBe(false);
    cmd(OCW2_NONSPECIFIC_EOI);
    expect(ack()).toBe(0x25);
  });

  test("specific EOI clears the named ISR bit only (OCW2 011)", () => {
    const { pulse, ack, cmd, readIsr } = singleChip();
    pulse(2);
    ack();
    pulse(0);
    ack();
    cmd(OCW2_SPECIFIC_EOI | 2);
    expect(readIsr()).toBe(1 << 0);
  });

  test("rotate on non-specific EOI makes the served level lowest (OCW2 101, Automatic Rotation)", () => {
    const { pulse, ack, cmd } = singleChip();
    pulse(3);
    expect(ack()).toBe(0x23);
    cmd(OCW2_ROTATE_NONSPECIFIC_EOI);
    pulse(2);
    pulse(4);
    expect(ack()).toBe(0x24); // priority is now 4,5,6,7,0,1,2,3
  });

  test("rotate on specific EOI clears level L and makes it lowest (OCW2 111, Specific Rotation)", () => {
    const { pulse, ack, cmd, readIsr } = singleChip();
    pulse(6);
    ack();
    cmd(OCW2_ROTATE_SPECIFIC_EOI | 6);
    expect(readIsr()).toBe(0);
    pulse(0);
    pulse(7);
    expect(ack()).toBe(0x27);
  });

  test("set priority makes level L lowest (OCW2 110)", () => {
    const { pulse, ack, cmd } = singleChip();
    cmd(OCW2_SET_PRIORITY | 1);
    pulse(1);
    pulse(5);
    pulse(2);
    expect(ack()).toBe(0x22);
  });

  test("special mask mode lets lower levels in while the in-service level is masked (Special Mask Mode)", () => {
    const { pic, pulse, ack, cmd } = singleChip();
    pulse(3);
    ack();
    pulse(6);
    expect(pic.hasInterrupt()).toBe(false);
    pic.write(PIC_DATA, 1, 1 << 3);
    cmd(OCW3_SELECT | OCW3_ENABLE_SPECIAL_MASK | OCW3_SPECIAL_MASK);
    expect(pic.hasInterrupt()).toBe(true);
    expect(ack()).toBe(0x26);
    cmd(OCW3_SELECT | OCW3_ENABLE_SPECIAL_MASK); // reset special mask
    pulse(7);
    expect(pic.hasInterrupt()).toBe(false);
  });

  test("automatic EOI leaves ISR clear after INTA (AEOI Mode)", () => {
    const { pic, pulse, ack, readIsr } = singleChip(ICW4_8086_AEOI);
    pulse(4);
    expect(ack()).toBe(0x24);
    expect(readIsr()).toBe(0);
    pulse(5);
    expect(pic.hasInterrupt()).toBe(true);
  });

  test("rotate in AEOI mode makes each served level lowest (OCW2 100)", () => {
    const { pulse, ack, cmd } = singleChip(ICW4_8086_AEOI);
    cmd(OCW2_ROTATE_AEOI_SET);
    pulse(2);
    expect(ack()).toBe(0x22);
    pulse(1);
    pulse(3);
    expect(ack()).toBe(0x23);
  });

  test("OCW3 RR/RIS select IRR or ISR for A0 = 0 reads, and stay selected (Reading the 8259A Status)", () => {
    const { pic, pulse, ack, cmd } = singleChip();
    pulse(1);
    ack();
    pulse(2);
    cmd(OCW3_SELECT | OCW3_READ_REGISTER | OCW3_READ_ISR);
    expect(pic.read(PIC_COMMAND, 1)).toBe(1 << 1);
    expect(pic.read(PIC_COMMAND, 1)).toBe(1 << 1);
    cmd(OCW3_SELECT | OCW3_READ_REGISTER);
    expect(pic.read(PIC_COMMAND, 1)).toBe(1 << 2);
  });

  test("poll: the next read returns 1000 0LLL and acts as INTA; with no request I = 0 (Poll Command)", () => {
    const { pic, pulse, cmd, readIsr } = singleChip();
    pulse(5);
    cmd(OCW3_SELECT | OCW3_POLL);
    expect(pic.read(PIC_COMMAND, 1)).toBe(0x85);
    expect(readIsr()).toBe(1 << 5);
    cmd(OCW3_SELECT | OCW3_POLL);
    expect(pic.read(PIC_DATA, 1)).toBe(0x00);
    expect(pic.read(PIC_DATA, 1)).toBe(0x00); // back to IMR
  });
});

describe("Pic8259 edge and level triggering (Edge and Level Triggered Modes)", () => {
  test("edge mode: a request latched by a rising edge survives the input falling", () => {
    const { pic, pulse, ack } = singleChip();
    pulse(3);
    expect(pic.hasInterrupt()).toBe(true);
    expect(ack()).toBe(0x23);
  });

  test("edge mode: an input held high requests once, not again after EOI", () => {
    const { pic, ack, cmd } = singleChip();
    pic.setInput(4, true);
    ack();
    cmd(OCW2_NONSPECIFIC_EOI);
    expect(pic.hasInterrupt()).toBe(false);
  });

  test("level mode (ICW1 LTIM): an input still high after EOI requests again", () => {
    const pic = new Pic8259();
    pic.write(PIC_COMMAND, 1, 0x1b); // LTIM, SNGL, IC4
    pic.write(PIC_DATA, 1, 0x20);
    pic.write(PIC_DATA, 1, ICW4_8086);
    pic.setInput(4, true);
    expect(pic.vector(pic.acknowledgeRequest())).toBe(0x24);
    pic.write(PIC_COMMAND, 1, OCW2_NONSPECIFIC_EOI);
    expect(pic.hasInterrupt()).toBe(true);
  });

  test("level mode via the ELCR: IRR follows the input, so a dropped request is gone", () => {
    const { pic } = singleChip();
    pic.setElcr(1 << 4);
    pic.setInput(4, true);
    expect(pic.interruptRequestRegister).toBe(1 << 4);
    pic.setInput(4, false);
    expect(pic.interruptRequestRegister).toBe(0);
    expect(pic.hasInterrupt()).toBe(false);
  });
});

describe("DualPic (Cascade Mode on a PC/AT)", () => {
  test("IRQ10 goes through the slave: INTR rises and INTA yields the slave's vector", () => {
    const { pics, m, s, changes, isr } = pcPics();
    pics.setIrq(10, true);
    expect(pics.hasPendingInterrupt()).toBe(true);
    expect(changes).toEqual([true]);
    expect(pics.acknowledge()).toBe(0x2a);
    expect(isr(m)).toBe(1 << 2);
    expect(isr(s)).toBe(1 << 2);
    expect(changes).toEqual([true, false]);
  });

  test("master IRQs keep their vectors and priority over the cascade", () => {
    const { pics } = pcPics();
    pics.setIrq(12, true);
    pics.setIrq(1, true);
    expect(pics.acknowledge()).toBe(0x21);
  });

  test("the slave's next interrupt waits for EOIs to both chips", () => {
    const { pics, m, s } = pcPics();
    pics.setIrq(9, true);
    pics.acknowledge();
    pics.setIrq(11, true);
    expect(pics.hasPendingInterrupt()).toBe(false);
    s.write(PIC_COMMAND, 1, OCW2_NONSPECIFIC_EOI);
    expect(pics.hasPendingInterrupt()).toBe(false); // master IR2 still in service
    m.write(PIC_COMMAND, 1, OCW2_NONSPECIFIC_EOI);
    expect(pics.hasPendingInterrupt()).toBe(true);
    expect(pics.acknowledge()).toBe(0x2b);
  });

  test("special fully nested mode lets a higher slave request through while IR2 is in service", () => {
    const plain = pcPics();
    plain.pics.setIrq(12, true);
    plain.pics.acknowledge();
    plain.pics.setIrq(9, true);
    expect(plain.pics.hasPendingInterrupt()).toBe(false);

    const sfnm = pcPics(ICW4_8086_SFNM);
    sfnm.pics.setIrq(12, true);
    sfnm.pics.acknowledge();
    sfnm.pics.setIrq(9, true);
    expect(sfnm.pics.hasPendingInterrupt()).toBe(true);
    expect(sfnm.pics.acknowledge()).toBe(0x29);
  });

  test("INTA with nothing pending gives IRQ7's vector and sets no ISR bit (spurious IRQ7)", () => {
    const { pics, m } = pcPics();
    expect(pics.acknowledge()).toBe(0x27);
    expect(m.inServiceRegister).toBe(0);
  });

  test("a level request that drops before INTA is a spurious IRQ7", () => {
    const { pics, m } = pcPics();
    pics.setElcr(1 << 5);
    pics.setIrq(5, true);
    expect(pics.hasPendingInterrupt()).toBe(true);
    pics.setIrq(5, false); // the CPU had already sampled INTR
    expect(pics.acknowledge()).toBe(0x27);
    expect(m.inServiceRegister).toBe(0);
  });

  test("a slave request gone before INTA is a spurious IRQ15: master ISR2 set, slave ISR clear", () => {
    const { pics, m, s } = pcPics();
    pics.setElcr(1 << 11);
    pics.setIrq(11, true);
    pics.setIrq(11, false); // slave INT falls, but master IR2 latched the edge
    expect(pics.hasPendingInterrupt()).toBe(true);
    expect(pics.acknowledge()).toBe(0x2f);
    expect(m.inServiceRegister).toBe(1 << 2);
    expect(s.inServiceRegister).toBe(0);
  });

  test("a slave whose ICW3 ID does not match does not answer: the data bus floats (0xff)", () => {
    const { pics, s } = pcPics();
    s.write(PIC_COMMAND, 1, ICW1_EDGE_ICW4);
    s.write(PIC_DATA, 1, 0x28);
    s.write(PIC_DATA, 1, 0x05); // wrong ID
    s.write(PIC_DATA, 1, ICW4_8086);
    pics.setIrq(8, true);
    expect(pics.acknowledge()).toBe(0xff);
  });

  test("the bus line IRQ2 arrives at IRQ9, as on the PC/AT", () => {
    const { pics } = pcPics();
    pics.setIrq(2, true);
    expect(pics.acknowledge()).toBe(0x29);
  });

  test("irqLine() binds a line for a device", () => {
    const { pics } = pcPics();
    pics.irqLine(4)(true);
    expect(pics.acknowledge()).toBe(0x24);
  });

  test("ELCR registers: reserved bits read 0 (PIIX ELCR1 bits 0-2, ELCR2 bits 0 and 5)", () => {
    const { pics } = pcPics();
    pics.elcr.write(ELCR_MASTER, 1, 0xff);
    pics.elcr.write(ELCR_SLAVE, 1, 0xff);
    expect(pics.elcr.read(ELCR_MASTER, 1)).toBe(0xf8);
    expect(pics.elcr.read(ELCR_SLAVE, 1)).toBe(0xde);
    expect(pics.elcr.read(ELCR_MASTER, 2)).toBe(0xdef8);
    expect(pics.getElcr()).toBe(0xdef8);
    expect(pics.elcr.read(2, 1)).toBe(0xff);
  });

  test("guest garbage never throws: unknown offsets, any command byte, any data byte", () => {
    const { pics, m } = pcPics();
    expect(() => {
      for (let v = 0; v < 256; v++) {
        m.write(PIC_COMMAND, 1, v);
        m.write(PIC_DATA, 1, v);
        m.write(5, 1, v);
        m.read(PIC_COMMAND, 1);
        m.read(7, 1);
        pics.acknowledge();
      }
    }).not.toThrow();
  });
});

describe("Pic8259 state", () => {
  test("chip save → restore round-trips and re-raises INT", () => {
    const a = singleChip();
    a.pulse(3);
    a.ack();
    a.pulse(6);
    a.pulse(1);
    a.pic.write(PIC_DATA, 1, 0x40);
    a.cmd(OCW2_SET_PRIORITY | 0); // IR1 becomes highest, above in-service IR3
    const state = a.pic.save();
    const ints: boolean[] = [];
    const b = new Pic8259({ int: (level) => ints.push(level) });
    b.restore(structuredClone(state));
    expect(b.save()).toEqual(state);
    expect(ints).toEqual([true]);
    expect(b.vector(b.acknowledgeRequest())).toBe(0x21);
  });

  test("DualPic save → restore round-trips and tells the CPU INTR once", () => {
    const a = pcPics();
    a.pics.setIrq(13, true);
    a.pics.setElcr(1 << 10);
    a.pics.setIrq(10, true);
    const state = a.pics.save();
    const changes: boolean[] = [];
    const b = new DualPic({ onChange: (intr) => changes.push(intr) });
    b.restore(structuredClone(state));
    expect(b.save()).toEqual(state);
    expect(changes).toEqual([true]);
    expect(b.acknowledge()).toBe(0x2a);
  });

  test.each([
    ["not an object", null, /state is not an object/],
    ["a wrong version", { version: 2 }, /version is 2/],
    ["a missing register", { version: 1, irr: 0 }, /isr is missing/],
  ])("chip restore rejects %s", (_what, bad, message) => {
    const pic = new Pic8259();
    expect(() => pic.restore(bad as object)).toThrow(DeviceStateError);
    expect(() => pic.restore(bad as object)).toThrow(message);
  });

  test.each([
    ["an initStep of 1", { initStep: 1 }, /initStep 1/],
    ["a lowest priority of 8", { lowestPriority: 8 }, /lowestPriority is 8/],
    ["IRR disagreeing with a level-triggered input", { elcr: 0x10, inputs: 0, irr: 0x10 }, /irr disagrees/],
    ["an ICW1 without D4", { icw1: 0x01 }, /icw1 0x1 lacks D4/],
  ])("chip restore rejects %s and leaves the chip unchanged", (_what, patch, message) => {
    const { pic, pulse } = singleChip();
    pulse(2);
    const good = pic.save();
    expect(() => pic.restore({ ...good, ...patch })).toThrow(message);
    expect(pic.save()).toEqual(good);
  });

  test("DualPic restore validates both chips before changing either", () => {
    const { pics } = pcPics();
    pics.setIrq(3, true);
    const good = pics.save();
    const bad = { ...good, slave: { ...good.slave, imr: -1 } };
    expect(() => pics.restore(bad)).toThrow(/slave\.imr is -1/);
    expect(pics.save()).toEqual(good);
  });

  test("ELCR device state is empty; restore checks its version", () => {
    const { pics } = pcPics();
    expect(pics.elcr.save()).toEqual({ version: 1 });
    expect(() => pics.elcr.restore({})).toThrow(/elcr: cannot restore state: version is missing/);
  });
});
