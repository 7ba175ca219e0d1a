// A bare engine for unit tests of single stages (decoder, page walk): stub devices that record
// what reaches them, and helpers that put the CPU into the modes the tests need by writing the
// state block directly, as the machine's loader does (src/machine/machine.ts).
import * as layout from "../../assembly/layout.ts";
import { Engine, type GuestException } from "../../src/machine/engine.ts";

/** Every access that left guest RAM for the host. */
export interface HostLog {
  mmioReads: { address: number; size: number }[];
  mmioWrites: { address: number; size: number; value: number }[];
}

/** What the host answers for a physical address outside RAM; all ones is an open bus. */
export type MmioReader = (address: number, size: number) => number;

export const OPEN_BUS: MmioReader = (_address, size) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1);

export function createEngine(ramBytes: number, mmioRead: MmioReader = OPEN_BUS): { engine: Engine; log: HostLog } {
  const log: HostLog = { mmioReads: [], mmioWrites: [] };
  const engine = new Engine({
    portIn: (_port, size) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1),
    portOut: () => {},
    mmioRead: (address, size) => {
      log.mmioReads.push({ address, size });
      return mmioRead(address, size);
    },
    mmioWrite: (address, size, value) => { log.mmioWrites.push({ address, size, value }); },
    acknowledgeInterrupt: () => -1,
  });
  engine.initialize(ramBytes);
  return { engine, log };
}

export function isException(result: unknown): result is GuestException {
  return typeof result === "object" && result !== null && "vector" in result;
}

// Access bytes of segment descriptors (descriptor bits 40..55, SDM vol. 3, 3.4.5).
export const ACCESS_FLAT_CODE32 = 0xc09b; // G, D, P, S, code, readable, accessed
export const ACCESS_FLAT_DATA32 = 0xc093; // G, B, P, S, data, writable, accessed
export const ACCESS_CODE16 = 0x009b; // P, S, code, readable, accessed; D clear: 16-bit defaults
export const ACCESS_DATA16 = 0x0093;

const CR0_PE = 1 << 0; // protection enable
const CR0_ET = 1 << 4; // extension type
export const CR0_WP = 1 << 16; // supervisor write protect (SDM vol. 3, 4.1.3)
export const CR0_PG = 1 << 31; // paging
export const CR4_PSE = 1 << 4; // 4 MiB pages
export const CR4_PGE = 1 << 7; // global pages

/** Flat 4 GiB 32-bit segments at CPL 0, paging off. */
export function enterFlatProtectedMode(engine: Engine): void {
  engine.exports.loadSegmentCache(layout.SEG_CS, 0x08, 0, 0xffffffff, ACCESS_FLAT_CODE32);
  for (const seg of [layout.SEG_ES, layout.SEG_SS, layout.SEG_DS, layout.SEG_FS, layout.SEG_GS]) {
    engine.exports.loadSegmentCache(seg, 0x10, 0, 0xffffffff, ACCESS_FLAT_DATA32);
  }
  engine.set32(layout.CR0, CR0_PE | CR0_ET);
  engine.set32(layout.REG_EFLAGS, 0x2);
  engine.exports.stateChanged(0);
}

/** 16-bit protected-mode code: a 64 KiB code segment at `base` (D clear). */
export function loadCode16(engine: Engine, base: number, limit = 0xffff): void {
  engine.exports.loadSegmentCache(layout.SEG_CS, 0x08, base, limit, ACCESS_CODE16);
}

/** 32-bit code segment at `base` with a byte-granular `limit`. */
export function loadCode32(engine: Engine, base: number, limit = 0xffffffff): void {
  engine.exports.loadSegmentCache(layout.SEG_CS, 0x08, base, limit, ACCESS_FLAT_CODE32);
}

/** Turn paging on with the page directory at `cr3`; `cr4` and `cr0Extra` add PSE/PGE and WP. */
export function enablePaging(engine: Engine, cr3: number, options: { cr4?: number; cr0Extra?: number; cpl?: number } = {}): void {
  engine.set32(layout.CR3, cr3);
  engine.set32(layout.CR4, options.cr4 ?? 0);
  engine.set32(layout.CR0, CR0_PG | CR0_PE | CR0_ET | (options.cr0Extra ?? 0));
  engine.exports.stateChanged(options.cpl ?? 0);
}

/** Little-endian 32-bit access to guest RAM. */
export function readPhys32(engine: Engine, address: number): number {
  const ram = engine.ram();
  return (ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24)) >>> 0;
}
export function writePhys32(engine: Engine, address: number, value: number): void {
  const ram = engine.ram();
  for (let i = 0; i < 4; i++) ram[address + i] = (value >>> (i * 8)) & 0xff;
}

/** A field of the decoder's record, as wide as its place there (assembly/cpu/record.ts). */
export function decodedField(engine: Engine, field: number): number {
  const word = engine.get32(field & ~3) >>> ((field & 3) * 8);
  if (field >= layout.DEC_RECORD_8) return word & 0xff;
  if (field >= layout.DEC_RECORD_16) return word & 0xffff;
  return word;
}

export function hex(value: number): string {
  return "0x" + (value >>> 0).toString(16);
}
