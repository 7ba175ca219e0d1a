// A National Semiconductor PC16550D (16550A-class) UART with 16-byte FIFOs, written from the
// PC16550D datasheet (June 1995): "Registers" (Table II, register summary and addresses), the
// register sections for LCR, LSR, FCR, IIR, IER, MCR, MSR and SCR, Table IV (interrupt control
// functions) and "FIFO Interrupt Mode Operation". The device knows only its eight register offsets.
//
// Modelling choices, each visible to the guest:
// - Transmission is instantaneous: a byte written to THR reaches the output sink at once, so THR,
//   the transmit FIFO and the transmitter shift register are always empty (LSR.THRE = LSR.TEMT = 1)
//   and the THR-empty interrupt condition comes back right after every THR write.
// - The character timeout (IIR = 0xCC with FIFOs) is reported as soon as the receive FIFO holds
//   data below its trigger level, instead of four character times later.
// - Reading RBR with nothing received returns 0.
// - Only overrun errors occur (the host delivers bytes, not bit streams), so LSR.PE, LSR.FE, LSR.BI
//   and LSR bit 7 stay 0.
// - Optionally (`out2GatesIrq`), the interrupt line is gated by MCR.OUT2 as on PC serial cards; by
//   default it is not, as in QEMU, so guests that never set OUT2 still get interrupts.

import { type AccessSize, type Device, type IrqLine, unconnectedIrq } from "./device.ts";
import { OPEN_BUS, readSplit, writeSplit } from "./byte_registers.ts";
import { StateReader } from "./state_check.ts";

// Register offsets (PC16550D, Table II: register addresses A2..A0 with DLAB).
/** Receiver Buffer Register, read with LCR.DLAB = 0 (Table II). */
export const UART_RBR = 0;
/** Transmitter Holding Register, written with LCR.DLAB = 0 (Table II). */
export const UART_THR = 0;
/** Divisor Latch LSB, with LCR.DLAB = 1 (Table II; "Programmable Baud Generator"). */
export const UART_DLL = 0;
/** Interrupt Enable Register, with LCR.DLAB = 0 (Table II). */
export const UART_IER = 1;
/** Divisor Latch MSB, with LCR.DLAB = 1 (Table II). */
export const UART_DLM = 1;
/** Interrupt Identification Register, read (Table II). */
export const UART_IIR = 2;
/** FIFO Control Register, written (Table II). */
export const UART_FCR = 2;
/** Line Control Register (Table II). */
export const UART_LCR = 3;
/** MODEM Control Register (Table II). */
export const UART_MCR = 4;
/** Line Status Register (Table II). */
export const UART_LSR = 5;
/** MODEM Status Register (Table II). */
export const UART_MSR = 6;
/** Scratch Register (Table II; "Scratchpad Register"). */
export const UART_SCR = 7;

// Interrupt Enable Register bits (PC16550D, "Interrupt Enable Register").
/** IER bit 0: enable Received Data Available (and, with FIFOs, timeout) interrupt. */
export const IER_ERBFI = 0x01;
/** IER bit 1: enable Transmitter Holding Register Empty interrupt. */
export const IER_ETBEI = 0x02;
/** IER bit 2: enable Receiver Line Status interrupt. */
export const IER_ELSI = 0x04;
/** IER bit 3: enable MODEM Status interrupt. */
export const IER_EDSSI = 0x08;
/** IER bits 4-7 are always 0. */
export const IER_WRITABLE = 0x0f;

// Interrupt Identification Register (PC16550D, "Interrupt Identification Register", Table IV).
/** IIR bit 0: 1 = no interrupt pending. */
export const IIR_NO_INTERRUPT = 0x01;
/** IIR bits 3-1 = 011: receiver line status (priority 1, highest). */
export const IIR_RECEIVER_LINE_STATUS = 0x06;
/** IIR bits 3-1 = 010: received data available (priority 2). */
export const IIR_RECEIVED_DATA = 0x04;
/** IIR bits 3-1 = 110: character timeout indication, FIFO mode only (priority 2). */
export const IIR_CHARACTER_TIMEOUT = 0x0c;
/** IIR bits 3-1 = 001: transmitter holding register empty (priority 3). */
export const IIR_THR_EMPTY = 0x02;
/** IIR bits 3-1 = 000 with bit 0 = 0: MODEM status (priority 4, lowest). */
export const IIR_MODEM_STATUS = 0x00;
/** IIR bits 7-6: set when FCR bit 0 enables the FIFOs. */
export const IIR_FIFOS_ENABLED = 0xc0;

// FIFO Control Register bits (PC16550D, "FIFO Control Register").
/** FCR bit 0: enable both FIFOs; changing it clears them. Other bits program only while it is 1. */
export const FCR_FIFO_ENABLE = 0x01;
/** FCR bit 1: clear the receive FIFO (self-clearing). */
export const FCR_RX_RESET = 0x02;
/** FCR bit 2: clear the transmit FIFO (self-clearing). */
export const FCR_TX_RESET = 0x04;
/** FCR bit 3: DMA mode select (RXRDY/TXRDY pins; no effect on registers here). */
export const FCR_DMA_MODE = 0x08;
/** FCR bits 7-6: receive FIFO interrupt trigger level. */
export const FCR_TRIGGER_MASK = 0xc0;
/** FCR bits 7-6 = 00: trigger at 1 byte. */
export const FCR_TRIGGER_1 = 0x00;
/** FCR bits 7-6 = 01: trigger at 4 bytes. */
export const FCR_TRIGGER_4 = 0x40;
/** FCR bits 7-6 = 10: trigger at 8 bytes. */
export const FCR_TRIGGER_8 = 0x80;
/** FCR bits 7-6 = 11: trigger at 14 bytes. */
export const FCR_TRIGGER_14 = 0xc0;
/** Trigger levels in bytes, indexed by FCR bits 7-6 ("FIFO Control Register", bits 6 and 7). */
const RX_TRIGGER_LEVELS = [1, 4, 8, 14] as const;

// Line Control Register bits (PC16550D, "Line Control Register").
/** LCR bits 1-0: word length 5-8 bits. */
export const LCR_WORD_LENGTH = 0x03;
/** LCR bit 2: number of stop bits. */
export const LCR_STOP_BITS = 0x04;
/** LCR bit 3: parity enable. */
export const LCR_PARITY_ENABLE = 0x08;
/** LCR bit 4: even parity select. */
export const LCR_EVEN_PARITY = 0x10;
/** LCR bit 5: stick parity. */
export const LCR_STICK_PARITY = 0x20;
/** LCR bit 6: set break (serial output forced to spacing). */
export const LCR_BREAK = 0x40;
/** LCR bit 7: Divisor Latch Access Bit; offsets 0 and 1 then reach DLL and DLM. */
export const LCR_DLAB = 0x80;

// MODEM Control Register bits (PC16550D, "MODEM Control Register").
/** MCR bit 0: Data Terminal Ready output. */
export const MCR_DTR = 0x01;
/** MCR bit 1: Request To Send output. */
export const MCR_RTS = 0x02;
/** MCR bit 2: OUT1 user output. */
export const MCR_OUT1 = 0x04;
/** MCR bit 3: OUT2 user output (gates the IRQ line on PC serial cards). */
export const MCR_OUT2 = 0x08;
/** MCR bit 4: loopback diagnostic mode. */
export const MCR_LOOP = 0x10;
/** MCR bits 5-7 are always 0. */
export const MCR_WRITABLE = 0x1f;

// Line Status Register bits (PC16550D, "Line Status Register").
/** LSR bit 0: Data Ready, a received character is in RBR or the receive FIFO. */
export const LSR_DATA_READY = 0x01;
/** LSR bit 1: Overrun Error, a character was lost; cleared by reading LSR. */
export const LSR_OVERRUN = 0x02;
/** LSR bit 2: Parity Error; cleared by reading LSR. */
export const LSR_PARITY_ERROR = 0x04;
/** LSR bit 3: Framing Error; cleared by reading LSR. */
export const LSR_FRAMING_ERROR = 0x08;
/** LSR bit 4: Break Interrupt; cleared by reading LSR. */
export const LSR_BREAK = 0x10;
/** LSR bit 5: Transmitter Holding Register (or transmit FIFO) Empty. */
export const LSR_THR_EMPTY = 0x20;
/** LSR bit 6: Transmitter Empty (THR and shift register both empty). */
export const LSR_TRANSMITTER_EMPTY = 0x40;
/** LSR bit 7: at least one parity/framing/break error in the receive FIFO (FIFO mode). */
export const LSR_RX_FIFO_ERROR = 0x80;
/** LSR bits 1-4: the error bits that raise the receiver line status interrupt. */
export const LSR_ERROR_BITS = LSR_OVERRUN | LSR_PARITY_ERROR | LSR_FRAMING_ERROR | LSR_BREAK;

// MODEM Status Register bits (PC16550D, "MODEM Status Register").
/** MSR bit 0: Delta Clear To Send. */
export const MSR_DCTS = 0x01;
/** MSR bit 1: Delta Data Set Ready. */
export const MSR_DDSR = 0x02;
/** MSR bit 2: Trailing Edge Ring Indicator (RI went from active to inactive). */
export const MSR_TERI = 0x04;
/** MSR bit 3: Delta Data Carrier Detect. */
export const MSR_DDCD = 0x08;
/** MSR bit 4: Clear To Send (complement of the input; = MCR.RTS in loopback). */
export const MSR_CTS = 0x10;
/** MSR bit 5: Data Set Ready (= MCR.DTR in loopback). */
export const MSR_DSR = 0x20;
/** MSR bit 6: Ring Indicator (= MCR.OUT1 in loopback). */
export const MSR_RI = 0x40;
/** MSR bit 7: Data Carrier Detect (= MCR.OUT2 in loopback). */
export const MSR_DCD = 0x80;
/** MSR bits 0-3: change indications, cleared by reading MSR; they raise the MODEM status interrupt. */
export const MSR_DELTA_BITS = 0x0f;
/** MSR bits 4-7: the current MODEM input lines. */
export const MSR_INPUT_BITS = 0xf0;

/** Depth of each FIFO ("General Description": 16 bytes in both directions). */
export const UART_FIFO_SIZE = 16;
/** Lines a connected terminal presents by default: CTS, DSR and DCD asserted, no ring. */
export const UART_DEFAULT_MODEM_INPUTS = MSR_CTS | MSR_DSR | MSR_DCD;

const STATE_VERSION = 1;
const DEVICE_NAME = "uart16550";
const FCR_STORED_BITS = FCR_FIFO_ENABLE | FCR_DMA_MODE | FCR_TRIGGER_MASK;

export interface Uart16550Options {
  /** The interrupt line (IRQ4 for COM1 on a PC). */
  irq?: IrqLine;
  /** Output sink: each byte the guest transmits. */
  onTransmit?: (byte: number) => void;
  /** Gate the interrupt line with MCR.OUT2 as PC serial cards do (default false, like QEMU). */
  out2GatesIrq?: boolean;
}

/** Plain-data state of a Uart16550 (save()/restore()). */
export interface Uart16550State {
  version: number;
  /** Divisor latch, low and high bytes. */
  dll: number;
  dlm: number;
  ier: number;
  lcr: number;
  mcr: number;
  /** FCR bits that persist: FIFO enable, DMA mode, trigger level. */
  fcr: number;
  scr: number;
  /** LSR error bits (1-4) not yet cleared by a read of LSR. */
  lineStatusErrors: number;
  /** MSR delta bits (0-3) not yet cleared by a read of MSR. */
  modemStatusDeltas: number;
  /** MODEM input lines the outside world drives (MSR bits 4-7 outside loopback). */
  modemInputs: number;
  /** The THR-empty interrupt condition has not been cleared by an IIR read or THR write. */
  thrEmptyPending: boolean;
  /** Receive FIFO (or RBR) contents, oldest first. */
  rxFifo: number[];
}

/** Counters a host may read; not part of the device state. */
export interface UartCounters {
  transmittedBytes: number;
  receivedBytes: number;
  /** Bytes lost to receive overrun (LSR.OE). */
  overrunBytes: number;
}

export class Uart16550 implements Device {
  readonly counters: UartCounters = { transmittedBytes: 0, receivedBytes: 0, overrunBytes: 0 };

  private readonly irq: IrqLine;
  private readonly onTransmit: (byte: number) => void;
  private readonly out2GatesIrq: boolean;

  private dll = 0;
  private dlm = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private fcr = 0;
  private scr = 0;
  private lineStatusErrors = 0;
  private modemStatusDeltas = 0;
  /** MSR bits 4-7 as the chip sees them now (external lines, or MCR bits in loopback). */
  private modemLines = UART_DEFAULT_MODEM_INPUTS;
  private externalModemInputs = UART_DEFAULT_MODEM_INPUTS;
  private thrEmptyPending = false;
  private readonly rxFifo = new Uint8Array(UART_FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private irqLevel = false;

  constructor(options: Uart16550Options = {}) {
    this.irq = options.irq ?? unconnectedIrq;
    this.onTransmit = options.onTransmit ?? (() => {});
    this.out2GatesIrq = options.out2GatesIrq ?? false;
    this.reset();
  }

  read(offset: number, size: AccessSize): number {
    return readSplit(this, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    writeSplit(this, offset, size, value);
  }

  readByte(offset: number): number {
    switch (offset) {
      case UART_RBR:
        return this.lcr & LCR_DLAB ? this.dll : this.readReceiveBuffer();
      case UART_IER:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case UART_IIR:
        return this.readInterruptIdentification();
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR:
        return this.readLineStatus();
      case UART_MSR:
        return this.readModemStatus();
      case UART_SCR:
        return this.scr;
      default:
        return OPEN_BUS;
    }
  }

  writeByte(offset: number, value: number): void {
    switch (offset) {
      case UART_THR:
        if (this.lcr & LCR_DLAB) this.dll = value;
        else this.writeTransmitHolding(value);
        return;
      case UART_IER:
        if (this.lcr & LCR_DLAB) this.dlm = value;
        else this.writeInterruptEnable(value);
        return;
      case UART_FCR:
        this.writeFifoControl(value);
        return;
      case UART_LCR:
        this.lcr = value;
        return;
      case UART_MCR:
        this.writeModemControl(value);
        return;
      case UART_SCR:
        this.scr = value;
        return;
      default:
        // LSR and MSR are read-only ("Line Status Register": intended for read operations only).
        return;
    }
  }

  /**
   * Host → guest: deliver received bytes. Each byte that finds the receive FIFO (or, without FIFOs,
   * RBR) full is an overrun and sets LSR.OE. In loopback the receiver is disconnected from the
   * line and nothing is taken. Returns how many bytes entered the receive buffer.
   */
  receive(bytes: ArrayLike<number>): number {
    if (this.mcr & MCR_LOOP) return 0;
    let accepted = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (this.pushReceived(bytes[i] & 0xff)) accepted++;
    }
    this.updateIrq();
    return accepted;
  }

  /** How many bytes receive() can take right now without an overrun. */
  receiveRoom(): number {
    if (this.mcr & MCR_LOOP) return 0;
    return this.rxCapacity() - this.rxCount;
  }

  /** Set the MODEM input lines (MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD); changes set MSR delta bits. */
  setModemInputs(lines: number): void {
    this.externalModemInputs = lines & MSR_INPUT_BITS;
    this.refreshModemLines();
    this.updateIrq();
  }

  /** The baud-rate divisor the guest programmed (DLM:DLL); 0 is what the guest wrote, not 65536. */
  get divisor(): number {
    return (this.dlm << 8) | this.dll;
  }

  /** Current level of the interrupt line. */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  reset(): void {
    // Master reset values ("Registers", Table III: UART reset configuration); SCR and the divisor
    // latch are not affected by master reset and power up as 0 here.
    this.dll = 0;
    this.dlm = 0;
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.fcr = 0;
    this.scr = 0;
    this.lineStatusErrors = 0;
    this.modemStatusDeltas = 0;
    this.modemLines = this.externalModemInputs;
    this.thrEmptyPending = false;
    this.rxHead = 0;
    this.rxCount = 0;
    this.updateIrq();
  }

  save(): Uart16550State {
    const rxFifo: number[] = [];
    for (let i = 0; i < this.rxCount; i++) rxFifo.push(this.rxFifo[(this.rxHead + i) % UART_FIFO_SIZE]);
    return {
      version: STATE_VERSION,
      dll: this.dll,
      dlm: this.dlm,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      fcr: this.fcr,
      scr: this.scr,
      lineStatusErrors: this.lineStatusErrors,
      modemStatusDeltas: this.modemStatusDeltas,
      modemInputs: this.externalModemInputs,
      thrEmptyPending: this.thrEmptyPending,
      rxFifo,
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const dll = s.byte("dll");
    const dlm = s.byte("dlm");
    const ier = s.byte("ier");
    if (ier & ~IER_WRITABLE) s.fail(`ier 0x${ier.toString(16)} sets bits 4-7, which are always 0`);
    const lcr = s.byte("lcr");
    const mcr = s.byte("mcr");
    if (mcr & ~MCR_WRITABLE) s.fail(`mcr 0x${mcr.toString(16)} sets bits 5-7, which are always 0`);
    const fcr = s.byte("fcr");
    if (fcr & ~FCR_STORED_BITS) s.fail(`fcr 0x${fcr.toString(16)} sets self-clearing or unused bits`);
    const scr = s.byte("scr");
    const errors = s.byte("lineStatusErrors");
    if (errors & ~LSR_ERROR_BITS) s.fail(`lineStatusErrors 0x${errors.toString(16)} has bits outside LSR bits 1-4`);
    const deltas = s.byte("modemStatusDeltas");
    if (deltas & ~MSR_DELTA_BITS) s.fail(`modemStatusDeltas 0x${deltas.toString(16)} has bits outside MSR bits 0-3`);
    const inputs = s.byte("modemInputs");
    if (inputs & ~MSR_INPUT_BITS) s.fail(`modemInputs 0x${inputs.toString(16)} has bits outside MSR bits 4-7`);
    const thrEmptyPending = s.bool("thrEmptyPending");
    const capacity = fcr & FCR_FIFO_ENABLE ? UART_FIFO_SIZE : 1;
    const rx = s.bytes("rxFifo", capacity);

    this.dll = dll;
    this.dlm = dlm;
    this.ier = ier;
    this.lcr = lcr;
    this.mcr = mcr;
    this.fcr = fcr;
    this.scr = scr;
    this.lineStatusErrors = errors;
    this.modemStatusDeltas = deltas;
    this.externalModemInputs = inputs;
    this.modemLines = this.effectiveModemLines();
    this.thrEmptyPending = thrEmptyPending;
    this.rxHead = 0;
    this.rxCount = rx.length;
    for (let i = 0; i < rx.length; i++) this.rxFifo[i] = rx[i];
    // Re-raise: tell the line its level even if this instance already had it.
    this.irqLevel = this.computeIrqLevel();
    this.irq(this.irqLevel);
  }

  // --- registers -------------------------------------------------------------------------------

  private readReceiveBuffer(): number {
    if (this.rxCount === 0) return 0;
    const byte = this.rxFifo[this.rxHead];
    this.rxHead = (this.rxHead + 1) % UART_FIFO_SIZE;
    this.rxCount--;
    this.updateIrq();
    return byte;
  }

  private readInterruptIdentification(): number {
    const id = this.interruptId();
    // "Interrupt Identification Register" / Table IV: reading IIR clears a THR-empty interrupt
    // when it is the source reported.
    if (id === IIR_THR_EMPTY) {
      this.thrEmptyPending = false;
      this.updateIrq();
    }
    return this.fcr & FCR_FIFO_ENABLE ? id | IIR_FIFOS_ENABLED : id;
  }

  private readLineStatus(): number {
    let value = this.lineStatusErrors | LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
    if (this.rxCount > 0) value |= LSR_DATA_READY;
    if (this.lineStatusErrors !== 0) {
      this.lineStatusErrors = 0; // "Line Status Register": bits 1-4 reset when LSR is read
      this.updateIrq();
    }
    return value;
  }

  private readModemStatus(): number {
    const value = this.modemLines | this.modemStatusDeltas;
    if (this.modemStatusDeltas !== 0) {
      this.modemStatusDeltas = 0; // "MODEM Status Register": bits 0-3 reset when MSR is read
      this.updateIrq();
    }
    return value;
  }

  private writeTransmitHolding(value: number): void {
    this.thrEmptyPending = false; // Table IV: writing THR clears the THR-empty interrupt
    this.counters.transmittedBytes++;
    if (this.mcr & MCR_LOOP) {
      // "MODEM Control Register", bit 4: the transmitter output is looped back to the receiver.
      this.pushReceived(value);
    } else {
      this.onTransmit(value);
    }
    // Transmission is instantaneous: THR is empty again, which is a new THR-empty condition.
    this.thrEmptyPending = true;
    this.updateIrq();
  }

  private writeInterruptEnable(value: number): void {
    const before = this.ier;
    this.ier = value & IER_WRITABLE;
    // Enabling ETBEI while THR is empty (always, here) raises the THR-empty interrupt; Linux's
    // 8250 driver checks for exactly this when it probes for UART_BUG_THRE.
    if (!(before & IER_ETBEI) && this.ier & IER_ETBEI) this.thrEmptyPending = true;
    this.updateIrq();
  }

  private writeFifoControl(value: number): void {
    const enable = value & FCR_FIFO_ENABLE;
    if (enable !== (this.fcr & FCR_FIFO_ENABLE)) {
      // "FIFO Control Register", bit 0: changing it clears both FIFOs.
      this.clearReceiveFifo();
    }
    if (enable) {
      // Other FCR bits are programmed only while bit 0 is 1.
      if (value & FCR_RX_RESET) this.clearReceiveFifo();
      // FCR_TX_RESET: the transmit FIFO is always empty here.
      this.fcr = value & FCR_STORED_BITS;
    } else {
      this.fcr &= ~FCR_FIFO_ENABLE;
    }
    this.updateIrq();
  }

  private writeModemControl(value: number): void {
    this.mcr = value & MCR_WRITABLE;
    this.refreshModemLines();
    this.updateIrq();
  }

  // --- receive path, modem lines, interrupt ---------------------------------------------------

  private rxCapacity(): number {
    return this.fcr & FCR_FIFO_ENABLE ? UART_FIFO_SIZE : 1;
  }

  private rxTriggerLevel(): number {
    return RX_TRIGGER_LEVELS[(this.fcr & FCR_TRIGGER_MASK) >> 6];
  }

  /** Put one byte into the receive buffer; false when it was lost to an overrun. */
  private pushReceived(byte: number): boolean {
    this.counters.receivedBytes++;
    if (this.rxCount < this.rxCapacity()) {
      this.rxFifo[(this.rxHead + this.rxCount) % UART_FIFO_SIZE] = byte;
      this.rxCount++;
      return true;
    }
    this.lineStatusErrors |= LSR_OVERRUN;
    this.counters.overrunBytes++;
    if (!(this.fcr & FCR_FIFO_ENABLE)) {
      // Character mode: the new character overwrites RBR and the previous one is lost.
      this.rxFifo[this.rxHead] = byte;
      return true;
    }
    // FIFO mode: the character in the shift register is overwritten and never enters the FIFO.
    return false;
  }

  private clearReceiveFifo(): void {
    this.rxHead = 0;
    this.rxCount = 0;
  }

  private effectiveModemLines(): number {
    if (!(this.mcr & MCR_LOOP)) return this.externalModemInputs;
    // "MODEM Control Register", bit 4: in loopback RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
    let lines = 0;
    if (this.mcr & MCR_RTS) lines |= MSR_CTS;
    if (this.mcr & MCR_DTR) lines |= MSR_DSR;
    if (this.mcr & MCR_OUT1) lines |= MSR_RI;
    if (this.mcr & MCR_OUT2) lines |= MSR_DCD;
    return lines;
  }

  private refreshModemLines(): void {
    const before = this.modemLines;
    const after = this.effectiveModemLines();
    const changed = before ^ after;
    if (changed & MSR_CTS) this.modemStatusDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.modemStatusDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.modemStatusDeltas |= MSR_DDCD;
    if (before & MSR_RI && !(after & MSR_RI)) this.modemStatusDeltas |= MSR_TERI;
    this.modemLines = after;
  }

  /** The highest-priority pending interrupt, as IIR bits 3-0 (Table IV). */
  private interruptId(): number {
    const ier = this.ier;
    if (ier & IER_ELSI && this.lineStatusErrors !== 0) return IIR_RECEIVER_LINE_STATUS;
    if (ier & IER_ERBFI && this.rxCount > 0) {
      if (!(this.fcr & FCR_FIFO_ENABLE) || this.rxCount >= this.rxTriggerLevel()) return IIR_RECEIVED_DATA;
      return IIR_CHARACTER_TIMEOUT;
    }
    if (ier & IER_ETBEI && this.thrEmptyPending) return IIR_THR_EMPTY;
    if (ier & IER_EDSSI && this.modemStatusDeltas !== 0) return IIR_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
  }

  private computeIrqLevel(): boolean {
    if (this.interruptId() === IIR_NO_INTERRUPT) return false;
    if (this.out2GatesIrq) {
      // In loopback the OUT2 pin is forced inactive, so the card's IRQ driver is off.
      return (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    }
    return true;
  }

  private updateIrq(): void {
    const level = this.computeIrqLevel();
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }
}
