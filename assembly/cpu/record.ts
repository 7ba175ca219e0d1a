// Where the current instruction's decoded record lives: the buffer at DEC_RECORD_START, or an
// entry of the decoded-instruction cache (so a cache hit costs no copy). Fields are addressed by
// their layout.ts DEC_* names, whose place gives their width (fields are only ever named by
// constants, so each access folds to one load or store). The pointer sits at a fixed address
// (DEC_RECORD_POINTER): V8 reaches linear memory at a constant offset faster than a mutable
// WebAssembly global.
import { DEC_RECORD_START, DEC_RECORD_POINTER, DEC_RECORD_16, DEC_RECORD_8 } from "../layout";

@inline export function recordBase(): usize { return load<u32>(DEC_RECORD_POINTER); }

@inline export function setRecordBase(base: usize): void { store<u32>(DEC_RECORD_POINTER, <u32>base); }

@inline export function readField(field: u32): u32 {
  const at = recordBase() + <usize>(field - DEC_RECORD_START);
  if (field >= <u32>DEC_RECORD_8) return <u32>load<u8>(at);
  if (field >= <u32>DEC_RECORD_16) return <u32>load<u16>(at);
  return load<u32>(at);
}

@inline export function writeField(field: u32, value: u32): void {
  const at = recordBase() + <usize>(field - DEC_RECORD_START);
  if (field >= <u32>DEC_RECORD_8) store<u8>(at, <u8>value);
  else if (field >= <u32>DEC_RECORD_16) store<u16>(at, <u16>value);
  else store<u32>(at, value);
}
