// The engine's page walk (assembly/mmu/paging.ts) against the rules of 32-bit paging in the SDM
// vol. 3: translation with 4 KiB and 4 MiB pages (4.3), access rights (4.6), page-fault error
// codes and CR2 (4.7), accessed and dirty flags (4.8), and the TLB's freedom to keep a
// translation until it is invalidated (4.10). Page directories and tables are built in guest
// RAM by the tests; translateLinear() walks them, and a few checks go through real instructions.
import { describe, expect, it } from "vitest";
import * as layout from "../../assembly/layout.ts";
import type { Engine } from "../../src/machine/engine.ts";
import {
  CR0_WP, CR4_PGE, CR4_PSE, createEngine, enablePaging, enterFlatProtectedMode, hex, isException, readPhys32, writePhys32,
  type HostLog, type MmioReader,
} from "./harness.ts";

// Paging-structure entry bits (SDM vol. 3, tables 4-5 and 4-6).
const P = 1 << 0; // present
const RW = 1 << 1; // writable
const US = 1 << 2; // user
const A = 1 << 5; // accessed
const D = 1 << 6; // dirty
const PS = 1 << 7; // 4 MiB page (PDE, with CR4.PSE)
const G = 1 << 8; // global (with CR4.PGE)

// Page-fault error code bits (SDM vol. 3, 4.7).
const PF_P = 1 << 0; // protection violation, not a not-present entry
const PF_W = 1 << 1; // write access
const PF_U = 1 << 2; // user-mode access

const EXC_PF = 14;
const RAM_BYTES = 0x800000; // 8 MiB: room for a 4 MiB page frame at 4 MiB

// Where the tests put their paging structures and code (physical addresses).
const PAGE_DIRECTORY = 0x1000;
const LOW_TABLE = 0x2000; // maps linear 0-4 MiB to itself, for code
const DATA_TABLE = 0x3000; // maps linear 4-8 MiB (directory slot 1), per test
const SPARE_TABLE = 0x4000;
const CODE = 0x10000;
const DATA_LINEAR = 0x400000;

function pdeAddress(linear: number): number {
  return PAGE_DIRECTORY + (linear >>> 22) * 4;
}
function pteAddress(table: number, linear: number): number {
  return table + ((linear >>> 12) & 0x3ff) * 4;
}

interface Space {
  engine: Engine;
  log: HostLog;
}

/**
 * Flat protected mode with the page directory at PAGE_DIRECTORY: slot 0 identity-maps the low
 * 4 MiB through LOW_TABLE (user, writable, accessed and dirty, so code fetches leave no trace);
 * slot 1 points at DATA_TABLE with `dataPde` flags. Paging is enabled with the given CR4/WP.
 */
function addressSpace(options: { dataPde?: number; cr4?: number; cr0Extra?: number; ramBytes?: number; mmioRead?: MmioReader } = {}): Space {
  const { engine, log } = createEngine(options.ramBytes ?? RAM_BYTES, options.mmioRead);
  enterFlatProtectedMode(engine);
  writePhys32(engine, PAGE_DIRECTORY, LOW_TABLE | P | RW | US | A);
  for (let page = 0; page < 1024; page++) writePhys32(engine, LOW_TABLE + page * 4, (page << 12) | P | RW | US | A | D);
  writePhys32(engine, PAGE_DIRECTORY + 4, DATA_TABLE | (options.dataPde ?? P | RW | US));
  enablePaging(engine, PAGE_DIRECTORY, { cr4: options.cr4, cr0Extra: options.cr0Extra });
  return { engine, log };
}

type Translation = number | { vector: number; errorCode: number };

function translate(engine: Engine, linear: number, write: boolean, user: boolean): Translation {
  const result = engine.tryCall(() => engine.exports.translateLinear(linear, write ? 1 : 0, user ? 1 : 0));
  return isException(result) ? result : result >>> 0;
}

function pageFault(errorCode: number): Translation {
  return { vector: EXC_PF, errorCode };
}

/** Execute the instruction bytes at CODE (CPL 0) and check it retired without an exception. */
function execute(engine: Engine, bytes: number[], registers: Partial<Record<"eax" | "ebx", number>> = {}): void {
  engine.ram().set(bytes, CODE);
  engine.exports.hostWroteMemory(CODE, bytes.length); // keeps the decoded-code cache coherent
  engine.set32(layout.REG_EIP, CODE);
  if (registers.eax !== undefined) engine.set32(layout.REG_EAX, registers.eax);
  if (registers.ebx !== undefined) engine.set32(layout.REG_EBX, registers.ebx);
  engine.run(1);
  expect(hex(engine.get32(layout.REG_EIP)), "instruction did not retire").toBe(hex(CODE + bytes.length));
}

const MOV_EAX_FROM_EBX = [0x8b, 0x03]; // mov eax, [ebx]
const MOV_EAX_TO_EBX = [0x89, 0x03]; // mov [ebx], eax
const MOV_CR3_FROM_EAX = [0x0f, 0x22, 0xd8]; // mov cr3, eax

describe("translation (SDM vol. 3, 4.3)", () => {
  it("4 KiB page: directory slot, table slot and offset", () => {
    const { engine } = addressSpace();
    writePhys32(engine, pteAddress(DATA_TABLE, 0x405abc), 0x123000 | P | RW | US);
    expect(translate(engine, 0x405abc, false, false)).toBe(0x123abc);
    expect(translate(engine, 0x405fff, true, true)).toBe(0x123fff);
    // Linear addresses in the low 4 MiB map to themselves through LOW_TABLE.
    expect(translate(engine, 0x3ff123, false, true)).toBe(0x3ff123);
  });

  it("4 MiB page with CR4.PSE: PDE bits 31-22 and a 22-bit offset", () => {
    const { engine } = addressSpace({ cr4: CR4_PSE });
    writePhys32(engine, pdeAddress(0x812345), 0x400000 | P | RW | PS);
    expect(translate(engine, 0x812345, false, false)).toBe(0x412345);
    expect(translate(engine, 0xbfffff, true, false)).toBe(0x7fffff);
  });

  it("without CR4.PSE the PS bit means nothing: the PDE points to a page table", () => {
    const pde = SPARE_TABLE | P | RW | PS; // frame bits 31-22 are 0: a 4 MiB reading would give 0x012345
    const { engine } = addressSpace();
    writePhys32(engine, pdeAddress(0x812345), pde);
    writePhys32(engine, pteAddress(SPARE_TABLE, 0x812345), 0x456000 | P | RW);
    expect(translate(engine, 0x812345, false, false)).toBe(0x456345);

    const withPse = addressSpace({ cr4: CR4_PSE }).engine;
    writePhys32(withPse, pdeAddress(0x812345), pde);
    expect(translate(withPse, 0x812345, false, false)).toBe(0x012345);
  });
});

describe("not-present entries (SDM vol. 3, 4.7)", () => {
  const accesses: [boolean, boolean, number][] = [
    // write, user, error code
    [false, false, 0],
    [true, false, PF_W],
    [false, true, PF_U],
    [true, true, PF_W | PF_U],
  ];

  it.each(accesses)("PDE not present: write %s, user %s → #PF(%i), CR2 = the address", (write, user, errorCode) => {
    const { engine } = addressSpace();
    writePhys32(engine, pdeAddress(0xc01234), 0xfffffffe); // everything but P
    expect(translate(engine, 0xc01234, write, user)).toEqual(pageFault(errorCode));
    expect(hex(engine.get32(layout.CR2))).toBe(hex(0xc01234));
  });

  it.each(accesses)("PTE not present: write %s, user %s → #PF(%i), CR2 = the address", (write, user, errorCode) => {
    const { engine } = addressSpace();
    writePhys32(engine, pteAddress(DATA_TABLE, 0x407ffd), 0x123000 | RW | US | A | D);
    expect(translate(engine, 0x407ffd, write, user)).toEqual(pageFault(errorCode));
    expect(hex(engine.get32(layout.CR2))).toBe(hex(0x407ffd));
  });
});

describe("access rights (SDM vol. 3, 4.6)", () => {
  /** The SDM's rule: user accesses need U/S in both levels; writes need R/W in both unless a supervisor write with CR0.WP clear. */
  function allowed(pde: number, pte: number, write: boolean, user: boolean, wp: boolean): boolean {
    const userOk = (pde & pte & US) !== 0;
    const writeOk = (pde & pte & RW) !== 0;
    if (user && !userOk) return false;
    if (write && !writeOk && (user || wp)) return false;
    return true;
  }

  it("every combination of PDE and PTE U/S and R/W, for reads and writes, user and supervisor, with and without CR0.WP", () => {
    const problems: string[] = [];
    let faults = 0;
    for (const wp of [false, true]) {
      const { engine } = addressSpace({ cr0Extra: wp ? CR0_WP : 0 });
      let slot = 0;
      for (const pdeRights of [0, RW, US, RW | US]) {
        for (const pteRights of [0, RW, US, RW | US]) {
          for (const write of [false, true]) {
            for (const user of [false, true]) {
              // A fresh directory slot and page for each case, so no entry carries over.
              slot++;
              const linear = (slot << 22) + 0x1234;
              const table = 0x100000 + slot * 0x1000;
              writePhys32(engine, pdeAddress(linear), table | P | pdeRights);
              writePhys32(engine, pteAddress(table, linear), 0x200000 | P | pteRights);
              const expected = allowed(pdeRights, pteRights, write, user, wp)
                ? 0x200000 | (linear & 0xfff)
                : pageFault(PF_P | (write ? PF_W : 0) | (user ? PF_U : 0));
              if (typeof expected === "object") faults++;
              const actual = translate(engine, linear, write, user);
              if (JSON.stringify(actual) !== JSON.stringify(expected)) {
                problems.push(`WP ${wp} PDE ${pdeRights} PTE ${pteRights} write ${write} user ${user}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
              } else if (typeof expected === "object" && engine.get32(layout.CR2) !== linear) {
                problems.push(`WP ${wp} PDE ${pdeRights} PTE ${pteRights} write ${write} user ${user}: CR2 ${hex(engine.get32(layout.CR2))}`);
              }
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(faults).toBeGreaterThan(30);
  });

  it("a 4 MiB page takes its rights from the PDE alone", () => {
    const { engine } = addressSpace({ cr4: CR4_PSE, cr0Extra: CR0_WP });
    writePhys32(engine, pdeAddress(0x800000), 0x400000 | P | PS); // supervisor, read-only
    expect(translate(engine, 0x800010, false, false)).toBe(0x400010);
    expect(translate(engine, 0x800010, true, false)).toEqual(pageFault(PF_P | PF_W));
    expect(translate(engine, 0x800010, false, true)).toEqual(pageFault(PF_P | PF_U));
    writePhys32(engine, pdeAddress(0x800000), 0x400000 | P | PS | US | RW);
    expect(translate(engine, 0x800010, true, true)).toBe(0x400010);
  });
});

describe("accessed and dirty flags (SDM vol. 3, 4.8)", () => {
  it("any access sets A in the PDE and the PTE; only a write sets D, and only in the PTE", () => {
    const { engine } = addressSpace();
    const pte = pteAddress(DATA_TABLE, DATA_LINEAR);
    writePhys32(engine, pte, 0x123000 | P | RW | US);
    expect(translate(engine, DATA_LINEAR, false, true)).toBe(0x123000);
    expect(hex(readPhys32(engine, pdeAddress(DATA_LINEAR)))).toBe(hex(DATA_TABLE | P | RW | US | A));
    expect(hex(readPhys32(engine, pte))).toBe(hex(0x123000 | P | RW | US | A));
    expect(translate(engine, DATA_LINEAR + 8, true, false)).toBe(0x123008);
    expect(hex(readPhys32(engine, pte))).toBe(hex(0x123000 | P | RW | US | A | D));
    // D of a PDE that references a page table is ignored and left alone.
    expect(hex(readPhys32(engine, pdeAddress(DATA_LINEAR)))).toBe(hex(DATA_TABLE | P | RW | US | A));
  });

  it("a 4 MiB page keeps A and D in its PDE", () => {
    const { engine } = addressSpace({ cr4: CR4_PSE });
    writePhys32(engine, pdeAddress(0x800000), 0x400000 | P | RW | PS);
    translate(engine, 0x800000, false, false);
    expect(hex(readPhys32(engine, pdeAddress(0x800000)))).toBe(hex(0x400000 | P | RW | PS | A));
    translate(engine, 0x9ff000, true, false);
    expect(hex(readPhys32(engine, pdeAddress(0x800000)))).toBe(hex(0x400000 | P | RW | PS | A | D));
  });

  it("through instructions: a read leaves the page clean, the first write after it (a TLB hit) still sets D", () => {
    const { engine } = addressSpace();
    const pte = pteAddress(DATA_TABLE, DATA_LINEAR);
    writePhys32(engine, pte, 0x123000 | P | RW | US);
    writePhys32(engine, 0x123010, 0xcafef00d);
    execute(engine, MOV_EAX_FROM_EBX, { ebx: DATA_LINEAR + 0x10 });
    expect(hex(engine.get32(layout.REG_EAX))).toBe(hex(0xcafef00d));
    expect(hex(readPhys32(engine, pte))).toBe(hex(0x123000 | P | RW | US | A));
    execute(engine, MOV_EAX_TO_EBX, { eax: 0x600df00d, ebx: DATA_LINEAR + 0x20 });
    expect(hex(readPhys32(engine, 0x123020))).toBe(hex(0x600df00d));
    expect(hex(readPhys32(engine, pte))).toBe(hex(0x123000 | P | RW | US | A | D));
  });

  it("a faulting access sets no D flag", () => {
    const { engine } = addressSpace({ cr0Extra: CR0_WP });
    const pte = pteAddress(DATA_TABLE, DATA_LINEAR);
    writePhys32(engine, pte, 0x123000 | P | US | A); // read-only
    expect(translate(engine, DATA_LINEAR, true, false)).toEqual(pageFault(PF_P | PF_W));
    expect(hex(readPhys32(engine, pte))).toBe(hex(0x123000 | P | US | A));
  });
});

describe("memory outside RAM", () => {
  // RAM that ends 32 KiB short of a WebAssembly page: the engine's linear memory goes on past the
  // guest's RAM, and must never be used as guest memory.
  const SHORT_RAM = RAM_BYTES - 0x8000;

  function fillPastRam(engine: Engine, value: number): void {
    const memory = new Uint32Array(engine.exports.memory.buffer);
    const start = (layout.GUEST_RAM + SHORT_RAM) >>> 2;
    memory.fill(value, start, memory.length);
  }

  it("a page directory above RAM reads as open bus (all ones) from the host, not from the engine's memory", () => {
    const { engine, log } = addressSpace({ ramBytes: SHORT_RAM });
    expect(engine.exports.memory.buffer.byteLength).toBeGreaterThan(layout.GUEST_RAM + SHORT_RAM);
    fillPastRam(engine, 0x00005007); // would map everything to physical 0x5000 if read
    engine.set32(layout.CR3, SHORT_RAM);
    engine.exports.flushTlb();
    // All-ones PDE: present, and (PSE off) its table is at 0xfffff000, also open bus; the all-ones
    // PTE maps the page at 0xfffff000, which is not RAM either.
    expect(translate(engine, 0x00c03abc, false, false)).toBe(0xfffffabc);
    expect(log.mmioReads).toEqual([
      { address: SHORT_RAM + 3 * 4, size: 4 },
      { address: 0xfffff000 + 3 * 4, size: 4 },
    ]);
    // A and D are already set in all-ones entries: nothing is written back.
    expect(log.mmioWrites).toEqual([]);
  });

  it("a page table above RAM: entries come from the host, and A/D updates go back to it", () => {
    const tableAddress = SHORT_RAM + 0x1000;
    const pteValue = 0x00123000 | P | RW;
    const { engine, log } = addressSpace({
      ramBytes: SHORT_RAM,
      mmioRead: (address, size) => (address === pteAddress(tableAddress, DATA_LINEAR) && size === 4 ? pteValue : 0xffffffff),
    });
    fillPastRam(engine, 0);
    writePhys32(engine, pdeAddress(DATA_LINEAR), tableAddress | P | RW);
    engine.exports.flushTlb();
    expect(translate(engine, DATA_LINEAR + 4, true, false)).toBe(0x123004);
    expect(log.mmioReads).toEqual([{ address: pteAddress(tableAddress, DATA_LINEAR), size: 4 }]);
    expect(log.mmioWrites).toEqual([{ address: pteAddress(tableAddress, DATA_LINEAR), size: 4, value: pteValue | A | D }]);
    expect(new Uint32Array(engine.exports.memory.buffer, layout.GUEST_RAM + SHORT_RAM).every((word) => word === 0)).toBe(true);
  });

  it("a page beyond RAM translates, and accesses through it go to the host (MMIO)", () => {
    const { engine, log } = addressSpace({ mmioRead: (address) => (address === 0xfee00020 ? 0x12345678 : 0xffffffff) });
    writePhys32(engine, pteAddress(DATA_TABLE, DATA_LINEAR), 0xfee00000 | P | RW | A | D);
    expect(translate(engine, DATA_LINEAR + 0x20, false, false)).toBe(0xfee00020);
    // Twice: the second read hits the TLB entry, which must still send it to the host.
    for (let i = 0; i < 2; i++) {
      execute(engine, MOV_EAX_FROM_EBX, { ebx: DATA_LINEAR + 0x20 });
      expect(hex(engine.get32(layout.REG_EAX))).toBe(hex(0x12345678));
    }
    execute(engine, MOV_EAX_TO_EBX, { eax: 0xabcd, ebx: DATA_LINEAR + 0x30 });
    expect(log.mmioReads).toEqual([{ address: 0xfee00020, size: 4 }, { address: 0xfee00020, size: 4 }]);
    expect(log.mmioWrites).toEqual([{ address: 0xfee00030, size: 4, value: 0xabcd }]);
  });
});

describe("TLB (SDM vol. 3, 4.10)", () => {
  /** Map DATA_LINEAR to `frame`, each frame holding its own address as the first word. */
  function remap(engine: Engine, frame: number, flags = 0): void {
    writePhys32(engine, frame, frame);
    writePhys32(engine, pteAddress(DATA_TABLE, DATA_LINEAR), frame | P | RW | US | A | D | flags);
  }
  function readData(engine: Engine): string {
    execute(engine, MOV_EAX_FROM_EBX, { ebx: DATA_LINEAR });
    return hex(engine.get32(layout.REG_EAX));
  }
  /**
   * The engine may flush the whole TLB when it first caches decoded code from a page (so writes
   * to that page leave the fast path); run the code a few times so that has happened already.
   */
  function warmUp(engine: Engine): void {
    for (let i = 0; i < 3; i++) readData(engine);
  }

  it("keeps a translation after the PTE changes until it is flushed", () => {
    const { engine } = addressSpace();
    remap(engine, 0x123000);
    warmUp(engine);
    expect(readData(engine)).toBe(hex(0x123000));
    remap(engine, 0x456000);
    expect(readData(engine)).toBe(hex(0x123000)); // stale, as the architecture allows
    engine.exports.flushTlb();
    expect(readData(engine)).toBe(hex(0x456000));
  });

  it("MOV CR3 drops non-global entries; with CR4.PGE a global entry survives it", () => {
    for (const [global, survives] of [[0, false], [G, true]] as const) {
      const { engine } = addressSpace({ cr4: CR4_PGE });
      remap(engine, 0x123000, global);
      warmUp(engine);
      execute(engine, MOV_CR3_FROM_EAX, { eax: PAGE_DIRECTORY });
      warmUp(engine);
      expect(readData(engine)).toBe(hex(0x123000));
      remap(engine, 0x456000, global);
      execute(engine, MOV_CR3_FROM_EAX, { eax: PAGE_DIRECTORY });
      expect(readData(engine), `G = ${global}`).toBe(hex(survives ? 0x123000 : 0x456000));
      engine.exports.flushTlb();
      expect(readData(engine)).toBe(hex(0x456000));
    }
  });

  // mmu/address_spaces.ts: the pages an address space held are translated again when the
  // guest switches back to it, from the tables as they are then, and only where that writes
  // nothing (accessed bits already set).
  const OTHER_DIRECTORY = 0x5000;
  function leaveAndReturn(engine: Engine, whileAway: () => void): void {
    writePhys32(engine, OTHER_DIRECTORY, LOW_TABLE | P | RW | US | A);
    execute(engine, MOV_CR3_FROM_EAX, { eax: OTHER_DIRECTORY });
    whileAway();
    execute(engine, MOV_CR3_FROM_EAX, { eax: PAGE_DIRECTORY });
  }

  it("switching back to an address space translates its pages again at once, from the tables as they are then", () => {
    const { engine } = addressSpace();
    remap(engine, 0x123000);
    warmUp(engine);
    leaveAndReturn(engine, () => remap(engine, 0x456000));
    const misses = engine.get32(layout.STAT_TLB_MISSES);
    expect(readData(engine)).toBe(hex(0x456000));
    expect(engine.get32(layout.STAT_TLB_MISSES)).toBe(misses);
  });

  it("switching back leaves out a page whose accessed bit the guest cleared, and sets no accessed bit", () => {
    const { engine } = addressSpace();
    remap(engine, 0x123000);
    warmUp(engine);
    const pte = pteAddress(DATA_TABLE, DATA_LINEAR);
    leaveAndReturn(engine, () => writePhys32(engine, pte, readPhys32(engine, pte) & ~A));
    expect(readPhys32(engine, pte) & A).toBe(0);
    const misses = engine.get32(layout.STAT_TLB_MISSES);
    expect(readData(engine)).toBe(hex(0x123000));
    expect(engine.get32(layout.STAT_TLB_MISSES)).toBe(misses + 1);
    expect(readPhys32(engine, pte) & A).toBe(A);
  });

  it("MOV CR3 drops an entry that was global when cached and is not after a later walk", () => {
    const { engine } = addressSpace({ cr4: CR4_PGE });
    const pte = pteAddress(DATA_TABLE, DATA_LINEAR);
    remap(engine, 0x123000, G);
    writePhys32(engine, pte, readPhys32(engine, pte) & ~D); // clean: the first write walks again
    warmUp(engine);
    writePhys32(engine, pte, readPhys32(engine, pte) & ~G);
    execute(engine, MOV_EAX_TO_EBX, { eax: 0x123000, ebx: DATA_LINEAR }); // re-cached, not global
    remap(engine, 0x456000);
    execute(engine, MOV_CR3_FROM_EAX, { eax: PAGE_DIRECTORY });
    expect(readData(engine)).toBe(hex(0x456000));
  });

  it("without CR4.PGE the G bit is ignored", () => {
    const { engine } = addressSpace();
    remap(engine, 0x123000, G);
    warmUp(engine);
    expect(readData(engine)).toBe(hex(0x123000));
    remap(engine, 0x456000, G);
    execute(engine, MOV_CR3_FROM_EAX, { eax: PAGE_DIRECTORY });
    expect(readData(engine)).toBe(hex(0x456000));
  });
});
