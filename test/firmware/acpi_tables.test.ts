// The ACPI tables parsed back as an OS would find them: RSDP by scanning 0xE0000-0xFFFFF, then
// RSDT → FADT/MADT, FADT → FACS/DSDT (ACPI 6.4, 5.2). When ACPICA's iasl is installed (Debian
// package acpica-tools), every table is also disassembled with `iasl -d`, which checks lengths,
// checksums and, for the DSDT, that the AML parses.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ACPI_PM_CONVENTIONAL_BASE, ACPI_SLP_TYP_S5, PM1_CNT, PM_TMR } from "../../src/devices/acpi_pm.ts";
import {
  ACPI_TABLES_CONVENTIONAL_BASE,
  AcpiTablesError,
  BOOT_ARCH_8042,
  buildAcpiTables,
  dsdtAml,
  FADT,
  FADT_HW_REDUCED_ACPI,
  FADT_RESET_REG_SUP,
  MADT_PCAT_COMPAT,
  MPS_INTI,
  writeAcpiTables,
} from "../../src/machine/firmware/acpi_tables.ts";
import { AmlError, eisaId, integer, pkgLength } from "../../src/machine/firmware/aml.ts";

const RAM = 1 << 20;

function machineRam(options = {}) {
  const ram = new Uint8Array(RAM);
  writeAcpiTables(ram, ACPI_TABLES_CONVENTIONAL_BASE, options);
  return ram;
}

const u32 = (ram: Uint8Array, at: number) => new DataView(ram.buffer).getUint32(at, true);
const u16 = (ram: Uint8Array, at: number) => new DataView(ram.buffer).getUint16(at, true);
const text = (ram: Uint8Array, at: number, n: number) => String.fromCharCode(...ram.subarray(at, at + n));
const sum = (bytes: Uint8Array) => bytes.reduce((a, b) => (a + b) & 0xff, 0);

/** Scan for the RSDP as Linux does (16-byte boundaries, signature and checksum). */
function findRsdp(ram: Uint8Array): number {
  for (let at = 0xe0000; at < 0x100000; at += 16) {
    if (text(ram, at, 8) === "RSD PTR " && sum(ram.subarray(at, at + 20)) === 0) return at;
  }
  return -1;
}

function tableAt(ram: Uint8Array, at: number) {
  const length = u32(ram, at + 4);
  return { signature: text(ram, at, 4), length, revision: ram[at + 8], bytes: ram.subarray(at, at + length) };
}

function parse(ram: Uint8Array) {
  const rsdp = findRsdp(ram);
  const rsdt = tableAt(ram, u32(ram, rsdp + 16));
  const entries: number[] = [];
  for (let i = 36; i < rsdt.length; i += 4) entries.push(u32(ram, rsdt.bytes.byteOffset + i));
  const tables = Object.fromEntries(entries.map((a) => [tableAt(ram, a).signature, { address: a, ...tableAt(ram, a) }]));
  const fadt = tables.FACP;
  const dsdt = tableAt(ram, u32(ram, fadt.address + FADT.DSDT));
  const facsAddress = u32(ram, fadt.address + FADT.FIRMWARE_CTRL);
  return { rsdp, rsdt, tables, fadt, dsdt, facsAddress };
}

describe("ACPI tables", () => {
  test("the RSDP is found by the 0xE0000-0xFFFFF scan, revision 0, checksum correct", () => {
    const ram = machineRam();
    const rsdp = findRsdp(ram);
    expect(rsdp).toBe(ACPI_TABLES_CONVENTIONAL_BASE);
    expect(ram[rsdp + 15]).toBe(0);
  });

  test("every table's checksum sums to 0 and its length fits", () => {
    const ram = machineRam();
    const { rsdt, tables, dsdt } = parse(ram);
    expect(Object.keys(tables).sort()).toEqual(["APIC", "FACP"]);
    for (const t of [rsdt, dsdt, ...Object.values(tables)]) {
      expect(sum(t.bytes), t.signature).toBe(0);
      expect(t.length).toBeGreaterThanOrEqual(36);
    }
  });

  test("the FADT points at the PM block, the SCI, the FACS and DSDT, and the reset register", () => {
    const ram = machineRam();
    const { fadt, facsAddress, dsdt } = parse(ram);
    const at = fadt.address;
    expect(fadt.length).toBe(244);
    expect(fadt.revision).toBe(3);
    expect(u16(ram, at + FADT.SCI_INT)).toBe(9);
    expect(u32(ram, at + FADT.SMI_CMD)).toBe(0);
    expect(u32(ram, at + FADT.PM1A_EVT_BLK)).toBe(ACPI_PM_CONVENTIONAL_BASE);
    expect(u32(ram, at + FADT.PM1A_CNT_BLK)).toBe(ACPI_PM_CONVENTIONAL_BASE + PM1_CNT);
    expect(u32(ram, at + FADT.PM_TMR_BLK)).toBe(ACPI_PM_CONVENTIONAL_BASE + PM_TMR);
    expect([ram[at + FADT.PM1_EVT_LEN], ram[at + FADT.PM1_CNT_LEN], ram[at + FADT.PM_TMR_LEN]]).toEqual([4, 2, 4]);
    expect(u32(ram, at + FADT.X_DSDT)).toBe(u32(ram, at + FADT.DSDT));
    expect(u32(ram, at + FADT.X_PM_TMR_BLK + 4)).toBe(ACPI_PM_CONVENTIONAL_BASE + PM_TMR);
    const flags = u32(ram, at + FADT.FLAGS);
    expect(flags & FADT_HW_REDUCED_ACPI).toBe(0);
    expect(flags & FADT_RESET_REG_SUP).toBe(FADT_RESET_REG_SUP);
    expect(u32(ram, at + FADT.RESET_REG + 4)).toBe(0xcf9);
    expect(ram[at + FADT.RESET_VALUE]).toBe(0x06);
    expect(u16(ram, at + FADT.IAPC_BOOT_ARCH) & BOOT_ARCH_8042).toBe(BOOT_ARCH_8042);
    expect(ram[at + FADT.CENTURY]).toBe(0x32);
    expect(text(ram, facsAddress, 4)).toBe("FACS");
    expect(facsAddress % 64).toBe(0);
    expect(dsdt.signature).toBe("DSDT");
  });

  test("the DSDT holds \\_S5 = Package {5, 5, 0, 0} in hand-checked AML", () => {
    const bytes = dsdtAml();
    // NameOp "\_S5_" PackageOp PkgLength=8 NumElements=4 BytePrefix 5 BytePrefix 5 Zero Zero
    expect([...bytes.subarray(0, 15)]).toEqual([0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0x00, 0x00]);
    expect(ACPI_SLP_TYP_S5).toBe(5);
  });

  test("the MADT lists the local APIC, the IOAPIC, the overrides and LINT1 NMI", () => {
    const ram = machineRam({ cpuCount: 2 });
    const madt = parse(ram).tables.APIC;
    const at = madt.address;
    expect(u32(ram, at + 36)).toBe(0xfee00000);
    expect(u32(ram, at + 40) & MADT_PCAT_COMPAT).toBe(MADT_PCAT_COMPAT);
    const entries: number[][] = [];
    for (let p = at + 44; p < at + madt.length; p += ram[p + 1]) entries.push([...ram.subarray(p, p + ram[p + 1])]);
    expect(entries).toEqual([
      [0, 8, 0, 0, 1, 0, 0, 0],
      [0, 8, 1, 1, 1, 0, 0, 0],
      [1, 12, 2, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0],
      [2, 10, 0, 0, 2, 0, 0, 0, MPS_INTI.ACTIVE_HIGH | MPS_INTI.EDGE, 0],
      [2, 10, 0, 9, 9, 0, 0, 0, MPS_INTI.ACTIVE_HIGH | MPS_INTI.LEVEL, 0],
      [4, 6, 0xff, 0, 0, 1],
    ]);
  });

  test("the base must be 16-byte aligned, and the tables must fit in RAM", () => {
    expect(() => buildAcpiTables(0xe0008)).toThrow(AcpiTablesError);
    expect(() => writeAcpiTables(new Uint8Array(0xe0010))).toThrow(AcpiTablesError);
  });
});

describe("AML encoding (ACPI 6.4, 20.2)", () => {
  test("PkgLength uses one byte up to 63 and more bytes above", () => {
    expect([...pkgLength(10)]).toEqual([11]);
    expect([...pkgLength(62)]).toEqual([63]);
    // 63 content bytes + 2 length bytes = 65 = 0x41: lead 0x41 (1 follow, low nibble 1), then 0x04.
    expect([...pkgLength(63)]).toEqual([0x41, 0x04]);
  });

  test("integers use Zero, One and the shortest prefix", () => {
    expect([...integer(0)]).toEqual([0x00]);
    expect([...integer(1)]).toEqual([0x01]);
    expect([...integer(0x12)]).toEqual([0x0a, 0x12]);
    expect([...integer(0x1234)]).toEqual([0x0b, 0x34, 0x12]);
    expect([...integer(0x12345678)]).toEqual([0x0c, 0x78, 0x56, 0x34, 0x12]);
  });

  test("EISAID(PNP0A03) is 0x030AD041", () => {
    expect([...eisaId("PNP0A03")]).toEqual([0x0c, 0x41, 0xd0, 0x0a, 0x03]);
    expect(() => eisaId("pnp0a03")).toThrow(AmlError);
  });
});

const iasl = (() => {
  try {
    execFileSync("iasl", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!iasl)("ACPICA iasl accepts the tables (apt package acpica-tools)", () => {
  test("iasl -d disassembles every table without errors and finds _S5 and PCI0", () => {
    const ram = machineRam();
    const { rsdt, tables, dsdt } = parse(ram);
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-acpi-"));
    try {
      for (const t of [rsdt, dsdt, ...Object.values(tables)]) {
        const file = join(dir, `${t.signature.toLowerCase()}.dat`);
        writeFileSync(file, t.bytes);
        const out = execFileSync("iasl", ["-d", file], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        expect(out, t.signature).not.toMatch(/Error|Invalid|Warning.*checksum/i);
      }
      const dsl = readFileSync(join(dir, "dsdt.dsl"), "utf8");
      expect(dsl).toMatch(/Name \(\\_S5, Package \(0x04\)[^{]*\{\s*0x05,\s*0x05,\s*Zero,\s*Zero\s*\}\)/);
      expect(dsl).toMatch(/Device \(PCI0\)/);
      expect(dsl).toMatch(/EisaId \("PNP0A03"\)/);
      const facp = readFileSync(join(dir, "facp.dsl"), "utf8");
      expect(facp).toMatch(/PM1A Control Block Address : 00000604/);
      const apic = readFileSync(join(dir, "apic.dsl"), "utf8");
      expect(apic).toMatch(/Interrupt Source Override/);
      expect(apic).not.toMatch(/Invalid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
