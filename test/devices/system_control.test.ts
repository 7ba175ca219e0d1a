import { describe, expect, it } from "vitest";
import { SystemControlPort, PORT_B_REFRESH, PORT_B_TIMER2_GATE, PORT_B_TIMER2_OUT } from "../../src/devices/system_control.ts";
import { Pit8254 } from "../../src/devices/pit8254.ts";

describe("system control port B (0x61)", () => {
  it("drives PIT counter 2's gate from bit 0 and reads its OUT in bit 5", () => {
    let now = 0;
    const pit = new Pit8254({ clock: () => now });
    const port = new SystemControlPort({ setTimer2Gate: (level) => pit.setGate(2, level), timer2Out: () => pit.out(2) });
    // Counter 2, mode 0 (OUT goes high at terminal count), count 10 (8254 datasheet, mode 0).
    pit.write(3, 1, 0xb0);
    pit.write(2, 1, 10);
    pit.write(2, 1, 0);
    port.write(0, 1, PORT_B_TIMER2_GATE);
    expect(port.read(0, 1) & PORT_B_TIMER2_OUT).toBe(0);
    now += 20;
    expect(port.read(0, 1) & PORT_B_TIMER2_OUT).toBe(PORT_B_TIMER2_OUT);
    expect(port.read(0, 1) & PORT_B_TIMER2_GATE).toBe(PORT_B_TIMER2_GATE);
  });

  it("keeps only the gate and speaker bits, and toggles refresh with time", () => {
    let ns = 0;
    const port = new SystemControlPort({ clockNs: () => ns });
    port.write(0, 1, 0xff);
    expect(port.read(0, 1) & 0x0f).toBe(0x03);
    const first = port.read(0, 1) & PORT_B_REFRESH;
    ns += 15_085;
    expect(port.read(0, 1) & PORT_B_REFRESH).not.toBe(first);
  });

  it("round-trips its state and refuses malformed state", () => {
    const port = new SystemControlPort();
    port.write(0, 1, 0x03);
    const copy = new SystemControlPort();
    copy.restore(port.save());
    expect(copy.read(0, 1) & 0x03).toBe(0x03);
    expect(() => copy.restore({ value: 0x80 })).toThrow(/gate and speaker/);
  });
});
