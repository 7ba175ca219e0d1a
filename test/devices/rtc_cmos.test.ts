// One test per register behaviour of the MC146818A RTC/CMOS model; expected values from the
// MC146818A datasheet (sections named in each describe block) and the PC/AT CMOS map.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  CMOS_BASE_MEMORY_LOW,
  CMOS_CENTURY,
  CMOS_CHECKSUM_HIGH,
  CMOS_CHECKSUM_LOW,
  CMOS_EQUIPMENT,
  CMOS_EXTENDED_MEMORY_LOW,
  CMOS_EXTENDED_MEMORY_POST_LOW,
  CMOS_MEMORY_ABOVE_16M_LOW,
  CMOS_SHUTDOWN_STATUS,
  periodicRateHz,
  REG_A_UIP,
  REG_B_24H,
  REG_B_AIE,
  REG_B_DM_BINARY,
  REG_B_PIE,
  REG_B_SET,
  REG_B_UIE,
  REG_C_AF,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_UF,
  REG_D_VRT,
  RTC_DATA,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_INDEX,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_MONTH,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_YEAR,
  RtcCmos,
  rtcClockFrom,
} from "../../src/devices/rtc_cmos.ts";

// 2024-02-29 13:45:56.250 UTC, a Thursday.
const START = Date.UTC(2024, 1, 29, 13, 45, 56, 250);

function setup(memoryBytes?: number) {
  const guest = { ms: 0 };
  const irq: boolean[] = [];
  const rtc = new RtcCmos({ clock: rtcClockFrom(START, () => guest.ms), irq: (l) => irq.push(l), memoryBytes });
  const r = (index: number) => {
    rtc.write(RTC_INDEX, 1, index);
    return rtc.read(RTC_DATA, 1);
  };
  const w = (index: number, value: number) => {
    rtc.write(RTC_INDEX, 1, index);
    rtc.write(RTC_DATA, 1, value);
  };
  return { rtc, guest, irq, r, w };
}

describe("RtcCmos time and calendar (Table 2)", () => {
  test("BCD, 24-hour by default", () => {
    const { r } = setup();
    expect([r(RTC_SECONDS), r(RTC_MINUTES), r(RTC_HOURS), r(RTC_DAY_OF_WEEK), r(RTC_DAY_OF_MONTH), r(RTC_MONTH), r(RTC_YEAR), r(CMOS_CENTURY)])
      .toEqual([0x56, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20]);
  });

  test("binary when Register B DM = 1", () => {
    const { r, w } = setup();
    w(RTC_REG_B, REG_B_24H | REG_B_DM_BINARY);
    expect([r(RTC_SECONDS), r(RTC_HOURS), r(RTC_YEAR)]).toEqual([56, 13, 24]);
  });

  test("12-hour mode: hours 1-12 with bit 7 = PM", () => {
    const { r, w } = setup();
    w(RTC_REG_B, 0);
    expect(r(RTC_HOURS)).toBe(0x81);
  });

  test("the time advances with the injected clock", () => {
    const { r, guest } = setup();
    guest.ms = 3_750; // 13:46:00.000
    expect([r(RTC_SECONDS), r(RTC_MINUTES)]).toEqual([0x00, 0x46]);
  });

  test("writes with SET hold the time; clearing SET resumes from the written time", () => {
    const { r, w, guest } = setup();
    w(RTC_REG_B, REG_B_24H | REG_B_SET);
    w(RTC_HOURS, 0x08);
    w(RTC_YEAR, 0x99);
    w(CMOS_CENTURY, 0x19);
    guest.ms = 10_000;
    expect(r(RTC_SECONDS)).toBe(0x56); // frozen
    w(RTC_REG_B, REG_B_24H);
    guest.ms = 12_000;
    expect([r(RTC_SECONDS), r(RTC_HOURS), r(RTC_YEAR), r(CMOS_CENTURY)]).toEqual([0x58, 0x08, 0x99, 0x19]);
  });

  test("12-hour writes: 12 AM is hour 0", () => {
    const { r, w } = setup();
    w(RTC_REG_B, 0);
    w(RTC_HOURS, 0x12);
    w(RTC_REG_B, REG_B_24H);
    expect(r(RTC_HOURS)).toBe(0x00);
  });
});

describe("RtcCmos status registers", () => {
  test("Register A stores DV and RS; UIP is read-only and set in the last 244 µs of a second", () => {
    const { r, w, guest } = setup();
    expect(r(RTC_REG_A)).toBe(0x26);
    w(RTC_REG_A, 0xaf);
    expect(r(RTC_REG_A)).toBe(0x2f);
    guest.ms = 749.9; // 56.9999 s
    expect(r(RTC_REG_A) & REG_A_UIP).toBe(REG_A_UIP);
    guest.ms = 750.1;
    expect(r(RTC_REG_A) & REG_A_UIP).toBe(0);
  });

  test("Register D reads VRT and ignores writes", () => {
    const { r, w } = setup();
    w(RTC_REG_D, 0);
    expect(r(RTC_REG_D)).toBe(REG_D_VRT);
  });

  test("setting SET clears UIE", () => {
    const { r, w } = setup();
    w(RTC_REG_B, REG_B_UIE | REG_B_24H);
    w(RTC_REG_B, REG_B_SET | REG_B_UIE | REG_B_24H);
    expect(r(RTC_REG_B)).toBe(REG_B_SET | REG_B_24H);
  });

  test("the index port is write-only and bit 7 is the NMI mask", () => {
    const { rtc } = setup();
    rtc.write(RTC_INDEX, 1, 0x80 | RTC_REG_D);
    expect(rtc.nmiDisabled).toBe(true);
    expect(rtc.read(RTC_DATA, 1)).toBe(REG_D_VRT);
    expect(rtc.read(RTC_INDEX, 1)).toBe(0xff);
  });
});

describe("RtcCmos interrupts (Register C, Table 4)", () => {
  test("periodic rates follow RS", () => {
    expect([0, 1, 2, 3, 6, 15].map(periodicRateHz)).toEqual([0, 256, 128, 8192, 1024, 2]);
  });

  test("PF sets at the periodic rate and raises IRQ8 with PIE; reading C clears it", () => {
    const { rtc, r, w, guest, irq } = setup();
    w(RTC_REG_A, 0x2f); // 2 Hz
    w(RTC_REG_B, REG_B_24H | REG_B_PIE);
    expect(rtc.nextEventMs()).toBeCloseTo(250);
    guest.ms = 250;
    rtc.update();
    expect(irq).toEqual([true]);
    expect(r(RTC_REG_C)).toBe(REG_C_IRQF | REG_C_PF);
    expect(irq).toEqual([true, false]);
    expect(r(RTC_REG_C)).toBe(0);
  });

  test("UF sets at each update and raises IRQ8 with UIE", () => {
    const { rtc, r, w, guest, irq } = setup();
    w(RTC_REG_B, REG_B_24H | REG_B_UIE);
    expect(rtc.nextEventMs()).toBe(750);
    guest.ms = 750;
    rtc.update();
    expect(irq).toEqual([true]);
    expect(r(RTC_REG_C) & (REG_C_UF | REG_C_IRQF)).toBe(REG_C_UF | REG_C_IRQF);
  });

  test("a flag without its enable is visible but does not raise IRQ8", () => {
    const { r, guest, irq } = setup();
    guest.ms = 800;
    expect(r(RTC_REG_C)).toBe(REG_C_UF | REG_C_PF);
    expect(irq).toEqual([]);
  });

  test("AF sets when the time matches the alarm; 0xC0-0xFF bytes match anything", () => {
    const { rtc, r, w, guest, irq } = setup();
    w(RTC_SECONDS_ALARM, 0x58);
    w(RTC_MINUTES_ALARM, 0xff);
    w(RTC_HOURS_ALARM, 0x13);
    w(RTC_REG_B, REG_B_24H | REG_B_AIE);
    guest.ms = 750; // 13:45:57
    rtc.update();
    expect(irq).toEqual([]);
    guest.ms = 1_750; // 13:45:58
    rtc.update();
    expect(irq).toEqual([true]);
    expect(r(RTC_REG_C) & REG_C_AF).toBe(REG_C_AF);
  });
});

describe("RtcCmos NVRAM (PC/AT layout)", () => {
  test("114 bytes of RAM from 0x0E read back what was written", () => {
    const { r, w } = setup();
    w(CMOS_SHUTDOWN_STATUS, 0x0a);
    w(0x7f, 0x5a);
    expect([r(CMOS_SHUTDOWN_STATUS), r(0x7f)]).toEqual([0x0a, 0x5a]);
  });

  test("memory size bytes: 640 KiB base, extended KiB, 64 KiB units above 16 MiB, checksum", () => {
    const { r } = setup(32 << 20);
    const word = (low: number) => r(low) | (r(low + 1) << 8);
    expect(word(CMOS_BASE_MEMORY_LOW)).toBe(640);
    expect(word(CMOS_EXTENDED_MEMORY_LOW)).toBe(31 * 1024);
    expect(word(CMOS_EXTENDED_MEMORY_POST_LOW)).toBe(31 * 1024);
    expect(word(CMOS_MEMORY_ABOVE_16M_LOW)).toBe((16 << 20) >> 16);
    expect(r(CMOS_EQUIPMENT)).toBe(0x02);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += r(i);
    expect((r(CMOS_CHECKSUM_HIGH) << 8) | r(CMOS_CHECKSUM_LOW)).toBe(sum);
  });

  test("extended memory saturates at 65535 KiB", () => {
    const { r } = setup(1024 << 20);
    expect(r(CMOS_EXTENDED_MEMORY_LOW) | (r(CMOS_EXTENDED_MEMORY_LOW + 1) << 8)).toBe(0xffff);
  });
});

describe("RtcCmos state", () => {
  test("save → restore round-trips time offset, registers and NVRAM", () => {
    const a = setup();
    a.w(RTC_REG_B, REG_B_24H | REG_B_SET);
    a.w(RTC_HOURS, 0x02);
    a.w(RTC_REG_B, REG_B_24H | REG_B_PIE);
    a.w(0x40, 0x77);
    const state = a.rtc.save();
    const b = setup();
    b.rtc.restore(structuredClone(state));
    expect(b.rtc.save()).toEqual(state);
    expect(b.r(RTC_HOURS)).toBe(0x02);
    expect(b.r(0x40)).toBe(0x77);
  });

  test("restore rejects malformed state and leaves the device unchanged", () => {
    const { rtc } = setup();
    const good = rtc.save();
    expect(() => rtc.restore({ ...good, nvram: [1, 2, 3] })).toThrow(DeviceStateError);
    expect(() => rtc.restore({ ...good, flags: REG_C_IRQF })).toThrow(/flags/);
    expect(() => rtc.restore({ ...good, offsetMs: "soon" })).toThrow(/offsetMs/);
    expect(rtc.save()).toEqual(good);
  });

  test("reset clears interrupt enables and flags but keeps the time", () => {
    const { rtc, r, w } = setup();
    w(RTC_REG_B, REG_B_24H | REG_B_PIE | REG_B_UIE);
    rtc.reset();
    expect(r(RTC_REG_B)).toBe(REG_B_24H);
    expect(r(RTC_SECONDS)).toBe(0x56);
  });
});
