// A WebAssembly binary writer over a byte buffer in linear memory (WebAssembly core spec 1.0,
// chapter 5). The translator writes a function body here, then frames it into a module.

import { JIT_HINTS, JIT_HINTS_CAPACITY } from "../layout";

let position: usize = 0;

@inline export function writePosition(): usize { return position; }
@inline export function setWritePosition(at: usize): void { position = at; }

@inline export function emit8(byte: u32): void {
  store<u8>(position, <u8>byte);
  position++;
}

/** Unsigned LEB128. */
export function emitU32(value: u32): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value != 0) byte |= 0x80;
    emit8(byte);
  } while (value != 0);
}

/** Signed LEB128 (i32.const immediates). */
export function emitI32(value: i32): void {
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value == 0 && (byte & 0x40) == 0) || (value == -1 && (byte & 0x40) != 0);
    emit8(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A five-byte (padded) unsigned LEB128 at `at`, for sizes written after their contents. */
export function patchU32(at: usize, value: u32): void {
  for (let i: usize = 0; i < 4; i++) {
    store<u8>(at + i, <u8>((value & 0x7f) | 0x80));
    value >>>= 7;
  }
  store<u8>(at + 4, <u8>(value & 0x7f));
}

/** Reserve room for patchU32; returns where it goes. */
export function reserveU32(): usize {
  const at = position;
  position += 5;
  return at;
}

// Branch hints (the branch-hinting proposal's metadata.code.branch_hint section): the offsets,
// from the start of their function body, of the br_if and if instructions that almost never
// branch (slow paths, exits), so the engine can lay that code out of the hot path.
let hintBodyStart: usize = 0;
let recordingHints = false;
export let hintCount: u32 = 0;
export function resetHints(): void { hintCount = 0; }
/** Record hints for the body starting at `bodyStart` from now on (or stop, for a scratch pass). */
export function recordHints(record: bool, bodyStart: usize): void { recordingHints = record; hintBodyStart = bodyStart; }

/** The br_if or if about to be emitted is hardly ever taken. */
export function hintUnlikely(): void {
  if (!recordingHints || hintCount >= <u32>JIT_HINTS_CAPACITY) return;
  store<u32>(<usize>JIT_HINTS + (<usize>hintCount << 2), <u32>(position - hintBodyStart));
  hintCount++;
}

export function emitBytes(from: usize, length: usize): void {
  memory.copy(position, from, length);
  position += length;
}

// Opcodes (core spec 5.4).
export const OP_BLOCK: u32 = 0x02;
export const OP_LOOP: u32 = 0x03;
export const OP_IF: u32 = 0x04;
export const OP_ELSE: u32 = 0x05;
export const OP_END: u32 = 0x0b;
export const OP_BR: u32 = 0x0c;
export const OP_BR_IF: u32 = 0x0d;
export const OP_BR_TABLE: u32 = 0x0e;
export const OP_RETURN: u32 = 0x0f;
export const OP_CALL: u32 = 0x10;
export const OP_RETURN_CALL: u32 = 0x12; // tail calls (WebAssembly 3.0)
export const OP_DROP: u32 = 0x1a;
export const OP_SELECT: u32 = 0x1b;
export const OP_LOCAL_GET: u32 = 0x20;
export const OP_LOCAL_SET: u32 = 0x21;
export const OP_LOCAL_TEE: u32 = 0x22;
export const OP_I32_LOAD: u32 = 0x28;
export const OP_I32_LOAD8_S: u32 = 0x2c;
export const OP_I32_LOAD8_U: u32 = 0x2d;
export const OP_I32_LOAD16_S: u32 = 0x2e;
export const OP_I32_LOAD16_U: u32 = 0x2f;
export const OP_I32_STORE: u32 = 0x36;
export const OP_I32_STORE8: u32 = 0x3a;
export const OP_I32_STORE16: u32 = 0x3b;
export const OP_I32_CONST: u32 = 0x41;
export const OP_I32_EQZ: u32 = 0x45;
export const OP_I32_EQ: u32 = 0x46;
export const OP_I32_NE: u32 = 0x47;
export const OP_I32_LT_S: u32 = 0x48;
export const OP_I32_LT_U: u32 = 0x49;
export const OP_I32_GT_S: u32 = 0x4a;
export const OP_I32_GT_U: u32 = 0x4b;
export const OP_I32_LE_S: u32 = 0x4c;
export const OP_I32_LE_U: u32 = 0x4d;
export const OP_I32_GE_S: u32 = 0x4e;
export const OP_I32_GE_U: u32 = 0x4f;
export const OP_I32_CLZ: u32 = 0x67;
export const OP_I32_CTZ: u32 = 0x68;
export const OP_I32_POPCNT: u32 = 0x69;
export const OP_I32_ADD: u32 = 0x6a;
export const OP_I32_SUB: u32 = 0x6b;
export const OP_I32_MUL: u32 = 0x6c;
export const OP_I32_AND: u32 = 0x71;
export const OP_I32_OR: u32 = 0x72;
export const OP_I32_XOR: u32 = 0x73;
export const OP_I32_SHL: u32 = 0x74;
export const OP_I32_SHR_S: u32 = 0x75;
export const OP_I32_SHR_U: u32 = 0x76;
export const OP_I32_ROTL: u32 = 0x77;
export const OP_I32_ROTR: u32 = 0x78;
export const OP_I32_WRAP_I64: u32 = 0xa7;
export const OP_I64_EXTEND_I32_S: u32 = 0xac;
export const OP_I64_EXTEND_I32_U: u32 = 0xad;
export const OP_I64_SHR_U: u32 = 0x88;
export const OP_I64_LOAD: u32 = 0x29;
export const OP_I64_SUB: u32 = 0x7d;
export const OP_I64_SHL: u32 = 0x86;
export const OP_PREFIX_FC: u32 = 0xfc; // bulk memory: memory.copy (10), memory.fill (11)
export const FC_MEMORY_COPY: u32 = 10;
export const FC_MEMORY_FILL: u32 = 11;
export const OP_I64_OR: u32 = 0x84;
export const OP_I64_DIV_U: u32 = 0x80;
export const OP_I64_CONST: u32 = 0x42;
export const OP_I64_MUL: u32 = 0x7e;
export const OP_I64_NE: u32 = 0x52;
export const OP_I32_EXTEND8_S: u32 = 0xc0;
export const OP_I32_EXTEND16_S: u32 = 0xc1;

export const TYPE_I32: u32 = 0x7f;
export const BLOCK_VOID: u32 = 0x40;

@inline export function emitOp(op: u32): void { emit8(op); }
@inline export function emitConst(value: u32): void { emit8(OP_I32_CONST); emitI32(<i32>value); }
// Which of locals 0..31 the code emitted since resetLocalUse read and wrote (a bit per local).
export let localsRead: u32 = 0;
export let localsWritten: u32 = 0;
export function resetLocalUse(): void { localsRead = 0; localsWritten = 0; }
export function restoreLocalUse(read: u32, written: u32): void { localsRead = read; localsWritten = written; }
export function markLocalUse(read: u32, written: u32): void { localsRead |= read; localsWritten |= written; }

@inline export function emitGet(local: u32): void { localsRead |= <u32>1 << local; emit8(OP_LOCAL_GET); emitU32(local); }
@inline export function emitSet(local: u32): void { localsWritten |= <u32>1 << local; emit8(OP_LOCAL_SET); emitU32(local); }
@inline export function emitTee(local: u32): void { localsWritten |= <u32>1 << local; emit8(OP_LOCAL_TEE); emitU32(local); }
@inline export function emitBr(op: u32, depth: u32): void { emit8(op); emitU32(depth); }

/** A load or store with its alignment hint (log2 bytes) and constant offset. */
@inline export function emitMemory(op: u32, alignLog2: u32, offset: u32): void {
  emit8(op);
  emitU32(alignLog2);
  emitU32(offset);
}

/** i32.load from a constant address (a state-block field). */
@inline export function emitLoadField(address: u32): void {
  emitConst(0);
  emitMemory(OP_I32_LOAD, 2, address);
}

/** i32.store of the value in `local` to a constant address. */
@inline export function emitStoreField(address: u32, local: u32): void {
  emitConst(0);
  emitGet(local);
  emitMemory(OP_I32_STORE, 2, address);
}
