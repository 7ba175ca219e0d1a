// One test per register behaviour of the 16550A model; expected values come from the PC16550D
// datasheet sections named in each comment.
import { describe, expect, test } from "vitest";
import { DeviceStateError } from "../../src/devices/device.ts";
import {
  FCR_FIFO_ENABLE,
  FCR_RX_RESET,
  FCR_TRIGGER_1,
  FCR_TRIGGER_14,
  FCR_TRIGGER_4,
  FCR_TRIGGER_8,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IIR_CHARACTER_TIMEOUT,
  IIR_FIFOS_ENABLED,
  IIR_MODEM_STATUS,
  IIR_NO_INTERRUPT,
  IIR_RECEIVED_DATA,
  IIR_RECEIVER_LINE_STATUS,
  IIR_THR_EMPTY,
  LCR_DLAB,
  LSR_DATA_READY,
  LSR_OVERRUN,
  LSR_THR_EMPTY,
  LSR_TRANSMITTER_EMPTY,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DCTS,
  MSR_DDSR,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_SCR,
  UART_THR,
  Uart16550,
} from "../../src/devices/uart16550.ts";

function setup(options: { out2GatesIrq?: boolean } = {}) {
  const sent: number[] = [];
  const irqLog: boolean[] = [];
  const uart = new Uart16550({
    irq: (level) => irqLog.push(level),
    onTransmit: (byte) => sent.push(byte),
    out2GatesIrq: options.out2GatesIrq,
  });
  const rd = (offset: number) => uart.read(offset, 1);
  const wr = (offset: number, value: number) => uart.write(offset, 1, value);
  return { uart, sent, irqLog, rd, wr };
}

describe("Uart16550 registers", () => {
  test("power-on values follow the reset table (Table III): IIR 01, LSR 60, LCR/MCR/IER 00", () => {
    const { rd } = setup();
    expect(rd(UART_IER)).toBe(0);
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
    expect(rd(UART_LCR)).toBe(0);
    expect(rd(UART_MCR)).toBe(0);
    expect(rd(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY);
  });

  test("DLAB switches offsets 0 and 1 to the divisor latch (Table II, Programmable Baud Generator)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_IER, IER_ERBFI);
    wr(UART_LCR, LCR_DLAB | 0x03);
    wr(UART_DLL, 0x0c);
    wr(UART_DLM, 0x01);
    expect(rd(UART_DLL)).toBe(0x0c);
    expect(rd(UART_DLM)).toBe(0x01);
    expect(uart.divisor).toBe(0x010c);
    wr(UART_LCR, 0x03);
    expect(rd(UART_IER)).toBe(IER_ERBFI); // IER was untouched by the DLM write
    expect(rd(UART_LCR)).toBe(0x03);
  });

  test("a THR write with DLAB set goes to DLL, not to the line", () => {
    const { sent, rd, wr } = setup();
    wr(UART_LCR, LCR_DLAB);
    wr(UART_THR, 0x41);
    expect(sent).toEqual([]);
    expect(rd(UART_DLL)).toBe(0x41);
  });

  test("IER bits 4-7 and MCR bits 5-7 are always 0 (Interrupt Enable / MODEM Control Register)", () => {
    const { rd, wr } = setup();
    wr(UART_IER, 0xff);
    expect(rd(UART_IER)).toBe(0x0f);
    wr(UART_MCR, 0xef); // everything but LOOP
    expect(rd(UART_MCR)).toBe(0x0f);
  });

  test("LCR holds all eight bits (Line Control Register)", () => {
    const { rd, wr } = setup();
    wr(UART_LCR, 0x7f);
    expect(rd(UART_LCR)).toBe(0x7f);
  });

  test("the scratch register holds what was written (Scratchpad Register)", () => {
    const { rd, wr } = setup();
    wr(UART_SCR, 0xa5);
    expect(rd(UART_SCR)).toBe(0xa5);
  });

  test("transmitted bytes reach the sink and THR is empty again at once", () => {
    const { sent, rd, wr } = setup();
    for (const c of "hi\n") wr(UART_THR, c.charCodeAt(0));
    expect(String.fromCharCode(...sent)).toBe("hi\n");
    expect(rd(UART_LSR) & (LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY)).toBe(LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY);
  });

  test("wide accesses are split into byte accesses at consecutive offsets", () => {
    const { uart, wr } = setup();
    wr(UART_LCR, LCR_DLAB);
    uart.write(UART_DLL, 2, 0x0203);
    expect(uart.read(UART_DLL, 2)).toBe(0x0203);
  });

  test("guest garbage does not throw: writes to LSR/MSR are ignored, unknown offsets read 0xff", () => {
    const { rd, wr } = setup();
    expect(() => wr(UART_LSR, 0xff)).not.toThrow();
    expect(() => wr(UART_MSR, 0xff)).not.toThrow();
    expect(() => wr(9, 0xff)).not.toThrow();
    expect(rd(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY);
    expect(rd(8)).toBe(0xff);
  });
});

describe("Uart16550 receive path and LSR", () => {
  test("a received byte sets LSR.DR; reading RBR returns it and clears DR (Line Status Register bit 0)", () => {
    const { uart, rd } = setup();
    expect(uart.receive([0x5a])).toBe(1);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(LSR_DATA_READY);
    expect(rd(UART_RBR)).toBe(0x5a);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(0);
  });

  test("without FIFOs a second byte overruns: the new byte replaces RBR and LSR.OE is set (LSR bit 1)", () => {
    const { uart, rd } = setup();
    uart.receive([1, 2]);
    expect(uart.counters.overrunBytes).toBe(1);
    const lsr = rd(UART_LSR);
    expect(lsr & LSR_OVERRUN).toBe(LSR_OVERRUN);
    expect(rd(UART_LSR) & LSR_OVERRUN).toBe(0); // cleared by the read
    expect(rd(UART_RBR)).toBe(2);
  });

  test("with FIFOs 16 bytes fit; the 17th is lost and sets LSR.OE (LSR bit 1, FIFO mode)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_FCR, FCR_FIFO_ENABLE);
    const bytes = Array.from({ length: 17 }, (_, i) => i + 1);
    expect(uart.receiveRoom()).toBe(16);
    expect(uart.receive(bytes)).toBe(16);
    expect(rd(UART_LSR) & LSR_OVERRUN).toBe(LSR_OVERRUN);
    const got: number[] = [];
    while (rd(UART_LSR) & LSR_DATA_READY) got.push(rd(UART_RBR));
    expect(got).toEqual(bytes.slice(0, 16));
  });

  test("changing FCR bit 0 clears the FIFOs, and FCR bit 1 clears the receive FIFO (FIFO Control Register)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_FCR, FCR_FIFO_ENABLE);
    uart.receive([1, 2, 3]);
    wr(UART_FCR, FCR_FIFO_ENABLE | FCR_RX_RESET);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(0);
    uart.receive([4]);
    wr(UART_FCR, 0);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(0);
  });

  test("IIR bits 7-6 report enabled FIFOs (Interrupt Identification Register)", () => {
    const { rd, wr } = setup();
    wr(UART_FCR, FCR_FIFO_ENABLE);
    expect(rd(UART_IIR)).toBe(IIR_FIFOS_ENABLED | IIR_NO_INTERRUPT);
    wr(UART_FCR, 0);
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
  });

  test("host bytes are not received in loopback: the receiver is disconnected (MCR bit 4)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_MCR, MCR_LOOP);
    expect(uart.receiveRoom()).toBe(0);
    expect(uart.receive([1])).toBe(0);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(0);
  });
});

describe("Uart16550 interrupts", () => {
  test.each([
    [FCR_TRIGGER_1, 1],
    [FCR_TRIGGER_4, 4],
    [FCR_TRIGGER_8, 8],
    [FCR_TRIGGER_14, 14],
  ])("FCR trigger bits %i: data available at %i bytes, timeout indication below (FCR bits 6-7, Table IV)", (fcr, level) => {
    const { uart, rd, wr } = setup();
    wr(UART_FCR, FCR_FIFO_ENABLE | fcr);
    wr(UART_IER, IER_ERBFI);
    uart.receive(new Array(level - 1).fill(0x61));
    const below = level === 1 ? IIR_NO_INTERRUPT : IIR_CHARACTER_TIMEOUT;
    expect(rd(UART_IIR)).toBe(IIR_FIFOS_ENABLED | below);
    uart.receive([0x62]);
    expect(rd(UART_IIR)).toBe(IIR_FIFOS_ENABLED | IIR_RECEIVED_DATA);
    expect(uart.irqAsserted).toBe(true);
    rd(UART_RBR); // "reset when the FIFO drops below the trigger level"
    const after = level === 1 ? IIR_NO_INTERRUPT : IIR_CHARACTER_TIMEOUT;
    expect(rd(UART_IIR)).toBe(IIR_FIFOS_ENABLED | after);
  });

  test("FCR trigger bits are not programmed while FCR bit 0 is written as 0 (FIFO Control Register)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_FCR, FCR_TRIGGER_14); // bit 0 = 0: ignored
    wr(UART_FCR, FCR_FIFO_ENABLE); // trigger still 1 byte
    wr(UART_IER, IER_ERBFI);
    uart.receive([1]);
    expect(rd(UART_IIR)).toBe(IIR_FIFOS_ENABLED | IIR_RECEIVED_DATA);
  });

  test("IIR reports the highest priority first: line status, data, THR empty, modem status (Table IV)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_IER, IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI);
    uart.receive([1, 2]); // overrun: OE plus data
    uart.setModemInputs(MSR_DSR | MSR_DCD); // CTS dropped: DCTS
    expect(rd(UART_IIR)).toBe(IIR_RECEIVER_LINE_STATUS);
    rd(UART_LSR); // clears the line status interrupt
    expect(rd(UART_IIR)).toBe(IIR_RECEIVED_DATA);
    rd(UART_RBR); // clears received data
    expect(rd(UART_IIR)).toBe(IIR_THR_EMPTY); // this read also clears it
    expect(rd(UART_IIR)).toBe(IIR_MODEM_STATUS);
    expect(rd(UART_MSR) & MSR_DCTS).toBe(MSR_DCTS); // clears the modem status interrupt
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
    expect(uart.irqAsserted).toBe(false);
  });

  test("setting IER.ETBEI while THR is empty raises the THR-empty interrupt (IER bit 1, Table IV)", () => {
    const { uart, irqLog, rd, wr } = setup();
    wr(UART_IER, IER_ETBEI);
    expect(irqLog).toEqual([true]);
    expect(rd(UART_IIR)).toBe(IIR_THR_EMPTY);
    expect(uart.irqAsserted).toBe(false); // reading IIR cleared it
    expect(irqLog).toEqual([true, false]);
  });

  test("reading IIR clears THR empty; clearing and setting ETBEI raises it again (Linux UART_BUG_THRE probe)", () => {
    const { rd, wr } = setup();
    wr(UART_IER, IER_ETBEI);
    expect(rd(UART_IIR)).toBe(IIR_THR_EMPTY);
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
    wr(UART_IER, IER_ETBEI); // already set: no new interrupt
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
    wr(UART_IER, 0);
    wr(UART_IER, IER_ETBEI);
    expect(rd(UART_IIR)).toBe(IIR_THR_EMPTY);
  });

  test("writing THR clears the THR-empty interrupt, which comes back when THR empties (Table IV)", () => {
    const { uart, irqLog, rd, wr } = setup();
    wr(UART_IER, IER_ETBEI);
    rd(UART_IIR);
    expect(uart.irqAsserted).toBe(false);
    wr(UART_THR, 0x41);
    expect(uart.irqAsserted).toBe(true);
    expect(irqLog).toEqual([true, false, true]);
    expect(rd(UART_IIR)).toBe(IIR_THR_EMPTY);
  });

  test("a THR-empty interrupt is not reported while ETBEI is clear", () => {
    const { uart, rd, wr } = setup();
    wr(UART_THR, 0x41);
    expect(rd(UART_IIR)).toBe(IIR_NO_INTERRUPT);
    expect(uart.irqAsserted).toBe(false);
  });

  test("receiver line status interrupt on overrun, cleared by reading LSR (LSR bits 1-4, Table IV)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_IER, IER_ELSI);
    uart.receive([1, 2]);
    expect(uart.irqAsserted).toBe(true);
    expect(rd(UART_IIR)).toBe(IIR_RECEIVER_LINE_STATUS);
    rd(UART_LSR);
    expect(uart.irqAsserted).toBe(false);
  });

  test("modem input changes set MSR delta bits and the modem status interrupt (MODEM Status Register)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_IER, IER_EDSSI);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    uart.setModemInputs(MSR_CTS | MSR_DCD | MSR_RI);
    expect(uart.irqAsserted).toBe(true);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DCD | MSR_RI | MSR_DDSR);
    expect(uart.irqAsserted).toBe(false);
    uart.setModemInputs(MSR_CTS | MSR_DCD); // RI ends: trailing edge
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DCD | MSR_TERI);
  });

  test("with out2GatesIrq the line is asserted only while MCR.OUT2 is set, as on PC cards", () => {
    const { uart, wr } = setup({ out2GatesIrq: true });
    wr(UART_IER, IER_ETBEI);
    expect(uart.irqAsserted).toBe(false);
    wr(UART_MCR, MCR_OUT2);
    expect(uart.irqAsserted).toBe(true);
  });
});

describe("Uart16550 loopback", () => {
  test("THR bytes loop back to RBR and do not reach the sink (MCR bit 4)", () => {
    const { sent, rd, wr } = setup();
    wr(UART_MCR, MCR_LOOP);
    wr(UART_THR, 0x55);
    expect(sent).toEqual([]);
    expect(rd(UART_LSR) & LSR_DATA_READY).toBe(LSR_DATA_READY);
    expect(rd(UART_RBR)).toBe(0x55);
  });

  test("modem outputs drive the modem inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD (MCR bit 4)", () => {
    const { rd, wr } = setup();
    wr(UART_MCR, MCR_LOOP);
    rd(UART_MSR); // clear the deltas from entering loopback
    wr(UART_MCR, MCR_LOOP | MCR_RTS);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DCTS);
    wr(UART_MCR, MCR_LOOP | MCR_DTR | MCR_OUT1 | MCR_OUT2);
    expect(rd(UART_MSR) & 0xf0).toBe(MSR_DSR | MSR_RI | MSR_DCD);
    wr(UART_MCR, MCR_LOOP | MCR_DTR | MCR_OUT2); // OUT1 (RI) falls: TERI
    expect(rd(UART_MSR) & MSR_TERI).toBe(MSR_TERI);
  });

  test("loopback interrupts work: received data from a looped byte (MCR bit 4: interrupts operational)", () => {
    const { uart, rd, wr } = setup();
    wr(UART_MCR, MCR_LOOP);
    wr(UART_IER, IER_ERBFI);
    wr(UART_THR, 0x31);
    expect(uart.irqAsserted).toBe(true);
    expect(rd(UART_IIR)).toBe(IIR_RECEIVED_DATA);
  });

  test("looped bytes overrun the receive FIFO like line bytes do", () => {
    const { rd, wr } = setup();
    wr(UART_MCR, MCR_LOOP);
    wr(UART_FCR, FCR_FIFO_ENABLE);
    for (let i = 0; i < 17; i++) wr(UART_THR, i);
    expect(rd(UART_LSR) & LSR_OVERRUN).toBe(LSR_OVERRUN);
  });
});

describe("Uart16550 state", () => {
  function busyUart() {
    const t = setup();
    t.wr(UART_LCR, LCR_DLAB);
    t.wr(UART_DLL, 3);
    t.wr(UART_LCR, 0x1b);
    t.wr(UART_FCR, FCR_FIFO_ENABLE | FCR_TRIGGER_8);
    t.wr(UART_IER, IER_ERBFI | IER_ETBEI | IER_EDSSI);
    t.wr(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    t.wr(UART_SCR, 0x77);
    t.uart.receive([10, 20, 30]);
    t.uart.setModemInputs(MSR_CTS);
    return t;
  }

  test("save → restore round-trips all state and re-raises the interrupt", () => {
    const a = busyUart();
    const state = a.uart.save();
    const b = setup();
    b.uart.restore(structuredClone(state));
    expect(b.uart.save()).toEqual(state);
    expect(b.irqLog.at(-1)).toBe(true);
    expect(b.rd(UART_IIR)).toBe(a.rd(UART_IIR));
    expect([b.rd(UART_RBR), b.rd(UART_RBR), b.rd(UART_RBR)]).toEqual([10, 20, 30]);
    expect(b.uart.divisor).toBe(3);
  });

  test("restore after the FIFO ring has wrapped keeps byte order", () => {
    const a = setup();
    a.wr(UART_FCR, FCR_FIFO_ENABLE);
    a.uart.receive(new Array(12).fill(0));
    for (let i = 0; i < 12; i++) a.rd(UART_RBR);
    a.uart.receive([1, 2, 3, 4, 5, 6]);
    const b = setup();
    b.uart.restore(a.uart.save());
    const got: number[] = [];
    while (b.rd(UART_LSR) & LSR_DATA_READY) got.push(b.rd(UART_RBR));
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test.each([
    ["not an object", 42, /state is not an object/],
    ["a wrong version", { version: 99 }, /version is 99, expected 1/],
    ["a missing field", { version: 1 }, /dll is missing/],
  ])("restore rejects %s", (_what, bad, message) => {
    const { uart } = setup();
    expect(() => uart.restore(bad as object)).toThrow(DeviceStateError);
    expect(() => uart.restore(bad as object)).toThrow(message);
  });

  test.each([
    ["ier with bits 4-7", { ier: 0x10 }, /ier 0x10 sets bits 4-7/],
    ["a non-byte register", { lcr: 256 }, /lcr is 256/],
    ["two bytes in RBR with FIFOs off", { fcr: 0, rxFifo: [1, 2] }, /rxFifo holds 2 entries, at most 1/],
    ["17 bytes in the FIFO", { rxFifo: new Array(17).fill(0) }, /at most 16/],
    ["a non-byte FIFO entry", { rxFifo: [1, 300] }, /rxFifo\[1\] is 300/],
    ["modem inputs in the delta bits", { modemInputs: 0x01 }, /modemInputs 0x1/],
    ["a string flag", { thrEmptyPending: "yes" }, /thrEmptyPending is "yes", expected a boolean/],
  ])("restore rejects a malformed state: %s, and leaves the device unchanged", (_what, patch, message) => {
    const { uart } = busyUart();
    const good = uart.save();
    const bad = { ...good, ...patch };
    expect(() => uart.restore(bad)).toThrow(message);
    expect(uart.save()).toEqual(good);
  });

  test("reset returns to power-on values and lowers the interrupt line", () => {
    const { uart, rd } = busyUart();
    uart.reset();
    expect(rd(UART_IER)).toBe(0);
    expect(rd(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY);
    expect(uart.irqAsserted).toBe(false);
  });
});
