// The Intel 8254 programmable interval timer, written from the 8254 datasheet (Intel 231164):
// "Control Word Register", "Write Operations", "Read Operations" (simple read, "Counter Latch
// Command", "Read-Back Command", "Status Byte"), "Mode Definitions" (Modes 0-5, with their
// waveforms, Figures 12-17), "Gate" (Table 3, Gate Pin Operations Summary) and "Operation Common
// to All Modes". Offsets 0-2 are counters 0-2, offset 3 the control word register.
//
// Time is injected: `clock()` returns the current time in PIT input clock pulses (1.193182 MHz on
// a PC) as a number that never decreases; it may be fractional (the integer part counts pulses).
// Nothing runs on its own: each counter is kept as a closed-form "run" (when the count was loaded,
// with which count), and a register access or update() evaluates it at clock(). So a run can be
// deterministic (time from retired instructions) or follow the host clock, and skipping ahead by
// a million ticks costs the same as by one.
//
// Counting is exact to the datasheet's clock-level description: a count written at time T is
// loaded into the counting element on the next pulse (T+1) and decremented from T+2; OUT follows
// each mode's waveform. Gate changes act at the pulse they occur on. Counts of 1 in modes 2 and 3,
// which the datasheet calls illegal, keep OUT high and never produce an edge here.

import { type AccessSize, type Device, type IrqLine, unconnectedIrq } from "./device.ts";
import { OPEN_BUS, readSplit, writeSplit } from "./byte_registers.ts";
import { StateReader } from "./state_check.ts";

/** PIT input clock on a PC: 14.31818 MHz / 12 ("CLK" input, PC/AT system board). */
export const PIT_FREQUENCY_HZ = 1_193_182;

// Register offsets (datasheet Table 1, "A1, A0": counters 0-2 and the control word register).
/** Counter 0 (PC: IRQ0 timer). */
export const PIT_COUNTER_0 = 0;
/** Counter 1 (PC: DRAM refresh). */
export const PIT_COUNTER_1 = 1;
/** Counter 2 (PC: speaker, gate and OUT on port 0x61). */
export const PIT_COUNTER_2 = 2;
/** Control word register; write-only, reads are a no-operation (3-state). */
export const PIT_CONTROL = 3;

// Control word ("Control Word Register", Figure 7).
/** D7-D6 SC1-SC0: select counter 0-2, or 11 = read-back command. */
export const CW_SELECT_SHIFT = 6;
/** SC1-SC0 = 11: read-back command ("Read-Back Command"). */
export const CW_SELECT_READ_BACK = 0xc0;
/** D5-D4 RW1-RW0: access mode. */
export const CW_ACCESS_MASK = 0x30;
/** RW = 00: counter latch command ("Counter Latch Command"). */
export const CW_ACCESS_LATCH = 0x00;
/** RW = 01: read/write least significant byte only. */
export const CW_ACCESS_LSB = 0x10;
/** RW = 10: read/write most significant byte only. */
export const CW_ACCESS_MSB = 0x20;
/** RW = 11: read/write LSB first, then MSB. */
export const CW_ACCESS_WORD = 0x30;
/** D3-D1 M2-M0: mode (X10 = mode 2, X11 = mode 3). */
export const CW_MODE_MASK = 0x0e;
/** D0 BCD: 1 = four-decade binary coded decimal counter. */
export const CW_BCD = 0x01;

// Read-back command ("Read-Back Command", Figure 10).
/** D5 COUNT: 0 = latch the count of the selected counters. */
export const RB_DONT_LATCH_COUNT = 0x20;
/** D4 STATUS: 0 = latch the status of the selected counters. */
export const RB_DONT_LATCH_STATUS = 0x10;
/** D3-D1 CNT2-CNT0: counters selected (bit 1 = counter 0). */
export const RB_COUNTER_0 = 0x02;

// Status byte ("Status Byte", Figure 11).
/** D7: the OUT pin. */
export const STATUS_OUTPUT = 0x80;
/** D6: null count, the last count written has not yet been loaded into the counting element. */
export const STATUS_NULL_COUNT = 0x40;
/** D5-D0: RW1 RW0 M2 M1 M0 BCD as last programmed. */
export const STATUS_PROGRAMMED_MASK = 0x3f;

// Modes ("Mode Definitions").
/** Mode 0: interrupt on terminal count. */
export const MODE_INTERRUPT_ON_TERMINAL_COUNT = 0;
/** Mode 1: hardware retriggerable one-shot. */
export const MODE_ONE_SHOT = 1;
/** Mode 2: rate generator. */
export const MODE_RATE_GENERATOR = 2;
/** Mode 3: square wave mode. */
export const MODE_SQUARE_WAVE = 3;
/** Mode 4: software triggered strobe. */
export const MODE_SOFTWARE_STROBE = 4;
/** Mode 5: hardware triggered strobe (retriggerable). */
export const MODE_HARDWARE_STROBE = 5;

const STATE_VERSION = 1;
const DEVICE_NAME = "pit8254";
/**
 * Power-on control word. The datasheet leaves the power-up state undefined; here every counter
 * is in mode 0, LSB then MSB, binary, with no count: OUT low and nothing counting until the guest
 * programs it (there is no BIOS to have set counter 0 to 18.2 Hz).
 */
const POWER_ON_CONTROL = CW_ACCESS_WORD | (MODE_INTERRUPT_ON_TERMINAL_COUNT << 1);

/** Where the count register's contents stand relative to the counting element. */
const enum Load {
  /** CE was loaded from CR: null count = 0. */
  Done = 0,
  /** CR goes into CE at `loadTime`, the pulse after it was written or triggered. */
  AtLoadTime = 1,
  /** Modes 2 and 3: CR goes into CE at the end of the current period (half-period in mode 3). */
  AtPeriodEnd = 2,
  /** Waiting for a count to be written or a gate trigger. */
  Waiting = 3,
}

/** One counter: programmed state plus the closed-form description of its current run. */
class Counter {
  control = POWER_ON_CONTROL;
  mode = MODE_INTERRUPT_ON_TERMINAL_COUNT;
  bcd = false;
  access = CW_ACCESS_WORD;
  /** Count register, as written (16 bits, BCD-encoded in BCD mode). */
  cr = 0;
  load = Load.Waiting;
  crWriteTime = 0;
  /** A complete count was written since the last control word. */
  hasCount = false;
  writeMsbNext = false;
  crLsb = 0;
  readMsbNext = false;
  countLatched = false;
  latchedCount = 0;
  statusLatched = false;
  latchedStatus = 0;
  gate = true;
  /** A run exists: CE was (or at `loadTime` will be) loaded with `activeCount`. */
  armed = false;
  /** The run advances with time; false while the gate holds it (modes 0 and 4). */
  running = false;
  loadTime = 0;
  pausedTau = 0;
  activeCount = 0;
  /** OUT and CE shown before the run's load pulse, or while there is no run. */
  heldOut = false;
  heldCount = 0;
  /** Rising OUT edges before the current run (monotonic; drives IRQ edge detection). */
  edgesBase = 0;
}

/** Plain-data state of one counter; times are relative to the clock at save(). */
export interface Pit8254CounterState {
  control: number;
  cr: number;
  load: number;
  crWriteTime: number;
  hasCount: boolean;
  writeMsbNext: boolean;
  crLsb: number;
  readMsbNext: boolean;
  countLatched: boolean;
  latchedCount: number;
  statusLatched: boolean;
  latchedStatus: number;
  gate: boolean;
  armed: boolean;
  running: boolean;
  loadTime: number;
  pausedTau: number;
  activeCount: number;
  heldOut: boolean;
  heldCount: number;
  edgesBase: number;
}

/** Plain-data state of a Pit8254. */
export interface Pit8254State {
  version: number;
  counters: Pit8254CounterState[];
  /** IRQ bookkeeping for counter 0: edges already delivered and the level last driven. */
  irqEdgesSeen: number;
  irqLevel: boolean;
}

export interface Pit8254Options {
  /** Current time in PIT input clock pulses, never decreasing. Default: always 0. */
  clock?: () => number;
  /** The line counter 0's OUT drives (IRQ0 on a PC). */
  irq?: IrqLine;
}

export class Pit8254 implements Device {
  private readonly clock: () => number;
  private readonly irq: IrqLine;
  private readonly counters: [Counter, Counter, Counter] = [new Counter(), new Counter(), new Counter()];
  private lastTime = 0;
  private irqEdgesSeen = 0;
  private irqLevel = false;

  constructor(options: Pit8254Options = {}) {
    this.clock = options.clock ?? (() => 0);
    this.irq = options.irq ?? unconnectedIrq;
    this.lastTime = this.readClock();
    this.reset();
  }

  read(offset: number, size: AccessSize): number {
    return readSplit(this, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    writeSplit(this, offset, size, value);
  }

  readByte(offset: number): number {
    if (offset < PIT_COUNTER_0 || offset > PIT_COUNTER_2) return OPEN_BUS;
    return this.readCounter(this.counters[offset], this.now());
  }

  writeByte(offset: number, value: number): void {
    const now = this.now();
    if (offset === PIT_CONTROL) this.writeControl(value, now);
    else if (offset >= PIT_COUNTER_0 && offset <= PIT_COUNTER_2) this.writeCounter(this.counters[offset], value, now);
    else return;
    this.driveIrq(now);
  }

  /**
   * Evaluate counter 0 at clock() and drive the IRQ line with its OUT. If OUT rose since the last
   * call — even if it has fallen again, or rose many times — the line is pulsed so an
   * edge-triggered PIC input latches one request. Call it when nextEventTicks() says an edge is due.
   */
  update(): void {
    this.driveIrq(this.now());
  }

  /** Ticks from now until counter `channel`'s OUT next changes, or Infinity if it never will. */
  nextEventTicks(channel = PIT_COUNTER_0): number {
    const now = this.now();
    const c = this.counters[channel];
    settle(c, now);
    return nextTransition(c, now) - now;
  }

  /** Counter `channel`'s OUT pin now (counter 2's is readable at port 0x61 bit 5 on a PC). */
  out(channel: number): boolean {
    const now = this.now();
    const c = this.counters[channel];
    settle(c, now);
    return outAt(c, now);
  }

  /** Counter `channel`'s GATE input. */
  gate(channel: number): boolean {
    return this.counters[channel].gate;
  }

  /**
   * Drive counter `channel`'s GATE input (on a PC counters 0 and 1 are tied high and counter 2's
   * gate is port 0x61 bit 0). Gate levels are pins driven from outside: reset() leaves them.
   */
  setGate(channel: number, level: boolean): void {
    const now = this.now();
    const c = this.counters[channel];
    settle(c, now);
    if (level === c.gate) return;
    c.gate = level;
    switch (c.mode) {
      case MODE_INTERRUPT_ON_TERMINAL_COUNT:
      case MODE_SOFTWARE_STROBE:
        // Gate 0 disables counting, gate 1 enables it (Table 3); OUT is not affected.
        if (!c.armed) break;
        if (!level && c.running) {
          c.pausedTau = Math.max(0, now - c.loadTime);
          if (c.load === Load.AtLoadTime) c.load = Load.Done;
          c.running = false;
        } else if (level && !c.running) {
          c.loadTime = now - c.pausedTau;
          c.running = true;
        }
        break;
      case MODE_ONE_SHOT:
      case MODE_HARDWARE_STROBE:
        // A rising edge triggers (or retriggers): CR is loaded into CE on the next pulse.
        if (level && c.hasCount) {
          freeze(c, now);
          startRun(c, now);
        }
        break;
      default:
        // Modes 2 and 3: gate low stops counting and sets OUT high at once; a rising edge reloads
        // the initial count on the next pulse.
        if (!level) {
          freeze(c, now);
          setHeldOut(c, true);
        } else if (c.hasCount) {
          freeze(c, now);
          startRun(c, now);
        }
    }
    if (channel === PIT_COUNTER_0) this.driveIrq(now);
  }

  reset(): void {
    const now = this.now();
    for (const c of this.counters) {
      const gate = c.gate;
      Object.assign(c, new Counter());
      c.gate = gate;
    }
    this.irqEdgesSeen = 0;
    const level = outAt(this.counters[0], now);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  save(): Pit8254State {
    const now = this.now();
    return {
      version: STATE_VERSION,
      counters: this.counters.map((c) => {
        settle(c, now);
        return {
          control: c.control,
          cr: c.cr,
          load: c.load,
          crWriteTime: c.crWriteTime - now,
          hasCount: c.hasCount,
          writeMsbNext: c.writeMsbNext,
          crLsb: c.crLsb,
          readMsbNext: c.readMsbNext,
          countLatched: c.countLatched,
          latchedCount: c.latchedCount,
          statusLatched: c.statusLatched,
          latchedStatus: c.latchedStatus,
          gate: c.gate,
          armed: c.armed,
          running: c.running,
          loadTime: c.loadTime - now,
          pausedTau: c.pausedTau,
          activeCount: c.activeCount,
          heldOut: c.heldOut,
          heldCount: c.heldCount,
          edgesBase: c.edgesBase,
        };
      }),
      irqEdgesSeen: this.irqEdgesSeen,
      irqLevel: this.irqLevel,
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const MAX = Number.MAX_SAFE_INTEGER;
    const counters = s.objects("counters", 3).map((r) => {
      const control = r.int("control", 0, STATUS_PROGRAMMED_MASK);
      if ((control & CW_ACCESS_MASK) === CW_ACCESS_LATCH) r.fail("control has access mode 00, which is the latch command");
      const c = new Counter();
      setControl(c, control);
      c.cr = r.int("cr", 0, 0xffff);
      c.load = r.int("load", Load.Done, Load.Waiting);
      c.crWriteTime = r.int("crWriteTime", -MAX, 0);
      c.hasCount = r.bool("hasCount");
      c.writeMsbNext = r.bool("writeMsbNext");
      c.crLsb = r.byte("crLsb");
      c.readMsbNext = r.bool("readMsbNext");
      c.countLatched = r.bool("countLatched");
      c.latchedCount = r.int("latchedCount", 0, 0xffff);
      c.statusLatched = r.bool("statusLatched");
      c.latchedStatus = r.byte("latchedStatus");
      c.gate = r.bool("gate");
      c.armed = r.bool("armed");
      c.running = r.bool("running");
      c.loadTime = r.int("loadTime", -MAX, 1);
      c.pausedTau = r.int("pausedTau", 0, MAX);
      c.activeCount = r.int("activeCount", 0, 0xffff);
      c.heldOut = r.bool("heldOut");
      c.heldCount = r.int("heldCount", 0, 0xffff);
      c.edgesBase = r.int("edgesBase", 0, MAX);
      if (c.running && !c.armed) r.fail("running is true for a counter with no run (armed false)");
      if (c.load === Load.AtPeriodEnd && c.mode !== MODE_RATE_GENERATOR && c.mode !== MODE_SQUARE_WAVE) {
        r.fail(`load ${c.load} (at period end) is only possible in modes 2 and 3, not mode ${c.mode}`);
      }
      return c;
    });
    const irqEdgesSeen = s.int("irqEdgesSeen", 0, MAX);
    const irqLevel = s.bool("irqLevel");

    const now = this.readClock();
    this.lastTime = now;
    for (let i = 0; i < 3; i++) {
      const c = counters[i];
      c.loadTime += now;
      c.crWriteTime += now;
      Object.assign(this.counters[i], c);
    }
    this.irqEdgesSeen = irqEdgesSeen;
    this.irqLevel = irqLevel;
    // Re-raise: drive the saved level, then deliver anything due since.
    this.irq(irqLevel);
    this.driveIrq(now);
  }

  // --- port side -------------------------------------------------------------------------------

  private writeControl(value: number, now: number): void {
    if ((value & CW_SELECT_READ_BACK) === CW_SELECT_READ_BACK) {
      this.readBack(value, now);
      return;
    }
    const c = this.counters[value >> CW_SELECT_SHIFT];
    if ((value & CW_ACCESS_MASK) === CW_ACCESS_LATCH) {
      latchCount(c, now);
      return;
    }
    // "Control Word Register": all control logic is reset and OUT goes to its initial state
    // (low in mode 0, high in the others) without needing a clock pulse.
    freeze(c, now);
    setControl(c, value & STATUS_PROGRAMMED_MASK);
    c.load = Load.Waiting;
    c.hasCount = false;
    c.writeMsbNext = false;
    c.readMsbNext = false;
    c.countLatched = false;
    c.statusLatched = false;
    setHeldOut(c, c.mode !== MODE_INTERRUPT_ON_TERMINAL_COUNT);
  }

  private readBack(value: number, now: number): void {
    for (let i = 0; i < 3; i++) {
      if (!(value & (RB_COUNTER_0 << i))) continue;
      const c = this.counters[i];
      if (!(value & RB_DONT_LATCH_COUNT)) latchCount(c, now);
      // A second status latch before the first is read is ignored, as for counts.
      if (!(value & RB_DONT_LATCH_STATUS) && !c.statusLatched) {
        settle(c, now);
        c.statusLatched = true;
        c.latchedStatus =
          (outAt(c, now) ? STATUS_OUTPUT : 0) | (c.load !== Load.Done ? STATUS_NULL_COUNT : 0) | c.control;
      }
    }
  }

  private readCounter(c: Counter, now: number): number {
    // "Read-Back Command": with both latched, the status comes first, then the count.
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.latchedStatus;
    }
    let value: number;
    if (c.countLatched) value = c.latchedCount;
    else {
      settle(c, now);
      value = encodeCount(c, countAt(c, now));
    }
    switch (c.access) {
      case CW_ACCESS_LSB:
        c.countLatched = false;
        return value & 0xff;
      case CW_ACCESS_MSB:
        c.countLatched = false;
        return value >>> 8;
      default:
        if (!c.readMsbNext) {
          c.readMsbNext = true;
          return value & 0xff;
        }
        c.readMsbNext = false;
        c.countLatched = false; // the latch holds until the whole count has been read
        return value >>> 8;
    }
  }

  private writeCounter(c: Counter, value: number, now: number): void {
    switch (c.access) {
      case CW_ACCESS_LSB:
        writeCount(c, value, now); // the MSB becomes 0
        return;
      case CW_ACCESS_MSB:
        writeCount(c, value << 8, now); // the LSB becomes 0
        return;
      default:
        if (!c.writeMsbNext) {
          c.crLsb = value;
          c.writeMsbNext = true;
          if (c.mode === MODE_INTERRUPT_ON_TERMINAL_COUNT) {
            // Mode 0: writing the first byte disables counting and sets OUT low at once.
            freeze(c, now);
            setHeldOut(c, false);
          }
          return;
        }
        c.writeMsbNext = false;
        writeCount(c, c.crLsb | (value << 8), now);
    }
  }

  private driveIrq(now: number): void {
    const c = this.counters[0];
    settle(c, now);
    const edges = edgesAt(c, now);
    if (edges !== this.irqEdgesSeen) {
      this.irqEdgesSeen = edges;
      if (this.irqLevel) this.irq(false);
      this.irq(true);
      this.irqLevel = true;
    }
    const level = outAt(c, now);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  private readClock(): number {
    const t = Math.floor(this.clock());
    return Number.isFinite(t) ? t : this.lastTime;
  }

  private now(): number {
    const t = this.readClock();
    if (t > this.lastTime) this.lastTime = t;
    return this.lastTime;
  }
}

// --- counter model (pure functions of a Counter and the time) ------------------------------------

function setControl(c: Counter, control: number): void {
  c.control = control;
  const mode = (control & CW_MODE_MASK) >> 1;
  c.mode = mode > 5 ? mode - 4 : mode; // X10 → 2, X11 → 3
  c.bcd = (control & CW_BCD) !== 0;
  c.access = control & CW_ACCESS_MASK;
}

function modulus(c: Counter): number {
  return c.bcd ? 10000 : 0x10000;
}

/** The count N a raw register value stands for: 0 is the maximum (2^16, or 10^4 in BCD). */
function countValue(c: Counter, raw: number): number {
  // Invalid BCD digits (A-F) are taken at face value: deterministic, if not meaningful.
  const n = c.bcd
    ? ((raw >> 12) & 0xf) * 1000 + ((raw >> 8) & 0xf) * 100 + ((raw >> 4) & 0xf) * 10 + (raw & 0xf)
    : raw;
  return n === 0 ? modulus(c) : n;
}

function encodeCount(c: Counter, n: number): number {
  if (!c.bcd) return n & 0xffff;
  n %= 10000;
  return (Math.floor(n / 1000) << 12) | (Math.floor(n / 100) % 10 << 8) | (Math.floor(n / 10) % 10 << 4) | n % 10;
}

/** OUT at `t` pulses after the load pulse of a run with count `n` ("Mode Definitions"). */
function outInRun(mode: number, n: number, t: number): boolean {
  switch (mode) {
    case MODE_INTERRUPT_ON_TERMINAL_COUNT: // low until the count reaches 0, then high
    case MODE_ONE_SHOT: // low from the load until terminal count
      return t >= n;
    case MODE_RATE_GENERATOR: // low for one pulse when the count reaches 1
      return n < 2 || t % n !== n - 1;
    case MODE_SQUARE_WAVE: // high for ceil(N/2) pulses, low for floor(N/2)
      return n < 2 || t % n < (n + 1) >> 1;
    default: // modes 4 and 5: low for one pulse when the count reaches 0
      return t !== n;
  }
}

/** The counting element at `t` pulses after the load pulse. */
function countInRun(mode: number, n: number, t: number, m: number): number {
  switch (mode) {
    case MODE_RATE_GENERATOR: // N, N-1, ..., 1, then reloads
      return (n - (t % n)) % m;
    case MODE_SQUARE_WAVE: {
      if (n < 2) return 0;
      const p = t % n;
      if ((n & 1) === 0) return (n - 2 * (p % (n >> 1))) % m; // even: N, N-2, ..., 2 each half
      // Odd: N-1 is loaded and decremented by two; OUT changes one pulse after it expires (high
      // half) or when it expires (low half).
      const high = (n + 1) >> 1;
      return (p < high ? n - 1 - 2 * p : n - 1 - 2 * (p - high)) % m;
    }
    default: // modes 0, 1, 4, 5: count down and wrap after terminal count
      return (((n - t) % m) + m) % m;
  }
}

/** Rising OUT edges in a run at pulses (0, t], not counting one at the load pulse itself. */
function edgesInRun(mode: number, n: number, t: number): number {
  switch (mode) {
    case MODE_INTERRUPT_ON_TERMINAL_COUNT:
    case MODE_ONE_SHOT:
      return t >= n ? 1 : 0;
    case MODE_RATE_GENERATOR:
    case MODE_SQUARE_WAVE:
      return n < 2 ? 0 : Math.floor(t / n);
    default:
      return t >= n + 1 ? 1 : 0;
  }
}

/** The first pulse after `t` at which OUT changes, or Infinity. */
function nextTransitionInRun(mode: number, n: number, t: number): number {
  switch (mode) {
    case MODE_INTERRUPT_ON_TERMINAL_COUNT:
    case MODE_ONE_SHOT:
      return t < n ? n : Infinity;
    case MODE_RATE_GENERATOR: {
      if (n < 2) return Infinity;
      const p = t % n;
      return p < n - 1 ? t + (n - 1 - p) : t + 1;
    }
    case MODE_SQUARE_WAVE: {
      if (n < 2) return Infinity;
      const high = (n + 1) >> 1;
      const p = t % n;
      return p < high ? t + (high - p) : t + (n - p);
    }
    default:
      return t < n ? n : t === n ? n + 1 : Infinity;
  }
}

/** Pulses since the run's load pulse (negative before it). */
function tau(c: Counter, now: number): number {
  return c.running ? now - c.loadTime : c.pausedTau;
}

function outAt(c: Counter, now: number): boolean {
  if (!c.armed) return c.heldOut;
  const t = tau(c, now);
  return t < 0 ? c.heldOut : outInRun(c.mode, countValue(c, c.activeCount), t);
}

function countAt(c: Counter, now: number): number {
  if (!c.armed) return c.heldCount;
  const t = tau(c, now);
  return t < 0 ? c.heldCount : countInRun(c.mode, countValue(c, c.activeCount), t, modulus(c));
}

function edgesAt(c: Counter, now: number): number {
  if (!c.armed) return c.edgesBase;
  const t = tau(c, now);
  if (t < 0) return c.edgesBase;
  const n = countValue(c, c.activeCount);
  const atLoad = !c.heldOut && outInRun(c.mode, n, 0) ? 1 : 0;
  return c.edgesBase + atLoad + edgesInRun(c.mode, n, t);
}

function nextTransition(c: Counter, now: number): number {
  if (!c.armed || !c.running) return Infinity;
  const n = countValue(c, c.activeCount);
  const t = now - c.loadTime;
  if (t < 0) {
    if (outInRun(c.mode, n, 0) !== c.heldOut) return c.loadTime;
    return c.loadTime + nextTransitionInRun(c.mode, n, 0);
  }
  return c.loadTime + nextTransitionInRun(c.mode, n, t);
}

/**
 * Bring a run's bookkeeping up to `now`: note that a count written for the load pulse has been
 * loaded, and in modes 2 and 3 start the new count at the first period end (mode 3: half-period
 * end) after it was written, as "Mode 2" and "Mode 3" describe for counts written while counting.
 */
function settle(c: Counter, now: number): void {
  if (!c.armed || !c.running) return;
  if (c.load === Load.AtLoadTime) {
    if (now >= c.loadTime) c.load = Load.Done;
    return;
  }
  if (c.load !== Load.AtPeriodEnd) return;
  const n = countValue(c, c.activeCount);
  const tw = c.crWriteTime - c.loadTime;
  let boundary: number;
  let startsLowHalf = false;
  if (c.mode === MODE_RATE_GENERATOR) {
    boundary = (Math.floor(tw / n) + 1) * n;
  } else {
    const high = (n + 1) >> 1;
    const p = tw % n;
    startsLowHalf = p < high && n >= 2;
    boundary = tw - p + (p < high ? high : n);
  }
  if (c.loadTime + boundary > now) return;
  const at = c.loadTime + boundary;
  c.edgesBase = edgesAt(c, at);
  c.activeCount = c.cr;
  c.load = Load.Done;
  c.heldOut = true;
  // A new mode-3 count taking over at a half-period boundary starts with its own low half.
  c.loadTime = startsLowHalf ? at - ((countValue(c, c.cr) + 1) >> 1) : at;
}

/** End the current run at `now`, keeping what OUT and CE show. */
function freeze(c: Counter, now: number): void {
  settle(c, now);
  c.heldOut = outAt(c, now);
  c.heldCount = countAt(c, now);
  c.edgesBase = edgesAt(c, now);
  c.armed = false;
  c.running = false;
}

/** Force OUT while there is no run, counting a rising edge. */
function setHeldOut(c: Counter, level: boolean): void {
  if (!c.heldOut && level) c.edgesBase++;
  c.heldOut = level;
}

/**
 * Start a run: CR goes into CE on the next pulse and counting follows. Null count ("Status
 * Byte") is set only by writes, so a retrigger that reloads an already transferred CR keeps it 0.
 */
function startRun(c: Counter, now: number): void {
  c.armed = true;
  c.running = true;
  c.loadTime = now + 1;
  c.activeCount = c.cr;
  if (c.load !== Load.Done) c.load = Load.AtLoadTime;
}

function latchCount(c: Counter, now: number): void {
  // "Counter Latch Command": a second latch before the first is read is ignored.
  if (c.countLatched) return;
  settle(c, now);
  c.latchedCount = encodeCount(c, countAt(c, now));
  c.countLatched = true;
}

/** A complete count was written to CR ("Write Operations" and each mode's description). */
function writeCount(c: Counter, value: number, now: number): void {
  settle(c, now);
  c.cr = value & 0xffff;
  c.hasCount = true;
  c.load = Load.Waiting; // a CR write sets null count until CE takes the value
  switch (c.mode) {
    case MODE_INTERRUPT_ON_TERMINAL_COUNT:
    case MODE_SOFTWARE_STROBE:
      // Loaded on the next pulse; counting restarts from the new count. Mode 0's OUT goes low.
      freeze(c, now);
      if (c.mode === MODE_INTERRUPT_ON_TERMINAL_COUNT) setHeldOut(c, false);
      if (c.gate) {
        startRun(c, now);
      } else {
        c.armed = true;
        c.running = false;
        c.pausedTau = 0;
        c.activeCount = c.cr;
        c.load = Load.Done;
      }
      return;
    case MODE_ONE_SHOT:
    case MODE_HARDWARE_STROBE:
      // The current one-shot is not affected; the count is loaded at the next trigger.
      return;
    default:
      if (!c.armed) {
        // First count after the control word: loaded on the next pulse if the gate allows.
        if (c.gate) startRun(c, now);
      } else if (now < c.loadTime) {
        c.activeCount = c.cr; // not loaded yet: the newer count wins
        c.load = Load.AtLoadTime;
      } else {
        c.load = Load.AtPeriodEnd;
        c.crWriteTime = now;
      }
  }
}
