// ACPI fixed hardware: the PM1a event block (PM1 status and enable), the PM1a control block and the
// power management timer, written from the ACPI 6.4 specification, section 4.8 "ACPI Hardware
// Features" (4.8.2.1 "Power Management Timer", 4.8.3.1 "PM1 Event Grouping", 4.8.3.2 "PM1 Control
// Grouping", Tables 4.13-4.18) and 7.4.2 "\_Sx (System States)" / 16.1.7 "Transitioning from the
// Working to the Soft Off State".
//
// The three blocks sit together in one 12-byte I/O window laid out as on the Intel PIIX4 (82371AB
// datasheet, "Power Management I/O Registers": PMSTS 00h, PMEN 02h, PMCNTRL 04h, PMTMR 08h); the
// machine maps it at ACPI_PM_CONVENTIONAL_BASE (0x600, where QEMU's PIIX4 puts it) and the FADT
// (src/machine/firmware/acpi_tables.ts) points at those ports:
//   offset 0  PM1a_STS  16 bit  write 1 to clear
//   offset 2  PM1a_EN   16 bit
//   offset 4  PM1a_CNT  16 bit
//   offset 8  PM_TMR    32-bit read-only, 24 significant bits (FADT flag TMR_VAL_EXT = 0)
// Accesses of any width at any offset are taken apart into the registers' byte lanes, so an
// `outb` to offset 5 writes PM1a_CNT bits 8-15 (SLP_TYP and SLP_EN) alone.
//
// Time is injected: `clock()` returns the current time in PM timer ticks (3.579545 MHz, the ACPI
// PM timer frequency) as a number that never decreases; it may be fractional. The timer is free
// running and has no state of its own: its value is floor(clock()) mod 2^24.
//
// Modelling choices, each visible to the guest:
// - There is no SMI handler (FADT SMI_CMD = 0), so the platform is always in ACPI mode: SCI_EN
//   reads 1 after reset. The guest may clear it, which stops SCI delivery.
// - Entering S5 (SLP_EN with SLP_TYP = ACPI_SLP_TYP_S5) calls onPowerOff. Other sleep types are
//   not supported: they call onSleep (if given) and wake at once, setting WAK_STS, so an OSPM that
//   tried one does not wait forever. The DSDT names only \_S5.
// - GBL_RLS would raise an SMI to firmware; with no firmware it does nothing.

import type { AccessSize, Device, IrqLine } from "./device.ts";
import { unconnectedIrq } from "./device.ts";
import { StateReader } from "./state_check.ts";

/** PM timer frequency (ACPI 6.4, 4.8.2.1: "3.579545 MHz"). */
export const ACPI_PM_TIMER_HZ = 3_579_545;
/** Where the machine maps the block (PIIX4 PMBA as QEMU programs it; ACPI only needs the FADT to agree). */
export const ACPI_PM_CONVENTIONAL_BASE = 0x600;
/** Bytes the block decodes. */
export const ACPI_PM_BLOCK_LENGTH = 12;

// Register offsets within the block (PIIX4 layout; ACPI 4.8.3.1 puts PM1_EN right after PM1_STS).
/** PM1a_STS, 16 bits: PM1a_EVT_BLK + 0 (ACPI 4.8.3.1.1). */
export const PM1_STS = 0;
/** PM1a_EN, 16 bits: PM1a_EVT_BLK + PM1_EVT_LEN/2 (ACPI 4.8.3.1.2). */
export const PM1_EN = 2;
/** PM1a_CNT, 16 bits: PM1a_CNT_BLK (ACPI 4.8.3.2.1). */
export const PM1_CNT = 4;
/** PM_TMR, 32 bits: PM_TMR_BLK (ACPI 4.8.3.3). */
export const PM_TMR = 8;
/** FADT PM1_EVT_LEN: status and enable, 2 bytes each. */
export const PM1_EVT_LEN = 4;
/** FADT PM1_CNT_LEN. */
export const PM1_CNT_LEN = 2;
/** FADT PM_TMR_LEN. */
export const PM_TMR_LEN = 4;

// PM1 status bits (ACPI 6.4, Table 4.16 "PM1 Status Registers Fixed Hardware Feature Status Bits").
/** Bit 0 TMR_STS: the timer's most significant bit toggled. */
export const PM1_STS_TMR = 0x0001;
/** Bit 4 BM_STS: bus master activity (never set here). */
export const PM1_STS_BM = 0x0010;
/** Bit 5 GBL_STS: firmware released the global lock (never set here: no firmware). */
export const PM1_STS_GBL = 0x0020;
/** Bit 8 PWRBTN_STS: the fixed power button was pressed. */
export const PM1_STS_PWRBTN = 0x0100;
/** Bit 9 SLPBTN_STS: the fixed sleep button was pressed (no such button here). */
export const PM1_STS_SLPBTN = 0x0200;
/** Bit 10 RTC_STS: RTC alarm wake (FADT FIX_RTC = 1: not supported). */
export const PM1_STS_RTC = 0x0400;
/** Bit 15 WAK_STS: the system woke from a sleeping state. */
export const PM1_STS_WAK = 0x8000;
/** Status bits this model can set; the rest read 0. */
export const PM1_STS_IMPLEMENTED = PM1_STS_TMR | PM1_STS_PWRBTN | PM1_STS_WAK;

// PM1 enable bits (ACPI 6.4, Table 4.17 "PM1 Enable Registers Fixed Hardware Feature Enable Bits").
/** Bit 0 TMR_EN: SCI when TMR_STS is set. */
export const PM1_EN_TMR = 0x0001;
/** Bit 5 GBL_EN: SCI when GBL_STS is set. */
export const PM1_EN_GBL = 0x0020;
/** Bit 8 PWRBTN_EN: SCI when PWRBTN_STS is set. */
export const PM1_EN_PWRBTN = 0x0100;
/** Bit 9 SLPBTN_EN. */
export const PM1_EN_SLPBTN = 0x0200;
/** Bit 10 RTC_EN. */
export const PM1_EN_RTC = 0x0400;
/** Enable bits that are stored (reserved bits read 0). */
export const PM1_EN_WRITABLE = PM1_EN_TMR | PM1_EN_GBL | PM1_EN_PWRBTN | PM1_EN_SLPBTN | PM1_EN_RTC;

// PM1 control bits (ACPI 6.4, Table 4.18 "PM1 Control Registers Fixed Hardware Feature Control Bits").
/** Bit 0 SCI_EN: events raise SCI (1) rather than SMI (0). */
export const PM1_CNT_SCI_EN = 0x0001;
/** Bit 1 BM_RLD: bus master requests take the processor out of C3. */
export const PM1_CNT_BM_RLD = 0x0002;
/** Bit 2 GBL_RLS: write-only, releases the global lock to firmware. */
export const PM1_CNT_GBL_RLS = 0x0004;
/** Bits 12-10 SLP_TYPx: the sleeping state entered when SLP_EN is written. */
export const PM1_CNT_SLP_TYP_MASK = 0x1c00;
/** Shift of SLP_TYPx. */
export const PM1_CNT_SLP_TYP_SHIFT = 10;
/** Bit 13 SLP_EN: write-only, enters the state SLP_TYPx selects; reads 0. */
export const PM1_CNT_SLP_EN = 0x2000;
/** Bits that are stored and read back. */
export const PM1_CNT_STORED = PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP_MASK;

/**
 * SLP_TYP value that means S5, soft off. ACPI leaves the encoding to the platform, which reports it
 * in \_S5 (ACPI 7.4.2.6); the DSDT built by acpi_tables.ts names \_S5 = Package {5, 5, 0, 0}.
 */
export const ACPI_SLP_TYP_S5 = 5;

/** Significant bits of PM_TMR (24; FADT flag TMR_VAL_EXT = 0). */
export const PM_TMR_BITS = 24;
const PM_TMR_MODULUS = 2 ** PM_TMR_BITS;
/** TMR_STS is set each time bit 23 toggles: every 2^23 ticks (ACPI 4.8.2.1). */
const PM_TMR_STATUS_PERIOD = 2 ** (PM_TMR_BITS - 1);

const STATE_VERSION = 1;
const DEVICE_NAME = "acpi_pm";

export interface AcpiPmOptions {
  /** Current time in PM timer ticks (3.579545 MHz), never decreasing. Default: always 0. */
  clock?: () => number;
  /** The SCI, level-triggered, asserted (true) while an enabled event is pending. IRQ9 on a PC. */
  sci?: IrqLine;
  /** The guest entered S5: power the machine off. */
  onPowerOff?: () => void;
  /** The guest asked for an unsupported sleep state (SLP_TYP other than S5). */
  onSleep?: (slpTyp: number) => void;
}

/** Plain-data state of an AcpiPm. */
export interface AcpiPmState {
  version: number;
  status: number;
  enable: number;
  control: number;
  /** Halves of the timer period (2^23 ticks) already reflected in TMR_STS, relative to the clock at save(). */
  timerPeriodsBehind: number;
}

export class AcpiPm implements Device {
  private readonly clock: () => number;
  private readonly sci: IrqLine;
  private readonly onPowerOff: () => void;
  private readonly onSleep: (slpTyp: number) => void;
  private status = 0;
  private enable = 0;
  private control = PM1_CNT_SCI_EN;
  /** floor(clock / 2^23) when TMR_STS was last brought up to date. */
  private timerPeriodsSeen = 0;
  private sciLevel = false;

  constructor(options: AcpiPmOptions = {}) {
    this.clock = options.clock ?? (() => 0);
    this.sci = options.sci ?? unconnectedIrq;
    this.onPowerOff = options.onPowerOff ?? (() => {});
    this.onSleep = options.onSleep ?? (() => {});
    this.timerPeriodsSeen = this.timerPeriods();
  }

  read(offset: number, size: AccessSize): number {
    this.update();
    const now = this.ticks();
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(offset + i, now) << (8 * i);
    return value >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.update();
    // Gather the byte lanes each 16-bit register receives, then act once per register, so a
    // 16-bit write to PM1_CNT sees SLP_TYP and SLP_EN together.
    const lanes = new Map<number, { value: number; mask: number }>();
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const register = at & ~1;
      if (register !== PM1_STS && register !== PM1_EN && register !== PM1_CNT) continue;
      const shift = 8 * (at & 1);
      const lane = lanes.get(register) ?? { value: 0, mask: 0 };
      lane.value |= ((value >>> (8 * i)) & 0xff) << shift;
      lane.mask |= 0xff << shift;
      lanes.set(register, lane);
    }
    for (const [register, { value: v, mask }] of lanes) {
      if (register === PM1_STS) this.status &= ~(v & mask); // write 1 to clear (4.8.3.1.1)
      else if (register === PM1_EN) this.enable = (this.enable & ~mask) | (v & mask & PM1_EN_WRITABLE);
      else this.writeControl(v, mask);
    }
    this.driveSci();
  }

  /** PM_TMR now: the 24-bit free-running count. */
  timerValue(): number {
    return Math.floor(this.ticks()) % PM_TMR_MODULUS;
  }

  /**
   * Bring TMR_STS up to date with the clock and drive the SCI. Call it when nextEventTicks() says
   * an event is due; register accesses call it themselves.
   */
  update(): void {
    const periods = this.timerPeriods();
    if (periods > this.timerPeriodsSeen) this.status |= PM1_STS_TMR;
    this.timerPeriodsSeen = periods;
    this.driveSci();
  }

  /**
   * PM timer ticks from now until the timer can next raise the SCI (its MSB toggles with TMR_EN and
   * SCI_EN set), or Infinity if nothing timed is pending.
   */
  nextEventTicks(): number {
    if ((this.enable & PM1_EN_TMR) === 0 || (this.control & PM1_CNT_SCI_EN) === 0) return Infinity;
    if (this.status & PM1_STS_TMR) return Infinity; // already pending until the guest clears it
    const now = this.ticks();
    return (Math.floor(now / PM_TMR_STATUS_PERIOD) + 1) * PM_TMR_STATUS_PERIOD - now;
  }

  /** Press the fixed-feature power button (ACPI 4.8.2.2.1.1): PWRBTN_STS, SCI if enabled. */
  pressPowerButton(): void {
    this.status |= PM1_STS_PWRBTN;
    this.driveSci();
  }

  /** Whether the SCI is asserted. */
  get sciAsserted(): boolean {
    return this.sciLevel;
  }

  reset(): void {
    this.status = 0;
    this.enable = 0;
    this.control = PM1_CNT_SCI_EN;
    this.timerPeriodsSeen = this.timerPeriods();
    this.driveSci();
  }

  save(): AcpiPmState {
    this.update();
    return {
      version: STATE_VERSION,
      status: this.status,
      enable: this.enable,
      control: this.control,
      timerPeriodsBehind: this.timerPeriods() - this.timerPeriodsSeen,
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const status = s.int("status", 0, 0xffff);
    const enable = s.int("enable", 0, 0xffff);
    const control = s.int("control", 0, 0xffff);
    const behind = s.int("timerPeriodsBehind", 0, Number.MAX_SAFE_INTEGER);
    if (status & ~PM1_STS_IMPLEMENTED) s.fail(`status has bits 0x${(status & ~PM1_STS_IMPLEMENTED).toString(16)} this device never sets`);
    if (enable & ~PM1_EN_WRITABLE) s.fail(`enable has reserved bits 0x${(enable & ~PM1_EN_WRITABLE).toString(16)}`);
    if (control & ~PM1_CNT_STORED) s.fail(`control has bits 0x${(control & ~PM1_CNT_STORED).toString(16)} that are not stored`);
    this.status = status;
    this.enable = enable;
    this.control = control;
    this.timerPeriodsSeen = this.timerPeriods() - behind;
    // Re-drive the SCI from the restored state, even if the level looks unchanged.
    this.sciLevel = this.sciPending();
    this.sci(this.sciLevel);
  }

  private readByte(offset: number, now: number): number {
    const register = offset & ~1;
    const shift = 8 * (offset & 1);
    if (register === PM1_STS) return (this.status >> shift) & 0xff;
    if (register === PM1_EN) return (this.enable >> shift) & 0xff;
    if (register === PM1_CNT) return (this.control >> shift) & 0xff;
    if (offset >= PM_TMR && offset < PM_TMR + PM_TMR_LEN) {
      return ((Math.floor(now) % PM_TMR_MODULUS) >>> (8 * (offset - PM_TMR))) & 0xff;
    }
    return 0xff; // 6-7 and beyond 11: not decoded
  }

  private writeControl(value: number, mask: number): void {
    this.control = (this.control & ~(mask & PM1_CNT_STORED)) | (value & mask & PM1_CNT_STORED);
    if ((value & mask & PM1_CNT_SLP_EN) === 0) return;
    const slpTyp = (this.control & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;
    if (slpTyp === ACPI_SLP_TYP_S5) {
      this.onPowerOff();
      return;
    }
    this.onSleep(slpTyp);
    this.status |= PM1_STS_WAK; // woke at once (see the header)
  }

  private ticks(): number {
    return this.clock();
  }

  private timerPeriods(): number {
    return Math.floor(this.ticks() / PM_TMR_STATUS_PERIOD);
  }

  private sciPending(): boolean {
    return (this.control & PM1_CNT_SCI_EN) !== 0 && (this.status & this.enable) !== 0;
  }

  private driveSci(): void {
    const level = this.sciPending();
    if (level === this.sciLevel) return;
    this.sciLevel = level;
    this.sci(level);
  }
}
