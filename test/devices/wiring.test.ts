// The devices wired as on a PC: PIT counter 0 → IRQ0 and COM1 → IRQ4 on the cascaded PICs.
import { expect, test } from "vitest";
import { DualPic, PIC_COMMAND, PIC_DATA, OCW2_NONSPECIFIC_EOI } from "../../src/devices/pic8259.ts";
import { PIT_CONTROL, PIT_COUNTER_0, Pit8254 } from "../../src/devices/pit8254.ts";
import { IER_ERBFI, UART_IER, Uart16550 } from "../../src/devices/uart16550.ts";

function pc() {
  const clock = { now: 0 };
  const pics = new DualPic();
  const pit = new Pit8254({ clock: () => clock.now, irq: pics.irqLine(0) });
  const uart = new Uart16550({ irq: pics.irqLine(4) });
  for (const [chip, base, id] of [[pics.master, 0x20, 0x04], [pics.slave, 0x28, 0x02]] as const) {
    chip.write(PIC_COMMAND, 1, 0x11);
    chip.write(PIC_DATA, 1, base);
    chip.write(PIC_DATA, 1, id);
    chip.write(PIC_DATA, 1, 0x01);
  }
  return { clock, pics, pit, uart };
}

test("a mode 2 PIT ticks IRQ0 once per period through the edge-triggered PIC", () => {
  const { clock, pics, pit } = pc();
  pit.write(PIT_CONTROL, 1, 0x34); // counter 0, LSB/MSB, mode 2
  pit.write(PIT_COUNTER_0, 1, 100);
  pit.write(PIT_COUNTER_0, 1, 0);
  // Programming mode 2 raised OUT from mode 0's low: that edge is a first tick, as on hardware.
  expect(pics.acknowledge()).toBe(0x20);
  pics.master.write(PIC_COMMAND, 1, OCW2_NONSPECIFIC_EOI);
  let ticks = 0;
  for (let i = 0; i < 10; i++) {
    clock.now += pit.nextEventTicks();
    pit.update();
    if (pics.hasPendingInterrupt()) {
      expect(pics.acknowledge()).toBe(0x20);
      pics.master.write(PIC_COMMAND, 1, OCW2_NONSPECIFIC_EOI);
      ticks++;
    }
  }
  // Loaded at 1, OUT falls at 100 and rises at 101, then every 100: ten transitions end at 501.
  expect(clock.now).toBe(501);
  expect(ticks).toBe(5);
});

test("COM1 received data raises IRQ4", () => {
  const { pics, uart } = pc();
  uart.write(UART_IER, 1, IER_ERBFI);
  uart.receive([0x41]);
  expect(pics.acknowledge()).toBe(0x24);
});
