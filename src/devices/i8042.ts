// The Intel 8042 keyboard controller of the PC/AT and PS/2 (with its auxiliary port), and a
// minimal PS/2 keyboard behind it, written from the IBM PC/AT Technical Reference ("Keyboard
// Controller": status register, commands to port 64h, output port, input port), the IBM PS/2
// Hardware Interface Technical Reference ("Keyboard/Auxiliary Device Controller": command byte,
// commands A7h-A9h, D2h-D4h) and the IBM 101/102-key keyboard command set (FFh reset, F2h read ID,
// EDh set LEDs, F3h typematic, F4h/F5h enable/disable, F0h scan code set, EEh echo).
//
// Offsets: 0 = data (port 0x60), 4 = status / command (port 0x64), so the device can sit on a
// 5-port window; as port 0x61 belongs to another device on a PC, the machine instead maps the two
// single-port views `dataPort` (port 0x60) and `commandPort` (port 0x64).
//
// What is modelled:
// - Controller commands 20h-3Fh / 60h-7Fh (controller RAM, byte 0 = command byte), A7h/A8h (aux
//   disable/enable), A9h (aux interface test → 00h), AAh (self test → 55h), ABh (keyboard interface
//   test → 00h), ADh/AEh (keyboard disable/enable), C0h (input port), D0h/D1h (output port: bit 0
//   is the system reset line, active low, bit 1 the A20 gate), D2h/D3h (write keyboard/aux output
//   buffer), D4h (write to aux device), DDh/DFh (A20 off/on), E0h (test inputs) and F0h-FFh (pulse
//   output port bits 0-3; FEh pulses the reset line).
// - The system reset line goes to the injected onReset, A20 changes to onA20.
// - A keyboard that answers its commands (ACK FAh, BAT AAh after reset, ID AB 83h) and that the
//   host can make "type" with sendKeyboardBytes(); bytes are delivered as given (no set 2 → set 1
//   translation is done, so the host supplies set 1 codes while the command byte's XLAT bit is set).
// - An auxiliary port with nothing connected: bytes sent with D4h come back as FEh with the status
//   register's timeout bit, which makes Linux's psmouse probe fail at once instead of waiting.
// - The controller processes everything at once: the input buffer is never full (IBF = 0).
// - Output is a queue (keyboard and aux bytes in order); OBF and AUXB describe its head. IRQ1 is
//   asserted while a keyboard byte is at the head and the command byte enables it; IRQ12 likewise
//   for aux bytes.

import type { AccessSize, Device, IrqLine } from "./device.ts";
import { unconnectedIrq } from "./device.ts";
import { OPEN_BUS } from "./byte_registers.ts";
import { StateReader } from "./state_check.ts";

// Offsets.
/** Data port (0x60): output buffer read, input buffer (data) write. */
export const I8042_DATA = 0;
/** Status register read / command write (0x64). */
export const I8042_COMMAND = 4;

// Status register (PC/AT TR, "Status Register").
/** Bit 0: output buffer full. */
export const STATUS_OBF = 0x01;
/** Bit 1: input buffer full (always 0 here). */
export const STATUS_IBF = 0x02;
/** Bit 2: system flag (command byte bit 2; set by POST after self test). */
export const STATUS_SYS = 0x04;
/** Bit 3: the last write was to the command port (1) or the data port (0). */
export const STATUS_A2 = 0x08;
/** Bit 4: keyboard not inhibited (the keylock switch is unlocked). */
export const STATUS_UNLOCKED = 0x10;
/** Bit 5: the output buffer holds auxiliary-device data (PS/2). */
export const STATUS_AUX_DATA = 0x20;
/** Bit 6: timeout: the device did not answer. */
export const STATUS_TIMEOUT = 0x40;
/** Bit 7: parity error. */
export const STATUS_PARITY = 0x80;

// Command byte (PS/2 TR, "Command Byte").
/** Bit 0: interrupt (IRQ1) when the output buffer receives keyboard data. */
export const CTR_KBD_INT = 0x01;
/** Bit 1: interrupt (IRQ12) when the output buffer receives aux data. */
export const CTR_AUX_INT = 0x02;
/** Bit 2: system flag. */
export const CTR_SYS = 0x04;
/** Bit 4: disable keyboard (clock held low). */
export const CTR_KBD_DISABLE = 0x10;
/** Bit 5: disable auxiliary device. */
export const CTR_AUX_DISABLE = 0x20;
/** Bit 6: translate keyboard scan codes to set 1. */
export const CTR_XLATE = 0x40;
/** The command byte a PC BIOS leaves: XLAT, SYS, keyboard interrupt. */
export const CTR_DEFAULT = CTR_XLATE | CTR_SYS | CTR_KBD_INT;

// Output port (PC/AT TR, "Output Port").
/** Bit 0: system reset, active low. */
export const OUTPUT_PORT_RESET = 0x01;
/** Bit 1: A20 gate. */
export const OUTPUT_PORT_A20 = 0x02;
/** Bit 4: output buffer full (keyboard IRQ1). */
export const OUTPUT_PORT_KBD_OBF = 0x10;
/** Bit 5: aux output buffer full (IRQ12). */
export const OUTPUT_PORT_AUX_OBF = 0x20;
/** Bits 7-6: keyboard data and clock; bits 3-2 are undefined. */
export const OUTPUT_PORT_DEFAULT = 0xc0 | OUTPUT_PORT_A20 | OUTPUT_PORT_RESET;

// Controller commands.
export const CMD_READ_RAM = 0x20;
export const CMD_WRITE_RAM = 0x60;
export const CMD_AUX_DISABLE = 0xa7;
export const CMD_AUX_ENABLE = 0xa8;
export const CMD_AUX_TEST = 0xa9;
export const CMD_SELF_TEST = 0xaa;
export const CMD_KBD_TEST = 0xab;
export const CMD_KBD_DISABLE = 0xad;
export const CMD_KBD_ENABLE = 0xae;
export const CMD_READ_INPUT_PORT = 0xc0;
export const CMD_READ_OUTPUT_PORT = 0xd0;
export const CMD_WRITE_OUTPUT_PORT = 0xd1;
export const CMD_WRITE_KBD_OUTPUT = 0xd2;
export const CMD_WRITE_AUX_OUTPUT = 0xd3;
export const CMD_WRITE_AUX = 0xd4;
export const CMD_A20_DISABLE = 0xdd;
export const CMD_A20_ENABLE = 0xdf;
export const CMD_READ_TEST_INPUTS = 0xe0;
/** F0h-FFh: pulse output port bits 0-3 whose command bits are 0; FEh pulses the reset line. */
export const CMD_PULSE_OUTPUT = 0xf0;
/** Self test passed. */
export const SELF_TEST_OK = 0x55;

// Keyboard commands and responses.
export const KBD_SET_LEDS = 0xed;
export const KBD_ECHO = 0xee;
export const KBD_SCANCODE_SET = 0xf0;
export const KBD_GET_ID = 0xf2;
export const KBD_SET_TYPEMATIC = 0xf3;
export const KBD_ENABLE = 0xf4;
export const KBD_DISABLE = 0xf5;
export const KBD_SET_DEFAULTS = 0xf6;
export const KBD_RESEND = 0xfe;
export const KBD_RESET = 0xff;
export const KBD_ACK = 0xfa;
export const KBD_BAT_OK = 0xaa;
export const KBD_NAK = 0xfe;
/** MF2 keyboard ID bytes after ACK. */
export const KBD_ID = [0xab, 0x83] as const;

/** Input port as read by C0h: bit 7 keyboard not inhibited, bit 5 no manufacturing jumper. */
const INPUT_PORT_VALUE = 0xa0;
/** Output queue limit: beyond it, host keyboard bytes are dropped (the keyboard's own buffer is 16). */
const QUEUE_LIMIT = 64;
const STATE_VERSION = 1;
const DEVICE_NAME = "i8042";

interface OutputByte {
  value: number;
  aux: boolean;
  timeout: boolean;
}

export interface I8042Options {
  /** IRQ1. */
  keyboardIrq?: IrqLine;
  /** IRQ12. */
  auxIrq?: IrqLine;
  /** The system reset line was pulsed (FEh, or output port bit 0 written 0). */
  onReset?: () => void;
  /** The A20 gate changed (output port bit 1). */
  onA20?: (enabled: boolean) => void;
}

/** Plain-data state of an I8042. */
export interface I8042State {
  version: number;
  commandByte: number;
  ram: number[];
  outputPort: number;
  pendingCommand: number;
  lastWasCommand: boolean;
  queue: { value: number; aux: boolean; timeout: boolean }[];
  keyboardPendingCommand: number;
  keyboardScanning: boolean;
  keyboardScancodeSet: number;
}

export class I8042 implements Device {
  /** Port 0x60 as a one-port device. */
  readonly dataPort: Device;
  /** Port 0x64 as a one-port device. */
  readonly commandPort: Device;

  private readonly keyboardIrq: IrqLine;
  private readonly auxIrq: IrqLine;
  private readonly onReset: () => void;
  private readonly onA20: (enabled: boolean) => void;
  /** Controller RAM bytes 1-31 (byte 0 is the command byte). */
  private readonly ram = new Uint8Array(32);
  private commandByte = CTR_DEFAULT;
  private outputPort = OUTPUT_PORT_DEFAULT;
  /** A controller command waiting for its data byte (60h-7Fh, D1h-D4h), or 0. */
  private pendingCommand = 0;
  private lastWasCommand = false;
  private queue: OutputByte[] = [];
  /** A keyboard command waiting for its argument (EDh, F0h, F3h), or 0. */
  private keyboardPendingCommand = 0;
  private keyboardScanning = true;
  private keyboardScancodeSet = 2;
  private kbdIrqLevel = false;
  private auxIrqLevel = false;

  constructor(options: I8042Options = {}) {
    this.keyboardIrq = options.keyboardIrq ?? unconnectedIrq;
    this.auxIrq = options.auxIrq ?? unconnectedIrq;
    this.onReset = options.onReset ?? (() => {});
    this.onA20 = options.onA20 ?? (() => {});
    this.dataPort = this.view(I8042_DATA);
    this.commandPort = this.view(I8042_COMMAND);
  }

  read(offset: number, size: AccessSize): number {
    let value: number;
    if (offset === I8042_DATA) value = this.readData();
    else if (offset === I8042_COMMAND) value = this.status();
    else return size === 4 ? 0xffffffff : size === 2 ? 0xffff : OPEN_BUS;
    return size === 1 ? value : (value | (size === 2 ? 0xff00 : 0xffffff00)) >>> 0;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset === I8042_DATA) {
      this.lastWasCommand = false;
      this.writeData(value);
    } else if (offset === I8042_COMMAND) {
      this.lastWasCommand = true;
      this.writeCommand(value);
    }
    this.driveIrqs();
  }

  /** Bytes from the keyboard (scan codes, as the guest should see them), if it is scanning. */
  sendKeyboardBytes(bytes: Iterable<number>): void {
    if (!this.keyboardScanning || (this.commandByte & CTR_KBD_DISABLE)) return;
    for (const b of bytes) {
      if (this.queue.length >= QUEUE_LIMIT) break;
      this.queue.push({ value: b & 0xff, aux: false, timeout: false });
    }
    this.driveIrqs();
  }

  /** The A20 gate (output port bit 1). */
  get a20Enabled(): boolean {
    return (this.outputPort & OUTPUT_PORT_A20) !== 0;
  }

  /** The status register, without side effects. */
  status(): number {
    const head = this.queue[0];
    let s = STATUS_UNLOCKED | (this.commandByte & CTR_SYS ? STATUS_SYS : 0) | (this.lastWasCommand ? STATUS_A2 : 0);
    if (head) {
      s |= STATUS_OBF;
      if (head.aux) s |= STATUS_AUX_DATA;
      if (head.timeout) s |= STATUS_TIMEOUT;
    }
    return s;
  }

  reset(): void {
    this.ram.fill(0);
    this.commandByte = CTR_DEFAULT;
    this.pendingCommand = 0;
    this.lastWasCommand = false;
    this.queue = [];
    this.keyboardPendingCommand = 0;
    this.keyboardScanning = true;
    this.keyboardScancodeSet = 2;
    this.setOutputPort(OUTPUT_PORT_DEFAULT, false);
    this.driveIrqs();
  }

  save(): I8042State {
    return {
      version: STATE_VERSION,
      commandByte: this.commandByte,
      ram: [...this.ram],
      outputPort: this.outputPort,
      pendingCommand: this.pendingCommand,
      lastWasCommand: this.lastWasCommand,
      queue: this.queue.map((b) => ({ ...b })),
      keyboardPendingCommand: this.keyboardPendingCommand,
      keyboardScanning: this.keyboardScanning,
      keyboardScancodeSet: this.keyboardScancodeSet,
    };
  }

  restore(state: object): void {
    const s = new StateReader(DEVICE_NAME, state);
    s.version(STATE_VERSION);
    const commandByte = s.byte("commandByte");
    const ram = s.bytes("ram", 32);
    if (ram.length !== 32) s.fail("ram must hold 32 bytes");
    const outputPort = s.byte("outputPort");
    const pendingCommand = s.byte("pendingCommand");
    if (pendingCommand !== 0 && !takesData(pendingCommand)) s.fail(`pendingCommand ${pendingCommand} takes no data byte`);
    const lastWasCommand = s.bool("lastWasCommand");
    const rawQueue = (state as Record<string, unknown>).queue as unknown[];
    if (!Array.isArray(rawQueue) || rawQueue.length > QUEUE_LIMIT + 8) s.fail("queue is not an array of output bytes");
    const queue = rawQueue.map((item: unknown, i: number) => {
      const r = new StateReader(DEVICE_NAME, item, `queue[${i}]`);
      return { value: r.byte("value"), aux: r.bool("aux"), timeout: r.bool("timeout") };
    });
    const keyboardPendingCommand = s.byte("keyboardPendingCommand");
    if (![0, KBD_SET_LEDS, KBD_SCANCODE_SET, KBD_SET_TYPEMATIC].includes(keyboardPendingCommand)) {
      s.fail(`keyboardPendingCommand ${keyboardPendingCommand} takes no argument`);
    }
    const keyboardScanning = s.bool("keyboardScanning");
    const keyboardScancodeSet = s.int("keyboardScancodeSet", 1, 3);
    this.commandByte = commandByte;
    this.ram.set(ram);
    this.outputPort = outputPort;
    this.pendingCommand = pendingCommand;
    this.lastWasCommand = lastWasCommand;
    this.queue = queue;
    this.keyboardPendingCommand = keyboardPendingCommand;
    this.keyboardScanning = keyboardScanning;
    this.keyboardScancodeSet = keyboardScancodeSet;
    // Re-drive both lines from the restored queue.
    this.kbdIrqLevel = this.kbdIrqWanted();
    this.auxIrqLevel = this.auxIrqWanted();
    this.keyboardIrq(this.kbdIrqLevel);
    this.auxIrq(this.auxIrqLevel);
  }

  // ---- internals ----

  private view(offset: number): Device {
    return {
      read: (_o, size) => this.read(offset, size),
      write: (_o, size, value) => this.write(offset, size, value),
      reset: () => {},
      save: () => ({ version: STATE_VERSION }),
      restore: (state) => new StateReader(DEVICE_NAME, state).version(STATE_VERSION),
    };
  }

  private readData(): number {
    const head = this.queue.shift();
    // Reading empties the output buffer, which drops IRQ1/IRQ12; the next queued byte then raises
    // its line again, so an edge-triggered 8259 input sees one edge per byte.
    if (this.kbdIrqLevel) {
      this.kbdIrqLevel = false;
      this.keyboardIrq(false);
    }
    if (this.auxIrqLevel) {
      this.auxIrqLevel = false;
      this.auxIrq(false);
    }
    this.driveIrqs();
    return head ? head.value : 0; // an empty buffer re-reads stale data on hardware; 0 here
  }

  private output(value: number, aux = false, timeout = false): void {
    this.queue.push({ value: value & 0xff, aux, timeout });
  }

  private writeCommand(command: number): void {
    this.pendingCommand = 0;
    if (command >= CMD_READ_RAM && command < CMD_READ_RAM + 0x20) {
      this.output(command === CMD_READ_RAM ? this.commandByte : this.ram[command & 0x1f]);
      return;
    }
    if (takesData(command)) {
      this.pendingCommand = command;
      return;
    }
    if (command >= CMD_PULSE_OUTPUT) {
      if ((command & OUTPUT_PORT_RESET) === 0) this.onReset();
      return;
    }
    switch (command) {
      case CMD_AUX_DISABLE: this.commandByte |= CTR_AUX_DISABLE; return;
      case CMD_AUX_ENABLE: this.commandByte &= ~CTR_AUX_DISABLE; return;
      case CMD_AUX_TEST: this.output(0x00); return;
      case CMD_SELF_TEST:
        this.commandByte |= CTR_SYS;
        this.output(SELF_TEST_OK);
        return;
      case CMD_KBD_TEST: this.output(0x00); return;
      case CMD_KBD_DISABLE: this.commandByte |= CTR_KBD_DISABLE; return;
      case CMD_KBD_ENABLE: this.commandByte &= ~CTR_KBD_DISABLE; return;
      case CMD_READ_INPUT_PORT: this.output(INPUT_PORT_VALUE); return;
      case CMD_READ_OUTPUT_PORT: this.output(this.outputPortValue()); return;
      case CMD_A20_DISABLE: this.setOutputPort(this.outputPort & ~OUTPUT_PORT_A20, true); return;
      case CMD_A20_ENABLE: this.setOutputPort(this.outputPort | OUTPUT_PORT_A20, true); return;
      case CMD_READ_TEST_INPUTS: this.output(0x00); return;
      default: return; // unknown commands are ignored
    }
  }

  private writeData(value: number): void {
    const command = this.pendingCommand;
    this.pendingCommand = 0;
    if (command >= CMD_WRITE_RAM && command < CMD_WRITE_RAM + 0x20) {
      if (command === CMD_WRITE_RAM) this.commandByte = value;
      else this.ram[command & 0x1f] = value;
      return;
    }
    switch (command) {
      case CMD_WRITE_OUTPUT_PORT: this.setOutputPort(value, true); return;
      case CMD_WRITE_KBD_OUTPUT: this.output(value); return;
      case CMD_WRITE_AUX_OUTPUT: this.output(value, true); return;
      case CMD_WRITE_AUX: this.output(KBD_NAK, true, true); return; // nothing on the aux port
      default: this.keyboardCommand(value);
    }
  }

  /** A byte written to port 0x60 with no controller command pending goes to the keyboard. */
  private keyboardCommand(value: number): void {
    this.commandByte &= ~CTR_KBD_DISABLE; // sending to the keyboard enables its interface
    const pending = this.keyboardPendingCommand;
    if (pending) {
      this.keyboardPendingCommand = 0;
      if (pending === KBD_SCANCODE_SET && value === 0) {
        this.output(KBD_ACK);
        this.output(this.keyboardScancodeSet);
        return;
      }
      if (pending === KBD_SCANCODE_SET && value >= 1 && value <= 3) this.keyboardScancodeSet = value;
      this.output(KBD_ACK);
      return;
    }
    switch (value) {
      case KBD_SET_LEDS:
      case KBD_SCANCODE_SET:
      case KBD_SET_TYPEMATIC:
        this.keyboardPendingCommand = value;
        this.output(KBD_ACK);
        return;
      case KBD_ECHO: this.output(KBD_ECHO); return;
      case KBD_GET_ID:
        this.output(KBD_ACK);
        for (const b of KBD_ID) this.output(b);
        return;
      case KBD_ENABLE:
        this.keyboardScanning = true;
        this.output(KBD_ACK);
        return;
      case KBD_DISABLE:
        this.keyboardScanning = false;
        this.output(KBD_ACK);
        return;
      case KBD_SET_DEFAULTS:
        this.keyboardScancodeSet = 2;
        this.output(KBD_ACK);
        return;
      case KBD_RESET:
        this.keyboardScanning = true;
        this.keyboardScancodeSet = 2;
        this.output(KBD_ACK);
        this.output(KBD_BAT_OK);
        return;
      default:
        if (value >= 0xf7 && value <= 0xfd) this.output(KBD_ACK); // typematic/make-break modes: accepted
        else this.output(KBD_NAK);
    }
  }

  private outputPortValue(): number {
    const head = this.queue[0];
    let v = this.outputPort & ~(OUTPUT_PORT_KBD_OBF | OUTPUT_PORT_AUX_OBF);
    if (head && !head.aux) v |= OUTPUT_PORT_KBD_OBF;
    if (head && head.aux) v |= OUTPUT_PORT_AUX_OBF;
    return v;
  }

  private setOutputPort(value: number, notify: boolean): void {
    const before = this.outputPort;
    this.outputPort = (value & ~(OUTPUT_PORT_KBD_OBF | OUTPUT_PORT_AUX_OBF)) | OUTPUT_PORT_RESET;
    if (notify && (before & OUTPUT_PORT_A20) !== (this.outputPort & OUTPUT_PORT_A20)) this.onA20(this.a20Enabled);
    // The reset line is active low: writing 0 resets the system (and the line returns high).
    if (notify && (value & OUTPUT_PORT_RESET) === 0) this.onReset();
  }

  private kbdIrqWanted(): boolean {
    const head = this.queue[0];
    return !!head && !head.aux && (this.commandByte & CTR_KBD_INT) !== 0;
  }

  private auxIrqWanted(): boolean {
    const head = this.queue[0];
    return !!head && head.aux && (this.commandByte & CTR_AUX_INT) !== 0;
  }

  private driveIrqs(): void {
    const kbd = this.kbdIrqWanted();
    if (kbd !== this.kbdIrqLevel) {
      this.kbdIrqLevel = kbd;
      this.keyboardIrq(kbd);
    }
    const aux = this.auxIrqWanted();
    if (aux !== this.auxIrqLevel) {
      this.auxIrqLevel = aux;
      this.auxIrq(aux);
    }
  }
}

/** Controller commands followed by a data byte on port 0x60. */
function takesData(command: number): boolean {
  return (command >= CMD_WRITE_RAM && command < CMD_WRITE_RAM + 0x20) ||
    (command >= CMD_WRITE_OUTPUT_PORT && command <= CMD_WRITE_AUX);
}
