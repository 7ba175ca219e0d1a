// The Motorola MC146818A real-time clock with its CMOS RAM, as on the PC/AT, written from the
// MC146818A datasheet: "Address Map" (Figure 3), "Time, Calendar and Alarm Locations" (Table 2 for
// BCD and binary ranges, 12/24-hour format), "Register A" (UIP, DV2-0, RS3-0 with Table 4
// periodic interrupt rates), "Register B" (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), "Register C"
// (IRQF, PF, AF, UF; cleared by reading), "Register D" (VRT), "Update Cycle" and "Interrupts".
// The PC layout of the NVRAM bytes (0x0E-0x7F) is the IBM PC/AT Technical Reference's CMOS map
// ("Real-Time Clock/CMOS RAM Information": 0x0F shutdown status, 0x10 diskette types, 0x14
// equipment, 0x15/0x16 base memory, 0x17/0x18 and 0x30/0x31 expansion memory, 0x2E/0x2F checksum,
// 0x32 century) plus the widely used 0x34/0x35 "memory above 16 MiB in 64 KiB units".
//
// Offsets: 0 = index register (port 0x70), 1 = data register (port 0x71). The index is 7 bits;
// bit 7 of a write to the index is the PC's NMI mask (1 = NMI disabled), kept for the machine to
// read (nmiDisabled) — it is not part of the MC146818.
//
// Time is injected: `clock()` returns Unix time in milliseconds (may be fractional, never
// decreasing): Date.now for host time, or rtcClockFrom(start, guestElapsedMs) for reproducible runs.
// The RTC keeps only an offset from that clock, so nothing runs on its own; flags (PF, UF, AF) are
// brought up to date on every access and by update(), which the machine calls when
// nextEventMs() says an enabled interrupt is due. The calendar is UTC (what Linux assumes on a PC).
//
// Modelling choices, each visible to the guest:
// - Time registers are computed from the clock on each read, in the format Register B selects at
//   that moment (a real part keeps the bytes as written if DM or 24/12 changes without a rewrite).
// - The day of week (0x06) follows the date (Sunday = 1); writes to it are ignored.
// - The century byte (0x32) is live like the time registers: it reads the current century and a
//   write sets it.
// - UIP reads 1 during the last 244 µs of each second ("UIP ... 244 µs before the update").
// - The divider bits DV2-0 are stored but do not stop the clock.

import type { AccessSize, Device, IrqLine } from "./device.ts";
import { unconnectedIrq } from "./device.ts";
import { OPEN_BUS, readSplit, writeSplit } from "./byte_registers.ts";
import { StateReader } from "./state_check.ts";

// Offsets (PC: ports 0x70, 0x71).
/** Index register: bits 6-0 select the register; bit 7 is the PC's NMI disable. */
export const RTC_INDEX = 0;
/** Data register: the selected register. */
export const RTC_DATA = 1;
/** Index bit 7: NMI disabled (PC/AT port 0x70). */
export const RTC_NMI_DISABLE = 0x80;

// Register indices (Figure 3 "Address Map").
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;
/** First NVRAM byte; 114 bytes up to 0x7F. */
export const RTC_NVRAM_START = 0x0e;
export const RTC_NVRAM_SIZE = 114;

// Register A.
/** Bit 7 UIP: update in progress (read-only). */
export const REG_A_UIP = 0x80;
/** Bits 6-4 DV2-0: time base; 010 = 32.768 kHz. */
export const REG_A_DV_MASK = 0x70;
/** Bits 3-0 RS3-0: periodic interrupt rate select (Table 4). */
export const REG_A_RS_MASK = 0x0f;
/** Power-on value a PC BIOS leaves: 32.768 kHz time base, 1024 Hz periodic rate. */
export const REG_A_DEFAULT = 0x26;

// Register B.
/** Bit 7 SET: updates inhibited while the time is set; writing 1 clears UIE. */
export const REG_B_SET = 0x80;
/** Bit 6 PIE: periodic interrupt enable. */
export const REG_B_PIE = 0x40;
/** Bit 5 AIE: alarm interrupt enable. */
export const REG_B_AIE = 0x20;
/** Bit 4 UIE: update-ended interrupt enable. */
export const REG_B_UIE = 0x10;
/** Bit 3 SQWE: square wave enable (no pin here). */
export const REG_B_SQWE = 0x08;
/** Bit 2 DM: 1 = binary, 0 = BCD. */
export const REG_B_DM_BINARY = 0x04;
/** Bit 1 24/12: 1 = 24-hour mode. */
export const REG_B_24H = 0x02;
/** Bit 0 DSE: daylight savings enable (stored, no effect: the calendar is UTC). */
export const REG_B_DSE = 0x01;
/** Power-on value a PC BIOS leaves: 24-hour, BCD, no interrupts. */
export const REG_B_DEFAULT = REG_B_24H;

// Register C.
/** Bit 7 IRQF: an enabled flag is set (the IRQ pin is asserted). */
export const REG_C_IRQF = 0x80;
/** Bit 6 PF: periodic interrupt flag. */
export const REG_C_PF = 0x40;
/** Bit 5 AF: alarm flag. */
export const REG_C_AF = 0x20;
/** Bit 4 UF: update-ended flag. */
export const REG_C_UF = 0x10;

/** Register D bit 7 VRT: valid RAM and time (the battery is good). */
export const REG_D_VRT = 0x80;
/** In 12-hour mode, hours bit 7 = PM. */
export const HOURS_PM = 0x80;
/** Alarm bytes 0xC0-0xFF match any value ("don't care"). */
export const ALARM_DONT_CARE = 0xc0;

// PC/AT CMOS layout (IBM PC/AT Technical Reference).
export const CMOS_SHUTDOWN_STATUS = 0x0f;
export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEMORY_LOW = 0x15;
export const CMOS_BASE_MEMORY_HIGH = 0x16;
export const CMOS_EXTENDED_MEMORY_LOW = 0x17;
export const CMOS_EXTENDED_MEMORY_HIGH = 0x18;
export const CMOS_CHECKSUM_HIGH = 0x2e;
export const CMOS_CHECKSUM_LOW = 0x2f;
export const CMOS_EXTENDED_MEMORY_POST_LOW = 0x30;
export const CMOS_EXTENDED_MEMORY_POST_HIGH = 0x31;
export const CMOS_CENTURY = 0x32;
export const CMOS_MEMORY_ABOVE_16M_LOW = 0x34;
export const CMOS_MEMORY_ABOVE_16M_HIGH = 0x35;
/** Equipment byte bit 1: math coprocessor installed; bits 5-4 = 00: EGA/VGA display. */
export const EQUIPMENT_COPROCESSOR = 0x02;

/** UIP is set this long before each update (datasheet "Update Cycle": 244 µs). */
const UIP_LEAD_MS = 0.244;
const STATE_VERSION = 1;
const DEVICE_NAME = "rtc_cmos";

export interface RtcCmosOptions {
  /** Current Unix time in ms, never decreasing. Default: Date.now. */
  clock?: () => number;
  /** IRQ8: asserted while Register C's IRQF is set. */
  irq?: IrqLine;
  /** Guest RAM size in bytes: fills the PC memory-size bytes (base, extended, above 16 MiB). */
  memoryBytes?: number;
}

/** A clock for reproducible runs: `startUnixMs` when the guest clock reads 0, advancing with it. */
export function rtcClockFrom(startUnixMs: number, guestElapsedMs: () => number): () => number {
  return () => startUnixMs + guestElapsedMs();
}

/** Periodic interrupt frequency in Hz for RS3-0 with the 32.768 kHz time base (Table 4); 0 = none. */
export function periodicRateHz(rs: number): number {
  if (rs === 0) return 0;
  if (rs <= 2) return 256 >> (rs - 1);
  return 32768 >> (rs - 1);
}

/** Plain-data state of an RtcCmos; times are relative to the clock at save(). */
export interface RtcCmosState {
  version: number;
  index: number;
  nmiDisabled: boolean;
  regA: number;
  regB: number;
  flags: number;
  /** RTC time minus clock time, ms. */
  offsetMs: number;
  /** While SET: the frozen RTC time minus the clock at save(). */
  frozenMs: number;
  alarms: number[];
  nvram: number[];
}

export class RtcCmos implements Device {
  private readonly clock: () => number;
  private readonly irq: IrqLine;
  private index = 0;
  private nmiMasked = false;
  private regA = REG_A_DEFAULT;
  private regB = REG_B_DEFAULT;
  /** PF, AF, UF (Register C without IRQF). */
  private flags = 0;
  private offsetMs = 0;
  /** RTC time held while SET = 1. */
  private frozenMs = 0;
  /** RTC time at the last update(), to find the seconds and periodic ticks crossed since. */
  private lastRtcMs = 0;
  private readonly alarms = [0, 0, 0];
  private readonly nvram = new Uint8Array(RTC_NVRAM_SIZE);
  private irqLevel = false;

  constructor(options: RtcCmosOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.irq = options.irq ?? unconnectedIrq;
    if (options.memoryBytes !== undefined) this.setMemorySize(options.memoryBytes);
    this.nvram[CMOS_EQUIPMENT - RTC_NVRAM_START] = EQUIPMENT_COPROCESSOR;
    this.updateChecksum();
    this.lastRtcMs = this.rtcMs();
  }

  read(offset: number, size: AccessSize): number {
    return readSplit(this, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    writeSplit(this, offset, size, value);
  }

  readByte(offset: number): number {
    if (offset !== RTC_DATA) return OPEN_BUS; // the index register is write-only on a PC
    this.update();
    return this.readRegister(this.index);
  }

  writeByte(offset: number, value: number): void {
    if (offset === RTC_INDEX) {
      this.index = value & 0x7f;
      this.nmiMasked = (value & RTC_NMI_DISABLE) !== 0;
      return;
    }
    if (offset !== RTC_DATA) return;
    this.update();
    this.writeRegister(this.index, value);
    this.driveIrq();
  }

  /** The PC's NMI mask, port 0x70 bit 7. */
  get nmiDisabled(): boolean {
    return this.nmiMasked;
  }

  /**
   * Fill the PC memory-size bytes for `bytes` of RAM: 640 KiB base memory, extended memory above
   * 1 MiB in KiB (0x17/0x18 and 0x30/0x31, at most 65535), memory above 16 MiB in 64 KiB units
   * (0x34/0x35); then the checksum.
   */
  setMemorySize(bytes: number): void {
    const put16 = (low: number, value: number) => {
      this.nvram[low - RTC_NVRAM_START] = value & 0xff;
      this.nvram[low + 1 - RTC_NVRAM_START] = (value >> 8) & 0xff;
    };
    put16(CMOS_BASE_MEMORY_LOW, 640);
    const extendedKiB = Math.min(0xffff, Math.max(0, Math.floor((bytes - 0x100000) / 1024)));
    put16(CMOS_EXTENDED_MEMORY_LOW, extendedKiB);
    put16(CMOS_EXTENDED_MEMORY_POST_LOW, extendedKiB);
    const above16M = Math.min(0xffff, Math.max(0, Math.floor((Math.min(bytes, 0xffffffff) - 0x1000000) / 0x10000)));
    put16(CMOS_MEMORY_ABOVE_16M_LOW, above16M);
    this.updateChecksum();
  }

  /** Read NVRAM byte `index` (0x0E-0x7F) without side effects, for the host. */
  nvramByte(index: number): number {
    return this.nvram[index - RTC_NVRAM_START];
  }

  /** Set NVRAM byte `index` (0x0E-0x7F) from the host. */
  setNvramByte(index: number, value: number): void {
    this.nvram[index - RTC_NVRAM_START] = value & 0xff;
  }

  /** Recompute the PC/AT checksum of 0x10-0x2D stored big-endian at 0x2E/0x2F. */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.nvram[i - RTC_NVRAM_START];
    this.nvram[CMOS_CHECKSUM_HIGH - RTC_NVRAM_START] = (sum >> 8) & 0xff;
    this.nvram[CMOS_CHECKSUM_LOW - RTC_NVRAM_START] = sum & 0xff;
  }

  /** The RTC's current time as Unix ms. */
  timeMs(): number {
    return this.rtcMs();
  }

  /** Bring PF, UF and AF up to date with the clock and drive IRQ8. */
  update(): void {
    const now = this.rtcMs();
    const last = this.lastRtcMs;
    this.lastRtcMs = now;
    if (now <= last) return;
    const rate = periodicRateHz(this.regA & REG_A_RS_MASK);
    if (rate > 0 && Math.floor((now * rate) / 1000) > Math.floor((last * rate) / 1000)) this.flags |= REG_C_PF;
    if (!(this.regB & REG_B_SET)) {
      const from = Math.floor(last / 1000);
      const to = Math.floor(now / 1000);
      if (to > from) {
        this.flags |= REG_C_UF;
        if (this.alarmMatchesBetween(from, to)) this.flags |= REG_C_AF;
      }
    }
    this.driveIrq();
  }

  /**
   * Milliseconds of clock time until the next flag that would raise IRQ8 is set, or Infinity when
   * none is enabled (or IRQF is already set and waits for a read of Register C).
   */
  nextEventMs(): number {
    this.update();
    if (this.flags & this.regB & (REG_C_PF | REG_C_AF | REG_C_UF)) return Infinity;
    const now = this.rtcMs();
    let next = Infinity;
    const rate = periodicRateHz(this.regA & REG_A_RS_MASK);
    if ((this.regB & REG_B_PIE) && rate > 0) next = Math.min(next, ((Math.floor((now * rate) / 1000) + 1) * 1000) / rate - now);
    if ((this.regB & (REG_B_UIE | REG_B_AIE)) && !(this.regB & REG_B_SET)) next = Math.min(next, (Math.floor(now / 1000) + 1) * 1000 - now);
    return next;
  }

  reset(): void {
    // RESET clears PIE, AIE, UIE, SQWE and the flags; time, Register A and RAM are untouched.
    this.regB &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.flags = 0;
    this.index = 0;
    this.nmiMasked = false;
    this.driveIrq();
  }

  save(): RtcCmosState {
    this.update();
    const now = this.clock();
    return {
      version: STATE_VERSION,
      index: this.index,
      nmiDisabled: this.nmiMasked,
      regA: this.regA,
      regB: this.regB,
      flags: this.flags,
      offsetMs: this.offsetMs,
      frozenMs: this.frozenMs - now,
      alarms: [...this.alarms],
      nvram: [...this.nvram],
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const index = s.int("index", 0, 0x7f);
    const nmiDisabled = s.bool("nmiDisabled");
    const regA = s.int("regA", 0, 0x7f);
    const regB = s.byte("regB");
    const flags = s.int("flags", 0, 0xff);
    if (flags & ~(REG_C_PF | REG_C_AF | REG_C_UF)) s.fail("flags has bits other than PF, AF, UF");
    const finite = (field: string) => {
      const value = (state as Record<string, unknown>)[field];
      if (typeof value !== "number" || !Number.isFinite(value)) s.fail(`${field} is not a finite number`);
      return value as number;
    };
    const offsetMs = finite("offsetMs");
    const frozenMs = finite("frozenMs");
    const alarms = s.bytes("alarms", 3);
    if (alarms.length !== 3) s.fail("alarms must hold 3 bytes");
    const nvram = s.bytes("nvram", RTC_NVRAM_SIZE);
    if (nvram.length !== RTC_NVRAM_SIZE) s.fail(`nvram must hold ${RTC_NVRAM_SIZE} bytes`);
    const now = this.clock();
    this.index = index;
    this.nmiMasked = nmiDisabled;
    this.regA = regA;
    this.regB = regB;
    this.flags = flags;
    this.offsetMs = offsetMs;
    this.frozenMs = now + frozenMs;
    alarms.forEach((v, i) => (this.alarms[i] = v));
    this.nvram.set(nvram);
    this.lastRtcMs = this.rtcMs();
    this.irqLevel = this.irqPending();
    this.irq(this.irqLevel);
  }

  // ---- internals ----

  private rtcMs(): number {
    return this.regB & REG_B_SET ? this.frozenMs : this.clock() + this.offsetMs;
  }

  private readRegister(index: number): number {
    const date = new Date(Math.floor(this.rtcMs()));
    switch (index) {
      case RTC_SECONDS: return this.encode(date.getUTCSeconds());
      case RTC_MINUTES: return this.encode(date.getUTCMinutes());
      case RTC_HOURS: return this.encodeHours(date.getUTCHours());
      case RTC_SECONDS_ALARM: return this.alarms[0];
      case RTC_MINUTES_ALARM: return this.alarms[1];
      case RTC_HOURS_ALARM: return this.alarms[2];
      case RTC_DAY_OF_WEEK: return this.encode(date.getUTCDay() + 1);
      case RTC_DAY_OF_MONTH: return this.encode(date.getUTCDate());
      case RTC_MONTH: return this.encode(date.getUTCMonth() + 1);
      case RTC_YEAR: return this.encode(date.getUTCFullYear() % 100);
      case RTC_REG_A: return this.regA | (this.updateInProgress() ? REG_A_UIP : 0);
      case RTC_REG_B: return this.regB;
      case RTC_REG_C: {
        const value = this.flags | (this.irqPending() ? REG_C_IRQF : 0);
        this.flags = 0; // reading Register C clears it and releases IRQ
        this.driveIrq();
        return value;
      }
      case RTC_REG_D: return REG_D_VRT;
      case CMOS_CENTURY: return this.encode(Math.floor(date.getUTCFullYear() / 100));
      default: return this.nvram[index - RTC_NVRAM_START];
    }
  }

  private writeRegister(index: number, value: number): void {
    switch (index) {
      case RTC_SECONDS: return this.setField((d, v) => d.setUTCSeconds(v), this.decode(value & 0x7f));
      case RTC_MINUTES: return this.setField((d, v) => d.setUTCMinutes(v), this.decode(value & 0x7f));
      case RTC_HOURS: return this.setField((d, v) => d.setUTCHours(v), this.decodeHours(value));
      case RTC_DAY_OF_MONTH: return this.setField((d, v) => d.setUTCDate(v), this.decode(value));
      case RTC_MONTH: return this.setField((d, v) => d.setUTCMonth(v - 1), this.decode(value));
      case RTC_YEAR: return this.setField((d, v) => d.setUTCFullYear(Math.floor(d.getUTCFullYear() / 100) * 100 + v), this.decode(value));
      case CMOS_CENTURY: return this.setField((d, v) => d.setUTCFullYear(v * 100 + (d.getUTCFullYear() % 100)), this.decode(value));
      case RTC_SECONDS_ALARM: this.alarms[0] = value; return;
      case RTC_MINUTES_ALARM: this.alarms[1] = value; return;
      case RTC_HOURS_ALARM: this.alarms[2] = value; return;
      case RTC_DAY_OF_WEEK: return; // follows the date (see the header)
      case RTC_REG_A: this.regA = value & ~REG_A_UIP; return;
      case RTC_REG_B: this.writeRegB(value); return;
      case RTC_REG_C:
      case RTC_REG_D:
        return; // read-only
      default: this.nvram[index - RTC_NVRAM_START] = value;
    }
  }

  private writeRegB(value: number): void {
    const wasSet = (this.regB & REG_B_SET) !== 0;
    const nowSet = (value & REG_B_SET) !== 0;
    if (!wasSet && nowSet) {
      this.frozenMs = this.clock() + this.offsetMs;
      value &= ~REG_B_UIE; // "SET = 1 ... clears UIE"
    } else if (wasSet && !nowSet) {
      this.offsetMs = this.frozenMs - this.clock(); // resume counting from the time as set
    }
    this.regB = value;
    this.lastRtcMs = this.rtcMs();
  }

  /** Replace one calendar field of the RTC time, keeping the rest and the fraction of a second. */
  private setField(apply: (date: Date, value: number) => void, value: number): void {
    const now = this.rtcMs();
    const date = new Date(Math.floor(now));
    apply(date, value);
    const next = date.getTime() + (now - Math.floor(now));
    if (Number.isNaN(next)) return;
    if (this.regB & REG_B_SET) this.frozenMs = next;
    else this.offsetMs = next - this.clock();
    this.lastRtcMs = this.rtcMs();
  }

  private binary(): boolean {
    return (this.regB & REG_B_DM_BINARY) !== 0;
  }

  private encode(value: number): number {
    return this.binary() ? value : ((Math.floor(value / 10) % 10) << 4) | (value % 10);
  }

  private decode(value: number): number {
    return this.binary() ? value : (value >> 4) * 10 + (value & 0x0f);
  }

  private encodeHours(hours: number): number {
    if (this.regB & REG_B_24H) return this.encode(hours);
    const pm = hours >= 12 ? HOURS_PM : 0;
    return this.encode(hours % 12 === 0 ? 12 : hours % 12) | pm;
  }

  private decodeHours(value: number): number {
    if (this.regB & REG_B_24H) return this.decode(value & 0x7f);
    const h = this.decode(value & 0x7f) % 12;
    return value & HOURS_PM ? h + 12 : h;
  }

  private updateInProgress(): boolean {
    if (this.regB & REG_B_SET) return false;
    const ms = this.rtcMs();
    return ms - Math.floor(ms / 1000) * 1000 >= 1000 - UIP_LEAD_MS;
  }

  /** Whether the alarm matches any of the seconds (from, to] (Unix seconds). */
  private alarmMatchesBetween(from: number, to: number): boolean {
    if (to - from >= 86400) return true; // every valid alarm time occurs within a day
    for (let t = from + 1; t <= to; t++) {
      const d = new Date(t * 1000);
      if (this.alarmField(this.alarms[0], d.getUTCSeconds(), false) &&
          this.alarmField(this.alarms[1], d.getUTCMinutes(), false) &&
          this.alarmField(this.alarms[2], d.getUTCHours(), true)) return true;
    }
    return false;
  }

  private alarmField(alarm: number, actual: number, hours: boolean): boolean {
    if ((alarm & ALARM_DONT_CARE) === ALARM_DONT_CARE) return true;
    return (hours ? this.decodeHours(alarm) : this.decode(alarm)) === actual;
  }

  private irqPending(): boolean {
    return (this.flags & this.regB & (REG_C_PF | REG_C_AF | REG_C_UF)) !== 0;
  }

  private driveIrq(): void {
    const level = this.irqPending();
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq(level);
  }
}
