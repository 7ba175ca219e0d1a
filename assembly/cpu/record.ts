// Where the current instruction's decoded record lives: the buffer at DEC_RECORD_START, or an
// entry of the decoded-instruction cache (so a cache hit costs no copy). Fields are addressed by
// their layout.ts DEC_* names.
import { DEC_RECORD_START } from "../layout";

export let recordBase: usize = DEC_RECORD_START;

export function setRecordBase(base: usize): void { recordBase = base; }

@inline export function readField(field: u32): u32 { return load<u32>(recordBase + <usize>(field - DEC_RECORD_START)); }
@inline export function writeField(field: u32, value: u32): void { store<u32>(recordBase + <usize>(field - DEC_RECORD_START), value); }
