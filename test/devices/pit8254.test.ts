// One test per behaviour of the 8254 model, driven by a fake clock (one unit = one CLK pulse).
// Expected waveforms and counts come from the Intel 8254 datasheet (231164), "Mode Definitions":
// a count written at time T is loaded into the counting element on the next pulse (T+1) — "the
// Counter is loaded on the next CLK pulse" — and decremented on each pulse after that.
// Waveform strings give OUT per pulse: H = high, L = low.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  CW_ACCESS_LSB,
  CW_ACCESS_MSB,
  CW_ACCESS_WORD,
  CW_SELECT_READ_BACK,
  PIT_CONTROL,
  PIT_COUNTER_0,
  PIT_COUNTER_1,
  PIT_COUNTER_2,
  Pit8254,
  RB_COUNTER_0,
  RB_DONT_LATCH_COUNT,
  RB_DONT_LATCH_STATUS,
  STATUS_NULL_COUNT,
  STATUS_OUTPUT,
} from "../../src/devices/pit8254.ts";

function setup() {
  const clock = { now: 0 };
  const irq: boolean[] = [];
  const pit = new Pit8254({ clock: () => clock.now, irq: (level) => irq.push(level) });
  const at = (t: number) => {
    clock.now = t;
  };
  const control = (value: number) => pit.write(PIT_CONTROL, 1, value);
  /** Program a counter: control word with the given mode and access, binary unless bcd. */
  const program = (counter: number, mode: number, access = CW_ACCESS_WORD, bcd = false) =>
    control((counter << 6) | access | (mode << 1) | (bcd ? 1 : 0));
  /** Write a 16-bit count, LSB then MSB (word access). */
  const load = (counter: number, count: number) => {
    pit.write(counter, 1, count & 0xff);
    pit.write(counter, 1, count >> 8);
  };
  /** Counter latch command, then read LSB and MSB. */
  const latched = (counter: number) => {
    control(counter << 6);
    return pit.read(counter, 1) | (pit.read(counter, 1) << 8);
  };
  /** OUT of `counter` at each time from `from` to `to` inclusive. */
  const wave = (counter: number, from: number, to: number) => {
    let s = "";
    for (let t = from; t <= to; t++) {
      at(t);
      s += pit.out(counter) ? "H" : "L";
    }
    return s;
  };
  /** Latched counts of `counter` at each time from `from` to `to` inclusive. */
  const counts = (counter: number, from: number, to: number) => {
    const out: number[] = [];
    for (let t = from; t <= to; t++) {
      at(t);
      out.push(latched(counter));
    }
    return out;
  };
  const readBack = (value: number) => control(CW_SELECT_READ_BACK | value);
  return { pit, irq, at, control, program, load, latched, wave, counts, readBack };
}

describe("Pit8254 mode 0: interrupt on terminal count", () => {
  test("OUT goes low on the control word and high N+1 pulses after the count is written", () => {
    const { program, load, wave } = setup();
    program(PIT_COUNTER_0, 0);
    load(PIT_COUNTER_0, 5);
    expect(wave(PIT_COUNTER_0, 0, 8)).toBe("LLLLLLHHH");
  });

  test("the count is loaded on the next pulse, counts down, and wraps past 0 to FFFF", () => {
    const { program, load, counts } = setup();
    program(PIT_COUNTER_0, 0);
    load(PIT_COUNTER_0, 5);
    expect(counts(PIT_COUNTER_0, 1, 7)).toEqual([5, 4, 3, 2, 1, 0, 0xffff]);
  });

  test("GATE low suspends counting; OUT is unaffected (Table 3)", () => {
    const { pit, program, load, at, latched, wave } = setup();
    program(PIT_COUNTER_2, 0);
    load(PIT_COUNTER_2, 6);
    at(3);
    pit.setGate(PIT_COUNTER_2, false);
    const held = latched(PIT_COUNTER_2);
    expect(held).toBe(4);
    at(20);
    expect(latched(PIT_COUNTER_2)).toBe(held);
    expect(pit.out(PIT_COUNTER_2)).toBe(false);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 20, 25)).toBe("LLLLHH"); // the remaining 4 counts
  });

  test("writing the first byte of a new count stops counting and sets OUT low at once", () => {
    const { pit, program, load, at, latched, wave } = setup();
    program(PIT_COUNTER_0, 0);
    load(PIT_COUNTER_0, 3);
    at(10);
    expect(pit.out(PIT_COUNTER_0)).toBe(true);
    pit.write(PIT_COUNTER_0, 1, 4); // LSB
    expect(pit.out(PIT_COUNTER_0)).toBe(false);
    const stopped = latched(PIT_COUNTER_0);
    at(15);
    expect(latched(PIT_COUNTER_0)).toBe(stopped);
    pit.write(PIT_COUNTER_0, 1, 0); // MSB: count 4 loaded at 16
    expect(wave(PIT_COUNTER_0, 15, 21)).toBe("LLLLLHH");
  });
});

describe("Pit8254 mode 1: hardware retriggerable one-shot", () => {
  test("OUT goes low on the pulse after a GATE rise and stays low for N pulses", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 1);
    load(PIT_COUNTER_2, 3);
    expect(wave(PIT_COUNTER_2, 0, 9)).toBe("HHHHHHHHHH"); // no trigger, no count
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 10, 15)).toBe("HLLLHH");
  });

  test("a retrigger during the pulse reloads the count and lengthens it", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 1);
    load(PIT_COUNTER_2, 3);
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 10, 12)).toBe("HLL"); // would end at 14
    pit.setGate(PIT_COUNTER_2, false);
    pit.setGate(PIT_COUNTER_2, true); // retrigger at 12: reloaded at 13
    expect(wave(PIT_COUNTER_2, 12, 17)).toBe("LLLLHH");
  });

  test("a new count written during the pulse waits for the next trigger", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 1);
    load(PIT_COUNTER_2, 3);
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    at(11);
    load(PIT_COUNTER_2, 6);
    expect(wave(PIT_COUNTER_2, 11, 15)).toBe("LLLHH");
    pit.setGate(PIT_COUNTER_2, false);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 15, 23)).toBe("HLLLLLLHH");
  });
});

describe("Pit8254 mode 2: rate generator", () => {
  test("OUT is low for one pulse when the count reaches 1, with period N", () => {
    const { program, load, wave } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 4);
    expect(wave(PIT_COUNTER_0, 0, 9)).toBe("HHHHLHHHLH");
  });

  test("the count runs N, N-1, ..., 1 and reloads", () => {
    const { program, load, counts } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 4);
    expect(counts(PIT_COUNTER_0, 1, 6)).toEqual([4, 3, 2, 1, 4, 3]);
  });

  test("a new count written mid-period takes effect at the next period", () => {
    const { program, load, at, wave } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 4);
    at(2);
    load(PIT_COUNTER_0, 6);
    expect(wave(PIT_COUNTER_0, 2, 11)).toBe("HHLHHHHHLH");
  });

  test("GATE low during the low pulse sets OUT high at once; GATE high reloads (Table 3)", () => {
    const { pit, program, load, at, wave } = setup();
    program(PIT_COUNTER_2, 2);
    load(PIT_COUNTER_2, 4);
    at(4);
    expect(pit.out(PIT_COUNTER_2)).toBe(false);
    pit.setGate(PIT_COUNTER_2, false);
    expect(pit.out(PIT_COUNTER_2)).toBe(true);
    at(8);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 8, 13)).toBe("HHHHLH");
  });
});

describe("Pit8254 mode 3: square wave", () => {
  test("even N: high N/2 pulses, low N/2; the count drops by two", () => {
    const a = setup();
    a.program(PIT_COUNTER_0, 3);
    a.load(PIT_COUNTER_0, 4);
    expect(a.wave(PIT_COUNTER_0, 0, 9)).toBe("HHHLLHHLLH");
    const b = setup();
    b.program(PIT_COUNTER_0, 3);
    b.load(PIT_COUNTER_0, 4);
    expect(b.counts(PIT_COUNTER_0, 1, 4)).toEqual([4, 2, 4, 2]);
  });

  test("odd N: high (N+1)/2 pulses, low (N-1)/2; N-1 is loaded and drops by two", () => {
    const a = setup();
    a.program(PIT_COUNTER_0, 3);
    a.load(PIT_COUNTER_0, 5);
    expect(a.wave(PIT_COUNTER_0, 0, 10)).toBe("HHHHLLHHHLL");
    const b = setup();
    b.program(PIT_COUNTER_0, 3);
    b.load(PIT_COUNTER_0, 5);
    expect(b.counts(PIT_COUNTER_0, 1, 5)).toEqual([4, 2, 0, 4, 2]);
  });

  test("a new count written while counting is loaded at the end of the current half-cycle", () => {
    const { program, load, at, wave } = setup();
    program(PIT_COUNTER_0, 3);
    load(PIT_COUNTER_0, 10);
    at(2);
    load(PIT_COUNTER_0, 4);
    expect(wave(PIT_COUNTER_0, 2, 11)).toBe("HHHHLLHHLL");
  });

  test("GATE low while OUT is low sets it high at once (Table 3)", () => {
    const { pit, program, load, at } = setup();
    program(PIT_COUNTER_2, 3);
    load(PIT_COUNTER_2, 4);
    at(3);
    expect(pit.out(PIT_COUNTER_2)).toBe(false);
    pit.setGate(PIT_COUNTER_2, false);
    expect(pit.out(PIT_COUNTER_2)).toBe(true);
  });

  test("the mode bits X11 select mode 3 as well (Control Word Format, M2 = don't care)", () => {
    const { program, load, wave } = setup();
    program(PIT_COUNTER_0, 7);
    load(PIT_COUNTER_0, 4);
    expect(wave(PIT_COUNTER_0, 0, 5)).toBe("HHHLLH");
  });
});

describe("Pit8254 modes 4 and 5: strobes", () => {
  test("mode 4: OUT strobes low for one pulse N+1 pulses after the count is written", () => {
    const a = setup();
    a.program(PIT_COUNTER_0, 4);
    a.load(PIT_COUNTER_0, 3);
    expect(a.wave(PIT_COUNTER_0, 0, 7)).toBe("HHHHLHHH");
    const b = setup();
    b.program(PIT_COUNTER_0, 4);
    b.load(PIT_COUNTER_0, 3);
    expect(b.counts(PIT_COUNTER_0, 1, 5)).toEqual([3, 2, 1, 0, 0xffff]);
  });

  test("mode 4: GATE low inhibits counting", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 4);
    load(PIT_COUNTER_2, 3);
    expect(wave(PIT_COUNTER_2, 0, 10)).toBe("HHHHHHHHHHH");
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 10, 14)).toBe("HHHLH");
  });

  test("mode 5: a GATE rise triggers; OUT strobes low N+1 pulses later", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 5);
    load(PIT_COUNTER_2, 3);
    expect(wave(PIT_COUNTER_2, 0, 9)).toBe("HHHHHHHHHH");
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 10, 16)).toBe("HHHHLHH");
  });

  test("mode 5: a retrigger before terminal count restarts the count", () => {
    const { pit, program, load, at, wave } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 5);
    load(PIT_COUNTER_2, 3);
    at(10);
    pit.setGate(PIT_COUNTER_2, true);
    at(12);
    pit.setGate(PIT_COUNTER_2, false);
    pit.setGate(PIT_COUNTER_2, true);
    expect(wave(PIT_COUNTER_2, 12, 17)).toBe("HHHHLH");
  });
});

describe("Pit8254 access, latch and read-back (Read Operations)", () => {
  test("LSB-only access: the MSB of the count is 0 and reads return the LSB", () => {
    const { pit, program, at } = setup();
    program(PIT_COUNTER_1, 2, CW_ACCESS_LSB);
    pit.write(PIT_COUNTER_1, 1, 0x34);
    at(1);
    expect(pit.read(PIT_COUNTER_1, 1)).toBe(0x34);
    at(2);
    expect(pit.read(PIT_COUNTER_1, 1)).toBe(0x33);
  });

  test("MSB-only access: the LSB of the count is 0 and reads return the MSB", () => {
    const { pit, program, at } = setup();
    program(PIT_COUNTER_1, 2, CW_ACCESS_MSB);
    pit.write(PIT_COUNTER_1, 1, 0x12);
    at(1);
    expect(pit.read(PIT_COUNTER_1, 1)).toBe(0x12);
    at(2);
    expect(pit.read(PIT_COUNTER_1, 1)).toBe(0x11); // 0x11ff
  });

  test("word access reads LSB then MSB of the live count", () => {
    const { pit, program, load, at } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 0x1234);
    at(1);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0x34);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0x12);
  });

  test("a latched count holds until read; a second latch before the read is ignored (Counter Latch Command)", () => {
    const { pit, program, load, at, control } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 100);
    at(10);
    control(0x00); // latch counter 0: 91
    at(15);
    control(0x00); // ignored
    at(20);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(91);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0);
    control(0x00);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(81);
  });

  test("status byte: OUT, null count until the load pulse, and the programmed bits (Status Byte)", () => {
    const { pit, program, load, at, readBack } = setup();
    program(PIT_COUNTER_0, 2);
    readBack(RB_DONT_LATCH_COUNT | RB_COUNTER_0);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(STATUS_OUTPUT | STATUS_NULL_COUNT | 0x34);
    load(PIT_COUNTER_0, 100);
    readBack(RB_DONT_LATCH_COUNT | RB_COUNTER_0);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(STATUS_OUTPUT | STATUS_NULL_COUNT | 0x34);
    at(1);
    readBack(RB_DONT_LATCH_COUNT | RB_COUNTER_0);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(STATUS_OUTPUT | 0x34);
  });

  test("read-back of count and status: status is read first, then the count (Read-Back Command)", () => {
    const { pit, program, load, at, readBack } = setup();
    program(PIT_COUNTER_0, 0);
    load(PIT_COUNTER_0, 0x0203);
    at(3);
    readBack(RB_COUNTER_0);
    at(50);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0x30); // OUT low, count loaded, RW=11, mode 0
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0x01);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(0x02);
  });

  test("read-back latches several counters at once", () => {
    const { pit, program, load, at, readBack } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 1000);
    program(PIT_COUNTER_2, 2);
    load(PIT_COUNTER_2, 2000);
    at(11);
    readBack(RB_DONT_LATCH_STATUS | (RB_COUNTER_0 << 0) | (RB_COUNTER_0 << 2));
    at(500);
    expect(pit.read(PIT_COUNTER_0, 1) | (pit.read(PIT_COUNTER_0, 1) << 8)).toBe(990);
    expect(pit.read(PIT_COUNTER_2, 1) | (pit.read(PIT_COUNTER_2, 1) << 8)).toBe(1990);
  });

  test("a second status latch before the first is read is ignored", () => {
    const { pit, program, load, at, readBack } = setup();
    program(PIT_COUNTER_0, 0);
    readBack(RB_DONT_LATCH_COUNT | RB_COUNTER_0);
    load(PIT_COUNTER_0, 2);
    at(10);
    readBack(RB_DONT_LATCH_COUNT | RB_COUNTER_0);
    expect(pit.read(PIT_COUNTER_0, 1)).toBe(STATUS_NULL_COUNT | 0x30); // from before the count
  });

  test("null count is set by a count write only: a mode 1 retrigger leaves it 0 (Status Byte)", () => {
    const { pit, program, load, at, readBack } = setup();
    const status = () => {
      readBack(RB_DONT_LATCH_COUNT | (RB_COUNTER_0 << 2));
      return pit.read(PIT_COUNTER_2, 1) & STATUS_NULL_COUNT;
    };
    pit.setGate(PIT_COUNTER_2, false);
    program(PIT_COUNTER_2, 1);
    load(PIT_COUNTER_2, 5);
    at(3);
    expect(status()).toBe(STATUS_NULL_COUNT); // waiting for a trigger
    pit.setGate(PIT_COUNTER_2, true);
    expect(status()).toBe(STATUS_NULL_COUNT); // transferred on the next pulse
    at(4);
    expect(status()).toBe(0);
    pit.setGate(PIT_COUNTER_2, false);
    pit.setGate(PIT_COUNTER_2, true);
    expect(status()).toBe(0);
  });

  test("the control register is write-only: reads float", () => {
    const { pit } = setup();
    expect(pit.read(PIT_CONTROL, 1)).toBe(0xff);
  });
});

describe("Pit8254 counting formats", () => {
  test("BCD counting reads decimal digits (Control Word Format, BCD = 1)", () => {
    const { program, load, counts } = setup();
    program(PIT_COUNTER_0, 2, CW_ACCESS_WORD, true);
    load(PIT_COUNTER_0, 0x0100);
    expect(counts(PIT_COUNTER_0, 1, 3)).toEqual([0x0100, 0x0099, 0x0098]);
  });

  test("BCD mode 0 wraps from 0 to 9999", () => {
    const { program, load, counts } = setup();
    program(PIT_COUNTER_0, 0, CW_ACCESS_WORD, true);
    load(PIT_COUNTER_0, 0x0002);
    expect(counts(PIT_COUNTER_0, 1, 4)).toEqual([2, 1, 0, 0x9999]);
  });

  test("a count of 0 is the maximum: 65536 in binary, 10000 in BCD", () => {
    const bin = setup();
    bin.program(PIT_COUNTER_0, 2);
    bin.load(PIT_COUNTER_0, 0);
    expect(bin.pit.nextEventTicks()).toBe(65536);
    const bcd = setup();
    bcd.program(PIT_COUNTER_0, 2, CW_ACCESS_WORD, true);
    bcd.load(PIT_COUNTER_0, 0);
    expect(bcd.pit.nextEventTicks()).toBe(10000);
  });
});

describe("Pit8254 IRQ0 and events", () => {
  test("nextEventTicks counts to the next OUT transition, Infinity when none", () => {
    const { pit, program, load, at } = setup();
    expect(pit.nextEventTicks()).toBe(Infinity);
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 100);
    expect(pit.nextEventTicks()).toBe(100); // OUT falls at 100
    at(100);
    expect(pit.nextEventTicks()).toBe(1); // and rises at 101
    at(101);
    expect(pit.nextEventTicks()).toBe(99);
  });

  test("update() drives counter 0's OUT into the IRQ line", () => {
    const { pit, irq, program, load, at } = setup();
    program(PIT_COUNTER_0, 0);
    load(PIT_COUNTER_0, 10);
    expect(irq).toEqual([]);
    at(11);
    pit.update();
    expect(irq).toEqual([true]);
  });

  test("update() pulses the line for edges it did not see, so an edge-triggered PIC latches one", () => {
    const { pit, irq, program, load, at } = setup();
    program(PIT_COUNTER_0, 2); // OUT rises from mode 0's low: an edge
    load(PIT_COUNTER_0, 100);
    expect(irq).toEqual([true]);
    at(1050); // ten periods later, OUT is high again
    pit.update();
    expect(irq).toEqual([true, false, true]);
    pit.update();
    expect(irq).toEqual([true, false, true]);
  });

  test("counter 2's OUT and GATE are available for port 0x61", () => {
    const { pit, program, load, at } = setup();
    pit.setGate(PIT_COUNTER_2, false);
    expect(pit.gate(PIT_COUNTER_2)).toBe(false);
    program(PIT_COUNTER_2, 3);
    load(PIT_COUNTER_2, 2);
    pit.setGate(PIT_COUNTER_2, true);
    at(2);
    const a = pit.out(PIT_COUNTER_2);
    at(3);
    expect(pit.out(PIT_COUNTER_2)).toBe(!a);
  });

  test("a clock that goes backwards is treated as standing still", () => {
    const { pit, program, load, at, latched } = setup();
    program(PIT_COUNTER_0, 2);
    load(PIT_COUNTER_0, 100);
    at(50);
    expect(latched(PIT_COUNTER_0)).toBe(51);
    at(10);
    expect(latched(PIT_COUNTER_0)).toBe(51);
    expect(pit.nextEventTicks()).toBe(50);
  });

  test("guest garbage never throws, and events stay well-formed", () => {
    const { pit, at } = setup();
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    let t = 0;
    expect(() => {
      for (let i = 0; i < 20000; i++) {
        t += Math.floor(random() * 40);
        at(t);
        const offset = Math.floor(random() * 5);
        if (random() < 0.6) pit.write(offset, 1, Math.floor(random() * 256));
        else pit.read(offset, 1);
        if (random() < 0.05) pit.setGate(PIT_COUNTER_2, random() < 0.5);
        const next = pit.nextEventTicks();
        if (!(next === Infinity || (Number.isInteger(next) && next >= 1))) throw new Error(`next ${next}`);
        pit.update();
      }
    }).not.toThrow();
  });
});

describe("Pit8254 state", () => {
  function busy() {
    const s = setup();
    s.program(PIT_COUNTER_0, 2);
    s.load(PIT_COUNTER_0, 100);
    s.program(PIT_COUNTER_1, 3, CW_ACCESS_WORD, true);
    s.load(PIT_COUNTER_1, 0x0021);
    s.pit.setGate(PIT_COUNTER_2, false);
    s.program(PIT_COUNTER_2, 0);
    s.load(PIT_COUNTER_2, 7);
    s.at(37);
    s.load(PIT_COUNTER_0, 50); // pending until the period ends
    s.control(0x40); // latch counter 1
    s.pit.write(PIT_COUNTER_2, 1, 9); // half of a count
    return s;
  }

  test("save → restore round-trips, with times relative to the clock", () => {
    const a = busy();
    const state = a.pit.save();
    const b = setup();
    b.at(5000);
    b.pit.restore(structuredClone(state));
    expect(b.pit.save()).toEqual(state);
    for (const dt of [0, 1, 63, 64, 200]) {
      a.at(37 + dt);
      b.at(5000 + dt);
      expect(b.pit.nextEventTicks()).toBe(a.pit.nextEventTicks());
      expect(b.pit.read(PIT_COUNTER_1, 1)).toBe(a.pit.read(PIT_COUNTER_1, 1));
      expect(b.latched(PIT_COUNTER_0)).toBe(a.latched(PIT_COUNTER_0));
      expect(b.pit.out(PIT_COUNTER_2)).toBe(a.pit.out(PIT_COUNTER_2));
    }
  });

  test("restore re-raises the IRQ line", () => {
    const a = busy();
    const b = setup();
    b.pit.restore(a.pit.save());
    expect(b.irq).toEqual([true]);
  });

  test.each([
    ["not an object", "state", /state is not an object/],
    ["a wrong version", { version: 0 }, /version is 0, expected 1/],
  ])("restore rejects %s", (_what, bad, message) => {
    const { pit } = setup();
    expect(() => pit.restore(bad as unknown as object)).toThrow(DeviceStateError);
    expect(() => pit.restore(bad as unknown as object)).toThrow(message);
  });

  test.each([
    ["two counters", (s: any) => (s.counters = s.counters.slice(0, 2)), /counters is an array of 2, expected an array of 3/],
    ["access mode 00", (s: any) => (s.counters[1].control = 0x04), /counters\[1\]: control has access mode 00|control has access mode 00/],
    ["a 17-bit count", (s: any) => (s.counters[0].cr = 0x10000), /counters\[0\]\.cr is 65536/],
    ["a load time in the future", (s: any) => (s.counters[0].loadTime = 5), /loadTime is 5/],
    ["a running counter with no run", (s: any) => ((s.counters[2].armed = false), (s.counters[2].running = true)), /running is true/],
    ["a fractional edge count", (s: any) => (s.counters[0].edgesBase = 1.5), /edgesBase is 1.5/],
  ])("restore rejects a malformed state: %s, and leaves the PIT unchanged", (_what, spoil, message) => {
    const { pit } = busy();
    const good = pit.save();
    const bad = structuredClone(good);
    spoil(bad);
    expect(() => pit.restore(bad)).toThrow(message);
    expect(pit.save()).toEqual(good);
  });

  test("reset stops every counter but keeps the gate pins", () => {
    const { pit, at } = busy();
    pit.reset();
    at(1000);
    expect(pit.nextEventTicks()).toBe(Infinity);
    expect(pit.out(PIT_COUNTER_0)).toBe(false);
    expect(pit.gate(PIT_COUNTER_2)).toBe(false);
  });
});
