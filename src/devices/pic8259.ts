// The Intel 8259A programmable interrupt controller, written from the 8259A/8259A-2 datasheet
// (Intel 231468): "Interrupt Sequence", "Initialization Command Words" (ICW1-ICW4), "Operation
// Command Words" (OCW1-OCW3), "Fully Nested Mode", "End of Interrupt", "Automatic End of Interrupt
// (AEOI) Mode", "Automatic Rotation", "Specific Rotation", "Special Mask Mode", "Poll Command",
// "Reading the 8259A Status", "Edge and Level Triggered Modes", "The Special Fully Nested Mode" and
// "Cascade Mode". Only the 8086/8088 mode's vectoring is modelled (ICW4 bit 0 is stored).
//
// `Pic8259` is one chip with two register offsets (A0 = 0, 1). `DualPic` wires two of them the
// PC/AT way (slave INT → master IR2) and adds the edge/level control registers (ELCR) that PC
// chipsets put at ports 0x4d0/0x4d1 (Intel 82371 PIIX datasheet, "ELCR1/ELCR2"), exposed as the
// small device `dual.elcr` whose offsets 0 and 1 are those two ports.
//
// Modelling choice: in edge-triggered mode the IRR bit, once latched by a rising edge, stays set
// until the interrupt is acknowledged, even if the input falls first (the datasheet asks that IR
// stay high until the first INTA; QEMU and Bochs latch the same way). A spurious interrupt — the
// default IR7 vector with no ISR bit set — happens when INTA finds no request, e.g. a
// level-triggered line dropped, or a request was masked, after INTR was sampled.

import { type AccessSize, type Device, type IrqLine, unconnectedIrq } from "./device.ts";
import { OPEN_BUS, readSplit, writeSplit } from "./byte_registers.ts";
import { StateReader } from "./state_check.ts";

// Register offsets (datasheet, Table 2 "8259A Basic Operation": A0 selects the port).
/** A0 = 0: ICW1, OCW2, OCW3 written; IRR, ISR or poll word read. */
export const PIC_COMMAND = 0;
/** A0 = 1: ICW2-ICW4 and OCW1 written; IMR read. */
export const PIC_DATA = 1;

// ICW1 (written to A0 = 0 with D4 = 1; "Initialization Command Words", Figure 7).
/** ICW1 D4 = 1 marks the byte as ICW1 and starts the initialization sequence. */
export const ICW1_INIT = 0x10;
/** ICW1 D0 IC4: an ICW4 follows. */
export const ICW1_IC4 = 0x01;
/** ICW1 D1 SNGL: single 8259A, no ICW3. */
export const ICW1_SINGLE = 0x02;
/** ICW1 D2 ADI: call address interval 4 (MCS-80/85 mode only; stored, no effect). */
export const ICW1_ADI = 0x04;
/** ICW1 D3 LTIM: level-triggered mode for all inputs. */
export const ICW1_LEVEL_TRIGGERED = 0x08;
/** ICW2 D7-D3: T7-T3 of the interrupt vector in 8086 mode. */
export const ICW2_VECTOR_MASK = 0xf8;
/** ICW4 D0 µPM: 8086/8088 mode (otherwise MCS-80/85). */
export const ICW4_8086 = 0x01;
/** ICW4 D1 AEOI: automatic end of interrupt. */
export const ICW4_AUTO_EOI = 0x02;
/** ICW4 D2 M/S: master (1) or slave (0) in buffered mode. */
export const ICW4_MASTER = 0x04;
/** ICW4 D3 BUF: buffered mode. */
export const ICW4_BUFFERED = 0x08;
/** ICW4 D4 SFNM: special fully nested mode. */
export const ICW4_SPECIAL_FULLY_NESTED = 0x10;

// OCW2 (A0 = 0, D4 = 0, D3 = 0; "Operation Command Words", Figure 8). D7-D5 = R, SL, EOI.
/** OCW2 D4-D3 = 00 identifies OCW2; D4-D3 = 01 identifies OCW3. */
export const OCW_SELECT_MASK = 0x18;
/** OCW2 D7-D5 field. */
export const OCW2_COMMAND_MASK = 0xe0;
/** OCW2 D2-D0: the IR level L acted upon by specific commands. */
export const OCW2_LEVEL_MASK = 0x07;
/** OCW2 R SL EOI = 001: non-specific EOI. */
export const OCW2_NONSPECIFIC_EOI = 0x20;
/** OCW2 R SL EOI = 011: specific EOI for level L. */
export const OCW2_SPECIFIC_EOI = 0x60;
/** OCW2 R SL EOI = 101: rotate on non-specific EOI. */
export const OCW2_ROTATE_NONSPECIFIC_EOI = 0xa0;
/** OCW2 R SL EOI = 100: rotate in automatic EOI mode (set). */
export const OCW2_ROTATE_AEOI_SET = 0x80;
/** OCW2 R SL EOI = 000: rotate in automatic EOI mode (clear). */
export const OCW2_ROTATE_AEOI_CLEAR = 0x00;
/** OCW2 R SL EOI = 111: rotate on specific EOI for level L. */
export const OCW2_ROTATE_SPECIFIC_EOI = 0xe0;
/** OCW2 R SL EOI = 110: set priority command, level L becomes lowest. */
export const OCW2_SET_PRIORITY = 0xc0;
/** OCW2 R SL EOI = 010: no operation. */
export const OCW2_NOP = 0x40;

// OCW3 (A0 = 0, D4 = 0, D3 = 1; Figure 8).
/** OCW3 D3 = 1 (with D4 = 0) identifies OCW3. */
export const OCW3_SELECT = 0x08;
/** OCW3 D0 RIS: read ISR (1) or IRR (0) on the next read, when RR = 1. */
export const OCW3_READ_ISR = 0x01;
/** OCW3 D1 RR: act on RIS. */
export const OCW3_READ_REGISTER = 0x02;
/** OCW3 D2 P: poll command. */
export const OCW3_POLL = 0x04;
/** OCW3 D5 SMM: set (1) or reset (0) special mask mode, when ESMM = 1. */
export const OCW3_SPECIAL_MASK = 0x20;
/** OCW3 D6 ESMM: act on SMM. */
export const OCW3_ENABLE_SPECIAL_MASK = 0x40;

/** Poll word D7 I: an interrupt was pending ("Poll Command"). */
export const POLL_INTERRUPT = 0x80;
/** IR level the 8259A answers with when INTA finds no request ("Interrupt Sequence", step 4). */
export const SPURIOUS_LEVEL = 7;

// ELCR (Intel 82371 PIIX datasheet, "ELCR1/ELCR2 — Edge/Level Control Registers").
/** ELCR1 (port 0x4d0) bits 0-2 (IRQ0, IRQ1, IRQ2) are reserved and read 0. */
export const ELCR1_WRITABLE = 0xf8;
/** ELCR2 (port 0x4d1) bits 0 and 5 (IRQ8, IRQ13) are reserved and read 0. */
export const ELCR2_WRITABLE = 0xde;
/** Offset of ELCR1 (IRQ0-7) in `DualPic.elcr`; the PC puts it at port 0x4d0. */
export const ELCR_MASTER = 0;
/** Offset of ELCR2 (IRQ8-15) in `DualPic.elcr`; the PC puts it at port 0x4d1. */
export const ELCR_SLAVE = 1;

/** The master input the slave's INT drives on a PC/AT. */
export const CASCADE_IRQ = 2;

const STATE_VERSION = 1;

/** Where the chip is in the ICW sequence: 0 = operational, else the ICW number expected next. */
const READY = 0;

export interface Pic8259Options {
  /** The chip's INT output. */
  int?: IrqLine;
  /** SP/EN pin strap in non-buffered mode: true = master (reads ICW3 as a slave bitmap). */
  master?: boolean;
  /** Name used in error messages. */
  name?: string;
  /** Bits of the ELCR that exist for this chip (reserved ones stay 0). */
  elcrWritable?: number;
}

/** Plain-data state of one 8259A. */
export interface Pic8259State {
  version: number;
  irr: number;
  isr: number;
  imr: number;
  /** Input pin levels (edge detection and level-triggered requests). */
  inputs: number;
  /** Edge (0) / level (1) per input, from the chipset's ELCR. */
  elcr: number;
  icw1: number;
  icw2: number;
  icw3: number;
  icw4: number;
  /** 0 = operational, 2-4 = the ICW expected next. */
  initStep: number;
  /** The IR level with the lowest priority (7 after ICW1). */
  lowestPriority: number;
  readIsr: boolean;
  pollPending: boolean;
  specialMask: boolean;
  rotateOnAutoEoi: boolean;
}

export class Pic8259 implements Device {
  private readonly int: IrqLine;
  private readonly isMaster: boolean;
  private readonly name: string;
  private readonly elcrWritable: number;

  private irr = 0;
  private isr = 0;
  private imr = 0;
  private inputs = 0;
  private elcr = 0;
  private icw1 = 0;
  private icw2 = 0;
  private icw3 = 0;
  private icw4 = 0;
  private initStep = READY;
  private lowestPriority = 7;
  private readIsr = false;
  private pollPending = false;
  private specialMask = false;
  private rotateOnAutoEoi = false;
  private intLevel = false;

  constructor(options: Pic8259Options = {}) {
    this.int = options.int ?? unconnectedIrq;
    this.isMaster = options.master ?? true;
    this.name = options.name ?? "pic8259";
    this.elcrWritable = options.elcrWritable ?? 0xff;
    this.reset();
  }

  read(offset: number, size: AccessSize): number {
    return readSplit(this, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    writeSplit(this, offset, size, value);
  }

  readByte(offset: number): number {
    if (offset !== PIC_COMMAND && offset !== PIC_DATA) return OPEN_BUS;
    if (this.pollPending) {
      // "Poll Command": the next RD is treated as an interrupt acknowledge and returns the poll word.
      this.pollPending = false;
      return this.poll();
    }
    if (offset === PIC_DATA) return this.imr; // "Reading the 8259A Status": A0 = 1 reads IMR
    return this.readIsr ? this.isr : this.irr;
  }

  writeByte(offset: number, value: number): void {
    if (offset === PIC_COMMAND) {
      if (value & ICW1_INIT) this.writeIcw1(value);
      else if ((value & OCW_SELECT_MASK) === 0) this.writeOcw2(value);
      else if ((value & OCW_SELECT_MASK) === OCW3_SELECT) this.writeOcw3(value);
      // D4-D3 = 11 with D4 = 1 is ICW1, handled above; nothing else is left.
    } else if (offset === PIC_DATA) {
      this.writeData(value);
    }
  }

  /** Drive input IR`line` (0-7) to `level`. */
  setInput(line: number, level: boolean): void {
    const bit = 1 << (line & 7);
    const wasHigh = (this.inputs & bit) !== 0;
    if (level) this.inputs |= bit;
    else this.inputs &= ~bit;
    if (this.isLevelTriggered(bit)) {
      // "Edge and Level Triggered Modes": in level mode the request follows the input.
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && !wasHigh) {
      this.irr |= bit; // edge mode: a low-to-high transition latches a request
    }
    this.updateInt();
  }

  /** Whether INT is asserted: a request exists that the priority resolver lets through. */
  hasInterrupt(): boolean {
    return this.intLevel;
  }

  /**
   * The INTA sequence of this chip ("Interrupt Sequence"): the highest-priority request moves from
   * IRR to ISR (unless AEOI) and its IR level is returned. With no request it returns -1 and
   * changes nothing: the chip then answers with the IR7 vector, a spurious interrupt.
   */
  acknowledgeRequest(): number {
    const level = this.highestServiceableRequest();
    if (level >= 0) this.acceptRequest(level);
    return level;
  }

  /** Whether IR `level` is served by a slave: a master in cascade mode with ICW3 bit `level` set. */
  isCascadeInput(level: number): boolean {
    return this.isMaster && !(this.icw1 & ICW1_SINGLE) && (this.icw3 & (1 << level)) !== 0;
  }

  /** The 8086-mode vector byte for IR `level`: T7-T3 from ICW2, level in bits 2-0. */
  vector(level: number): number {
    return (this.icw2 & ICW2_VECTOR_MASK) | (level & 7);
  }

  /** A slave's cascade ID, ICW3 bits 2-0: the master IR level it answers INTA for. */
  slaveId(): number {
    return this.icw3 & 7;
  }

  /** The ELCR byte for this chip's inputs: bit n = 1 makes IRn level-triggered. */
  getElcr(): number {
    return this.elcr;
  }

  setElcr(value: number): void {
    this.elcr = value & this.elcrWritable;
    // An input that became level-triggered requests for as long as it is high.
    const level = this.levelTriggeredMask();
    this.irr = (this.irr & ~level) | (this.inputs & level);
    this.updateInt();
  }

  /** Read-only views, for the host and tests. */
  get interruptRequestRegister(): number {
    return this.irr;
  }
  get inServiceRegister(): number {
    return this.isr;
  }
  get interruptMaskRegister(): number {
    return this.imr;
  }

  reset(): void {
    // Power-on: the state ICW1 leaves ("Initialization Command Words", items a-f) with ICW2-ICW4
    // zero and the sequence complete; IRR and ISR empty, all inputs low, all edge-triggered.
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.inputs = 0;
    this.elcr = 0;
    this.icw1 = 0;
    this.icw2 = 0;
    this.icw3 = 0;
    this.icw4 = 0;
    this.initStep = READY;
    this.lowestPriority = 7;
    this.readIsr = false;
    this.pollPending = false;
    this.specialMask = false;
    this.rotateOnAutoEoi = false;
    this.updateInt();
  }

  save(): Pic8259State {
    return {
      version: STATE_VERSION,
      irr: this.irr,
      isr: this.isr,
      imr: this.imr,
      inputs: this.inputs,
      elcr: this.elcr,
      icw1: this.icw1,
      icw2: this.icw2,
      icw3: this.icw3,
      icw4: this.icw4,
      initStep: this.initStep,
      lowestPriority: this.lowestPriority,
      readIsr: this.readIsr,
      pollPending: this.pollPending,
      specialMask: this.specialMask,
      rotateOnAutoEoi: this.rotateOnAutoEoi,
    };
  }

  restore(state: object): void {
    this.restoreFrom(new StateReader(this.name, state));
  }

  /** restore() with a reader positioned on this chip's state (used by DualPic). */
  restoreFrom(s: StateReader): void {
    s.version(STATE_VERSION);
    const irr = s.byte("irr");
    const isr = s.byte("isr");
    const imr = s.byte("imr");
    const inputs = s.byte("inputs");
    const elcr = s.byte("elcr");
    if (elcr & ~this.elcrWritable) s.fail(`elcr 0x${elcr.toString(16)} sets reserved bits`);
    const icw1 = s.byte("icw1");
    if (!(icw1 & ICW1_INIT) && icw1 !== 0) s.fail(`icw1 0x${icw1.toString(16)} lacks D4, which every ICW1 has`);
    const icw2 = s.byte("icw2");
    const icw3 = s.byte("icw3");
    const icw4 = s.byte("icw4");
    const initStep = s.int("initStep", 0, 4);
    if (initStep === 1) s.fail("initStep 1 is not a state: ICW1 is never awaited");
    const lowestPriority = s.int("lowestPriority", 0, 7);
    const readIsr = s.bool("readIsr");
    const pollPending = s.bool("pollPending");
    const specialMask = s.bool("specialMask");
    const rotateOnAutoEoi = s.bool("rotateOnAutoEoi");
    const levelMask = icw1 & ICW1_LEVEL_TRIGGERED ? 0xff : elcr;
    if ((irr & levelMask) !== (inputs & levelMask)) {
      s.fail("irr disagrees with the inputs on level-triggered lines");
    }

    this.irr = irr;
    this.isr = isr;
    this.imr = imr;
    this.inputs = inputs;
    this.elcr = elcr;
    this.icw1 = icw1;
    this.icw2 = icw2;
    this.icw3 = icw3;
    this.icw4 = icw4;
    this.initStep = initStep;
    this.lowestPriority = lowestPriority;
    this.readIsr = readIsr;
    this.pollPending = pollPending;
    this.specialMask = specialMask;
    this.rotateOnAutoEoi = rotateOnAutoEoi;
    this.intLevel = this.highestServiceableRequest() >= 0;
    this.int(this.intLevel); // re-raise: the wired side learns the level even if unchanged
  }

  // --- command words ---------------------------------------------------------------------------

  private writeIcw1(value: number): void {
    // "Initialization Command Words", ICW1 items a-f: edge sense reset (a new request needs a
    // low-to-high transition), IMR cleared, IR7 lowest priority, special mask mode cleared, status
    // read set to IRR, and ICW4 functions zeroed if IC4 = 0. IRR and ISR are cleared too, so that a
    // guest re-initialising the chip starts from no outstanding interrupts.
    this.icw1 = value;
    this.imr = 0;
    this.isr = 0;
    this.irr = this.inputs & this.levelTriggeredMask();
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.pollPending = false;
    this.rotateOnAutoEoi = false;
    if (!(value & ICW1_IC4)) this.icw4 = 0;
    this.initStep = 2;
    this.updateInt();
  }

  private writeData(value: number): void {
    switch (this.initStep) {
      case 2:
        this.icw2 = value;
        if (!(this.icw1 & ICW1_SINGLE)) this.initStep = 3;
        else this.initStep = this.icw1 & ICW1_IC4 ? 4 : READY;
        return;
      case 3:
        this.icw3 = value;
        this.initStep = this.icw1 & ICW1_IC4 ? 4 : READY;
        return;
      case 4:
        this.icw4 = value;
        this.initStep = READY;
        return;
      default:
        this.imr = value; // OCW1
        this.updateInt();
    }
  }

  private writeOcw2(value: number): void {
    const level = value & OCW2_LEVEL_MASK;
    switch (value & OCW2_COMMAND_MASK) {
      case OCW2_NONSPECIFIC_EOI: {
        const served = this.highestInService();
        if (served >= 0) this.isr &= ~(1 << served);
        break;
      }
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        break;
      case OCW2_ROTATE_NONSPECIFIC_EOI: {
        // "Automatic Rotation": the level just served becomes the lowest priority.
        const served = this.highestInService();
        if (served >= 0) {
          this.isr &= ~(1 << served);
          this.lowestPriority = served;
        }
        break;
      }
      case OCW2_ROTATE_AEOI_SET:
        this.rotateOnAutoEoi = true;
        break;
      case OCW2_ROTATE_AEOI_CLEAR:
        this.rotateOnAutoEoi = false;
        break;
      case OCW2_ROTATE_SPECIFIC_EOI:
        // "Specific Rotation": level L is reset in ISR and becomes the lowest priority.
        this.isr &= ~(1 << level);
        this.lowestPriority = level;
        break;
      case OCW2_SET_PRIORITY:
        this.lowestPriority = level;
        break;
      default: // OCW2_NOP
        break;
    }
    this.updateInt();
  }

  private writeOcw3(value: number): void {
    if (value & OCW3_ENABLE_SPECIAL_MASK) this.specialMask = (value & OCW3_SPECIAL_MASK) !== 0;
    if (value & OCW3_READ_REGISTER) this.readIsr = (value & OCW3_READ_ISR) !== 0;
    // "Poll Command": P = 1 overrides RR for the next read.
    this.pollPending = (value & OCW3_POLL) !== 0;
    this.updateInt();
  }

  // --- priority resolution ---------------------------------------------------------------------

  private isLevelTriggered(bit: number): boolean {
    return (this.icw1 & ICW1_LEVEL_TRIGGERED) !== 0 || (this.elcr & bit) !== 0;
  }

  private levelTriggeredMask(): number {
    return this.icw1 & ICW1_LEVEL_TRIGGERED ? 0xff : this.elcr;
  }

  /** Priority rank of IR `level`: 0 is highest ("Automatic Rotation": lowest+1 is highest). */
  private rank(level: number): number {
    return (level - this.lowestPriority - 1) & 7;
  }

  /** The highest-priority set bit of `bits`, as an IR level, or -1. */
  private highestOf(bits: number): number {
    if (bits === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const level = (this.lowestPriority + 1 + r) & 7;
      if (bits & (1 << level)) return level;
    }
    return -1;
  }

  private highestInService(): number {
    return this.highestOf(this.isr);
  }

  /**
   * The request the priority resolver lets through, or -1 ("Fully Nested Mode"): the highest
   * unmasked request, if its priority is above every in-service level. In special mask mode,
   * in-service levels that are masked do not inhibit anything ("Special Mask Mode"). In special
   * fully nested mode a master lets a slave input interrupt again while it is in service, so that
   * higher-priority requests inside the slave get through ("The Special Fully Nested Mode").
   */
  private highestServiceableRequest(): number {
    const request = this.highestOf(this.irr & ~this.imr);
    if (request < 0) return -1;
    const blocking = this.specialMask ? this.isr & ~this.imr : this.isr;
    const served = this.highestOf(blocking);
    if (served < 0 || this.rank(request) < this.rank(served)) return request;
    if (request === served && this.icw4 & ICW4_SPECIAL_FULLY_NESTED && this.isCascadeInput(request)) {
      return request;
    }
    return -1;
  }

  private acceptRequest(level: number): void {
    const bit = 1 << level;
    // Edge mode clears the latched request; in level mode IRR keeps following the input.
    if (!this.isLevelTriggered(bit)) this.irr &= ~bit;
    if (this.icw4 & ICW4_AUTO_EOI) {
      // "Automatic End of Interrupt (AEOI) Mode": the ISR bit is reset at the end of INTA.
      if (this.rotateOnAutoEoi) this.lowestPriority = level;
    } else {
      this.isr |= bit;
    }
    this.updateInt();
  }

  private poll(): number {
    const level = this.highestServiceableRequest();
    if (level < 0) return 0;
    this.acceptRequest(level);
    return POLL_INTERRUPT | level;
  }

  private updateInt(): void {
    const level = this.highestServiceableRequest() >= 0;
    if (level !== this.intLevel) {
      this.intLevel = level;
      this.int(level);
    }
  }
}

/** Plain-data state of a DualPic. */
export interface DualPicState {
  version: number;
  master: Pic8259State;
  slave: Pic8259State;
}

export interface DualPicOptions {
  /** Called when INTR to the CPU changes level. */
  onChange?: (intr: boolean) => void;
}

/**
 * Master and slave 8259A cascaded the PC/AT way: slave INT drives master IR2, IRQ0-7 are master
 * IR0-7 and IRQ8-15 are slave IR0-7. Map `master` at ports 0x20-0x21, `slave` at 0xa0-0xa1 and
 * `elcr` at 0x4d0-0x4d1.
 */
export class DualPic {
  readonly master: Pic8259;
  readonly slave: Pic8259;
  /** ELCR1/ELCR2 as a two-register device: offset 0 = port 0x4d0 (IRQ0-7), 1 = 0x4d1 (IRQ8-15). */
  readonly elcr: ElcrDevice;

  private readonly onChange: (intr: boolean) => void;
  private intr = false;
  private restoring = false;

  constructor(options: DualPicOptions = {}) {
    this.onChange = options.onChange ?? (() => {});
    this.master = new Pic8259({
      master: true,
      name: "pic8259 master",
      elcrWritable: ELCR1_WRITABLE,
      int: (level) => this.masterInt(level),
    });
    this.slave = new Pic8259({
      master: false,
      name: "pic8259 slave",
      elcrWritable: ELCR2_WRITABLE,
      int: (level) => this.master.setInput(CASCADE_IRQ, level),
    });
    this.elcr = new ElcrDevice(this);
  }

  /**
   * Drive ISA interrupt line `line` (0-15). Line 2 is the cascade input, so as on the PC/AT, the
   * bus line called IRQ2 arrives at IRQ9 (slave IR1).
   */
  setIrq(line: number, level: boolean): void {
    if (line === CASCADE_IRQ) line = 9;
    if (line < 8) this.master.setInput(line, level);
    else this.slave.setInput(line - 8, level);
  }

  /** An IrqLine bound to ISA line `line`, to inject into a device. */
  irqLine(line: number): IrqLine {
    return (level) => this.setIrq(line, level);
  }

  /** INTR to the CPU. */
  hasPendingInterrupt(): boolean {
    return this.intr;
  }

  /**
   * The INTA cycle: returns the vector the CPU gets. A master request on IR2 is answered by the
   * slave ("Cascade Mode"). With nothing to serve, the master answers IRQ7's vector (spurious
   * IRQ7, no ISR bit set); if the slave has nothing when the master picked IR2, the slave answers
   * IRQ15's vector (spurious IRQ15): the master's ISR bit 2 is set and needs an EOI, the slave's
   * is not.
   */
  acknowledge(): number {
    const level = this.master.acknowledgeRequest();
    if (level < 0) return this.master.vector(SPURIOUS_LEVEL);
    if (!this.master.isCascadeInput(level)) return this.master.vector(level);
    // The master puts `level` on CAS0-2; only a slave whose ICW3 ID matches drives the data bus.
    if (this.slave.slaveId() !== level) return OPEN_BUS;
    const slaveLevel = this.slave.acknowledgeRequest();
    return this.slave.vector(slaveLevel < 0 ? SPURIOUS_LEVEL : slaveLevel);
  }

  /** ELCR1 | ELCR2 << 8: bit n = 1 makes IRQn level-triggered. */
  getElcr(): number {
    return this.master.getElcr() | (this.slave.getElcr() << 8);
  }

  setElcr(value: number): void {
    this.master.setElcr(value & 0xff);
    this.slave.setElcr((value >>> 8) & 0xff);
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
  }

  save(): DualPicState {
    return { version: STATE_VERSION, master: this.master.save(), slave: this.slave.save() };
  }

  restore(state: object): void {
    const s = new StateReader("pic8259 pair", state);
    s.version(STATE_VERSION);
    const masterState = s.object("master");
    const slaveState = s.object("slave");
    // Validate both before changing either.
    new Pic8259({ master: true, elcrWritable: ELCR1_WRITABLE, name: "pic8259 pair" }).restoreFrom(masterState);
    new Pic8259({ master: false, elcrWritable: ELCR2_WRITABLE, name: "pic8259 pair" }).restoreFrom(slaveState);
    // Master first: the slave's restore then drives IR2 with its INT, which a consistent snapshot
    // already records in the master's inputs, so nothing moves.
    this.restoring = true;
    try {
      this.master.restoreFrom(masterState);
      this.slave.restoreFrom(slaveState);
    } finally {
      this.restoring = false;
    }
    // Re-raise INTR to the CPU, once, even if unchanged.
    this.intr = this.master.hasInterrupt();
    this.onChange(this.intr);
  }

  private masterInt(level: boolean): void {
    if (this.restoring) return;
    if (level !== this.intr) {
      this.intr = level;
      this.onChange(level);
    }
  }
}

/**
 * ELCR1 and ELCR2 as a device of two byte registers (offset 0 → port 0x4d0, IRQ0-7; offset 1 →
 * port 0x4d1, IRQ8-15). Bit n = 1 makes that IRQ level-triggered; reserved bits read 0. The bits
 * live in the two chips and are saved with them, so this device's own state is empty.
 */
export class ElcrDevice implements Device {
  constructor(private readonly pics: DualPic) {}

  read(offset: number, size: AccessSize): number {
    return readSplit(this, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    writeSplit(this, offset, size, value);
  }

  readByte(offset: number): number {
    if (offset === ELCR_MASTER) return this.pics.master.getElcr();
    if (offset === ELCR_SLAVE) return this.pics.slave.getElcr();
    return OPEN_BUS;
  }

  writeByte(offset: number, value: number): void {
    if (offset === ELCR_MASTER) this.pics.master.setElcr(value);
    else if (offset === ELCR_SLAVE) this.pics.slave.setElcr(value);
  }

  /** Chipset reset: every line edge-triggered (PIIX, ELCR default 00h). */
  reset(): void {
    this.pics.master.setElcr(0);
    this.pics.slave.setElcr(0);
  }

  save(): { version: number } {
    return { version: STATE_VERSION };
  }

  restore(state: object): void {
    new StateReader("elcr", state).version(STATE_VERSION);
  }
}
