// ACPI tables for a PC with one IOAPIC and the PM block of src/devices/acpi_pm.ts, written from the
// ACPI 6.4 specification, chapter 5 "ACPI Software Programming Model": 5.2.5 "Root System
// Description Pointer (RSDP)", 5.2.6 "System Description Table Header", 5.2.7 "RSDT", 5.2.9 "Fixed
// ACPI Description Table (FADT)" (Table 5.9, Field Offsets), 5.2.10 "Firmware ACPI Control Structure
// (FACS)", 5.2.11.1 "DSDT", 5.2.12 "Multiple APIC Description Table (MADT)" with its structures
// 5.2.12.2 (Processor Local APIC), 5.2.12.3 (I/O APIC), 5.2.12.5 (Interrupt Source Override) and
// 5.2.12.7 (Local APIC NMI), and 5.2.3.2 "Generic Address Structure".
//
// What the guest gets:
//   RSDP  revision 0 (ACPI 1.0 form, 20 bytes) → RSDT (32-bit pointers) → FADT, MADT
//   FADT  revision 3 (the ACPI 2.0 layout, 244 bytes, with 32-bit and X_ fields agreeing) → FACS, DSDT
//   DSDT  \_S5 = Package {5, 5, 0, 0} (SLP_TYP for soft off, what AcpiPm decodes), and
//         \_SB.PCI0, a PCI host bridge (PNP0A03) on bus 0 so an ACPI OS enumerates PCI at all.
//   MADT  local APICs, one IOAPIC at GSI 0, ISA IRQ0 → GSI2 (the 8254 on IOAPIC pin 2),
//         SCI IRQ → same GSI level-triggered, LINT1 = NMI; PCAT_COMPAT (8259s present).
//
// The SCI override is active high, not the ACPI default active low: the SCI here is one line, driven
// high when asserted, into both the 8259 (which only knows active-high) and the IOAPIC — as QEMU's
// PIIX4 does. A machine that inverts the line into the IOAPIC must pass sciActiveLow.
//
// The image is position dependent: built for a physical base address, it must be copied there.
// Linux finds the RSDP by scanning 0xE0000-0xFFFFF on 16-byte boundaries (ACPI 5.2.5.1), so the base
// must be 16-byte aligned in that range and the region must stay reserved (not usable RAM) in the
// memory map handed to the kernel.

import {
  ACPI_PM_CONVENTIONAL_BASE,
  ACPI_SLP_TYP_S5,
  PM1_CNT,
  PM1_CNT_LEN,
  PM1_EVT_LEN,
  PM1_STS,
  PM_TMR,
  PM_TMR_BITS,
  PM_TMR_LEN,
} from "../../devices/acpi_pm.ts";
import { aml, device, eisaId, integer, name, pkg, scope } from "./aml.ts";

/** Where the machine places the tables by default: the start of the BIOS area Linux scans. */
export const ACPI_TABLES_CONVENTIONAL_BASE = 0xe0000;
/** Local APIC registers (Intel SDM vol. 3, 10.4.1, IA32_APIC_BASE default). */
export const LOCAL_APIC_DEFAULT_ADDRESS = 0xfee00000;
/** IOAPIC registers (82093AA datasheet, 3.0: default 0xFEC00000). */
export const IO_APIC_DEFAULT_ADDRESS = 0xfec00000;
/** RTC CMOS index of the century byte (the PC/AT layout; FADT CENTURY). */
export const CMOS_CENTURY_INDEX = 0x32;

/** The header every description table starts with (5.2.6), 36 bytes. */
export const ACPI_HEADER_LENGTH = 36;
/** RSDP length for revision 0 (5.2.5.3). */
export const RSDP_V1_LENGTH = 20;
/** FADT length for revisions 3 and 4 (Table 5.9: ends after X_GPE1_BLK). */
export const FADT_V3_LENGTH = 244;
/** FACS length (Table 5.14). */
export const FACS_LENGTH = 64;

// FADT fields (Table 5.9): offsets.
export const FADT = {
  FIRMWARE_CTRL: 36,
  DSDT: 40,
  PREFERRED_PM_PROFILE: 45,
  SCI_INT: 46,
  SMI_CMD: 48,
  PM1A_EVT_BLK: 56,
  PM1A_CNT_BLK: 64,
  PM_TMR_BLK: 76,
  GPE0_BLK: 80,
  PM1_EVT_LEN: 88,
  PM1_CNT_LEN: 89,
  PM_TMR_LEN: 91,
  P_LVL2_LAT: 96,
  P_LVL3_LAT: 98,
  CENTURY: 108,
  IAPC_BOOT_ARCH: 109,
  FLAGS: 112,
  RESET_REG: 116,
  RESET_VALUE: 128,
  X_FIRMWARE_CTRL: 132,
  X_DSDT: 140,
  X_PM1A_EVT_BLK: 148,
  X_PM1A_CNT_BLK: 172,
  X_PM_TMR_BLK: 208,
} as const;

// FADT Fixed Feature Flags (Table 5.10).
/** Bit 0 WBINVD: the processor's WBINVD works. */
export const FADT_WBINVD = 1 << 0;
/** Bit 2 PROC_C1: C1 (HLT) is supported on all processors. */
export const FADT_PROC_C1 = 1 << 2;
/** Bit 5 SLP_BUTTON: 1 = no fixed-feature sleep button. */
export const FADT_SLP_BUTTON = 1 << 5;
/** Bit 6 FIX_RTC: 1 = RTC wake status is not in the fixed register space. */
export const FADT_FIX_RTC = 1 << 6;
/** Bit 8 TMR_VAL_EXT: 1 = 32-bit PM timer, 0 = 24-bit. */
export const FADT_TMR_VAL_EXT = 1 << 8;
/** Bit 10 RESET_REG_SUP: RESET_REG is supported. */
export const FADT_RESET_REG_SUP = 1 << 10;
/** Bit 20 HW_REDUCED_ACPI: left 0 — this platform has the fixed hardware. */
export const FADT_HW_REDUCED_ACPI = 1 << 20;

// IA-PC Boot Architecture Flags (Table 5.11).
/** Bit 0 LEGACY_DEVICES: ISA devices not enumerated by ACPI may be present (UARTs, PIT…). */
export const BOOT_ARCH_LEGACY_DEVICES = 1 << 0;
/** Bit 1 8042: an 8042 keyboard controller is present at 0x60/0x64. */
export const BOOT_ARCH_8042 = 1 << 1;

// MADT (5.2.12).
/** MADT Flags bit 0 PCAT_COMPAT: dual 8259s are installed (Table 5.20). */
export const MADT_PCAT_COMPAT = 1 << 0;
/** Interrupt controller structure types (Table 5.21). */
export const MADT_TYPE = { LOCAL_APIC: 0, IO_APIC: 1, INTERRUPT_SOURCE_OVERRIDE: 2, LOCAL_APIC_NMI: 4 } as const;
/** Processor Local APIC flags bit 0: Enabled (Table 5.23). */
export const MADT_LAPIC_ENABLED = 1 << 0;
/** MPS INTI flags (Table 5.26): polarity bits 1-0, trigger mode bits 3-2. */
export const MPS_INTI = {
  POLARITY_CONFORMS: 0b00,
  ACTIVE_HIGH: 0b01,
  ACTIVE_LOW: 0b11,
  TRIGGER_CONFORMS: 0b00 << 2,
  EDGE: 0b01 << 2,
  LEVEL: 0b11 << 2,
} as const;

/** Generic Address Structure address space IDs (Table 5.1): system I/O. */
export const GAS_SYSTEM_IO = 1;
/** GAS access sizes (Table 5.1): 1 byte, 2 word, 3 dword. */
export const GAS_ACCESS = { BYTE: 1, WORD: 2, DWORD: 3 } as const;

export interface InterruptOverride {
  /** ISA IRQ (bus-relative source). */
  irq: number;
  /** Global system interrupt it arrives at. */
  gsi: number;
  /** MPS INTI flags (polarity | trigger). */
  flags: number;
}

export interface AcpiTablesOptions {
  /** I/O base of the AcpiPm block (default 0x600). */
  pmBase?: number;
  /** ISA IRQ of the SCI (default 9). */
  sciIrq?: number;
  /** The machine inverts the SCI into the IOAPIC, so the override says active low (default false). */
  sciActiveLow?: boolean;
  /** Processors, with local APIC IDs 0 … n-1 (default 1). */
  cpuCount?: number;
  localApicAddress?: number;
  ioApicAddress?: number;
  /** IOAPIC ID (default: cpuCount, the first ID after the processors'). */
  ioApicId?: number;
  /**
   * The ACPI reset register: an I/O port and the byte that resets the machine, or null for none.
   * Default: port 0xCF9 value 0x06, the PIIX Reset Control Register (hard reset, see pci_host.ts).
   */
  reset?: { port: number; value: number } | null;
  /** Extra interrupt source overrides (e.g. PCI IRQs made level-triggered). */
  extraOverrides?: InterruptOverride[];
  /** OEMID in every header, up to 6 ASCII characters (default "WASMVS"). */
  oemId?: string;
}

/** Physical addresses of what was built. */
export interface AcpiTablesLayout {
  rsdp: number;
  rsdt: number;
  facs: number;
  fadt: number;
  dsdt: number;
  madt: number;
  /** First byte after the last table. */
  end: number;
}

export interface AcpiTables {
  /** Bytes to copy to guest physical memory at `base`. */
  image: Uint8Array;
  base: number;
  layout: AcpiTablesLayout;
}

export class AcpiTablesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AcpiTablesError";
  }
}

/** Build the tables for physical address `base` (16-byte aligned). */
export function buildAcpiTables(base: number, options: AcpiTablesOptions = {}): AcpiTables {
  if (!Number.isInteger(base) || base % 16 !== 0 || base < 0 || base > 0xffffffff) {
    throw new AcpiTablesError(`tables base 0x${base.toString(16)} is not a 16-byte aligned 32-bit address`);
  }
  const cpuCount = options.cpuCount ?? 1;
  if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > 255) throw new AcpiTablesError(`cpuCount ${cpuCount} out of range 1-255`);
  const oemId = options.oemId ?? "WASMVS";
  if (!/^[\x20-\x7e]{0,6}$/.test(oemId)) throw new AcpiTablesError(`OEMID "${oemId}" is not up to 6 printable ASCII characters`);
  const sciIrq = options.sciIrq ?? 9;

  const dsdt = buildDsdt(oemId);
  const madt = buildMadt(oemId, cpuCount, options, sciIrq);

  // Place: RSDP, RSDT, FACS (64-byte aligned, 5.2.10), FADT, DSDT, MADT.
  let at = base;
  const place = (length: number, align: number) => {
    at = Math.ceil(at / align) * align;
    const where = at;
    at += length;
    return where;
  };
  const layout: AcpiTablesLayout = {
    rsdp: place(RSDP_V1_LENGTH, 16),
    rsdt: place(ACPI_HEADER_LENGTH + 2 * 4, 16),
    facs: place(FACS_LENGTH, 64),
    fadt: place(FADT_V3_LENGTH, 16),
    dsdt: place(dsdt.length, 16),
    madt: place(madt.length, 16),
    end: 0,
  };
  layout.end = at;
  if (layout.end > 0x100000000) throw new AcpiTablesError("tables run past 4 GiB");

  const image = new Uint8Array(layout.end - base);
  const put = (address: number, bytes: Uint8Array) => image.set(bytes, address - base);
  put(layout.rsdp, buildRsdp(oemId, layout.rsdt));
  put(layout.rsdt, buildRsdt(oemId, [layout.fadt, layout.madt]));
  put(layout.facs, buildFacs());
  put(layout.fadt, buildFadt(oemId, layout.facs, layout.dsdt, options, sciIrq));
  put(layout.dsdt, dsdt);
  put(layout.madt, madt);
  return { image, base, layout };
}

/** Build the tables and copy them into `ram` (guest physical memory from address 0) at `base`. */
export function writeAcpiTables(ram: Uint8Array, base: number = ACPI_TABLES_CONVENTIONAL_BASE, options: AcpiTablesOptions = {}): AcpiTablesLayout {
  const tables = buildAcpiTables(base, options);
  if (base + tables.image.length > ram.length) throw new AcpiTablesError(`tables at 0x${base.toString(16)} do not fit in ${ram.length} bytes of RAM`);
  ram.set(tables.image, base);
  return tables.layout;
}

/** The byte that makes `bytes[from, from+length)` sum to 0 mod 256, stored at `at`. */
function fixChecksum(bytes: Uint8Array, at: number, from = 0, length = bytes.length): void {
  bytes[at] = 0;
  let sum = 0;
  for (let i = from; i < from + length; i++) sum += bytes[i];
  bytes[at] = (256 - (sum & 0xff)) & 0xff;
}

function ascii(bytes: Uint8Array, at: number, text: string, width: number): void {
  for (let i = 0; i < width; i++) bytes[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
}

/** A table with its header filled in (5.2.6) and `body` after it; the checksum is set last. */
function table(signature: string, revision: number, oemId: string, oemTableId: string, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(ACPI_HEADER_LENGTH + body.length);
  const view = new DataView(bytes.buffer);
  ascii(bytes, 0, signature, 4);
  view.setUint32(4, bytes.length, true);
  bytes[8] = revision;
  ascii(bytes, 10, oemId, 6);
  ascii(bytes, 16, oemTableId, 8);
  view.setUint32(24, 1, true); // OEM Revision
  ascii(bytes, 28, "WVMM", 4); // Creator ID
  view.setUint32(32, 1, true); // Creator Revision
  bytes.set(body, ACPI_HEADER_LENGTH);
  fixChecksum(bytes, 9);
  return bytes;
}

function buildRsdp(oemId: string, rsdt: number): Uint8Array {
  const bytes = new Uint8Array(RSDP_V1_LENGTH);
  ascii(bytes, 0, "RSD PTR ", 8);
  ascii(bytes, 9, oemId, 6);
  bytes[15] = 0; // Revision 0: ACPI 1.0 RSDP, RSDT only
  new DataView(bytes.buffer).setUint32(16, rsdt, true);
  fixChecksum(bytes, 8, 0, RSDP_V1_LENGTH);
  return bytes;
}

function buildRsdt(oemId: string, entries: number[]): Uint8Array {
  const body = new Uint8Array(4 * entries.length);
  const view = new DataView(body.buffer);
  entries.forEach((address, i) => view.setUint32(4 * i, address, true));
  return table("RSDT", 1, oemId, "WASMRSDT", body);
}

function buildFacs(): Uint8Array {
  const bytes = new Uint8Array(FACS_LENGTH);
  ascii(bytes, 0, "FACS", 4);
  new DataView(bytes.buffer).setUint32(4, FACS_LENGTH, true);
  bytes[32] = 1; // Version (Table 5.14: 1 for the ACPI 2.0 layout); waking vector, lock, flags 0
  return bytes;
}

/** Write a Generic Address Structure (5.2.3.2) for an I/O port block. */
function ioGas(view: DataView, at: number, port: number, bits: number, access: number): void {
  view.setUint8(at, GAS_SYSTEM_IO);
  view.setUint8(at + 1, bits);
  view.setUint8(at + 2, 0);
  view.setUint8(at + 3, access);
  view.setUint32(at + 4, port, true);
  view.setUint32(at + 8, 0, true);
}

function buildFadt(oemId: string, facs: number, dsdt: number, options: AcpiTablesOptions, sciIrq: number): Uint8Array {
  const body = new Uint8Array(FADT_V3_LENGTH - ACPI_HEADER_LENGTH);
  const view = new DataView(body.buffer);
  const f = (offset: number) => offset - ACPI_HEADER_LENGTH;
  const pmBase = options.pmBase ?? ACPI_PM_CONVENTIONAL_BASE;
  const reset = options.reset === undefined ? { port: 0xcf9, value: 0x06 } : options.reset;

  view.setUint32(f(FADT.FIRMWARE_CTRL), facs, true);
  view.setUint32(f(FADT.DSDT), dsdt, true);
  view.setUint8(f(FADT.PREFERRED_PM_PROFILE), 0); // Unspecified
  view.setUint16(f(FADT.SCI_INT), sciIrq, true);
  view.setUint32(f(FADT.SMI_CMD), 0, true); // no SMI: the platform is always in ACPI mode
  view.setUint32(f(FADT.PM1A_EVT_BLK), pmBase + PM1_STS, true);
  view.setUint32(f(FADT.PM1A_CNT_BLK), pmBase + PM1_CNT, true);
  view.setUint32(f(FADT.PM_TMR_BLK), pmBase + PM_TMR, true);
  view.setUint32(f(FADT.GPE0_BLK), 0, true); // no general-purpose events
  view.setUint8(f(FADT.PM1_EVT_LEN), PM1_EVT_LEN);
  view.setUint8(f(FADT.PM1_CNT_LEN), PM1_CNT_LEN);
  view.setUint8(f(FADT.PM_TMR_LEN), PM_TMR_LEN);
  view.setUint16(f(FADT.P_LVL2_LAT), 101, true); // > 100: C2 not supported
  view.setUint16(f(FADT.P_LVL3_LAT), 1001, true); // > 1000: C3 not supported
  view.setUint8(f(FADT.CENTURY), CMOS_CENTURY_INDEX);
  view.setUint16(f(FADT.IAPC_BOOT_ARCH), BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042, true);
  let flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC;
  if ((PM_TMR_BITS as number) === 32) flags |= FADT_TMR_VAL_EXT;
  if (reset) {
    flags |= FADT_RESET_REG_SUP;
    ioGas(view, f(FADT.RESET_REG), reset.port, 8, GAS_ACCESS.BYTE);
    view.setUint8(f(FADT.RESET_VALUE), reset.value);
  }
  view.setUint32(f(FADT.FLAGS), flags, true);
  view.setUint32(f(FADT.X_FIRMWARE_CTRL), facs, true);
  view.setUint32(f(FADT.X_DSDT), dsdt, true);
  ioGas(view, f(FADT.X_PM1A_EVT_BLK), pmBase + PM1_STS, 8 * PM1_EVT_LEN, GAS_ACCESS.WORD);
  ioGas(view, f(FADT.X_PM1A_CNT_BLK), pmBase + PM1_CNT, 8 * PM1_CNT_LEN, GAS_ACCESS.WORD);
  ioGas(view, f(FADT.X_PM_TMR_BLK), pmBase + PM_TMR, 8 * PM_TMR_LEN, GAS_ACCESS.DWORD);
  return table("FACP", 3, oemId, "WASMFACP", body);
}

/** The DSDT's AML (see the header). */
export function dsdtAml(): Uint8Array {
  return aml(
    // \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved (ACPI 7.4.2).
    name("\\_S5", pkg(integer(ACPI_SLP_TYP_S5), integer(ACPI_SLP_TYP_S5), integer(0), integer(0))),
    scope(
      "\\_SB",
      device(
        "PCI0",
        name("_HID", eisaId("PNP0A03")), // PCI host bridge (ACPI 6.4, 6.1.5; PCI Firmware Spec 4.1)
        name("_ADR", integer(0)),
        name("_UID", integer(0)),
        name("_BBN", integer(0)), // base bus number
      ),
    ),
  );
}

function buildDsdt(oemId: string): Uint8Array {
  return table("DSDT", 2, oemId, "WASMDSDT", dsdtAml());
}

function buildMadt(oemId: string, cpuCount: number, options: AcpiTablesOptions, sciIrq: number): Uint8Array {
  const entries: number[][] = [];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  for (let id = 0; id < cpuCount; id++) {
    // Processor Local APIC (Table 5.22): UID, APIC ID, flags.
    entries.push([MADT_TYPE.LOCAL_APIC, 8, id, id, ...u32(MADT_LAPIC_ENABLED)]);
  }
  // I/O APIC (Table 5.24): ID, reserved, address, GSI base.
  const ioApicId = options.ioApicId ?? cpuCount;
  entries.push([MADT_TYPE.IO_APIC, 12, ioApicId, 0, ...u32(options.ioApicAddress ?? IO_APIC_DEFAULT_ADDRESS), ...u32(0)]);
  const overrides: InterruptOverride[] = [
    // The 8254's OUT0 reaches IOAPIC pin 2, where the 8259 cascade would be (as on PIIX boards).
    { irq: 0, gsi: 2, flags: MPS_INTI.ACTIVE_HIGH | MPS_INTI.EDGE },
    { irq: sciIrq, gsi: sciIrq, flags: (options.sciActiveLow ? MPS_INTI.ACTIVE_LOW : MPS_INTI.ACTIVE_HIGH) | MPS_INTI.LEVEL },
    ...(options.extraOverrides ?? []),
  ];
  for (const o of overrides) {
    // Interrupt Source Override (Table 5.25): bus 0 = ISA, source, GSI, flags.
    entries.push([MADT_TYPE.INTERRUPT_SOURCE_OVERRIDE, 10, 0, o.irq, ...u32(o.gsi), ...u16(o.flags)]);
  }
  // Local APIC NMI (Table 5.29): all processors (UID 0xFF), flags conform, LINT1.
  entries.push([MADT_TYPE.LOCAL_APIC_NMI, 6, 0xff, ...u16(0), 1]);

  const head = [...u32(options.localApicAddress ?? LOCAL_APIC_DEFAULT_ADDRESS), ...u32(MADT_PCAT_COMPAT)];
  return table("APIC", 1, oemId, "WASMAPIC", new Uint8Array([...head, ...entries.flat()]));
}
