// Frames translated function bodies into a WebAssembly module (core spec 5.5). Every module has
// the same shape: it imports the engine's memory, two helpers and the chaining trampoline, and
// exports each unit as a function of type (budget: i32) → i32. Few imports keep instantiation
// cheap (../shared/DESIGN.md). The function table is never imported: V8 copies an imported
// table into every instance and updates every importer on each set, so a unit reaches the next
// through the host's trampoline instead, the one module besides the engine that imports it.
// Two custom sections ride along: branch hints (wasm_writer.ts) and a name section naming each
// unit by its entry EIP.
import { emit8, emitU32, emitBytes, reserveU32, patchU32, writePosition, setWritePosition, TYPE_I32 } from "./wasm_writer";
import { JIT_BATCH_HINTS, JIT_HINTS } from "../layout";
import { FUNCTION_SLOW_PATH } from "./codegen";

const SECTION_TYPE: u32 = 1;
const SECTION_IMPORT: u32 = 2;
const SECTION_FUNCTION: u32 = 3;
const SECTION_EXPORT: u32 = 7;
const SECTION_CODE: u32 = 10;
const SECTION_CUSTOM: u32 = 0;
const NAME_SUBSECTION_FUNCTIONS: u32 = 1;
// Units follow the imported functions: helper, trampoline, slow path (jit/codegen.ts FUNCTION_*).
const FIRST_UNIT_FUNCTION: u32 = FUNCTION_SLOW_PATH + 1;
const SLOW_PATH_PARAMETERS: u32 = 15;

// Names are single ASCII characters here (strings would allocate).
function emitName(character: u32): void {
  emitU32(1);
  emit8(character);
}

// Export names: the function's index in decimal.
function emitIndexName(index: u32): void {
  const digits = index < 10 ? 1 : index < 100 ? 2 : index < 1000 ? 3 : 4;
  emitU32(digits);
  for (let d = digits - 1; d >= 0; d--) {
    let divisor: u32 = 1;
    for (let k = 0; k < d; k++) divisor *= 10;
    emit8(0x30 + (index / divisor) % 10);
  }
}

// A unit's debug name: its entry EIP, "x86_" and eight hex digits, so profilers (perf with V8's
// --perf-prof, the inspector) name translated code by the guest code it came from.
function emitUnitName(eip: u32): void {
  emitU32(12);
  emit8(0x78); emit8(0x38); emit8(0x36); emit8(0x5f);
  for (let shift = 28; shift >= 0; shift -= 4) {
    const digit = (eip >>> shift) & 15;
    emit8(digit < 10 ? 0x30 + digit : 0x57 + digit);
  }
}

const BRANCH_HINT_NAME_LENGTH = 25;
const BRANCH_HINT_NAME = memory.data<u8>([
  0x6d, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x63, 0x6f, 0x64, 0x65, 0x2e, // "metadata.code."
  0x62, 0x72, 0x61, 0x6e, 0x63, 0x68, 0x5f, 0x68, 0x69, 0x6e, 0x74, // "branch_hint"
]);

@inline function hintsOf(unit: u32): u32 { return load<u32>(<usize>JIT_BATCH_HINTS + (<usize>unit << 2)); }

function beginSection(id: u32): usize {
  emit8(id);
  return reserveU32();
}

function endSection(sizeAt: usize): void {
  patchU32(sizeAt, <u32>(writePosition() - sizeAt - 5));
}

/**
 * Write a module at `out` holding `count` functions whose bodies (locals and code, each
 * preceded by its five-byte size) lie back to back at `bodies`, and whose entry EIPs are the
 * u32s at `entryEips`, 8 bytes apart. Returns the module's length.
 */
export function writeModule(out: usize, bodies: usize, bodiesLength: usize, count: u32, entryEips: usize): usize {
  setWritePosition(out);
  emit8(0x00); emit8(0x61); emit8(0x73); emit8(0x6d); // \0asm
  emit8(1); emit8(0); emit8(0); emit8(0); // version 1

  let section = beginSection(SECTION_TYPE);
  emitU32(4);
  emit8(0x60); emitU32(1); emit8(TYPE_I32); emitU32(1); emit8(TYPE_I32); // unit: (budget) → budget
  emit8(0x60); emitU32(3); emit8(TYPE_I32); emit8(TYPE_I32); emit8(TYPE_I32); emitU32(1); emit8(TYPE_I32); // helper
  emit8(0x60); emitU32(2); emit8(TYPE_I32); emit8(TYPE_I32); emitU32(1); emit8(TYPE_I32); // trampoline: (budget, slot) → budget
  emit8(0x60); emitU32(SLOW_PATH_PARAMETERS); // slow path: (op, a, b, EIP, next, budget, mask, 8 registers) → result
  for (let i: u32 = 0; i < SLOW_PATH_PARAMETERS; i++) emit8(TYPE_I32);
  emitU32(1); emit8(TYPE_I32);
  endSection(section);

  section = beginSection(SECTION_IMPORT);
  emitU32(4);
  emitName(0x65); emitName(0x6d); emit8(0x02); emit8(0x00); emitU32(0); // memory, min 0 pages
  emitName(0x65); emitName(0x68); emit8(0x00); emitU32(1); // helper: function 0, type 1
  emitName(0x65); emitName(0x63); emit8(0x00); emitU32(2); // trampoline: function 1, type 2
  emitName(0x65); emitName(0x73); emit8(0x00); emitU32(3); // slow path: function 2, type 3
  endSection(section);

  section = beginSection(SECTION_FUNCTION);
  emitU32(count);
  for (let i: u32 = 0; i < count; i++) emitU32(0);
  endSection(section);

  section = beginSection(SECTION_EXPORT);
  emitU32(count);
  for (let i: u32 = 0; i < count; i++) {
    emitIndexName(i);
    emit8(0x00);
    emitU32(i + FIRST_UNIT_FUNCTION);
  }
  endSection(section);

  // Branch hints go before the code they describe. Each unit's are JIT_HINTS from its entry in
  // JIT_BATCH_HINTS to the next's.
  if (load<u32>(<usize>JIT_BATCH_HINTS + (<usize>count << 2)) != 0) {
    section = beginSection(SECTION_CUSTOM);
    emitU32(BRANCH_HINT_NAME_LENGTH);
    emitBytes(BRANCH_HINT_NAME, BRANCH_HINT_NAME_LENGTH);
    let functions: u32 = 0;
    for (let i: u32 = 0; i < count; i++) if (hintsOf(i + 1) > hintsOf(i)) functions++;
    emitU32(functions);
    for (let i: u32 = 0; i < count; i++) {
      const from = hintsOf(i);
      const to = hintsOf(i + 1);
      if (to == from) continue;
      emitU32(i + FIRST_UNIT_FUNCTION);
      emitU32(to - from);
      for (let h = from; h < to; h++) {
        emitU32(load<u32>(<usize>JIT_HINTS + (<usize>h << 2)));
        emitU32(1);
        emit8(0); // unlikely
      }
    }
    endSection(section);
  }

  section = beginSection(SECTION_CODE);
  emitU32(count);
  emitBytes(bodies, bodiesLength);
  endSection(section);

  section = beginSection(SECTION_CUSTOM);
  emitU32(4); emit8(0x6e); emit8(0x61); emit8(0x6d); emit8(0x65); // "name"
  emit8(NAME_SUBSECTION_FUNCTIONS);
  const names = reserveU32();
  emitU32(count);
  for (let i: u32 = 0; i < count; i++) {
    emitU32(i + FIRST_UNIT_FUNCTION);
    emitUnitName(load<u32>(entryEips + (<usize>i << 3)));
  }
  endSection(names);
  endSection(section);
  return writePosition() - out;
}
