// One test per register behaviour of the ACPI PM1a event/control block and PM timer; expected
// values come from the ACPI 6.4 specification, section 4.8 (tables named in each test).
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  ACPI_SLP_TYP_S5,
  AcpiPm,
  PM1_CNT,
  PM1_CNT_SCI_EN,
  PM1_CNT_SLP_EN,
  PM1_CNT_SLP_TYP_SHIFT,
  PM1_EN,
  PM1_EN_PWRBTN,
  PM1_EN_TMR,
  PM1_STS,
  PM1_STS_PWRBTN,
  PM1_STS_TMR,
  PM1_STS_WAK,
  PM_TMR,
} from "../../src/devices/acpi_pm.ts";

function setup() {
  const clock = { now: 0 };
  const sci: boolean[] = [];
  const events: string[] = [];
  const pm = new AcpiPm({
    clock: () => clock.now,
    sci: (level) => sci.push(level),
    onPowerOff: () => events.push("off"),
    onSleep: (typ) => events.push(`sleep ${typ}`),
  });
  return { pm, clock, sci, events };
}

describe("AcpiPm PM timer (4.8.2.1)", () => {
  test("counts clock ticks and wraps at 24 bits", () => {
    const { pm, clock } = setup();
    clock.now = 1234.7;
    expect(pm.read(PM_TMR, 4)).toBe(1234);
    clock.now = 2 ** 24 + 5;
    expect(pm.read(PM_TMR, 4)).toBe(5);
  });

  test("bytes of the timer read its lanes", () => {
    const { pm, clock } = setup();
    clock.now = 0xabcdef;
    expect([pm.read(PM_TMR, 1), pm.read(PM_TMR + 1, 1), pm.read(PM_TMR + 2, 1), pm.read(PM_TMR + 3, 1)]).toEqual([0xef, 0xcd, 0xab, 0]);
  });

  test("writes to the timer are ignored", () => {
    const { pm, clock } = setup();
    clock.now = 100;
    pm.write(PM_TMR, 4, 0);
    expect(pm.read(PM_TMR, 4)).toBe(100);
  });

  test("TMR_STS is set when bit 23 toggles, and raises SCI with TMR_EN", () => {
    const { pm, clock, sci } = setup();
    pm.write(PM1_EN, 2, PM1_EN_TMR);
    expect(pm.nextEventTicks()).toBe(2 ** 23);
    clock.now = 2 ** 23 - 1;
    pm.update();
    expect(pm.read(PM1_STS, 2) & PM1_STS_TMR).toBe(0);
    clock.now = 2 ** 23;
    pm.update();
    expect(pm.read(PM1_STS, 2) & PM1_STS_TMR).toBe(PM1_STS_TMR);
    expect(sci).toEqual([true]);
    expect(pm.nextEventTicks()).toBe(Infinity);
  });

  test("nextEventTicks is Infinity unless TMR_EN and SCI_EN", () => {
    const { pm } = setup();
    expect(pm.nextEventTicks()).toBe(Infinity);
    pm.write(PM1_EN, 2, PM1_EN_TMR);
    pm.write(PM1_CNT, 2, 0);
    expect(pm.nextEventTicks()).toBe(Infinity);
  });
});

describe("AcpiPm PM1 status and enable (Tables 4.16, 4.17)", () => {
  test("status bits are write-1-to-clear and the SCI follows", () => {
    const { pm, sci } = setup();
    pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    pm.pressPowerButton();
    expect(pm.read(PM1_STS, 2)).toBe(PM1_STS_PWRBTN);
    expect(sci).toEqual([true]);
    pm.write(PM1_STS, 2, 0); // writing 0 leaves it
    expect(pm.read(PM1_STS, 2)).toBe(PM1_STS_PWRBTN);
    pm.write(PM1_STS + 1, 1, PM1_STS_PWRBTN >> 8);
    expect(pm.read(PM1_STS, 2)).toBe(0);
    expect(sci).toEqual([true, false]);
  });

  test("a status bit without its enable bit does not raise SCI", () => {
    const { pm, sci } = setup();
    pm.pressPowerButton();
    expect(sci).toEqual([]);
    pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    expect(sci).toEqual([true]);
  });

  test("reserved enable bits read 0", () => {
    const { pm } = setup();
    pm.write(PM1_EN, 2, 0xffff);
    expect(pm.read(PM1_EN, 2)).toBe(0x0721);
  });

  test("a 32-bit access at offset 0 reaches status and enable together", () => {
    const { pm } = setup();
    pm.write(PM1_STS, 4, PM1_EN_PWRBTN << 16);
    pm.pressPowerButton();
    expect(pm.read(PM1_STS, 4)).toBe((PM1_EN_PWRBTN << 16) | PM1_STS_PWRBTN);
  });
});

describe("AcpiPm PM1 control (Table 4.18)", () => {
  test("SCI_EN is 1 after reset (no SMI handler: always ACPI mode)", () => {
    const { pm } = setup();
    expect(pm.read(PM1_CNT, 2)).toBe(PM1_CNT_SCI_EN);
  });

  test("clearing SCI_EN stops the SCI", () => {
    const { pm, sci } = setup();
    pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    pm.pressPowerButton();
    pm.write(PM1_CNT, 2, 0);
    expect(sci).toEqual([true, false]);
  });

  test("SLP_TYP = S5 with SLP_EN powers off; SLP_EN reads 0", () => {
    const { pm, events } = setup();
    const typ = ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT;
    pm.write(PM1_CNT, 2, PM1_CNT_SCI_EN | typ); // OSPM writes SLP_TYP first
    expect(events).toEqual([]);
    pm.write(PM1_CNT, 2, PM1_CNT_SCI_EN | typ | PM1_CNT_SLP_EN);
    expect(events).toEqual(["off"]);
    expect(pm.read(PM1_CNT, 2)).toBe(PM1_CNT_SCI_EN | typ);
  });

  test("a byte write to the high half of PM1_CNT enters the sleep state", () => {
    const { pm, events } = setup();
    pm.write(PM1_CNT + 1, 1, ((ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN) >> 8);
    expect(events).toEqual(["off"]);
    expect(pm.read(PM1_CNT, 1)).toBe(PM1_CNT_SCI_EN);
  });

  test("an unsupported sleep type wakes at once with WAK_STS", () => {
    const { pm, events } = setup();
    pm.write(PM1_CNT, 2, (1 << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
    expect(events).toEqual(["sleep 1"]);
    expect(pm.read(PM1_STS, 2)).toBe(PM1_STS_WAK);
  });
});

describe("AcpiPm state", () => {
  test("save → restore round-trips and re-drives the SCI", () => {
    const a = setup();
    a.pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    a.pm.pressPowerButton();
    const state = a.pm.save();
    const b = setup();
    b.pm.restore(structuredClone(state));
    expect(b.pm.save()).toEqual(state);
    expect(b.sci).toEqual([true]);
  });

  test("restore rejects malformed state and leaves the device unchanged", () => {
    const { pm } = setup();
    pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    const good = pm.save();
    expect(() => pm.restore({ ...good, control: PM1_CNT_SLP_EN })).toThrow(DeviceStateError);
    expect(() => pm.restore({ ...good, version: 99 })).toThrow(/version/);
    expect(() => pm.restore({ ...good, enable: 0x8000 })).toThrow(/reserved/);
    expect(pm.save()).toEqual(good);
  });

  test("reset clears status and enable and sets SCI_EN", () => {
    const { pm } = setup();
    pm.write(PM1_EN, 2, PM1_EN_PWRBTN);
    pm.write(PM1_CNT, 2, 0);
    pm.reset();
    expect(pm.read(PM1_EN, 2)).toBe(0);
    expect(pm.read(PM1_CNT, 2)).toBe(PM1_CNT_SCI_EN);
  });
});
