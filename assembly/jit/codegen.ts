// Building blocks of generated code: guest registers and lazy flags in WebAssembly locals, the
// spill that makes guest state precise, memory accesses with the TLB fast path inline, and
// condition codes computed straight from the last flag-setting operation when it is known.
import {
  REGS, REG_EIP, REG_EFLAGS, FLAGS_LAZY_MASK, FLAGS_OP, FLAGS_SIZE, FLAGS_DST, FLAGS_SRC, FLAGS_RES, FLAGS_CARRY_IN,
  JIT_FAULT_BUDGET, JIT_UNIT_ENTRY_COUNTS, TLB_BASE, GUEST_RAM, ATTENTION, SEG_BASE, SEG_CS, SEG_ES, SEG_SS, SEG_DS,
  JIT_ENTRY_CACHE, JIT_ENTRY_EPOCH, STAT_JIT_CHAINED, STAT_JIT_EXITS, INTERRUPT_PENDING, CR0, TSC_AT_BUDGET_END,
  SEG_SELECTOR, SEG_LIMIT, SEG_ACCESS, GDTR_BASE, GDTR_LIMIT, JIT_SEGMENTS,
} from "../layout";
import { ENTRY_CACHE_SHIFT, ENTRY_SET_SHIFT, ENTRY_BYTES, ENTRY_HASH_MULTIPLIER, entryTlbMask, unitEntryCounter } from "./entry_cache";
import {
  FLAGS_ARITH, FLAGS_WRITABLE, FLAG_CF, FLAG_OF, FLAG_AF, FLAG_SF, FLAG_ZF, FLAG_PF, FLAG_DF, FLAG_IF, FLAG_TF, FLAG_RF,
  FLAG_RESERVED1, CR0_PE, ACC_G, ACC_RW, ACC_DC, ACC_UNUSABLE, ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN,
} from "../cpu/state";
import { flatBit, zeroBasedBit } from "./segment_state";
import { LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC } from "../cpu/flags";
import { TLB_VALID, TLB_NO_USER, TLB_MMIO, TLB_HAS_CODE, TLB_READONLY_USER, TLB_READONLY_SUPERVISOR } from "../mmu/tlb";
import * as W from "./wasm_writer";
import { emit8, emitU32, emitConst, emitGet, emitSet, emitTee, emitBr, emitMemory, emitLoadField, emitStoreField } from "./wasm_writer";

// Locals of a unit's function. The parameter (0) is the instruction budget left.
export const L_BUDGET: u32 = 0;
export const L_REG: u32 = 1; // EAX..EDI in 1..8
export const L_FLAGS_OP: u32 = 9;
export const L_FLAGS_SIZE: u32 = 10;
export const L_FLAGS_DST: u32 = 11;
export const L_FLAGS_SRC: u32 = 12;
export const L_FLAGS_RES: u32 = 13;
export const L_FLAGS_MASK: u32 = 14;
export const L_EFLAGS: u32 = 15;
export const L_NEXT: u32 = 16; // block to run next (the dispatch loop's br_table index)
export const L_EXIT_EIP: u32 = 17;
export const L_EXIT_CAUSE: u32 = 18;
export const L_LINEAR: u32 = 19; // linear address of the current memory operand
export const L_ENTRY: u32 = 20; // its TLB entry
export const L_A: u32 = 21; // scratch: first operand
export const L_B: u32 = 22; // scratch: second operand
export const L_R: u32 = 23; // scratch: result
export const L_T: u32 = 24; // scratch
export const L_FLAGS_CARRY_IN: u32 = 25;
export const L_X: u32 = 26; // scratch of flag computations (operands of the record)
export const L_Y: u32 = 27;
export const LOCALS: u32 = 27; // declared locals (1..27)

// Exit causes (STAT_JIT_EXITS index).
export const EXIT_BRANCH: u32 = 0; // a jump or return to code outside the unit
export const EXIT_UNTRANSLATED: u32 = 1; // an instruction the translator leaves to the interpreter
export const EXIT_BOUNDARY: u32 = 2; // budget spent or an interrupt pending at a block start
export const EXIT_SLOW_PATH: u32 = 3; // a device or a write to code asked for attention; a stack run missed the TLB

// Helper operations (the `op` argument of the one imported helper, jit/helper.ts).
export const HELPER_READ8: u32 = 0;
export const HELPER_READ16: u32 = 1;
export const HELPER_READ32: u32 = 2;
export const HELPER_WRITE8: u32 = 3;
export const HELPER_WRITE16: u32 = 4;
export const HELPER_WRITE32: u32 = 5;
export const HELPER_TEST_CONDITION: u32 = 6;
export const HELPER_INTERPRET: u32 = 7; // run the instruction at REG_EIP in the interpreter
export const HELPER_FLAGS_IMAGE: u32 = 8; // EFLAGS as PUSHF stores it
export const HELPER_READ_FOR_WRITE: u32 = 9; // (linear, size) a read-modify-write operand's read

// Where the instruction being translated stands, for precise state on slow paths and exits.
export let instructionEip: u32 = 0;
export let instructionNext: u32 = 0;
export let budgetRefund: u32 = 0; // instructions of the block after this one (not retired on exit)
// Labels between the current code and the dispatch loop (the exit block is one further out).
export let nesting: u32 = 0;
export let userMode: bool = false;

// Whether the instruction being translated writes memory (a write's slow path may reach
// translated code, which must stop the unit right after it).
export let writesMemory: bool = false;

export function setInstruction(eip: u32, next: u32, refund: u32): void {
  writesMemory = false;
  instructionEip = eip;
  instructionNext = next;
  budgetRefund = refund;
}
/** Instructions a slow path or exit from here on gives back (see translateThunkCall). */
export function setBudgetRefund(refund: u32): void { budgetRefund = refund; }
export function setNesting(depth: u32): void { nesting = depth; }
export function setUserMode(user: bool): void { userMode = user; }

@inline export function open(kind: u32): void { emit8(kind); emit8(W.BLOCK_VOID); nesting++; }
@inline export function openResult(kind: u32): void { emit8(kind); emit8(W.TYPE_I32); nesting++; }
@inline export function close(): void { emit8(W.OP_END); nesting--; }

// ---- Guest state ------------------------------------------------------------------------------

@inline export function regLocal(r: u32): u32 { return L_REG + r; }

/** Push 8-bit register r (AL CL DL BL AH CH DH BH). */
export function emitGetReg8(r: u32): void {
  emitGet(regLocal(r & 3));
  if (r >= 4) { emitConst(8); emit8(W.OP_I32_SHR_U); }
  emitConst(0xff);
  emit8(W.OP_I32_AND);
}

/** 8-bit register r = low byte of `value`. */
export function emitSetReg8(r: u32, value: u32): void {
  const shift: u32 = r >= 4 ? 8 : 0;
  emitGet(regLocal(r & 3));
  emitConst(~(<u32>0xff << shift));
  emit8(W.OP_I32_AND);
  emitGet(value);
  emitConst(0xff);
  emit8(W.OP_I32_AND);
  if (shift != 0) { emitConst(shift); emit8(W.OP_I32_SHL); }
  emit8(W.OP_I32_OR);
  emitSet(regLocal(r & 3));
}

/** Push register r of `size` bits (8 or 32; 16 only for reads, as the low word). */
export function emitGetReg(r: u32, size: u32): void {
  if (size == 8) { emitGetReg8(r); return; }
  emitGet(regLocal(r));
  if (size == 16) { emitConst(0xffff); emit8(W.OP_I32_AND); }
}

/** Register r of `size` bits (8, 16 or 32) = the low bits of local `value`. */
export function emitSetReg(r: u32, size: u32, value: u32): void {
  if (size == 8) { emitSetReg8(r, value); return; }
  if (size == 16) {
    emitGet(regLocal(r)); emitConst(0xffff0000); emit8(W.OP_I32_AND);
    emitGet(value); emitConst(0xffff); emit8(W.OP_I32_AND);
    emit8(W.OP_I32_OR);
    emitSet(regLocal(r));
    return;
  }
  emitGet(value);
  emitSet(regLocal(r));
}

// The locals that mirror guest registers, and where they live in the state block.
const REG_FIELDS: StaticArray<u32> = [REGS, REGS + 4, REGS + 8, REGS + 12, REGS + 16, REGS + 20, REGS + 24, REGS + 28];
export const ALL_REGS: u32 = 0x1fe; // locals 1..8

// Which register locals the unit writes (stored on every way out) and uses at all (loaded on
// entry: a local written on one path must hold the guest's value on the others). A unit is
// emitted twice: a first pass finds these from the code it emits (wasm_writer's local
// tracking), the second uses them.
let spillMask: u32 = ALL_REGS;
let loadMask: u32 = ALL_REGS;
export function setStateMasks(written: u32, used: u32): void { spillMask = written & ALL_REGS; loadMask = used & ALL_REGS; }

// Emitting the state transfers themselves must not count as the unit using the state.
function transferRegisters(load: bool, mask: u32): void {
  const read = W.localsRead;
  const written = W.localsWritten;
  for (let r: u32 = 0; r < 8; r++) {
    const local = regLocal(r);
    if ((mask & (<u32>1 << local)) == 0) continue;
    if (load) { emitLoadField(REG_FIELDS[r]); emitSet(local); }
    else emitStoreField(REG_FIELDS[r], local);
  }
  W.restoreLocalUse(read, written);
}

/** Guest registers from the state block into the locals the unit uses (unit entry, after a callout). */
export function emitLoadState(): void { transferRegisters(true, loadMask); }

/** Registers and flags back to the state block: the guest state is then what the interpreter would hold. */
export function emitSpill(): void {
  transferRegisters(false, spillMask);
  emitFlushFlags();
}

// ---- Lazy flags: in the state block between blocks, in locals within one ---------------------
// A block reads the flag record from memory until it sets the fields itself, and stores the
// fields it set before it leaves. No flag local is then live from one block into another, so
// a unit's many blocks do not all compete for host registers with eight flag values.

function flagField(local: u32): u32 {
  switch (local) {
    case L_FLAGS_OP: return FLAGS_OP;
    case L_FLAGS_SIZE: return FLAGS_SIZE;
    case L_FLAGS_DST: return FLAGS_DST;
    case L_FLAGS_SRC: return FLAGS_SRC;
    case L_FLAGS_RES: return FLAGS_RES;
    case L_FLAGS_MASK: return FLAGS_LAZY_MASK;
    case L_EFLAGS: return REG_EFLAGS;
    default: return FLAGS_CARRY_IN;
  }
}
const FLAG_LOCALS: u32 = (1 << L_FLAGS_OP) | (1 << L_FLAGS_SIZE) | (1 << L_FLAGS_DST) | (1 << L_FLAGS_SRC) |
  (1 << L_FLAGS_RES) | (1 << L_FLAGS_MASK) | (1 << L_EFLAGS) | (1 << L_FLAGS_CARRY_IN);

// Flag locals that hold the field's current value on every path here, and those of them that
// differ from the state block.
let flagsCached: u32 = 0;
let flagsDirty: u32 = 0;

/** A block starts (or a callout ran): the flag record is in the state block. */
export function resetFlagLocals(): void { flagsCached = 0; flagsDirty = 0; }

/** Push a flag field: its local if this block set it, else from the state block. */
function emitGetFlag(local: u32): void {
  if ((flagsCached & (<u32>1 << local)) != 0) emitGet(local);
  else emitLoadField(flagField(local));
}

/** Flag field = the stack top. Only where every path to the block's later code passes (see emitCacheFlags). */
function emitSetFlag(local: u32): void {
  emitSet(local);
  flagsCached |= <u32>1 << local;
  flagsDirty |= <u32>1 << local;
}

/** Store the flag fields this block set (before leaving it, or before the host looks at them). */
export function emitFlushFlags(): void {
  for (let local: u32 = 0; local < 32; local++) {
    if ((flagsDirty & (<u32>1 << local)) != 0) emitStoreField(flagField(local), local);
  }
}

/**
 * Before code that sets flags on one path only (SHL r, CL with a count of 0 sets none): every
 * flag local gets its field's value, so after the paths join each local holds the right value.
 */
export function emitCacheFlags(): void {
  for (let local: u32 = 0; local < 32; local++) {
    const bit = <u32>1 << local;
    if ((FLAG_LOCALS & bit) == 0 || (flagsCached & bit) != 0) continue;
    emitLoadField(flagField(local)); emitSet(local);
    flagsCached |= bit;
  }
}

/** After such code: the flag locals may differ from the state block. */
export function markFlagsSet(): void { flagsDirty = FLAG_LOCALS; }

/**
 * A memory access's slow path: the registers the unit wrote and the flags back to the state
 * block, EIP past the instruction, INSTRUCTION_START at it and the budget as of it, as the
 * interpreter has them while the instruction runs (the helper may raise an exception), then the
 * helper; pushes its result. The registers go as arguments (jit/helper.ts jitSlowPath stores
 * them): a store per register at every access made the Linux boot's units a fifth larger, and
 * V8's compile time follows code size.
 */
function emitSlowPathCall(op: u32, value: u32, valueIsLocal: bool): void {
  emitFlushFlags();
  const read = W.localsRead;
  const written = W.localsWritten;
  emitConst(op); emitGet(L_LINEAR);
  if (valueIsLocal) emitGet(value); else emitConst(value);
  emitConst(instructionEip); emitConst(instructionNext);
  emitGet(L_BUDGET); if (budgetRefund != 0) { emitConst(budgetRefund); emit8(W.OP_I32_ADD); }
  emitConst(spillMask);
  for (let r: u32 = 0; r < 8; r++) {
    const local = regLocal(r);
    if ((spillMask & (<u32>1 << local)) != 0) emitGet(local); else emitConst(0);
  }
  W.restoreLocalUse(read, written);
  emit8(W.OP_CALL); emitU32(FUNCTION_SLOW_PATH);
}

// ---- Leaving the unit -------------------------------------------------------------------------

/** Leave the unit with EIP = `eip` (the exit block spills and returns). */
export function emitExit(eip: u32, cause: u32, refund: u32): void {
  if (refund != 0) {
    emitGet(L_BUDGET); emitConst(refund); emit8(W.OP_I32_ADD); emitSet(L_BUDGET);
  }
  emitFlushFlags();
  emitConst(eip); emitSet(L_EXIT_EIP);
  emitConst(cause); emitSet(L_EXIT_CAUSE);
  emitBr(W.OP_BR, nesting + 1);
}

// The imported functions of a unit's module (jit/module_writer.ts).
export const FUNCTION_HELPER: u32 = 0;
export const FUNCTION_TRAMPOLINE: u32 = 1; // (budget, slot) → the unit in that slot, by a tail call
export const FUNCTION_SLOW_PATH: u32 = 2; // (op, a, b, EIP, next EIP, budget, register mask, 8 registers) → helper's result

// Whether units may go straight on into the next unit with a tail call (the host says whether
// its WebAssembly has them).
let chaining = false;
export function setChaining(enabled: bool): void { chaining = enabled; }

/**
 * The unit's way out, after the exit block: state back to the state block, EIP = L_EXIT_EIP.
 * A branch to an entry point the entry cache knows (jit/entry_cache.ts) goes on into that unit
 * by a tail call, which runs it with the budget left; anything else counts the exit by cause and
 * returns the budget to the run loop.
 */
export function emitUnitExit(): void {
  transferRegisters(false, spillMask); // (every way here stored the flags it set)
  emitConst(0); emitGet(L_EXIT_EIP); emitMemory(W.OP_I32_STORE, 2, REG_EIP);
  if (chaining) {
    // One compare and branch per condition: V8 turns each into a cmp and jne, where combining
    // them with i32.and made it materialise every comparison as a value first.
    emit8(W.OP_BLOCK); emit8(W.BLOCK_VOID);
    emitGet(L_EXIT_CAUSE); emitConst(EXIT_BRANCH); emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
    emitGet(L_EXIT_EIP); emitConst(ENTRY_HASH_MULTIPLIER); emit8(W.OP_I32_MUL);
    emitConst(ENTRY_CACHE_SHIFT); emit8(W.OP_I32_SHR_U); emitConst(ENTRY_SET_SHIFT); emit8(W.OP_I32_SHL);
    emitSet(L_T);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE);
    emitGet(L_EXIT_EIP); emit8(W.OP_I32_NE);
    W.hintUnlikely();
    emit8(W.OP_IF); emit8(W.BLOCK_VOID); // the set's second entry
    emitGet(L_T); emitConst(ENTRY_BYTES); emit8(W.OP_I32_ADD); emitSet(L_T);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE);
    emitGet(L_EXIT_EIP); emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 1);
    emit8(W.OP_END);
    emitLoadField(SEG_BASE + (SEG_CS << 2)); emitSet(L_X);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE + 4);
    emitGet(L_X); emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE + 8);
    emitLoadField(JIT_ENTRY_EPOCH); emitConst(userMode ? 3 : 2); emit8(W.OP_I32_OR); emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
    // The TLB entry of the target's page still maps the page the entry was made for.
    emitGet(L_X); emitGet(L_EXIT_EIP); emit8(W.OP_I32_ADD); emitConst(12); emit8(W.OP_I32_SHR_U);
    emitConst(2); emit8(W.OP_I32_SHL); emitMemory(W.OP_I32_LOAD, 2, TLB_BASE);
    emitConst(entryTlbMask(userMode)); emit8(W.OP_I32_AND);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE + 16);
    emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
    emitConst(0);
    emitLoadField(STAT_JIT_CHAINED); emitConst(1); emit8(W.OP_I32_ADD);
    emitMemory(W.OP_I32_STORE, 2, STAT_JIT_CHAINED);
    emitGet(L_BUDGET);
    emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, JIT_ENTRY_CACHE + 12);
    emit8(W.OP_RETURN_CALL); emitU32(FUNCTION_TRAMPOLINE);
    emit8(W.OP_END);
  }
  emitGet(L_EXIT_CAUSE); emitConst(2); emit8(W.OP_I32_SHL);
  emitGet(L_EXIT_CAUSE); emitConst(2); emit8(W.OP_I32_SHL); emitMemory(W.OP_I32_LOAD, 2, STAT_JIT_EXITS);
  emitConst(1); emit8(W.OP_I32_ADD);
  emitMemory(W.OP_I32_STORE, 2, STAT_JIT_EXITS);
  emitGet(L_BUDGET);
}

/**
 * Count an entry into the unit at `entryEip` (JIT_UNIT_ENTRY_COUNTS): the first code of every
 * unit, which the host's packer turns into nops once it has moved the unit.
 */
export function emitCountEntry(entryEip: u32): void {
  const counter = unitEntryCounter(entryEip);
  emitConst(counter); emitConst(counter); emitMemory(W.OP_I32_LOAD, 2, JIT_UNIT_ENTRY_COUNTS);
  emitConst(1); emit8(W.OP_I32_ADD);
  emitMemory(W.OP_I32_STORE, 2, JIT_UNIT_ENTRY_COUNTS);
}

/** Leave with EIP from the stack top. */
export function emitExitToStack(cause: u32): void {
  emitSet(L_EXIT_EIP);
  emitFlushFlags();
  emitConst(cause); emitSet(L_EXIT_CAUSE);
  emitBr(W.OP_BR, nesting + 1);
}

/** Run block `index` next: back to the dispatch loop. */
export function emitGoToBlock(index: u32): void {
  emitFlushFlags();
  emitConst(index);
  emitSet(L_NEXT);
  emitBr(W.OP_BR, nesting);
}

/**
 * After an instruction whose slow path may have called the host: stop if it asked for attention,
 * going on at `continueAt` (the next instruction, or a CALL's target).
 */
export function emitAttentionCheck(continueAt: u32): void {
  emitLoadField(ATTENTION);
  W.hintUnlikely();
  open(W.OP_IF);
  emitExit(continueAt, EXIT_SLOW_PATH, budgetRefund);
  close();
}

/**
 * The interpreter runs the current instruction: state out, helper, state back in. Leaves the
 * unit if the instruction asked for attention or did not simply go on to the next one (a REP
 * string instruction cut short by the budget, say).
 */
export function emitCallout(): void {
  emitInterpret();
  forgetFlags();
  resetFlagLocals();
  emitLoadField(REG_EIP); emitConst(instructionNext); emit8(W.OP_I32_NE);
  emitLoadField(ATTENTION);
  emit8(W.OP_I32_OR);
  W.hintUnlikely();
  open(W.OP_IF);
  if (budgetRefund != 0) { emitGet(L_BUDGET); emitConst(budgetRefund); emit8(W.OP_I32_ADD); emitSet(L_BUDGET); }
  emitLoadField(REG_EIP);
  emitExitToStack(EXIT_SLOW_PATH);
  close();
}

// The interpreter runs the current instruction on the state block: state out, helper, registers
// back in (the flag record stays in the state block).
function emitInterpret(): void {
  W.markLocalUse(ALL_REGS, ALL_REGS); // the interpreter may read and write any of it
  emitSpill();
  emitConst(0); emitConst(instructionEip); emitMemory(W.OP_I32_STORE, 2, REG_EIP);
  emitConst(0); emitGet(L_BUDGET); emitConst(budgetRefund); emit8(W.OP_I32_ADD); emitMemory(W.OP_I32_STORE, 2, JIT_FAULT_BUDGET);
  emitConst(HELPER_INTERPRET); emitConst(0); emitConst(0);
  emit8(W.OP_CALL); emitU32(FUNCTION_HELPER);
  emit8(W.OP_DROP);
  emitLoadState();
}

/**
 * The interpreter runs the current instruction from the state block and the unit leaves for
 * wherever that went, counting the exit under `cause`: on a path where the translation does not
 * apply (a DIV that raises #DE, say), or for an instruction the unit cannot follow. Ends the
 * path, so the translator's own state for the other paths is untouched.
 */
export function emitInterpretAndLeave(cause: u32): void {
  emitInterpret(); // (the exit stores the registers back; the flags are in the state block already)
  if (budgetRefund != 0) { emitGet(L_BUDGET); emitConst(budgetRefund); emit8(W.OP_I32_ADD); emitSet(L_BUDGET); }
  emitLoadField(REG_EIP); emitSet(L_EXIT_EIP);
  emitConst(cause); emitSet(L_EXIT_CAUSE);
  emitBr(W.OP_BR, nesting + 1);
}

// ---- Memory -----------------------------------------------------------------------------------

/** Segments a unit's guard requires to be based at 0 (translate.ts emitSegmentGuard). */
export function zeroBased(segment: u32): bool { return segment == SEG_ES || segment == SEG_SS || segment == SEG_DS; }

/** L_LINEAR = segment base + offset on the stack. */
export function emitLinearFromOffset(segment: u32): void {
  if (!zeroBased(segment)) {
    emitConst(0);
    emitMemory(W.OP_I32_LOAD, 2, SEG_BASE + (segment << 2));
    emit8(W.OP_I32_ADD);
  }
  emitSet(L_LINEAR);
}

function readMask(): u32 { return userMode ? TLB_VALID | TLB_MMIO | TLB_NO_USER : TLB_VALID | TLB_MMIO; }
function writeMask(): u32 {
  return userMode ? TLB_VALID | TLB_MMIO | TLB_HAS_CODE | TLB_NO_USER | TLB_READONLY_USER
    : TLB_VALID | TLB_MMIO | TLB_HAS_CODE | TLB_READONLY_SUPERVISOR;
}

// Branch to label 0 unless the TLB entry for the linear address in local `linear` passes `mask`
// (a plain access to RAM with the permissions asked for); the entry goes to local `entry`.
function emitBranchUnlessTlbAllows(linear: u32, mask: u32, entry: u32): void {
  emitGet(linear); emitConst(12); emit8(W.OP_I32_SHR_U); emitConst(2); emit8(W.OP_I32_SHL);
  emitMemory(W.OP_I32_LOAD, 2, TLB_BASE);
  emitTee(entry);
  emitConst(mask); emit8(W.OP_I32_AND); emitConst(TLB_VALID); emit8(W.OP_I32_NE);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
}

// Inside the slow-path block: branch out to it (label 0) unless the TLB entry allows the access
// and the access stays in its page. Two compare-and-branch pairs, which V8 emits as such; one
// combined condition made it materialise each comparison as a value first.
function emitSlowPathBranches(mask: u32, bytes: u32): void {
  emitBranchUnlessTlbAllows(L_LINEAR, mask, L_ENTRY);
  if (bytes > 1) {
    emitGet(L_LINEAR); emitConst(0xfff); emit8(W.OP_I32_AND); emitConst(0x1000 - bytes); emit8(W.OP_I32_GT_U);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  }
}

function emitRamAddress(): void {
  emitGet(L_ENTRY); emitConst(0xfffff000); emit8(W.OP_I32_AND);
  emitGet(L_LINEAR); emitConst(0xfff); emit8(W.OP_I32_AND);
  emit8(W.OP_I32_OR);
}

/**
 * Push the `size`-bit value at L_LINEAR; `forWrite`: the operand of a read-modify-write, whose
 * read is checked as a write (mmu/linear.ts readLinearForWrite).
 */
export function emitRead(size: u32, forWrite: bool = false): void {
  const bytes = size >> 3;
  openResult(W.OP_BLOCK); // done
  open(W.OP_BLOCK); // slow path
  emitSlowPathBranches(forWrite ? writeMask() : readMask(), bytes);
  emitRamAddress();
  if (size == 8) emitMemory(W.OP_I32_LOAD8_U, 0, GUEST_RAM);
  else if (size == 16) emitMemory(W.OP_I32_LOAD16_U, 1, GUEST_RAM);
  else emitMemory(W.OP_I32_LOAD, 2, GUEST_RAM);
  emitBr(W.OP_BR, 1);
  close();
  if (forWrite) emitSlowPathCall(HELPER_READ_FOR_WRITE, size, false);
  else emitSlowPathCall(size == 8 ? HELPER_READ8 : size == 16 ? HELPER_READ16 : HELPER_READ32, 0, false);
  close();
}

/** Store the `size`-bit value in local `value` at L_LINEAR. */
export function emitWrite(size: u32, value: u32): void {
  writesMemory = true;
  const bytes = size >> 3;
  open(W.OP_BLOCK); // done
  open(W.OP_BLOCK); // slow path
  emitSlowPathBranches(writeMask(), bytes);
  emitRamAddress();
  emitGet(value);
  if (size == 8) emitMemory(W.OP_I32_STORE8, 0, GUEST_RAM);
  else if (size == 16) emitMemory(W.OP_I32_STORE16, 1, GUEST_RAM);
  else emitMemory(W.OP_I32_STORE, 2, GUEST_RAM);
  emitBr(W.OP_BR, 1);
  close();
  emitSlowPathCall(size == 8 ? HELPER_WRITE8 : size == 16 ? HELPER_WRITE16 : HELPER_WRITE32, value, true);
  emit8(W.OP_DROP);
  close();
}

// Descriptor high-word bits a fast segment load requires: present (P), code or data (S), data
// (not CODE) and accessed (A, so nothing is written back) (SDM vol. 3, 3.4.5).
const DESCRIPTOR_CHECKED: u32 = 0x9900; // P S CODE A
const DESCRIPTOR_DATA_ACCESSED: u32 = 0x9100; // P S A
// setSegmentCache's NO_WRITE and EXPAND_DOWN lie this far above the RW and DC they derive from.
const DERIVED_SHIFT: u32 = 17;

/**
 * MOV to DS, ES, FS or GS of the selector in L_B, in protected mode. A null selector, or a
 * present, accessed data segment in the GDT that the CPL and RPL may use, its descriptor found
 * through the TLB, loads here as cpu/descriptors.ts loadSegment loads it, together with the
 * segment's bits of JIT_SEGMENTS (jit/segment_state.ts). Anything else (real mode, the LDT, a
 * fault, an accessed bit to set, a TLB miss) runs in the interpreter. Linux loads its data
 * segments on every system call and back on the way out.
 */
export function emitLoadDataSegment(seg: u32): void {
  open(W.OP_BLOCK); // done
  open(W.OP_BLOCK); // the interpreter
  emitLoadField(CR0); emitConst(CR0_PE); emit8(W.OP_I32_AND); emit8(W.OP_I32_EQZ);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_B); emitConst(0xfffc); emit8(W.OP_I32_AND); emit8(W.OP_I32_EQZ);
  open(W.OP_IF); // null: unusable until a usable selector is loaded (setSegmentUnusable)
  emitConst(0); emitSet(L_T); emitConst(0); emitSet(L_R); emitConst(ACC_UNUSABLE); emitSet(L_A);
  emitStoreSegment(seg);
  emitBr(W.OP_BR, 2);
  close();
  emitGet(L_B); emitConst(4); emit8(W.OP_I32_AND); // (LDT)
  emitGet(L_B); emitConst(7); emit8(W.OP_I32_OR); emitLoadField(GDTR_LIMIT); emit8(W.OP_I32_GT_U);
  emit8(W.OP_I32_OR);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitLoadField(GDTR_BASE); emitGet(L_B); emitConst(0xfff8); emit8(W.OP_I32_AND); emit8(W.OP_I32_ADD); emitSet(L_LINEAR);
  emitSlowPathBranches(TLB_VALID | TLB_MMIO, 8); // (descriptors are read as the supervisor reads)
  emitRamAddress(); emitSet(L_T);
  emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, GUEST_RAM + 4); emitSet(L_A); // high word
  emitGet(L_A); emitConst(DESCRIPTOR_CHECKED); emit8(W.OP_I32_AND); emitConst(DESCRIPTOR_DATA_ACCESSED); emit8(W.OP_I32_NE);
  // DPL >= CPL and DPL >= RPL (at CPL 3: DPL 3).
  if (userMode) {
    emitGet(L_A); emitConst(0x6000); emit8(W.OP_I32_AND); emitConst(0x6000); emit8(W.OP_I32_NE);
  } else {
    emitGet(L_A); emitConst(13); emit8(W.OP_I32_SHR_U); emitConst(3); emit8(W.OP_I32_AND);
    emitGet(L_B); emitConst(3); emit8(W.OP_I32_AND);
    emit8(W.OP_I32_LT_U);
  }
  emit8(W.OP_I32_OR);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_T); emitMemory(W.OP_I32_LOAD, 2, GUEST_RAM); emitSet(L_R); // low word
  // L_T = base (descriptors.ts descriptorBase)
  emitGet(L_R); emitConst(16); emit8(W.OP_I32_SHR_U);
  emitGet(L_A); emitConst(0xff); emit8(W.OP_I32_AND); emitConst(16); emit8(W.OP_I32_SHL); emit8(W.OP_I32_OR);
  emitGet(L_A); emitConst(0xff000000); emit8(W.OP_I32_AND); emit8(W.OP_I32_OR);
  emitSet(L_T);
  // L_R = limit (descriptorLimit)
  emitGet(L_R); emitConst(0xffff); emit8(W.OP_I32_AND); emitGet(L_A); emitConst(0xf0000); emit8(W.OP_I32_AND); emit8(W.OP_I32_OR);
  emitSet(L_R);
  emitGet(L_R); emitConst(12); emit8(W.OP_I32_SHL); emitConst(0xfff); emit8(W.OP_I32_OR);
  emitGet(L_R);
  emitGet(L_A); emitConst(ACC_G << 8); emit8(W.OP_I32_AND);
  emit8(W.OP_SELECT); emitSet(L_R);
  // L_A = access (descriptorAccess) with setSegmentCache's bits for a data segment
  emitGet(L_A); emitConst(8); emit8(W.OP_I32_SHR_U); emitConst(0xf0ff); emit8(W.OP_I32_AND); emitSet(L_A);
  emitGet(L_A);
  emitGet(L_A); emitConst(ACC_RW | ACC_DC); emit8(W.OP_I32_AND); emitConst(ACC_RW); emit8(W.OP_I32_XOR);
  emitConst(DERIVED_SHIFT); emit8(W.OP_I32_SHL);
  emit8(W.OP_I32_OR); emitSet(L_A);
  emitStoreSegment(seg);
  emitBr(W.OP_BR, 1);
  close();
  emitCallout();
  close();
}

// Segment register `seg` = selector L_B, base L_T, limit L_R, access L_A, and its bits of
// JIT_SEGMENTS as updateSegmentState computes them.
function emitStoreSegment(seg: u32): void {
  emitConst(0); emitGet(L_B); emitMemory(W.OP_I32_STORE, 2, SEG_SELECTOR + (seg << 2));
  emitConst(0); emitGet(L_T); emitMemory(W.OP_I32_STORE, 2, SEG_BASE + (seg << 2));
  emitConst(0); emitGet(L_R); emitMemory(W.OP_I32_STORE, 2, SEG_LIMIT + (seg << 2));
  emitConst(0); emitGet(L_A); emitMemory(W.OP_I32_STORE, 2, SEG_ACCESS + (seg << 2));
  emitConst(0);
  emitLoadField(JIT_SEGMENTS); emitConst(~(flatBit(seg) | zeroBasedBit(seg))); emit8(W.OP_I32_AND);
  emitGet(L_A); emitConst(ACC_UNUSABLE | ACC_NO_READ | ACC_NO_WRITE | ACC_EXPAND_DOWN); emit8(W.OP_I32_AND); emit8(W.OP_I32_EQZ);
  emitGet(L_R); emitConst(-1); emit8(W.OP_I32_EQ);
  emit8(W.OP_I32_AND); emitConst(seg); emit8(W.OP_I32_SHL); emit8(W.OP_I32_OR);
  emitGet(L_T); emit8(W.OP_I32_EQZ); emitConst(8 + seg); emit8(W.OP_I32_SHL); emit8(W.OP_I32_OR);
  emitMemory(W.OP_I32_STORE, 2, JIT_SEGMENTS);
}

/**
 * `count` PUSH r32 (`push`) or POP r32 in a row, registers (never ESP) in `registers`, as one
 * access to the stack: one TLB check for the whole range, then a plain store or load per
 * register. Function prologues and epilogues are such runs; checking each push cost a TLB
 * look-up and a slow-path call site apiece. A range across a page end (a frame that straddles
 * one does so on every call) takes each element on its own; if a TLB entry does not allow the
 * access, the unit leaves before the run and the interpreter runs it. Taking elements again
 * after some went through is harmless: a push stores the same value, a pop reads into a
 * register the run writes anyway, and ESP changes only at the end.
 */
export function emitStackRun(push: bool, registers: StaticArray<u32>, count: u32): void {
  const bytes = count << 2;
  const mask = push ? writeMask() : readMask();
  open(W.OP_BLOCK); // done
  open(W.OP_BLOCK); // the interpreter
  open(W.OP_BLOCK); // element by element
  emitGet(regLocal(4));
  if (push) { emitConst(bytes); emit8(W.OP_I32_SUB); }
  emitLinearFromOffset(SEG_SS); // (the lowest address)
  emitSlowPathBranches(mask, bytes);
  emitRamAddress(); emitSet(L_T);
  for (let i: u32 = 0; i < count; i++) emitStackElement(push, registers[i], stackSlot(push, count, i));
  emitStackRunEsp(push, bytes);
  emitBr(W.OP_BR, 2);
  close();
  for (let i: u32 = 0; i < count; i++) {
    emitGet(L_LINEAR); emitConst(stackSlot(push, count, i)); emit8(W.OP_I32_ADD); emitSet(L_B);
    emitBranchUnlessTlbAllows(L_B, mask, L_ENTRY);
    emitGet(L_B); emitConst(0xfff); emit8(W.OP_I32_AND); emitConst(0xffc); emit8(W.OP_I32_GT_U);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
    emitGet(L_ENTRY); emitConst(0xfffff000); emit8(W.OP_I32_AND);
    emitGet(L_B); emitConst(0xfff); emit8(W.OP_I32_AND);
    emit8(W.OP_I32_OR); emitSet(L_T);
    emitStackElement(push, registers[i], 0);
  }
  emitStackRunEsp(push, bytes);
  emitBr(W.OP_BR, 1);
  close();
  emitExit(instructionEip, EXIT_SLOW_PATH, budgetRefund + 1); // (the first of the run did not run either)
  close();
}

// Byte offset of the run's element `i` above its lowest address: the first register pushed goes highest.
function stackSlot(push: bool, count: u32, i: u32): u32 { return (push ? count - 1 - i : i) << 2; }

// Store register `r` to, or load it from, guest RAM at L_T + `offset`.
function emitStackElement(push: bool, r: u32, offset: u32): void {
  emitGet(L_T);
  if (push) { emitGet(regLocal(r)); emitMemory(W.OP_I32_STORE, 2, GUEST_RAM + offset); }
  else { emitMemory(W.OP_I32_LOAD, 2, GUEST_RAM + offset); emitSet(regLocal(r)); }
}

function emitStackRunEsp(push: bool, bytes: u32): void {
  emitGet(regLocal(4)); emitConst(bytes); emit8(push ? W.OP_I32_SUB : W.OP_I32_ADD); emitSet(regLocal(4));
}

/**
 * Inside a block: branch out of it (label 0) unless the dword at CS:`eip` is `code`, read
 * through the TLB (a missing or unreadable entry counts as different; nothing faults).
 */
export function emitBranchUnlessCodeIs(eip: u32, code: u32): void {
  emitLoadField(SEG_BASE + (SEG_CS << 2)); emitConst(eip); emit8(W.OP_I32_ADD); emitSet(L_LINEAR);
  emitBranchUnlessTlbAllows(L_LINEAR, readMask(), L_ENTRY);
  emitRamAddress(); emitMemory(W.OP_I32_LOAD, 0, GUEST_RAM);
  emitConst(code); emit8(W.OP_I32_NE);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
}

// ---- String instructions ----------------------------------------------------------------------
// MOVS and STOS (forward, DS and ES flat at 0, as the guard ensures) whose whole range lies in one
// page on each side, with TLB entries that allow it, are one memory.copy or memory.fill;
// anything else (DF set, page crossings, code pages, overlap that a forward copy would smear)
// runs as a callout: the unit goes on after it unless the interpreter stopped short (the budget)
// or something asked for attention. (Leaving the unit there cost the Linux guest's dd pipeline a
// unit exit and some 16 interpreted instructions per pipe page, the kernel's copies being
// unaligned.) The flag record goes to the state block first so both paths agree on it.

const MAX_BULK_ELEMENTS: u32 = 4096; // (the interpreter finishes these in one step too)

// Inside the interpreter block: branch to it unless L_A elements of `size` bits fit below 4096
// and DF is clear; L_B = their bytes.
function emitBulkCount(size: u32): void {
  emitGetFlag(L_EFLAGS); emitConst(FLAG_DF); emit8(W.OP_I32_AND);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_A); emitConst(MAX_BULK_ELEMENTS); emit8(W.OP_I32_GT_U);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_A); emitConst(ctz(size >> 3)); emit8(W.OP_I32_SHL); emitSet(L_B);
}

// Inside the interpreter block: branch to it unless [linear, linear + L_B) lies in one page whose
// TLB entry passes `mask`; `physical` = the physical address of `linear`.
function emitBulkRange(linear: u32, mask: u32, physical: u32): void {
  emitBranchUnlessTlbAllows(linear, mask, L_T);
  emitGet(linear); emitConst(0xfff); emit8(W.OP_I32_AND); emitGet(L_B); emit8(W.OP_I32_ADD); emitConst(0x1000); emit8(W.OP_I32_GT_U);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_T); emitConst(0xfffff000); emit8(W.OP_I32_AND);
  emitGet(linear); emitConst(0xfff); emit8(W.OP_I32_AND);
  emit8(W.OP_I32_OR);
  emitSet(physical);
}

// After the bulk operation: ESI or EDI past the L_B bytes.
function emitAdvance(register: u32): void {
  emitGet(regLocal(register)); emitGet(L_B); emit8(W.OP_I32_ADD); emitSet(regLocal(register));
}

// The frame around a bulk MOVS or STOS: L_A = the element count (nothing to do for REP with ECX
// 0), a block the fast path leaves when done, and inside it the block whose end is the way to
// the interpreter.
function openBulk(repeated: bool): void {
  emitFlushFlags();
  resetFlagLocals();
  if (repeated) emitGet(regLocal(1)); else emitConst(1);
  emitSet(L_A);
  open(W.OP_BLOCK); // done
  if (repeated) { emitGet(L_A); emit8(W.OP_I32_EQZ); emitBr(W.OP_BR_IF, 0); }
  open(W.OP_BLOCK); // interpreter
}

function closeBulk(repeated: bool): void {
  if (repeated) { emitConst(0); emitSet(regLocal(1)); }
  emitBr(W.OP_BR, 1);
  close();
  emitCallout();
  close();
}

/** MOVS of `size` bits (8 or 32), REP-prefixed or not. */
export function emitMoveString(size: u32, repeated: bool): void {
  openBulk(repeated);
  emitBulkCount(size);
  emitBulkRange(regLocal(6), readMask(), L_LINEAR);
  emitBulkRange(regLocal(7), writeMask(), L_ENTRY);
  // A destination inside the source past its start: a forward copy repeats the bytes it wrote.
  emitGet(L_ENTRY); emitGet(L_LINEAR); emit8(W.OP_I32_GT_U);
  emitGet(L_ENTRY); emitGet(L_LINEAR); emitGet(L_B); emit8(W.OP_I32_ADD); emit8(W.OP_I32_LT_U);
  emit8(W.OP_I32_AND);
  W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  emitGet(L_ENTRY); emitConst(GUEST_RAM); emit8(W.OP_I32_ADD);
  emitGet(L_LINEAR); emitConst(GUEST_RAM); emit8(W.OP_I32_ADD);
  emitGet(L_B);
  emit8(W.OP_PREFIX_FC); emitU32(W.FC_MEMORY_COPY); emit8(0); emit8(0);
  emitAdvance(6);
  emitAdvance(7);
  closeBulk(repeated);
}

/** STOS of `size` bits (8 or 32), REP-prefixed or not. */
export function emitStoreString(size: u32, repeated: bool): void {
  openBulk(repeated);
  if (size == 32) { // (a fill repeats one byte: EAX must be four of them)
    emitGet(regLocal(0)); emitGet(regLocal(0)); emitConst(0xff); emit8(W.OP_I32_AND); emitConst(0x01010101); emit8(W.OP_I32_MUL);
    emit8(W.OP_I32_NE);
    W.hintUnlikely(); emitBr(W.OP_BR_IF, 0);
  }
  emitBulkCount(size);
  emitBulkRange(regLocal(7), writeMask(), L_ENTRY);
  emitGet(L_ENTRY); emitConst(GUEST_RAM); emit8(W.OP_I32_ADD);
  emitGet(regLocal(0));
  emitGet(L_B);
  emit8(W.OP_PREFIX_FC); emitU32(W.FC_MEMORY_FILL); emit8(0);
  emitAdvance(7);
  closeBulk(repeated);
}

// ---- Flags ------------------------------------------------------------------------------------

// The flag-setting operation the translator last emitted in this block, or KNOWN_NONE.
export const KNOWN_NONE: i32 = -1;
export const KNOWN_INC: i32 = 8; // LAZY_ADD with CF kept
export const KNOWN_DEC: i32 = 9; // LAZY_SUB with CF kept
export const KNOWN_EXPLICIT: i32 = 10; // CF and OF set explicitly in EFLAGS; SF ZF PF lazy (shifts, IMUL)
export let knownKind: i32 = KNOWN_NONE;
export let knownSize: u32 = 32;
export function forgetFlags(): void { knownKind = KNOWN_NONE; }

// The instruction being translated sets flags no one sees (translate.ts findDeadFlags): its
// flag-setting calls below emit nothing.
let flagsDead = false;
export function setFlagsDead(dead: bool): void { flagsDead = dead; }

/** Record operation `kind` on L_A (dst), L_B (src), L_R (res) as the lazy flags. */
export function emitSetFlags(kind: u32, size: u32): void {
  if (flagsDead) { knownKind = KNOWN_NONE; return; }
  emitConst(kind); emitSetFlag(L_FLAGS_OP);
  emitConst(size); emitSetFlag(L_FLAGS_SIZE);
  emitGet(L_A); emitSetFlag(L_FLAGS_DST);
  emitGet(L_B); emitSetFlag(L_FLAGS_SRC);
  emitGet(L_R); emitSetFlag(L_FLAGS_RES);
  emitConst(FLAGS_ARITH); emitSetFlag(L_FLAGS_MASK);
  knownKind = <i32>kind;
  knownSize = size;
}

/** ADC/SBB: like emitSetFlags, with the carry in (0 or 1) from L_T. */
export function emitSetFlagsWithCarry(add: bool, size: u32): void {
  if (flagsDead) { knownKind = KNOWN_NONE; return; }
  emitSetFlags(add ? LAZY_ADC : LAZY_SBB, size);
  emitGet(L_T); emitSetFlag(L_FLAGS_CARRY_IN);
}

/**
 * Arithmetic flags `bits` set explicitly from the same bits of L_T, the others left as they
 * were (alu.ts setFlagBits): CF and OF for ROL/ROR, CF for BT.
 */
export function emitSetFlagBits(bits: u32): void {
  if (flagsDead) { knownKind = KNOWN_NONE; return; }
  emitGetFlag(L_EFLAGS); emitConst(~bits); emit8(W.OP_I32_AND);
  emitGet(L_T); emit8(W.OP_I32_OR);
  emitSetFlag(L_EFLAGS);
  emitGetFlag(L_FLAGS_MASK); emitConst(~bits); emit8(W.OP_I32_AND); emitSetFlag(L_FLAGS_MASK);
  knownKind = KNOWN_NONE;
}

/** EFLAGS bits that are never lazy (IF, DF) cleared and set: CLI, CLD, STD. */
export function emitChangeSystemFlags(clear: u32, set: u32): void {
  emitGetFlag(L_EFLAGS); emitConst(~clear); emit8(W.OP_I32_AND);
  if (set != 0) { emitConst(set); emit8(W.OP_I32_OR); }
  emitSetFlag(L_EFLAGS);
}

/**
 * STI (CPL 0). With an interrupt pending the interpreter runs it (the interrupt waits one more
 * instruction, then the unit leaves for it); with none, its shadow holds nothing back (run.ts
 * settleAttention), so setting IF is all. The flag record goes to the state block first so both
 * paths leave this code with the same flag state.
 */
export function emitSetInterruptFlag(): void {
  emitFlushFlags();
  resetFlagLocals();
  emitLoadField(INTERRUPT_PENDING);
  W.hintUnlikely();
  open(W.OP_IF);
  emitCallout();
  emit8(W.OP_ELSE);
  emitConst(0); emitLoadField(REG_EFLAGS); emitConst(FLAG_IF); emit8(W.OP_I32_OR); emitMemory(W.OP_I32_STORE, 2, REG_EFLAGS);
  close();
  forgetFlags();
}

/**
 * POPF (CPL 0, 32-bit) as the interpreter does it in protected mode (system.ts
 * updateFlagsFromIret): every writable flag from the stack, RF cleared, nothing lazy. The unit
 * leaves right after it if single-stepping starts or IF lets a pending interrupt in. In real mode,
 * where RF is popped too, the interpreter runs it.
 */
export function emitPopFlags(): void {
  emitFlushFlags();
  resetFlagLocals();
  emitLoadField(CR0); emitConst(CR0_PE); emit8(W.OP_I32_AND); emit8(W.OP_I32_EQZ);
  W.hintUnlikely();
  open(W.OP_IF);
  emitCallout();
  emit8(W.OP_ELSE);
  emitGet(regLocal(4)); emitLinearFromOffset(SEG_SS); emitRead(32); emitSet(L_T);
  emitGet(regLocal(4)); emitConst(4); emit8(W.OP_I32_ADD); emitSet(regLocal(4));
  emitConst(0);
  emitLoadField(REG_EFLAGS); emitConst(~FLAGS_WRITABLE); emit8(W.OP_I32_AND);
  emitGet(L_T); emitConst(FLAGS_WRITABLE & ~FLAG_RF); emit8(W.OP_I32_AND); emit8(W.OP_I32_OR);
  emitConst(FLAG_RESERVED1); emit8(W.OP_I32_OR);
  emitTee(L_T);
  emitMemory(W.OP_I32_STORE, 2, REG_EFLAGS);
  emitConst(0); emitConst(0); emitMemory(W.OP_I32_STORE, 2, FLAGS_LAZY_MASK);
  emitGet(L_T); emitConst(FLAG_TF); emit8(W.OP_I32_AND);
  emitGet(L_T); emitConst(FLAG_IF); emit8(W.OP_I32_AND); emitConst(0); emit8(W.OP_I32_NE);
  emitLoadField(INTERRUPT_PENDING); emitConst(0); emit8(W.OP_I32_NE);
  emit8(W.OP_I32_AND);
  emit8(W.OP_I32_OR);
  W.hintUnlikely();
  open(W.OP_IF);
  emitConst(0); emitConst(1); emitMemory(W.OP_I32_STORE, 2, ATTENTION);
  emitExit(instructionNext, EXIT_SLOW_PATH, budgetRefund);
  close();
  close();
  forgetFlags();
}

/**
 * RDTSC (CPL 0): EDX:EAX = the TSC as the interpreter reads it at this instruction, the TSC at the
 * end of the run's budget less the budget left (cpu/run.ts updateTscAtBudgetEnd).
 */
export function emitReadTsc(): void {
  for (let half: u32 = 0; half < 2; half++) {
    emitConst(0); emitMemory(W.OP_I64_LOAD, 3, TSC_AT_BUDGET_END);
    emitGet(L_BUDGET); if (budgetRefund != 0) { emitConst(budgetRefund); emit8(W.OP_I32_ADD); }
    emit8(W.OP_I64_EXTEND_I32_S); emit8(W.OP_I64_SUB);
    if (half == 1) { emit8(W.OP_I64_CONST); emit8(32); emit8(W.OP_I64_SHR_U); }
    emit8(W.OP_I32_WRAP_I64);
    emitSet(regLocal(half == 0 ? 0 : 2)); // EAX, EDX
  }
}

/** Push EFLAGS as PUSHF stores it (the helper computes the lazy flags; the record stays as it is). */
export function emitFlagsImage(): void {
  emitFlushFlags();
  emitConst(HELPER_FLAGS_IMAGE); emitConst(0); emitConst(0);
  emit8(W.OP_CALL); emitU32(FUNCTION_HELPER);
}

/** INC/DEC: CF is materialised into EFLAGS and kept; the rest is lazy. */
export function emitSetFlagsKeepCarry(increment: bool, size: u32): void {
  if (flagsDead) { knownKind = KNOWN_NONE; return; }
  emitGetFlag(L_EFLAGS); emitConst(~FLAG_CF); emit8(W.OP_I32_AND);
  emitCarry();
  emit8(W.OP_I32_OR);
  emitSetFlag(L_EFLAGS);
  emitSetFlags(increment ? LAZY_ADD : LAZY_SUB, size);
  emitConst(FLAGS_ARITH & ~FLAG_CF); emitSetFlag(L_FLAGS_MASK);
  knownKind = increment ? KNOWN_INC : KNOWN_DEC;
}

/**
 * Flags as shifts and IMUL leave them (alu.ts setResultFlagsWith): CF and OF from L_T (bit 0 and
 * bit 11), AF clear, SF ZF PF lazy from the `size`-bit result in L_R.
 */
export function emitSetFlagsExplicit(size: u32): void {
  if (flagsDead) { knownKind = KNOWN_NONE; return; }
  emitGetFlag(L_EFLAGS); emitConst(~(FLAG_CF | FLAG_OF | FLAG_AF)); emit8(W.OP_I32_AND);
  emitGet(L_T); emit8(W.OP_I32_OR);
  emitSetFlag(L_EFLAGS);
  emitConst(LAZY_LOGIC); emitSetFlag(L_FLAGS_OP);
  emitConst(size); emitSetFlag(L_FLAGS_SIZE);
  emitGet(L_R); emitSetFlag(L_FLAGS_RES);
  emitConst(FLAG_SF | FLAG_ZF | FLAG_PF); emitSetFlag(L_FLAGS_MASK);
  knownKind = KNOWN_EXPLICIT;
  knownSize = size;
}

// The flag operands shifted so the operation's sign bit is bit 31.
function emitShifted(local: u32): void {
  emitGetFlag(local);
  if (knownSize != 32) { emitConst(32 - knownSize); emit8(W.OP_I32_SHL); }
}

function emitZero(): void { emitShifted(L_FLAGS_RES); emit8(W.OP_I32_EQZ); }
function emitSign(): void { emitShifted(L_FLAGS_RES); emitConst(31); emit8(W.OP_I32_SHR_U); }

function emitOverflow(): void {
  if (knownKind == <i32>LAZY_LOGIC) { emitConst(0); return; }
  if (knownKind == KNOWN_EXPLICIT) { emitGetFlag(L_EFLAGS); emitConst(11); emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND); return; }
  const add = knownKind == <i32>LAZY_ADD || knownKind == <i32>LAZY_ADC || knownKind == KNOWN_INC;
  // ADD: (dst ^ res) & (src ^ res); SUB: (dst ^ src) & (dst ^ res); sign bit of the size.
  emitGetFlag(L_FLAGS_DST); emitGet(add ? L_FLAGS_RES : L_FLAGS_SRC); emit8(W.OP_I32_XOR);
  emitGet(add ? L_FLAGS_SRC : L_FLAGS_DST); emitGetFlag(L_FLAGS_RES); emit8(W.OP_I32_XOR);
  emit8(W.OP_I32_AND);
  emitConst(knownSize - 1); emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND);
}

/** Push CF (0 or 1) of the current flag state. */
export function emitCarry(): void {
  if (knownKind == KNOWN_INC || knownKind == KNOWN_DEC || knownKind == KNOWN_EXPLICIT) {
    emitGetFlag(L_EFLAGS); emitConst(FLAG_CF); emit8(W.OP_I32_AND);
    return;
  }
  if (knownKind == <i32>LAZY_LOGIC) { emitConst(0); return; }
  if (knownKind == <i32>LAZY_ADD) { emitShifted(L_FLAGS_RES); emitShifted(L_FLAGS_DST); emit8(W.OP_I32_LT_U); return; }
  if (knownKind == <i32>LAZY_SUB) { emitShifted(L_FLAGS_DST); emitShifted(L_FLAGS_SRC); emit8(W.OP_I32_LT_U); return; }
  if (knownKind == <i32>LAZY_ADC || knownKind == <i32>LAZY_SBB) {
    // With a carry in, equality also carries (or borrows): res <= dst, dst <= src.
    const adc = knownKind == <i32>LAZY_ADC;
    emitShifted(adc ? L_FLAGS_RES : L_FLAGS_DST); emitShifted(adc ? L_FLAGS_DST : L_FLAGS_SRC); emit8(W.OP_I32_LE_U);
    emitShifted(adc ? L_FLAGS_RES : L_FLAGS_DST); emitShifted(adc ? L_FLAGS_DST : L_FLAGS_SRC); emit8(W.OP_I32_LT_U);
    emitGetFlag(L_FLAGS_CARRY_IN);
    emit8(W.OP_SELECT);
    return;
  }
  emitRecordCarry();
}

// ---- Flags from the record, whatever operation made it (flags.ts) --------------------------

// Push `local` shifted so the recorded operation's sign bit is bit 31.
function emitRecordShifted(local: u32): void {
  emitGetFlag(local);
  emitConst(32); emitGetFlag(L_FLAGS_SIZE); emit8(W.OP_I32_SUB);
  emit8(W.OP_I32_SHL);
}

// Push `flag` (one bit of EFLAGS) as 0 or 1: computed by the code `lazy` pushes when the record
// holds it, else from EFLAGS.
function emitFlagOrLazy(flag: u32): void {
  emitGetFlag(L_FLAGS_MASK); emitConst(flag); emit8(W.OP_I32_AND);
  openResult(W.OP_IF);
}
function emitFlagFromEflags(flag: u32): void {
  emit8(W.OP_ELSE);
  emitGetFlag(L_EFLAGS); emitConst(ctz(flag)); emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND);
  close();
}

/** CF of whatever the record holds, inline (flags.ts computeCF). */
function emitRecordCarry(): void {
  emitFlagOrLazy(FLAG_CF);
  // ADD/ADC: res < dst (res <= dst with a carry in); SUB/SBB: dst < src (dst <= src); LOGIC: 0.
  emitGetFlag(L_FLAGS_DST); emitGetFlag(L_FLAGS_RES); emitGetFlag(L_FLAGS_OP); emitConst(2); emit8(W.OP_I32_AND); emit8(W.OP_SELECT);
  emitConst(32); emitGetFlag(L_FLAGS_SIZE); emit8(W.OP_I32_SUB); emit8(W.OP_I32_SHL); emitSet(L_X);
  emitGetFlag(L_FLAGS_SRC); emitGetFlag(L_FLAGS_DST); emitGetFlag(L_FLAGS_OP); emitConst(2); emit8(W.OP_I32_AND); emit8(W.OP_SELECT);
  emitConst(32); emitGetFlag(L_FLAGS_SIZE); emit8(W.OP_I32_SUB); emit8(W.OP_I32_SHL); emitSet(L_Y);
  emitGet(L_X); emitGet(L_Y); emit8(W.OP_I32_LE_U);
  emitGet(L_X); emitGet(L_Y); emit8(W.OP_I32_LT_U);
  emitGetFlag(L_FLAGS_CARRY_IN); emitConst(0); emitGetFlag(L_FLAGS_OP); emitConst(1); emit8(W.OP_I32_AND); emit8(W.OP_SELECT);
  emit8(W.OP_SELECT);
  emitGetFlag(L_FLAGS_OP); emitConst(LAZY_LOGIC); emit8(W.OP_I32_LT_U);
  emit8(W.OP_I32_AND);
  emitFlagFromEflags(FLAG_CF);
}

/** ZF of whatever the record holds, inline. */
function emitRecordZero(): void {
  emitFlagOrLazy(FLAG_ZF);
  emitRecordShifted(L_FLAGS_RES); emit8(W.OP_I32_EQZ);
  emitFlagFromEflags(FLAG_ZF);
}

/** SF of whatever the record holds, inline. */
function emitRecordSign(): void {
  emitFlagOrLazy(FLAG_SF);
  emitRecordShifted(L_FLAGS_RES); emitConst(31); emit8(W.OP_I32_SHR_U);
  emitFlagFromEflags(FLAG_SF);
}

/** Push condition `cc` (Jcc/SETcc/CMOVcc encoding) as 0 or 1. */
export function emitCondition(cc: u32): void {
  if (knownKind == KNOWN_NONE) {
    // Nothing known at compile time (a block start): CF, ZF and SF inline, the rest by the helper.
    const kind = cc >> 1;
    if (kind == 1) emitRecordCarry();
    else if (kind == 2) emitRecordZero();
    else if (kind == 3) { emitRecordCarry(); emitRecordZero(); emit8(W.OP_I32_OR); }
    else if (kind == 4) emitRecordSign();
    else {
      emitFlushFlags();
      emitConst(HELPER_TEST_CONDITION); emitConst(cc); emitConst(0);
      emit8(W.OP_CALL); emitU32(FUNCTION_HELPER);
      return;
    }
    if ((cc & 1) != 0) emit8(W.OP_I32_EQZ);
    return;
  }
  const sub = knownKind == <i32>LAZY_SUB;
  switch (cc >> 1) {
    case 0: emitOverflow(); break;
    case 1: emitCarry(); break;
    case 2: emitZero(); break;
    case 3: {
      if (sub) { emitShifted(L_FLAGS_DST); emitShifted(L_FLAGS_SRC); emit8(W.OP_I32_LE_U); }
      else { emitCarry(); emitZero(); emit8(W.OP_I32_OR); }
      break;
    }
    case 4: emitSign(); break;
    case 5: {
      emitGetFlag(L_FLAGS_RES); emitConst(0xff); emit8(W.OP_I32_AND); emit8(W.OP_I32_POPCNT);
      emitConst(1); emit8(W.OP_I32_AND); emit8(W.OP_I32_EQZ);
      break;
    }
    case 6: {
      if (sub) { emitShifted(L_FLAGS_DST); emitShifted(L_FLAGS_SRC); emit8(W.OP_I32_LT_S); }
      else { emitSign(); emitOverflow(); emit8(W.OP_I32_XOR); }
      break;
    }
    default: {
      if (sub) { emitShifted(L_FLAGS_DST); emitShifted(L_FLAGS_SRC); emit8(W.OP_I32_LE_S); }
      else { emitSign(); emitOverflow(); emit8(W.OP_I32_XOR); emitZero(); emit8(W.OP_I32_OR); }
      break;
    }
  }
  if ((cc & 1) != 0) emit8(W.OP_I32_EQZ);
}
