// The decoder: prefixes → opcode → table attributes → ModRM/SIB → displacement and immediates,
// into the fixed decoded-instruction record (layout.ts DEC_*). Which opcodes take a ModRM byte or
// an immediate comes from the generated table (src/isa/opcodes.ts), never from code here.
import { readField, writeField, setRecordBase } from "./record";
import {
  DEC_OPCODE, DEC_ATTRS, DEC_PREFIXES, DEC_SEGMENT, DEC_MODRM, DEC_MOD, DEC_REG, DEC_RM, DEC_EA,
  DEC_IMM, DEC_IMM2, DEC_OPSIZE32, DEC_ADDRSIZE32, DEC_LENGTH, DEC_BASE_IS_ESP, REG_EIP, INSTRUCTION_START,
  DEC_EA_BASE, DEC_EA_INDEX, DEC_EA_SCALE, DEC_EA_DISPLACEMENT, DEC_EA_MASK, DEC_HAS_MEMORY_OPERAND,
  DEC_RECORD_START, ZERO_WORD, REGS, DECODE_CACHE, DECODE_CACHE_ENTRIES, DECODE_CACHE_ENTRY_BYTES,
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, GUEST_RAM,
} from "../layout";
import { OPCODE_ATTRS, GROUP_ATTRS } from "./decode_table.generated";
import {
  ATTR_MODRM, ATTR_IMM_MASK, ATTR_IMM_SHIFT, ATTR_LOCKABLE, ATTR_UNDEFINED, ATTR_GROUP, ATTR_MEM_ONLY,
  ATTR_MODRM_REG_ONLY, IMM_NONE, IMM_B, IMM_W, IMM_Z, IMM_FAR, IMM_ENTER, IMM_MOFFS, IMM_GROUP3,
  PREFIX_OPSIZE, PREFIX_ADDRSIZE, PREFIX_LOCK, PREFIX_REPNE, PREFIX_REP, PREFIX_SEGMENT,
} from "./decode_attrs";
import { getReg32, segBase, segLimit, segAccess, ACC_DB, EXC_UD, EXC_GP } from "./state";
import { raiseFault } from "./fault";
import { tlbEntry, tlbReadMask, tlbGeneration, TLB_VALID } from "../mmu/tlb";
import { translate } from "../mmu/paging";
import { physRead8, ramBytes } from "../mmu/physical";
import { codePageInfo, markCodePage } from "../mmu/code_pages";
import { CPL } from "../layout";

// Instruction fetch: bytes whose EIP lies below `fastFetchEnd` are in a cached RAM page and within
// the CS limit, so they cost one compare and one load (host address = EIP + fastFetchDelta).
// Anything else takes fetch8Slow, which translates and re-establishes the window.
let fetchPageTag: u32 = 0xffffffff; // linear page number of the cached page, or impossible
let fetchPageHost: usize = 0;
let fetchGeneration: u32 = 0xffffffff;
let fastFetchStart: u32 = 0;
let fastFetchEnd: u32 = 0;
let fastFetchDelta: usize = 0;
let fastFetchCodeBase: u32 = 0;
let codeBase: u32 = 0;
let codeLimit: u32 = 0;
// Offset (EIP) of the next byte to fetch.
export let nextEip: u32 = 0;

@inline function fetch8(): u32 {
  const offset = nextEip;
  nextEip = offset + 1;
  if (offset < fastFetchEnd) return load<u8>(<usize>offset + fastFetchDelta);
  return fetch8Slow(codeBase + offset, offset);
}

/**
 * Physical address of the code at EIP `eip` when the fetch window covers it (so no translation
 * or check is needed), else -1. The translator's dispatcher keys units by it.
 */
@inline export function windowPhysical(eip: u32): i32 {
  if (fetchGeneration != tlbGeneration || segBase(SEG_CS) != fastFetchCodeBase || eip < fastFetchStart || eip >= fastFetchEnd) return -1;
  return <i32>(<usize>eip + fastFetchDelta - GUEST_RAM);
}

/** CS or CPL changed: the fetch window's limit and permission checks no longer hold. */
export function invalidateFetchWindow(): void {
  fastFetchEnd = 0;
  fastFetchStart = 0;
}

// Set the fast window for the cached page, starting at EIP `offset` (linear address `linear`).
function openFetchWindow(linear: u32, offset: u32): void {
  if ((linear >>> 12) != fetchPageTag) { fastFetchEnd = 0; return; }
  fastFetchStart = offset - (linear & 0xfff);
  if (fastFetchStart > offset) fastFetchStart = 0; // the page starts below CS's base
  fastFetchCodeBase = codeBase;
  const pageEnd = <u64>offset + <u64>(0x1000 - (linear & 0xfff));
  const limitEnd = <u64>codeLimit + 1;
  fastFetchEnd = <u32>(pageEnd < limitEnd ? pageEnd : limitEnd);
  if (<u64>fastFetchEnd < pageEnd && <u64>fastFetchEnd < limitEnd) fastFetchEnd = 0; // wrapped
  fastFetchDelta = fetchPageHost + (linear & 0xfff) - <usize>offset;
}

// Make the RAM page of `linear` the fetch page if its TLB entry allows the fetch, so the decode
// cache answers for it: the translator's callouts run single instructions all over the code, each
// in another page than the last.
@inline function useFetchPageFromTlb(linear: u32): void {
  if ((linear >>> 12) == fetchPageTag) return;
  const entry = tlbEntry(linear);
  const page = entry & 0xfffff000;
  if ((entry & tlbReadMask) == TLB_VALID && page < ramBytes) {
    fetchPageTag = linear >>> 12;
    fetchPageHost = GUEST_RAM + page;
  }
}

function fetch8Slow(linear: u32, offset: u32): u32 {
  if (offset > codeLimit) raiseFault(EXC_GP, 0);
  if (nextEip - load<u32>(INSTRUCTION_START) > 15) raiseFault(EXC_GP, 0); // SDM vol. 2, 2.3.11
  const entry = tlbEntry(linear);
  let phys: u32;
  if ((entry & tlbReadMask) == TLB_VALID) phys = (entry & 0xfffff000) | (linear & 0xfff);
  else phys = translate(linear, false, load<u32>(CPL) == 3);
  const page = phys & 0xfffff000;
  if (page < ramBytes) {
    fetchPageTag = linear >>> 12;
    fetchPageHost = GUEST_RAM + page;
    openFetchWindow(linear + 1, offset + 1);
  }
  return physRead8(phys);
}

@inline function fetch16(): u32 { const low = fetch8(); return low | (fetch8() << 8); }
@inline function fetch32(): u32 { const low = fetch16(); return low | (fetch16() << 16); }

/** Compute DEC_EA from the decoded addressing form and the current registers. */
@inline export function computeEffectiveAddress(): void {
  const base = load<u32>(readField(DEC_EA_BASE));
  const index = load<u32>(readField(DEC_EA_INDEX)) << readField(DEC_EA_SCALE);
  writeField(DEC_EA, (base + index + readField(DEC_EA_DISPLACEMENT)) & readField(DEC_EA_MASK));
}

/**
 * Decode the instruction at CS:EIP into the record. On return REG_EIP still points at the
 * instruction; `nextEip` is the address of the next one. Instructions that lie wholly in a RAM
 * page are cached by physical address; a cached record is reused until its page is written.
 * The cache hit is inlined into the run loop; everything else is decodeSlow.
 */
@inline export function decode(): void {
  const start = load<u32>(REG_EIP);
  const base = segBase(SEG_CS);
  // Fast path: same TLB generation and CS base as the fetch window, EIP inside it, cache hit.
  if (fetchGeneration == tlbGeneration && base == fastFetchCodeBase && start >= fastFetchStart && start < fastFetchEnd) {
    const physical = <u32>(<usize>start + fastFetchDelta - GUEST_RAM);
    const entry = cacheEntryFor(physical);
    const length = <u32>load<u8>(entry, CACHE_ENTRY_HEADER + DEC_LENGTH - DEC_RECORD_START);
    if (load<u32>(entry) == physical && load<u32>(entry, 4) == currentModeTag() &&
        load<u32>(entry, 8) == codePageInfo(physical >>> 12) && <u64>start + <u64>length <= <u64>fastFetchEnd) {
      store<u32>(INSTRUCTION_START, start);
      setRecordBase(entry + CACHE_ENTRY_HEADER);
      nextEip = start + length;
      if (readField(DEC_HAS_MEMORY_OPERAND) != 0) computeEffectiveAddress();
      return;
    }
  }
  decodeSlow();
}

@inline function currentModeTag(): u32 {
  return ((segAccess(SEG_CS) & ACC_DB) != 0 ? 1 : 0) | CACHE_ENTRY_VALID;
}

function decodeSlow(): void {
  if (fetchGeneration != tlbGeneration) {
    fetchPageTag = 0xffffffff;
    fastFetchEnd = 0;
    fetchGeneration = tlbGeneration;
  }
  codeBase = segBase(SEG_CS);
  codeLimit = segLimit(SEG_CS);
  const start = load<u32>(REG_EIP);
  store<u32>(INSTRUCTION_START, start);
  nextEip = start;
  if (start < fastFetchStart || start >= fastFetchEnd || codeBase != fastFetchCodeBase || start > codeLimit) {
    if (start <= codeLimit) useFetchPageFromTlb(codeBase + start);
    openFetchWindow(codeBase + start, start);
  }
  const default32: u32 = (segAccess(SEG_CS) & ACC_DB) != 0 ? 1 : 0;
  const windowEnd = fastFetchEnd;
  if (start >= windowEnd) {
    // Not in a cached RAM page: decode into the plain buffer.
    setRecordBase(DEC_RECORD_START);
    decodeBytes(start, default32);
    return;
  }
  const physical = <u32>(<usize>start + fastFetchDelta - GUEST_RAM);
  const entry = cacheEntryFor(physical);
  const modeTag = default32 | CACHE_ENTRY_VALID;
  setRecordBase(entry + CACHE_ENTRY_HEADER);
  if (load<u32>(entry) == physical && load<u32>(entry, 4) == modeTag && load<u32>(entry, 8) == codePageInfo(physical >>> 12)) {
    const length = readField(DEC_LENGTH);
    if (<u64>start + <u64>length <= <u64>windowEnd) {
      nextEip = start + length;
      if (readField(DEC_HAS_MEMORY_OPERAND) != 0) computeEffectiveAddress();
      return;
    }
  }
  // Decode into the entry; it stays invalid unless the whole instruction came from the window.
  store<u32>(entry, 0, 4);
  decodeBytes(start, default32);
  if (nextEip <= windowEnd && nextEip > start) {
    const info = markCodePage(physical >>> 12);
    store<u32>(entry, physical);
    store<u32>(entry, modeTag, 4);
    store<u32>(entry, info, 8);
  }
}

const CACHE_ENTRY_VALID: u32 = 2;

/** The decode-cache slot for an instruction at `physical` (direct-mapped, 64-byte entries). */
@inline function cacheEntryFor(physical: u32): usize {
  const index = (physical ^ (physical >>> 11)) & <u32>(DECODE_CACHE_ENTRIES - 1);
  return <usize>DECODE_CACHE + <usize>index * DECODE_CACHE_ENTRY_BYTES;
}
const CACHE_ENTRY_HEADER: usize = 12; // physical address, mode tag, page generation

/** Decode without consulting or filling the cache (unit tests of the decoder). */
export function decodeUncached(): void {
  setRecordBase(DEC_RECORD_START);
  codeBase = segBase(SEG_CS);
  codeLimit = segLimit(SEG_CS);
  fetchPageTag = 0xffffffff;
  fastFetchEnd = 0;
  const start = load<u32>(REG_EIP);
  store<u32>(INSTRUCTION_START, start);
  nextEip = start;
  decodeBytes(start, (segAccess(SEG_CS) & ACC_DB) != 0 ? 1 : 0);
}

// The decoding proper: prefixes, opcode, table attributes, ModRM/SIB, immediates.
function decodeBytes(start: u32, default32: u32): void {
  let prefixes: u32 = 0;
  let segment: u32 = SEG_DS;
  let opcode = fetch8();
  for (let count = 0; ; count++) {
    switch (opcode) {
      case 0x26: segment = SEG_ES; prefixes |= PREFIX_SEGMENT; break;
      case 0x2e: segment = SEG_CS; prefixes |= PREFIX_SEGMENT; break;
      case 0x36: segment = SEG_SS; prefixes |= PREFIX_SEGMENT; break;
      case 0x3e: segment = SEG_DS; prefixes |= PREFIX_SEGMENT; break;
      case 0x64: segment = SEG_FS; prefixes |= PREFIX_SEGMENT; break;
      case 0x65: segment = SEG_GS; prefixes |= PREFIX_SEGMENT; break;
      case 0x66: prefixes |= PREFIX_OPSIZE; break;
      case 0x67: prefixes |= PREFIX_ADDRSIZE; break;
      case 0xf0: prefixes |= PREFIX_LOCK; break;
      // The last of F2/F3 wins, as on P6.
      case 0xf2: prefixes = (prefixes & ~PREFIX_REP) | PREFIX_REPNE; break;
      case 0xf3: prefixes = (prefixes & ~PREFIX_REPNE) | PREFIX_REP; break;
      default: count = -1; break;
    }
    if (count < 0) break;
    if (count >= 14) raiseFault(EXC_GP, 0);
    opcode = fetch8();
  }
  if (opcode == 0x0f) opcode = 0x100 | fetch8();

  const opsize32 = default32 ^ ((prefixes & PREFIX_OPSIZE) != 0 ? 1 : 0);
  const addrsize32 = default32 ^ ((prefixes & PREFIX_ADDRSIZE) != 0 ? 1 : 0);
  let attrs = <u32>load<u16>(OPCODE_ATTRS + (opcode << 1));
  let mod: u32 = 3;
  let modrm: i32 = -1;
  let memoryOperand: u32 = 0;
  writeField(DEC_BASE_IS_ESP, 0);
  if ((attrs & ATTR_MODRM) != 0) {
    const byte = fetch8();
    modrm = <i32>byte;
    mod = byte >> 6;
    const reg = (byte >> 3) & 7;
    const rm = byte & 7;
    writeField(DEC_REG, reg);
    writeField(DEC_RM, rm);
    if ((attrs & ATTR_GROUP) != 0) attrs = (attrs & ATTR_IMM_MASK) | <u32>load<u16>(GROUP_ATTRS + (((opcode << 3) | reg) << 1));
    if ((attrs & ATTR_MODRM_REG_ONLY) != 0) {
      mod = 3;
    } else if (mod != 3) {
      memoryOperand = 1;
      if (addrsize32 != 0) segment = decodeAddress32(mod, rm, segment, prefixes);
      else segment = decodeAddress16(mod, rm, segment, prefixes);
    }
  }
  writeField(DEC_MOD, mod);
  writeField(DEC_MODRM, <u32>modrm);
  if ((attrs & ATTR_UNDEFINED) != 0) raiseFault(EXC_UD, -1);
  if ((attrs & ATTR_MEM_ONLY) != 0 && mod == 3) raiseFault(EXC_UD, -1);
  if ((prefixes & PREFIX_LOCK) != 0 && ((attrs & ATTR_LOCKABLE) == 0 || mod == 3)) raiseFault(EXC_UD, -1);

  switch ((attrs & ATTR_IMM_MASK) >> ATTR_IMM_SHIFT) {
    case IMM_NONE: break;
    case IMM_B: writeField(DEC_IMM, fetch8()); break;
    case IMM_W: writeField(DEC_IMM, fetch16()); break;
    case IMM_Z: writeField(DEC_IMM, opsize32 != 0 ? fetch32() : fetch16()); break;
    case IMM_FAR: {
      writeField(DEC_IMM, opsize32 != 0 ? fetch32() : fetch16());
      writeField(DEC_IMM2, fetch16());
      break;
    }
    case IMM_ENTER: {
      writeField(DEC_IMM, fetch16());
      writeField(DEC_IMM2, fetch8());
      break;
    }
    case IMM_MOFFS: {
      // A direct offset: the addressing form is just the displacement.
      memoryOperand = 1;
      setAddressForm(ZERO_WORD, ZERO_WORD, 0, addrsize32 != 0 ? fetch32() : fetch16(), addrsize32 != 0 ? 0xffffffff : 0xffff);
      break;
    }
    case IMM_GROUP3: {
      // TEST (reg 0 and 1) is the only member of group 3 with an immediate.
      if ((modrm & 0x30) == 0) {
        const byteOp = (opcode & 1) == 0;
        writeField(DEC_IMM, byteOp ? fetch8() : opsize32 != 0 ? fetch32() : fetch16());
      }
      break;
    }
    default: break;
  }
  if (nextEip - start > 15) raiseFault(EXC_GP, 0);
  writeField(DEC_OPCODE, opcode);
  writeField(DEC_ATTRS, attrs);
  writeField(DEC_PREFIXES, prefixes);
  writeField(DEC_SEGMENT, segment);
  writeField(DEC_OPSIZE32, opsize32);
  writeField(DEC_ADDRSIZE32, addrsize32);
  writeField(DEC_LENGTH, nextEip - start);
  writeField(DEC_HAS_MEMORY_OPERAND, memoryOperand);
  if (memoryOperand != 0) computeEffectiveAddress();
}

@inline function setAddressForm(base: u32, index: u32, scale: u32, displacement: u32, mask: u32): void {
  writeField(DEC_EA_BASE, base);
  writeField(DEC_EA_INDEX, index);
  writeField(DEC_EA_SCALE, scale);
  writeField(DEC_EA_DISPLACEMENT, displacement);
  writeField(DEC_EA_MASK, mask);
}

@inline function registerAddress(r: u32): u32 { return REGS + (r << 2); }

// 16-bit ModRM addressing (SDM vol. 2, table 2-1). Returns the effective segment.
function decodeAddress16(mod: u32, rm: u32, segment: u32, prefixes: u32): u32 {
  let base: u32 = ZERO_WORD;
  let index: u32 = ZERO_WORD;
  let displacement: u32 = 0;
  let stackBased = false;
  switch (rm) {
    case 0: base = registerAddress(3); index = registerAddress(6); break; // BX+SI
    case 1: base = registerAddress(3); index = registerAddress(7); break; // BX+DI
    case 2: base = registerAddress(5); index = registerAddress(6); stackBased = true; break; // BP+SI
    case 3: base = registerAddress(5); index = registerAddress(7); stackBased = true; break; // BP+DI
    case 4: base = registerAddress(6); break; // SI
    case 5: base = registerAddress(7); break; // DI
    case 6: {
      if (mod == 0) { displacement = fetch16(); break; } // disp16
      base = registerAddress(5); stackBased = true; break; // BP
    }
    default: base = registerAddress(3); break; // BX
  }
  if (mod == 1) displacement = <u32><i32><i8>fetch8();
  else if (mod == 2) displacement = fetch16();
  setAddressForm(base, index, 0, displacement, 0xffff);
  if ((prefixes & PREFIX_SEGMENT) == 0 && stackBased) return SEG_SS;
  return segment;
}

// 32-bit ModRM/SIB addressing (SDM vol. 2, tables 2-2 and 2-3). Returns the effective segment.
function decodeAddress32(mod: u32, rm: u32, segment: u32, prefixes: u32): u32 {
  let base: u32 = ZERO_WORD;
  let index: u32 = ZERO_WORD;
  let scale: u32 = 0;
  let displacement: u32 = 0;
  let stackBased = false;
  if (rm == 4) {
    const sib = fetch8();
    scale = sib >> 6;
    const indexRegister = (sib >> 3) & 7;
    const baseRegister = sib & 7;
    if (baseRegister == 5 && mod == 0) {
      displacement = fetch32();
    } else {
      base = registerAddress(baseRegister);
      stackBased = baseRegister == 4 || baseRegister == 5;
      if (baseRegister == 4) writeField(DEC_BASE_IS_ESP, 1);
    }
    if (indexRegister != 4) index = registerAddress(indexRegister);
  } else if (rm == 5 && mod == 0) {
    displacement = fetch32();
  } else {
    base = registerAddress(rm);
    stackBased = rm == 5;
  }
  if (mod == 1) displacement = <u32><i32><i8>fetch8();
  else if (mod == 2) displacement = fetch32();
  setAddressForm(base, index, scale, displacement, 0xffffffff);
  if ((prefixes & PREFIX_SEGMENT) == 0 && stackBased) return SEG_SS;
  return segment;
}
