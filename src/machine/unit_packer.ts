// Packs hot translated units, compiled a few to a module, into shared modules.
//
// V8 gives every WebAssembly module a code space of its own, at a random address: units compiled
// in separate modules lie megabytes apart, and going from one to the next (every chained call and
// return) misses the instruction TLB and the caches. On the Linux bench, with ~1.7 units a
// module, a third of the time in translated code went to the first instruction of the unit
// entered. So units count their entries, and once enough of them are hot, their functions are
// compiled again, together, into one module, and their table slots point there.
//
// A unit's function is relocatable: every module the translator writes has the same types and
// imports (assembly/jit/module_writer.ts), and a unit calls only the imported helpers and
// trampoline, never another unit. Its body, branch hints and name are copied as they are.

/** A unit's function as a module held it. */
interface UnitFunction {
  body: Uint8Array; // locals and code, without the size
  hints: Uint8Array | undefined; // the branch-hint entries (count, then each entry)
  name: Uint8Array | undefined; // the name-section entry's name (length-prefixed)
}

const SECTION_CUSTOM = 0;
const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;
const SECTION_FUNCTION = 3;
const SECTION_EXPORT = 7;
const SECTION_CODE = 10;
const BRANCH_HINTS = "metadata.code.branch_hint";
const COMPILATION_HINTS = "compilationHints";
// A function's compilation hint (V8's compilation-hints section, one byte per function: strategy
// in bits 0-1, first tier in bits 2-3, top tier in bits 4-5): compile it before the module is
// ready (2), with the optimizing compiler as first and top tier (2).
const EAGER_OPTIMIZED = 2 | (2 << 2) | (2 << 4);
const FIRST_UNIT_FUNCTION = 3; // after the imported helper, trampoline and slow path

class Reader {
  position = 0;
  constructor(readonly bytes: Uint8Array) {}
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.position++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  take(length: number): Uint8Array {
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }
  name(): string { return new TextDecoder().decode(this.take(this.u32())); }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;
  bytes(data: Uint8Array | number[]): void {
    const chunk = data instanceof Uint8Array ? data : Uint8Array.from(data);
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  u32(value: number): void { this.bytes(leb(value)); }
  section(id: number, body: Writer): void {
    this.bytes([id]);
    this.u32(body.length);
    for (const chunk of body.chunks) this.bytes(chunk);
  }
  finish(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) { out.set(chunk, at); at += chunk.length; }
    return out;
  }
}

/** The unit functions of a module the translator wrote, in function order, and its type and import sections. */
export function readUnitModule(module: Uint8Array): { functions: UnitFunction[]; header: Uint8Array } {
  const reader = new Reader(module);
  reader.position = 8;
  let headerEnd = 8;
  const hints = new Map<number, Uint8Array>();
  const names = new Map<number, Uint8Array>();
  const functions: UnitFunction[] = [];
  while (reader.position < module.length) {
    const id = module[reader.position++];
    const size = reader.u32();
    const end = reader.position + size;
    if (id === SECTION_TYPE || id === SECTION_IMPORT) headerEnd = end;
    if (id === SECTION_CODE) {
      const count = reader.u32();
      for (let i = 0; i < count; i++) functions.push({ body: reader.take(reader.u32()), hints: undefined, name: undefined });
    } else if (id === SECTION_CUSTOM) {
      const name = reader.name();
      if (name === BRANCH_HINTS) {
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const index = reader.u32();
          const start = reader.position;
          const entries = reader.u32();
          for (let e = 0; e < entries; e++) { reader.u32(); reader.take(reader.u32()); }
          hints.set(index, module.subarray(start, reader.position));
        }
      } else if (name === "name" && module[reader.position] === 1) {
        reader.position++;
        reader.u32(); // subsection size
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const index = reader.u32();
          const start = reader.position;
          reader.take(reader.u32());
          names.set(index, module.subarray(start, reader.position));
        }
      }
    }
    reader.position = end;
  }
  functions.forEach((unit, i) => {
    unit.hints = hints.get(i + FIRST_UNIT_FUNCTION);
    unit.name = names.get(i + FIRST_UNIT_FUNCTION);
  });
  return { functions, header: module.subarray(0, headerEnd) };
}

/**
 * `body` with its entry count (the unit's first code: i32.const c, i32.const c, i32.load,
 * i32.const 1, i32.add, i32.store) made nops, or unchanged if it does not start so: a packed
 * unit has been judged, and its entries are the most frequent of all.
 */
export function withoutEntryCount(body: Uint8Array): Uint8Array {
  const reader = new Reader(body);
  const groups = reader.u32();
  for (let i = 0; i < groups; i++) { reader.u32(); reader.position++; }
  const start = reader.position;
  const expect = (opcode: number): boolean => body[reader.position++] === opcode;
  const memarg = (): void => { reader.u32(); reader.u32(); };
  const counted = expect(0x41) && (reader.u32(), expect(0x41)) && (reader.u32(), expect(0x28)) && (memarg(), expect(0x41)) &&
    expect(0x01) && expect(0x6a) && expect(0x36) && (memarg(), true);
  const patched = body.slice();
  if (!counted) return patched;
  patched.fill(0x01, start, reader.position); // nop
  return patched;
}

/** A module of the same shape holding `functions`, exported as "0", "1"... in order. */
export function writeUnitModule(header: Uint8Array, functions: UnitFunction[]): Uint8Array<ArrayBuffer> {
  const out = new Writer();
  out.bytes(header);
  const declarations = new Writer();
  declarations.u32(functions.length);
  for (let i = 0; i < functions.length; i++) declarations.u32(0);
  out.section(SECTION_FUNCTION, declarations);
  // (V8 reads this section only between the function and code sections.)
  const compilation = new Writer();
  const compilationName = new TextEncoder().encode(COMPILATION_HINTS);
  compilation.u32(compilationName.length); compilation.bytes(compilationName);
  compilation.u32(functions.length);
  compilation.bytes(new Array<number>(functions.length).fill(EAGER_OPTIMIZED));
  out.section(SECTION_CUSTOM, compilation);
  const exports = new Writer();
  exports.u32(functions.length);
  functions.forEach((_, i) => {
    const name = new TextEncoder().encode(String(i));
    exports.u32(name.length); exports.bytes(name); exports.bytes([0]); exports.u32(i + FIRST_UNIT_FUNCTION);
  });
  out.section(SECTION_EXPORT, exports);
  const hinted = functions.map((unit, i) => [unit, i] as const).filter(([unit]) => unit.hints !== undefined);
  if (hinted.length > 0) {
    const hints = new Writer();
    const name = new TextEncoder().encode(BRANCH_HINTS);
    hints.u32(name.length); hints.bytes(name);
    hints.u32(hinted.length);
    for (const [unit, i] of hinted) { hints.u32(i + FIRST_UNIT_FUNCTION); hints.bytes(unit.hints!); }
    out.section(SECTION_CUSTOM, hints);
  }
  const code = new Writer();
  code.u32(functions.length);
  for (const unit of functions) { code.u32(unit.body.length); code.bytes(unit.body); }
  out.section(SECTION_CODE, code);
  const named = functions.map((unit, i) => [unit, i] as const).filter(([unit]) => unit.name !== undefined);
  if (named.length > 0) {
    const entries = new Writer();
    entries.u32(named.length);
    for (const [unit, i] of named) { entries.u32(i + FIRST_UNIT_FUNCTION); entries.bytes(unit.name!); }
    const names = new Writer();
    const sectionName = new TextEncoder().encode("name");
    names.u32(sectionName.length); names.bytes(sectionName);
    names.section(1, entries);
    out.section(SECTION_CUSTOM, names);
  }
  return out.finish();
}

/** Units per packed module: enough that a workload's hot units share a few code spaces. */
export const PACK_UNITS = 32;
/**
 * Entries after which a unit counts as hot (about as many as made it worth translating). The
 * rest stay where they are: packing costs a second compilation. (With packed modules compiled
 * optimized on V8's worker thread, 4 alternating bench runs against 8192 entries and a pause
 * while the translator is busy: shell loop 2.37 s against 2.68, gzip pipeline 7.1 against 8.9;
 * 1024 entries did no better.)
 */
export const HOT_ENTRIES = 2048;
/** Units compiled alone whose functions are kept for packing: the most recent (bounds memory). */
const MAX_PENDING = 4096;
/**
 * Bytes of WebAssembly beyond which a unit is not packed: a big unit runs long per entry, so its
 * entries cost it less, while its new copy runs in V8's baseline tier until the optimizing
 * compiler is through with it (on the bench, packing every unit slowed the shell loop by 20 %,
 * this one by 8 %; the gzip pipeline gained about as much either way).
 */
const MAX_PACKED_BODY = 16384;

interface PendingUnit {
  unit: UnitFunction;
  compiled: unknown; // the function its slot got
  eip: number;
  sequence: number; // units compiled before it
}

/**
 * Keeps the functions of the units compiled lately (by table slot); when PACK_UNITS of them have
 * become hot, compiles those into one module and points their slots there.
 */
export class UnitPacker {
  private header: Uint8Array | undefined;
  private readonly pending = new Map<number, PendingUnit>();
  private unitsCompiled = 0;
  private compiling = false; // a packed module is being compiled (one at a time)
  /** Modules packed, and units moved into them. */
  modulesPacked = 0;
  unitsPacked = 0;

  constructor(
    private readonly table: WebAssembly.Table,
    private readonly instantiate: (module: WebAssembly.Module) => WebAssembly.Instance,
    private readonly entries: (eip: number) => number,
  ) {}

  /** A module the translator wrote was compiled; `slots[i]` now holds its function i, entered at `eips[i]`. */
  compiled(module: Uint8Array, slots: number[], eips: number[]): void {
    const { functions, header } = readUnitModule(module);
    this.header ??= header.slice();
    functions.forEach((unit, i) => {
      const sequence = this.unitsCompiled++;
      if (unit.body.length > MAX_PACKED_BODY) { this.pending.delete(slots[i]); return; }
      const copy = { body: withoutEntryCount(unit.body), hints: unit.hints?.slice(), name: unit.name?.slice() };
      this.pending.set(slots[i], { unit: copy, compiled: this.table.get(slots[i]), eip: eips[i], sequence });
    });
  }

  /** Pack the hot units if there are enough of them (the machine asks now and then). */
  check(): void {
    if (this.compiling || this.header === undefined) return;
    // (Runs every few tens of milliseconds over thousands of units: a table read only for hot ones.)
    const hot: [number, PendingUnit][] = [];
    for (const [slot, entry] of this.pending) {
      if (this.entries(entry.eip) >= HOT_ENTRIES) {
        // (A slot given to another unit since holds another function: that unit has its own entry.)
        if (this.table.get(slot) === entry.compiled) hot.push([slot, entry]);
        else this.pending.delete(slot);
      } else if (this.unitsCompiled - entry.sequence > MAX_PENDING) this.pending.delete(slot);
    }
    if (hot.length >= PACK_UNITS) this.pack(hot);
  }

  // Compiled in the background (WebAssembly.compile), so the guest runs on meanwhile; the slots
  // change over when it is done, if they still hold the functions packed. (Without an event loop
  // to finish on, as in runToCompletion, nothing changes.)
  private pack(units: [number, PendingUnit][]): void {
    for (const [slot] of units) this.pending.delete(slot);
    this.compiling = true;
    WebAssembly.compile(writeUnitModule(this.header!, units.map(([, entry]) => entry.unit))).then((module) => {
      const instance = this.instantiate(module);
      units.forEach(([slot, entry], i) => {
        if (this.table.get(slot) !== entry.compiled) return;
        this.table.set(slot, instance.exports[String(i)] as (...args: unknown[]) => unknown);
        this.unitsPacked++;
      });
      this.modulesPacked++;
    }).catch(() => {
      // (the units keep the functions they have: slower to reach, as correct)
    }).finally(() => { this.compiling = false; });
  }
}
