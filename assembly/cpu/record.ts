// Where the current instruction's decoded record lives: the buffer at DEC_RECORD_START, or an
// entry of the decoded-instruction cache (so a cache hit costs no copy). Fields are addressed by
// their layout.ts DEC_* names. The pointer sits at a fixed address (DEC_RECORD_POINTER): V8 reaches
// linear memory at a constant offset faster than a mutable WebAssembly global.
import { DEC_RECORD_START, DEC_RECORD_POINTER } from "../layout";

@inline export function recordBase(): usize { return load<u32>(DEC_RECORD_POINTER); }

@inline export function setRecordBase(base: usize): void { store<u32>(DEC_RECORD_POINTER, <u32>base); }

@inline export function readField(field: u32): u32 { return load<u32>(recordBase() + <usize>(field - DEC_RECORD_START)); }
@inline export function writeField(field: u32, value: u32): void { store<u32>(recordBase() + <usize>(field - DEC_RECORD_START), value); }
