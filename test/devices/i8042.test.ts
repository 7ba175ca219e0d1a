// One test per behaviour of the 8042 keyboard controller model (IBM PC/AT and PS/2 technical
// references), including the sequence Linux's i8042 probe issues.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  CMD_A20_DISABLE,
  CMD_AUX_DISABLE,
  CMD_AUX_ENABLE,
  CMD_AUX_TEST,
  CMD_KBD_DISABLE,
  CMD_KBD_ENABLE,
  CMD_KBD_TEST,
  CMD_READ_OUTPUT_PORT,
  CMD_READ_RAM,
  CMD_SELF_TEST,
  CMD_WRITE_AUX,
  CMD_WRITE_AUX_OUTPUT,
  CMD_WRITE_KBD_OUTPUT,
  CMD_WRITE_OUTPUT_PORT,
  CMD_WRITE_RAM,
  CTR_AUX_DISABLE,
  CTR_AUX_INT,
  CTR_DEFAULT,
  CTR_KBD_DISABLE,
  CTR_KBD_INT,
  I8042,
  I8042_COMMAND,
  I8042_DATA,
  KBD_ACK,
  KBD_BAT_OK,
  KBD_GET_ID,
  KBD_RESET,
  KBD_SCANCODE_SET,
  KBD_SET_LEDS,
  STATUS_A2,
  STATUS_AUX_DATA,
  STATUS_OBF,
  STATUS_SYS,
  STATUS_TIMEOUT,
  STATUS_UNLOCKED,
} from "../../src/devices/i8042.ts";

function setup() {
  const events: string[] = [];
  const kbdIrq: boolean[] = [];
  const auxIrq: boolean[] = [];
  const kbc = new I8042({
    keyboardIrq: (l) => kbdIrq.push(l),
    auxIrq: (l) => auxIrq.push(l),
    onReset: () => events.push("reset"),
    onA20: (on) => events.push(`a20 ${on}`),
  });
  const command = (c: number) => kbc.write(I8042_COMMAND, 1, c);
  const data = (d: number) => kbc.write(I8042_DATA, 1, d);
  const status = () => kbc.read(I8042_COMMAND, 1);
  const drain = () => {
    const out: number[] = [];
    while (status() & STATUS_OBF) out.push(kbc.read(I8042_DATA, 1));
    return out;
  };
  return { kbc, events, kbdIrq, auxIrq, command, data, status, drain };
}

describe("I8042 status register", () => {
  test("after reset: unlocked, system flag from the command byte, nothing to read", () => {
    const { status } = setup();
    expect(status()).toBe(STATUS_UNLOCKED | STATUS_SYS);
  });

  test("A2 tells whether the last write went to the command port", () => {
    const { status, command, data } = setup();
    command(CMD_KBD_ENABLE);
    expect(status() & STATUS_A2).toBe(STATUS_A2);
    data(0xf4);
    expect(status() & STATUS_A2).toBe(0);
  });
});

describe("I8042 controller commands", () => {
  test("20h reads and 60h writes the command byte", () => {
    const { command, data, drain } = setup();
    command(CMD_READ_RAM);
    expect(drain()).toEqual([CTR_DEFAULT]);
    command(CMD_WRITE_RAM);
    data(0x30);
    command(CMD_READ_RAM);
    expect(drain()).toEqual([0x30]);
  });

  test("controller RAM bytes 1-31 are stored", () => {
    const { command, data, drain } = setup();
    command(CMD_WRITE_RAM + 5);
    data(0x99);
    command(CMD_READ_RAM + 5);
    expect(drain()).toEqual([0x99]);
  });

  test("AAh self test answers 55h; ABh and A9h interface tests answer 00h", () => {
    const { command, drain } = setup();
    command(CMD_SELF_TEST);
    command(CMD_KBD_TEST);
    command(CMD_AUX_TEST);
    expect(drain()).toEqual([0x55, 0x00, 0x00]);
  });

  test("ADh/AEh and A7h/A8h toggle the disable bits of the command byte", () => {
    const { command, drain } = setup();
    command(CMD_KBD_DISABLE);
    command(CMD_AUX_DISABLE);
    command(CMD_READ_RAM);
    expect(drain()[0] & (CTR_KBD_DISABLE | CTR_AUX_DISABLE)).toBe(CTR_KBD_DISABLE | CTR_AUX_DISABLE);
    command(CMD_KBD_ENABLE);
    command(CMD_AUX_ENABLE);
    command(CMD_READ_RAM);
    expect(drain()[0] & (CTR_KBD_DISABLE | CTR_AUX_DISABLE)).toBe(0);
  });

  test("D1h writes the output port: A20 changes are reported, D0h reads it back", () => {
    const { command, data, drain, events, kbc } = setup();
    command(CMD_WRITE_OUTPUT_PORT);
    data(0xdd);
    expect(events).toEqual(["a20 false"]);
    expect(kbc.a20Enabled).toBe(false);
    command(CMD_READ_OUTPUT_PORT);
    expect(drain()).toEqual([0xcd]);
    command(CMD_WRITE_OUTPUT_PORT);
    data(0xdf);
    expect(events).toEqual(["a20 false", "a20 true"]);
  });

  test("DDh disables A20", () => {
    const { command, events } = setup();
    command(CMD_A20_DISABLE);
    expect(events).toEqual(["a20 false"]);
  });

  test("FEh pulses the reset line", () => {
    const { command, events } = setup();
    command(0xfe);
    expect(events).toEqual(["reset"]);
    command(0xff);
    expect(events).toEqual(["reset"]);
  });

  test("writing the output port with bit 0 clear resets the system", () => {
    const { command, data, events } = setup();
    command(CMD_WRITE_OUTPUT_PORT);
    data(0xce);
    expect(events).toEqual(["reset"]);
  });

  test("D2h and D3h put a byte in the output buffer as keyboard or aux data", () => {
    const { command, data, status, kbc } = setup();
    command(CMD_WRITE_AUX_OUTPUT);
    data(0x5a);
    expect(status() & (STATUS_OBF | STATUS_AUX_DATA)).toBe(STATUS_OBF | STATUS_AUX_DATA);
    expect(kbc.read(I8042_DATA, 1)).toBe(0x5a);
    command(CMD_WRITE_KBD_OUTPUT);
    data(0x1c);
    expect(status() & (STATUS_OBF | STATUS_AUX_DATA)).toBe(STATUS_OBF);
  });

  test("D4h to an empty aux port answers FEh with the timeout bit", () => {
    const { command, data, status } = setup();
    command(CMD_WRITE_AUX);
    data(0xff);
    expect(status() & (STATUS_OBF | STATUS_AUX_DATA | STATUS_TIMEOUT)).toBe(STATUS_OBF | STATUS_AUX_DATA | STATUS_TIMEOUT);
  });
});

describe("I8042 interrupts", () => {
  test("IRQ1 follows keyboard data when enabled, with one edge per byte", () => {
    const { data, kbc, kbdIrq } = setup();
    data(KBD_RESET); // FA AA
    expect(kbdIrq).toEqual([true]);
    kbc.read(I8042_DATA, 1);
    kbc.read(I8042_DATA, 1);
    expect(kbdIrq).toEqual([true, false, true, false]);
  });

  test("IRQ12 follows aux data when enabled in the command byte", () => {
    const { command, data, auxIrq } = setup();
    command(CMD_WRITE_RAM);
    data(CTR_AUX_INT);
    command(CMD_WRITE_AUX_OUTPUT);
    data(0xa5);
    expect(auxIrq).toEqual([true]);
  });

  test("no IRQ1 while the command byte disables it", () => {
    const { command, data, kbdIrq } = setup();
    command(CMD_WRITE_RAM);
    data(0);
    command(CMD_SELF_TEST);
    expect(kbdIrq).toEqual([]);
    command(CMD_WRITE_RAM);
    data(CTR_KBD_INT);
    expect(kbdIrq).toEqual([true]);
  });
});

describe("I8042 keyboard", () => {
  test("reset answers ACK then BAT OK", () => {
    const { data, drain } = setup();
    data(KBD_RESET);
    expect(drain()).toEqual([KBD_ACK, KBD_BAT_OK]);
  });

  test("get ID answers ACK AB 83", () => {
    const { data, drain } = setup();
    data(KBD_GET_ID);
    expect(drain()).toEqual([KBD_ACK, 0xab, 0x83]);
  });

  test("commands with an argument ACK both bytes; F0h 00h reports the scan code set", () => {
    const { data, drain } = setup();
    data(KBD_SET_LEDS);
    data(0x07);
    data(KBD_SCANCODE_SET);
    data(0x00);
    expect(drain()).toEqual([KBD_ACK, KBD_ACK, KBD_ACK, KBD_ACK, 2]);
  });

  test("unknown keyboard commands answer resend", () => {
    const { data, drain } = setup();
    data(0x12);
    expect(drain()).toEqual([0xfe]);
  });

  test("host keyboard bytes reach the output buffer while scanning", () => {
    const { data, drain, kbc } = setup();
    kbc.sendKeyboardBytes([0x1e, 0x9e]);
    expect(drain()).toEqual([0x1e, 0x9e]);
    data(0xf5); // disable scanning
    drain();
    kbc.sendKeyboardBytes([0x1e]);
    expect(drain()).toEqual([]);
  });

  test("Linux's probe sequence completes without waiting", () => {
    const { command, data, drain } = setup();
    // i8042_controller_check / selftest / read CTR / aux loop / aux test / write CTR
    drain();
    command(CMD_SELF_TEST);
    expect(drain()).toEqual([0x55]);
    command(CMD_READ_RAM);
    const ctr = drain()[0];
    command(CMD_WRITE_AUX_OUTPUT);
    data(0x5a);
    expect(drain()).toEqual([0x5a]);
    command(CMD_WRITE_RAM);
    data(ctr & ~CTR_KBD_INT);
    data(KBD_RESET);
    expect(drain()).toEqual([KBD_ACK, KBD_BAT_OK]);
    expect(ctr & CTR_KBD_INT).toBe(CTR_KBD_INT);
  });
});

describe("I8042 state", () => {
  test("save → restore round-trips, including queued output, and re-drives IRQs", () => {
    const a = setup();
    a.data(KBD_GET_ID);
    a.command(CMD_KBD_DISABLE);
    const state = a.kbc.save();
    const b = setup();
    b.kbc.restore(structuredClone(state));
    expect(b.kbc.save()).toEqual(state);
    expect(b.kbdIrq).toEqual([true]);
    expect(b.drain()).toEqual([KBD_ACK, 0xab, 0x83]);
  });

  test("restore rejects malformed state and leaves the device unchanged", () => {
    const { kbc } = setup();
    const good = kbc.save();
    expect(() => kbc.restore({ ...good, pendingCommand: 0xaa })).toThrow(DeviceStateError);
    expect(() => kbc.restore({ ...good, queue: [{ value: 300, aux: false, timeout: false }] })).toThrow(/queue\[0\]/);
    expect(kbc.save()).toEqual(good);
  });

  test("the one-port views reach data and command", () => {
    const { kbc } = setup();
    kbc.commandPort.write(0, 1, CMD_SELF_TEST);
    expect(kbc.commandPort.read(0, 1) & STATUS_OBF).toBe(STATUS_OBF);
    expect(kbc.dataPort.read(0, 1)).toBe(0x55);
  });
});
