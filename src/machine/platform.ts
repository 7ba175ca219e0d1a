// The PC platform around the CPU: which devices exist, where they sit in the port and MMIO
// spaces, how their interrupt lines are wired (8259 pair into the local APIC's LINT0 in
// virtual-wire mode, ISA lines also into the IOAPIC as the MADT describes), their clocks, and the
// ACPI tables that tell the guest all this.
import { PortBus } from "./port_bus.ts";
import { MmioBus } from "./mmio_bus.ts";
import { DualPic } from "../devices/pic8259.ts";
import { Pit8254 } from "../devices/pit8254.ts";
import { Uart16550 } from "../devices/uart16550.ts";
import { DebugExit } from "../devices/debug_exit.ts";
import { PostCodePort } from "../devices/post_code.ts";
import { LocalApic } from "../devices/local_apic.ts";
import { IoApic } from "../devices/io_apic.ts";
import { RtcCmos, rtcClockFrom } from "../devices/rtc_cmos.ts";
import { AcpiPm } from "../devices/acpi_pm.ts";
import { PciHost } from "../devices/pci_host.ts";
import { I8042 } from "../devices/i8042.ts";
import { SystemControlPort } from "../devices/system_control.ts";
import { writeAcpiTables } from "./firmware/acpi_tables.ts";

/** Guest time runs at this many cycles (retired instructions, or idle time) per second. */
export const CYCLES_PER_SECOND = 100_000_000;
const PIT_HZ = 1_193_182; // Intel 8254 input clock on the PC
const PM_TIMER_HZ = 3_579_545; // ACPI PM timer (ACPI 6.4, 4.8.3.3)
const CYCLES_PER_PIT_TICK = CYCLES_PER_SECOND / PIT_HZ;
const CYCLES_PER_PM_TICK = CYCLES_PER_SECOND / PM_TIMER_HZ;
const CYCLES_PER_MS = CYCLES_PER_SECOND / 1000;

// Addresses (the MADT and FADT say the same).
export const LOCAL_APIC_BASE = 0xfee00000;
export const IO_APIC_BASE = 0xfec00000;
const ACPI_PM_PORT = 0x600;
/** The RTC starts at this time (2026-01-01 00:00 UTC) for reproducible runs. */
const RTC_EPOCH_MS = Date.UTC(2026, 0, 1);

export interface PlatformHooks {
  /** Guest time in cycles; never decreases. */
  cycles(): number;
  /** The CPU's interrupt line changed. */
  interruptLine(pending: boolean): void;
  serialOutput(byte: number): void;
  debugExit(status: number): void;
  powerOff(): void;
  reset(): void;
}

export class PcPlatform {
  readonly ports = new PortBus();
  readonly mmio = new MmioBus();
  readonly pic: DualPic;
  readonly pit: Pit8254;
  readonly com1: Uart16550;
  readonly lapic: LocalApic;
  readonly ioapic: IoApic;
  readonly rtc: RtcCmos;
  readonly pm: AcpiPm;
  readonly pci: PciHost;
  readonly i8042: I8042;
  private readonly systemControl: SystemControlPort;

  constructor(private readonly hooks: PlatformHooks, ramBytes: number) {
    const cycles = hooks.cycles;
    this.lapic = new LocalApic({
      clock: cycles, // bus clock = one tick per cycle
      onChange: (pending) => hooks.interruptLine(pending),
      picAcknowledge: () => this.pic.acknowledge(),
      onEoi: (vector) => this.ioapic.endOfInterrupt(vector),
    });
    this.pic = new DualPic({ onChange: (intr) => this.lapic.setLint(0, intr) });
    this.ioapic = new IoApic({
      deliver: (message) => {
        if (this.lapic.isDestination(message.destination, message.logical)) {
          this.lapic.acceptInterrupt(message.deliveryMode, message.vector, message.levelTriggered);
        }
      },
    });
    this.pit = new Pit8254({ clock: () => Math.floor(cycles() / CYCLES_PER_PIT_TICK), irq: this.isaIrq(0) });
    this.com1 = new Uart16550({ irq: this.isaIrq(4), onTransmit: (byte) => hooks.serialOutput(byte) });
    this.rtc = new RtcCmos({ clock: rtcClockFrom(RTC_EPOCH_MS, () => cycles() / CYCLES_PER_MS), irq: this.isaIrq(8), memoryBytes: ramBytes });
    this.pm = new AcpiPm({ clock: () => Math.floor(cycles() / CYCLES_PER_PM_TICK), sci: this.isaIrq(9), onPowerOff: () => hooks.powerOff() });
    this.pci = new PciHost({ onReset: () => hooks.reset() });
    this.i8042 = new I8042({ keyboardIrq: this.isaIrq(1), auxIrq: this.isaIrq(12), onReset: () => hooks.reset() });
    this.systemControl = new SystemControlPort({
      setTimer2Gate: (level) => this.pit.setGate(2, level),
      timer2Out: () => this.pit.out(2),
      clockNs: () => cycles() * (1e9 / CYCLES_PER_SECOND),
    });

    // The port map of a PC/AT with a PIIX-style chipset.
    const ports = this.ports;
    ports.map(0x20, 2, this.pic.master);
    ports.map(0xa0, 2, this.pic.slave);
    ports.map(0x4d0, 2, this.pic.elcr);
    ports.map(0x40, 4, this.pit);
    ports.map(0x60, 1, this.i8042.dataPort);
    ports.map(0x64, 1, this.i8042.commandPort);
    ports.map(0x61, 1, this.systemControl);
    ports.map(0x70, 2, this.rtc);
    ports.map(0x80, 1, new PostCodePort());
    ports.map(0x3f8, 8, this.com1);
    ports.map(0xf4, 4, new DebugExit({ onExit: (status) => hooks.debugExit(status) }));
    ports.map(ACPI_PM_PORT, 12, this.pm);
    ports.map(0xcf8, 8, this.pci);
    this.mmio.map(LOCAL_APIC_BASE, 0x1000, this.lapic);
    this.mmio.map(IO_APIC_BASE, 0x20, this.ioapic);
    this.lapic.setupVirtualWireMode(); // what a BIOS leaves behind
  }

  /** ISA interrupt line `irq`: into the 8259 pair and into the IOAPIC (IRQ0 is pin 2 per the MADT). */
  private isaIrq(irq: number): (level: boolean) => void {
    const pin = irq === 0 ? 2 : irq;
    return (level) => {
      this.pic.setIrq(irq, level);
      this.ioapic.setIrq(pin, level);
    };
  }

  /** Write the ACPI tables into the firmware area; returns the RSDP's address. */
  writeFirmwareTables(ram: Uint8Array): number {
    return writeAcpiTables(ram).rsdp;
  }

  /** The INTA cycle: the vector the local APIC (or the 8259 through it) delivers, or -1. */
  acknowledgeInterrupt(): number {
    return this.lapic.hasInterrupt() ? this.lapic.acknowledge() : -1;
  }

  hasPendingInterrupt(): boolean {
    return this.lapic.hasInterrupt();
  }

  /** Cycles until the next timer event of any device (Infinity if none is armed). */
  cyclesToNextEvent(): number {
    return Math.min(
      this.pit.nextEventTicks() * CYCLES_PER_PIT_TICK,
      this.lapic.nextEventTicks(),
      this.pm.nextEventTicks() * CYCLES_PER_PM_TICK,
      this.rtc.nextEventMs() * CYCLES_PER_MS,
    );
  }

  /** Bring every timer up to the current guest time (raising the interrupts that are due). */
  updateTimers(): void {
    this.pit.update();
    this.lapic.update();
    this.pm.update();
    this.rtc.update();
  }

  reset(): void {
    for (const device of [this.pic, this.pit, this.com1, this.lapic, this.ioapic, this.rtc, this.pm, this.pci, this.i8042, this.systemControl]) {
      device.reset();
    }
    this.lapic.setupVirtualWireMode();
  }
}
