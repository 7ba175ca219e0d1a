// The translator: from a hot entry point, find the blocks reachable by direct jumps inside the
// same page, and compile them into one WebAssembly function whose dispatch loop runs block after
// block (so guest loops stay inside the function) until control leaves the unit. Instructions it
// does not translate run in the interpreter from inside the unit (callouts), unless they transfer
// control or change mode: those end the unit.
import {
  REG_EIP, INSTRUCTION_START, DEC_OPCODE, DEC_PREFIXES, DEC_MOD, DEC_REG, DEC_RM, DEC_IMM, DEC_SEGMENT, DEC_EA_BASE,
  DEC_EA_INDEX, DEC_EA_SCALE, DEC_EA_DISPLACEMENT, DEC_HAS_MEMORY_OPERAND, DEC_ADDRSIZE32, ZERO_WORD, REGS, JIT_SCAN,
  SEG_SS, SEG_DS, SEG_ES, SEG_CS, SEG_FS, SEG_GS, SEG_SELECTOR, ATTENTION, JIT_OUTPUT, JIT_SEGMENTS, GUEST_RAM,
} from "../layout";
import { flatBit, zeroBasedBit, CS_REACHES_4G, STACK_32, CPL_0 } from "./segment_state";
import { segBase } from "../cpu/state";
import { tlbEntry, tlbReadMask, TLB_VALID } from "../mmu/tlb";
import { ramBytes } from "../mmu/physical";
import { FLAG_CF, FLAG_OF, FLAG_DF, FLAG_IF, FLAG_ZF, FLAG_SF, FLAG_AF, FLAG_PF } from "../cpu/state";
import { LAZY_ADD, LAZY_SUB, LAZY_LOGIC } from "../cpu/flags";
import { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, sizeMask } from "../cpu/alu";
import { decode, nextEip } from "../cpu/decoder";
import { readField } from "../cpu/record";
import { OPCODE_ATTRS, GROUP_ATTRS } from "../cpu/decode_table.generated";
import {
  ATTR_MODRM, ATTR_GROUP, ATTR_UNDEFINED, ATTR_MEM_ONLY, ATTR_LOCKABLE, ATTR_BLOCK_END, ATTR_MODRM_REG_ONLY, ATTR_IMM_MASK,
  ATTR_IMM_SHIFT, IMM_B, IMM_W, IMM_Z, IMM_FAR, IMM_ENTER, IMM_MOFFS, IMM_GROUP3, PREFIX_OPSIZE, PREFIX_REP,
} from "../cpu/decode_attrs";
import * as W from "./wasm_writer";
import { emit8, emitU32, emitConst, emitGet, emitSet, emitBr, emitLoadField, writePosition, setWritePosition } from "./wasm_writer";
import {
  L_BUDGET, L_NEXT, L_LINEAR, L_A, L_B, L_R, L_T, LOCALS, EXIT_BRANCH, EXIT_UNTRANSLATED, EXIT_SLOW_PATH,
  EXIT_BOUNDARY, regLocal, emitGetReg, emitSetReg, emitLoadState, emitExit, emitExitToStack, emitGoToBlock,
  emitAttentionCheck, emitCallout, emitUnitExit, emitCountEntry, emitLinearFromOffset, zeroBased, emitRead, emitWrite, emitSetFlags, emitSetFlagsKeepCarry, emitCondition,
  forgetFlags, setInstruction, setBudgetRefund, setNesting, setUserMode, open, close, nesting, instructionNext, writesMemory, emitSetFlagsExplicit,
  emitSetFlagsWithCarry, emitCarry, setStateMasks, emitFlushFlags, resetFlagLocals, emitCacheFlags, setFlagsDead,
  markFlagsSet, emitBranchUnlessCodeIs, emitStackRun, emitSetInterruptFlag, emitPopFlags, emitReadTsc, emitLoadDataSegment, budgetRefund, emitMoveString, emitStoreString, emitSetFlagBits, emitChangeSystemFlags, emitFlagsImage, emitInterpretAndLeave, userMode,
} from "./codegen";

const MAX_BLOCKS: u32 = 32;
const MAX_BLOCK_INSTRUCTIONS: u32 = 64;
const MAX_INSTRUCTION_BYTES: u32 = 15;
const SAHF_FLAGS: u32 = FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF; // (the flags SAHF loads from AH)

// Why a block ends.
const END_TRANSFER: u32 = 0; // its last instruction is a jump, call or return, or leaves the unit
const END_UNTRANSLATED: u32 = 1; // the next instruction is left to the interpreter
const END_CONTINUE: u32 = 2; // it goes on at endEip (size limit): another block or an exit

// The block list of the unit being translated (at JIT_SCAN): start EIP, instruction count,
// EIP after the block, why it ends, and the instructions it retires.
@inline function blockStart(i: u32): u32 { return load<u32>(JIT_SCAN + (i << 2)); }
@inline function blockCount(i: u32): u32 { return load<u32>(JIT_SCAN + 0x100 + (i << 2)); }
@inline function blockEnd(i: u32): u32 { return load<u32>(JIT_SCAN + 0x200 + (i << 2)); }
@inline function blockReason(i: u32): u32 { return load<u32>(JIT_SCAN + 0x300 + (i << 2)); }
// Instructions the block retires (an in-line PC thunk call counts as the three it stands for).
@inline function blockWeight(i: u32): u32 { return load<u32>(JIT_SCAN + 0x400 + (i << 2)); }
let blocks: u32 = 0;

// The page being translated: EIPs in [pageFirst, pageLimit) lie in it (and in the fetch window),
// with their bytes at host address hostBase + (eip - pageFirst).
let pageFirst: u32 = 0;
let pageLimit: u32 = 0;
let hostBase: usize = 0;
// Segments the unit addresses (bit per segment register) and whether it uses the stack.
let segmentsUsed: u32 = 0;
let stackUsed: bool = false;
let privileged = false; // has instructions that need CPL 0

function findBlock(eip: u32): i32 {
  for (let i: u32 = 0; i < blocks; i++) if (blockStart(i) == eip) return <i32>i;
  return -1;
}

function addBlock(eip: u32): void {
  if (eip < pageFirst || eip >= pageLimit || blocks >= MAX_BLOCKS || findBlock(eip) >= 0) return;
  store<u32>(JIT_SCAN + (blocks << 2), eip);
  blocks++;
}

// ---- Which instructions are translated --------------------------------------------------------

// How the instruction at an EIP is handled inside a unit.
const NOT_IN_UNIT: u32 = 0; // ends the unit before it: the interpreter runs it outside
const NATIVE: u32 = 1; // translated to WebAssembly
const CALLOUT: u32 = 2; // the interpreter runs it from inside the unit (helper call)
// The interpreter runs it from inside the unit, which then leaves: control transfers and mode
// changes the unit cannot follow (IRET, SYSENTER, MOV to CR3). Units do not start with one (the
// run loop interprets it as cheaply).
const LEAVE: u32 = 3;
// A segment-register load: a callout, after which the unit goes on only if its segment guard
// still holds (Linux loads the same flat data segments again on every system call).
const SEGMENT_LOAD: u32 = 4;

// MOV to ES, DS, FS or GS with 32-bit addressing, which units load in line when they can
// (codegen.ts emitLoadDataSegment); the decoded instruction is a segment load.
function movesToDataSegment(): bool {
  if (opcode() != 0x8e) return false;
  const seg = readField(DEC_REG);
  return (seg == SEG_ES || seg == SEG_DS || seg == SEG_FS || seg == SEG_GS) && (modIsRegister() || readField(DEC_ADDRSIZE32) != 0);
}

// Segment-register loads: POP ES/SS/DS/FS/GS, MOV Sreg, LES LDS LSS LFS LGS.
function loadsSegment(op: u32): bool {
  return op == 0x07 || op == 0x17 || op == 0x1f || op == 0x8e || op == 0xc4 || op == 0xc5 || op == 0x1a1 ||
    op == 0x1a9 || op == 0x1b2 || op == 0x1b4 || op == 0x1b5;
}

/**
 * How the instruction at `eip` is handled, judged from its bytes and the opcode table alone (so
 * nothing is decoded that could raise an exception). Native translation covers 32-bit forms of
 * the common integer instructions; anything else that neither transfers control nor changes
 * mode runs as a callout. An instruction must lie wholly in the page.
 */
function classify(eip: u32): u32 {
  if (eip < pageFirst || eip >= pageLimit) return NOT_IN_UNIT;
  const start = hostBase + <usize>(eip - pageFirst);
  const end = hostBase + <usize>(pageLimit - pageFirst);
  let at = start;
  let prefixes: u32 = 0;
  let operandSize16 = false;
  let addressSize16 = false;
  let rep = false;
  let otherPrefix = false; // 67 or F2
  let lock = false;
  let segmentOverride = false;
  let byte: u32 = 0;
  for (;;) {
    if (at >= end) return NOT_IN_UNIT;
    byte = <u32>load<u8>(at);
    const segment = byte == 0x26 || byte == 0x2e || byte == 0x36 || byte == 0x3e || byte == 0x64 || byte == 0x65;
    if (segment) segmentOverride = true;
    const other = byte == 0x66 || byte == 0x67 || byte == 0xf2 || byte == 0xf3;
    if (!segment && !other && byte != 0xf0) break;
    if (++prefixes > 4) return NOT_IN_UNIT;
    if (byte == 0x66) operandSize16 = true;
    else if (byte == 0xf3) rep = true;
    else if (other) otherPrefix = true;
    if (byte == 0x67) addressSize16 = true;
    if (byte == 0xf0) lock = true;
    at++;
  }
  let op = byte;
  if (op == 0x0f) {
    at++;
    if (at >= end) return NOT_IN_UNIT;
    op = 0x100 | <u32>load<u8>(at);
  }
  const opcodeAttrs = <u32>load<u16>(OPCODE_ATTRS + (op << 1));
  let attrs = opcodeAttrs;
  const usesModrm = (attrs & ATTR_MODRM) != 0;
  let modrm: u32 = 0;
  if (usesModrm) {
    if (at + 1 >= end) return NOT_IN_UNIT;
    modrm = <u32>load<u8>(at + 1);
  }
  const reg = (modrm >> 3) & 7;
  const registerForm = (modrm >> 6) == 3;
  if ((attrs & ATTR_GROUP) != 0) attrs = <u32>load<u16>(GROUP_ATTRS + (((op << 3) | reg) << 1));
  if ((attrs & ATTR_UNDEFINED) != 0) return NOT_IN_UNIT;
  if ((attrs & ATTR_MEM_ONLY) != 0 && registerForm) return NOT_IN_UNIT;
  if (lock && ((attrs & ATTR_LOCKABLE) == 0 || !usesModrm || registerForm)) return NOT_IN_UNIT;
  const length = instructionLength(start, at, end, op, opcodeAttrs, attrs, modrm, operandSize16, addressSize16);
  if (length == 0 || <usize>eip + <usize>length > <usize>pageLimit) return NOT_IN_UNIT;
  // LOCK changes nothing for one CPU: a lockable instruction that allows it runs as without.
  if (!otherPrefix) {
    if (!rep && (operandSize16 ? nativelyTranslated16(op, reg, registerForm) : nativelyTranslated(op, reg, registerForm))) return NATIVE;
    if (rep && !operandSize16 && op == 0x90) return NATIVE; // PAUSE: a NOP here
    // TZCNT and LZCNT are BSF and BSR on a CPU without BMI1 and ABM (cpu/control.ts cpuid).
    if (rep && !operandSize16 && (op == 0x1bc || op == 0x1bd)) return NATIVE;
    if (!operandSize16 && !segmentOverride && isBulkString(op)) return NATIVE; // REP or not
  }
  // STI and POPF change nothing a unit depends on (it reads DF when it runs a string instruction;
  // IF and TF only decide whether the boundary needs attention, which the callout checks).
  if (op == 0xfb || op == 0x9d) return CALLOUT;
  if (loadsSegment(op)) return SEGMENT_LOAD;
  if ((attrs & ATTR_BLOCK_END) != 0) return LEAVE;
  return CALLOUT;
}

/**
 * The length of the instruction at `start` whose last opcode byte is at `at`, from its ModRM, SIB
 * and immediates (SDM vol. 2, 2.1); 0 if a byte it needs lies at `end` or beyond.
 */
function instructionLength(
  start: usize, at: usize, end: usize, op: u32, opcodeAttrs: u32, attrs: u32, modrm: u32,
  operandSize16: bool, addressSize16: bool,
): u32 {
  let length = <u32>(at - start) + 1;
  if ((opcodeAttrs & ATTR_MODRM) != 0) {
    length++;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (mod != 3 && (attrs & ATTR_MODRM_REG_ONLY) == 0) {
      if (addressSize16) {
        if (mod == 0 && rm == 6) length += 2;
      } else if (rm == 4) {
        if (start + <usize>length >= end) return 0;
        const sibBase = <u32>load<u8>(start + <usize>length) & 7;
        length++;
        if (mod == 0 && sibBase == 5) length += 4;
      } else if (mod == 0 && rm == 5) {
        length += 4;
      }
      if (mod == 1) length += 1;
      else if (mod == 2) length += addressSize16 ? 2 : 4;
    }
  }
  const operandBytes: u32 = operandSize16 ? 2 : 4;
  switch ((opcodeAttrs & ATTR_IMM_MASK) >> ATTR_IMM_SHIFT) {
    case IMM_B: length += 1; break;
    case IMM_W: length += 2; break;
    case IMM_Z: length += operandBytes; break;
    case IMM_FAR: length += operandBytes + 2; break;
    case IMM_ENTER: length += 3; break;
    case IMM_MOFFS: length += addressSize16 ? 2 : 4; break;
    case IMM_GROUP3: if (((modrm >> 3) & 6) == 0) length += (op & 1) == 0 ? 1 : operandBytes; break;
    default: break;
  }
  return length <= MAX_INSTRUCTION_BYTES ? length : 0;
}

// The instructions translated to WebAssembly (32-bit operand and address size, no prefixes
// but segment overrides).
function nativelyTranslated(op: u32, reg: u32, registerForm: bool): bool {
  if (pushedSegment(op) >= 0) return true; // PUSH sreg
  if (op >= 0x100) {
    const second = op & 0xff;
    if (second == 0xa3 || second == 0xab || second == 0xb3 || second == 0xbb) return true; // BT BTS BTR BTC E, r
    if (second == 0xba) return reg >= 4; // BT BTS BTR BTC, imm8
    if (second == 0x31) return !userMode; // RDTSC (the guard requires CPL 0, where CR4.TSD does not matter)
    if (second == 0xa5 || second == 0xad) return registerForm; // SHLD SHRD r, r, CL
    return (second >= 0x40 && second <= 0x4f) || (second >= 0x80 && second <= 0x9f) || second == 0xa4 || second == 0xac ||
      second == 0xaf || second == 0xb1 || second == 0xb6 || second == 0xb7 || second == 0xbe || second == 0xbf ||
      second == 0xbc || second == 0xbd;
  }
  if (op < 0x40) return (op & 7) < 6; // ALU
  if (op < 0x60) return true; // INC, DEC, PUSH, POP r32
  if (op >= 0x70 && op <= 0x7f) return true;
  if (op >= 0x88 && op <= 0x8b) return true;
  if (op >= 0x90 && op <= 0x99) return true;
  if (op >= 0xb0 && op <= 0xbf) return true;
  switch (op) {
    case 0x68: case 0x69: case 0x6a: case 0x6b: case 0x84: case 0x85: case 0x87: case 0xa0: case 0xa1:
    case 0xa2: case 0xa3: case 0xa8: case 0xa9: case 0xc2: case 0xc3: case 0xc9: case 0xe8: case 0xe9:
    case 0xeb: case 0x9c: case 0xfc: case 0xfd: return true;
    case 0xfa: case 0xfb: case 0x9d: return !userMode; // CLI, STI, POPF (the guard requires CPL 0)
    case 0x9e: return true; // SAHF
    case 0x8c: return reg <= 5; // MOV E, Sreg
    case 0x80: case 0x81: case 0x83: return true;
    case 0xc1: case 0xd1: return reg != 2 && reg != 3 && reg != 6; // ROL ROR SHL SHR SAR
    case 0xc0: case 0xd0: return reg == 4 || reg == 5 || reg == 7; // SHL SHR SAR r/m8
    case 0xd2: case 0xd3: return registerForm && (reg == 4 || reg == 5 || reg == 7); // SHL SHR SAR r, CL
    case 0x8d: return !registerForm;
    case 0xc6: case 0xc7: return reg == 0;
    case 0xf6: return reg == 0;
    case 0xf7: return reg != 1 && reg != 7; // TEST NOT NEG MUL IMUL DIV
    case 0xfe: return reg <= 1;
    case 0xff: return reg != 3 && reg != 5 && reg != 7; // INC, DEC, CALL, JMP (near, indirect), PUSH
    default: break;
  }
  return false;
}

// The instructions translated with a 66 prefix: their 16-bit forms (byte forms ignore it), but
// not those where the prefix changes more than the operand (stack width, branch targets).
function nativelyTranslated16(op: u32, reg: u32, registerForm: bool): bool {
  if (op < 0x40) return (op & 7) < 6; // ALU
  if (op < 0x50) return true; // INC, DEC r16
  switch (op) {
    case 0x80: case 0x81: case 0x83: case 0x84: case 0x85: case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x90:
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xa8: case 0xa9: return true;
    case 0xc1: case 0xd1: return reg == 4 || reg == 5 || reg == 7; // SHL SHR SAR
    case 0xd3: return registerForm && (reg == 4 || reg == 5 || reg == 7);
    case 0xc6: case 0xc7: return reg == 0;
    case 0xf6: return reg == 0;
    case 0xf7: return reg == 0 || reg == 2 || reg == 3;
    case 0xfe: case 0xff: return reg <= 1;
    default: break;
  }
  return op >= 0xb0 && op <= 0xbf;
}

/** Decode the instruction at `eip` into the record; returns the EIP after it. */
function decodeAt(eip: u32): u32 {
  store<u32>(REG_EIP, eip);
  decode();
  return nextEip;
}

@inline function opcode(): u32 { return readField(DEC_OPCODE); }
@inline function immediate(): u32 { return readField(DEC_IMM); }
@inline function signedImmediate8(): u32 { return <u32><i32><i8>readField(DEC_IMM); }

function usesStack(op: u32): bool {
  return (op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x9c || op == 0x9d || op == 0xe8 || op == 0xc2 || op == 0xc3 ||
    op == 0xc9 || (op == 0xff && (readField(DEC_REG) == 6 || readField(DEC_REG) == 2)) || pushedSegment(op) >= 0;
}

// The segment register PUSH sreg pushes, or -1.
function pushedSegment(op: u32): i32 {
  switch (op) {
    case 0x06: return SEG_ES;
    case 0x0e: return SEG_CS;
    case 0x16: return SEG_SS;
    case 0x1e: return SEG_DS;
    case 0x1a0: return SEG_FS;
    case 0x1a8: return SEG_GS;
    default: return -1;
  }
}

// MOVS and STOS, bytes or dwords (codegen.ts emitMoveString and emitStoreString).
function isBulkString(op: u32): bool { return op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab; }

// CALL or JMP through a register or memory: leaves the unit for wherever it points.
function isIndirectBranch(op: u32): bool { return op == 0xff && (readField(DEC_REG) == 2 || readField(DEC_REG) == 4); }

function isJcc(op: u32): bool { return (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f); }

function branchTarget(op: u32, next: u32): u32 {
  return next + (op == 0xeb || (op >= 0x70 && op <= 0x7f) ? signedImmediate8() : immediate());
}

// ---- Finding the blocks -----------------------------------------------------------------------

function scanBlock(index: u32): void {
  let eip = blockStart(index);
  let count: u32 = 0;
  let weight: u32 = 0;
  let reason = END_CONTINUE;
  for (;;) {
    const kind = classify(eip);
    if (kind == NOT_IN_UNIT) { reason = END_UNTRANSLATED; break; }
    const next = decodeAt(eip);
    count++;
    weight += instructionWeight(kind, next);
    if (kind == LEAVE) { eip = next; reason = END_TRANSFER; break; }
    if (kind == CALLOUT || kind == SEGMENT_LOAD) {
      if (movesToDataSegment() && !modIsRegister()) segmentsUsed |= 1 << readField(DEC_SEGMENT);
      eip = next;
      if (count >= MAX_BLOCK_INSTRUCTIONS) { addBlock(eip); break; }
      continue;
    }
    const op = opcode();
    if (readField(DEC_HAS_MEMORY_OPERAND) != 0) segmentsUsed |= 1 << readField(DEC_SEGMENT);
    if (usesStack(op)) { stackUsed = true; segmentsUsed |= 1 << SEG_SS; }
    if (op == 0xfa || op == 0xfb || op == 0x9d || op == 0x131) privileged = true;
    if (op == 0xa4 || op == 0xa5) segmentsUsed |= (1 << SEG_DS) | (1 << SEG_ES);
    if (op == 0xaa || op == 0xab) segmentsUsed |= 1 << SEG_ES;
    eip = next;
    if (isJcc(op)) { addBlock(branchTarget(op, next)); addBlock(next); reason = END_TRANSFER; break; }
    const thunkCall = op == 0xe8 && pcThunkRegister(branchTarget(op, next)) >= 0; // (goes on in line)
    if (op == 0xeb || op == 0xe9 || (op == 0xe8 && !thunkCall)) { addBlock(branchTarget(op, next)); reason = END_TRANSFER; break; }
    if (op == 0xc2 || op == 0xc3 || isIndirectBranch(op)) { reason = END_TRANSFER; break; }
    if (count >= MAX_BLOCK_INSTRUCTIONS) { addBlock(eip); break; }
  }
  store<u32>(JIT_SCAN + 0x100 + (index << 2), count);
  store<u32>(JIT_SCAN + 0x200 + (index << 2), eip);
  store<u32>(JIT_SCAN + 0x300 + (index << 2), reason);
  store<u32>(JIT_SCAN + 0x400 + (index << 2), weight);
}

// ---- Runs of pushes and pops -------------------------------------------------------------------

const MAX_STACK_RUN: u32 = 8;
const stackRunRegisters = new StaticArray<u32>(MAX_STACK_RUN);

@inline function hostAddress(eip: u32): usize { return hostBase + <usize>(eip - pageFirst); }

// PUSH r32 and POP r32 (one byte each), ESP itself left out.
@inline function isStackRunByte(byte: u32): bool { return byte >= 0x50 && byte <= 0x5f && (byte & 7) != 4; }

/**
 * How many PUSH r32, or POP r32, in a row start at `eip`, among the `left` instructions left in
 * the block (codegen.ts emitStackRun); their registers go to stackRunRegisters.
 */
function stackRunLength(eip: u32, left: u32): u32 {
  const first = <u32>load<u8>(hostAddress(eip));
  if (!isStackRunByte(first)) return 0;
  let length: u32 = 0;
  while (length < left && length < MAX_STACK_RUN) {
    const byte = <u32>load<u8>(hostAddress(eip + length));
    if (!isStackRunByte(byte) || (byte < 0x58) != (first < 0x58)) break;
    stackRunRegisters[length] = byte & 7;
    length++;
  }
  return length;
}

// ---- Calls to a PC thunk ------------------------------------------------------------------------
// Position-independent i386 code (glibc's, so all of a static busybox) finds its own address
// with `call __x86.get_pc_thunk.bx`, whose body is `mov (%esp), %ebx; ret`. Such a call is
// translated in line: the CALL pushes as usual, the register gets the return address, the RET's
// pop is an ESP update, and the unit goes on, instead of leaving for a two-instruction unit and
// coming back. The thunk lies in another page, whose writes this unit's tracking does not see,
// so the call checks the thunk's bytes when it runs and makes a real call if they changed.

// mov r32, [esp] (8B, ModRM 00 r 100, SIB 24) and ret (C3), as one little-endian dword.
const THUNK_CODE: u32 = 0xc324008b;
const THUNK_CODE_MASK: u32 = 0xffffc7ff;

function thunkCodeFor(register: u32): u32 { return THUNK_CODE | (0x04 << 8) | (register << 11); }

/** The register a call to `target` loads with its return address, if `target` holds a PC thunk now; else -1. */
function pcThunkRegister(target: u32): i32 {
  const linear = segBase(SEG_CS) + target;
  if ((linear & 0xfff) > 0xffc) return -1;
  const entry = tlbEntry(linear);
  if ((entry & tlbReadMask) != TLB_VALID) return -1;
  const physical = (entry & 0xfffff000) | (linear & 0xfff);
  if (physical > ramBytes - 4) return -1;
  const code = load<u32>(<usize>GUEST_RAM + <usize>physical);
  if ((code & THUNK_CODE_MASK) != (THUNK_CODE | (0x04 << 8))) return -1;
  const register = (code >> 11) & 7;
  return register == 4 ? -1 : <i32>register; // (not ESP)
}

/** How many instructions the one at hand retires in the unit (decoded; `kind` from classify). */
function instructionWeight(kind: u32, next: u32): u32 {
  return kind == NATIVE && opcode() == 0xe8 && pcThunkRegister(branchTarget(0xe8, next)) >= 0 ? 3 : 1;
}

function translateThunkCall(target: u32, next: u32, register: u32): void {
  // The block's count includes the thunk's two instructions: a fault in the push (a stack page
  // not yet present) comes before them and must not retire them.
  const refund = budgetRefund;
  setBudgetRefund(refund + 2);
  emitConst(next); emitSet(L_B);
  emitPush(L_B);
  setBudgetRefund(refund);
  open(W.OP_BLOCK); // done
  open(W.OP_BLOCK); // real call
  emitBranchUnlessCodeIs(target, thunkCodeFor(register));
  emitGet(L_B); emitSet(regLocal(register));
  emitGet(regLocal(4)); emitConst(4); emit8(W.OP_I32_ADD); emitSet(regLocal(4));
  emitBr(W.OP_BR, 1);
  close();
  emitExit(target, EXIT_BRANCH, budgetRefund + 2); // (the thunk's two instructions did not run)
  close();
}

// ---- Operands ---------------------------------------------------------------------------------

function registerOfForm(address: u32): i32 { return address == ZERO_WORD ? -1 : <i32>((address - REGS) >> 2); }

/** Push the offset (effective address) of the ModRM memory operand. */
function emitModrmOffset(): void {
  const base = registerOfForm(readField(DEC_EA_BASE));
  const index = registerOfForm(readField(DEC_EA_INDEX));
  emitConst(readField(DEC_EA_DISPLACEMENT));
  if (base >= 0) { emitGet(regLocal(<u32>base)); emit8(W.OP_I32_ADD); }
  if (index >= 0) {
    emitGet(regLocal(<u32>index));
    const scale = readField(DEC_EA_SCALE);
    if (scale != 0) { emitConst(scale); emit8(W.OP_I32_SHL); }
    emit8(W.OP_I32_ADD);
  }
}

/** L_LINEAR = linear address of the ModRM memory operand. */
function emitModrmLinear(): void {
  emitModrmOffset();
  emitLinearFromOffset(readField(DEC_SEGMENT));
}

@inline function modIsRegister(): bool { return readField(DEC_MOD) == 3; }

/**
 * Push E (the ModRM r/m operand); for memory, L_LINEAR must be set. `forWrite`: the instruction
 * writes E back, so a memory read is checked as that write (codegen.ts emitRead).
 */
function emitReadE(size: u32, forWrite: bool = false): void {
  if (modIsRegister()) emitGetReg(readField(DEC_RM), size);
  else emitRead(size, forWrite);
}

function emitWriteE(size: u32, value: u32): void {
  if (modIsRegister()) emitSetReg(readField(DEC_RM), size, value);
  else emitWrite(size, value);
}

function prepareE(): void { if (!modIsRegister()) emitModrmLinear(); }

/** MOV Sreg, E into ES, DS, FS or GS (movesToDataSegment). */
function translateMoveToDataSegment(): void {
  emitFlushFlags(); // (both ways out of the load leave the flags in the state block)
  resetFlagLocals();
  prepareE(); emitReadE(16); emitSet(L_B);
  emitLoadDataSegment(readField(DEC_REG));
  forgetFlags();
}

// ---- Instructions -----------------------------------------------------------------------------

/** L_R = L_A op L_B (ALU_*); for ADC and SBB the carry in goes to L_T first. */
function emitAlu(operation: u32): void {
  if (operation == ALU_ADC || operation == ALU_SBB) {
    emitCarry(); emitSet(L_T);
    emitGet(L_A); emitGet(L_B);
    emit8(operation == ALU_ADC ? W.OP_I32_ADD : W.OP_I32_SUB);
    emitGet(L_T);
    emit8(operation == ALU_ADC ? W.OP_I32_ADD : W.OP_I32_SUB);
    emitSet(L_R);
    return;
  }
  emitGet(L_A);
  emitGet(L_B);
  switch (operation) {
    case ALU_ADD: emit8(W.OP_I32_ADD); break;
    case ALU_OR: emit8(W.OP_I32_OR); break;
    case ALU_AND: emit8(W.OP_I32_AND); break;
    case ALU_XOR: emit8(W.OP_I32_XOR); break;
    default: emit8(W.OP_I32_SUB); break;
  }
  emitSet(L_R);
}

// The lazy flags of an ALU operation whose operands are in L_A, L_B and result in L_R.
function emitAluFlags(operation: u32, size: u32): void {
  if (operation == ALU_ADC || operation == ALU_SBB) { emitSetFlagsWithCarry(operation == ALU_ADC, size); return; }
  emitSetFlags(operation == ALU_ADD ? LAZY_ADD : operation == ALU_SUB || operation == ALU_CMP ? LAZY_SUB : LAZY_LOGIC, size);
}

// dst op= src where dst is E (toE) or G; src in L_B already.
function emitAluOnOperand(operation: u32, size: u32, toE: bool): void {
  if (toE) emitReadE(size, operation != ALU_CMP); else emitGetReg(readField(DEC_REG), size);
  emitSet(L_A);
  emitAlu(operation);
  if (operation != ALU_CMP) {
    if (toE) emitWriteE(size, L_R); else emitSetReg(readField(DEC_REG), size, L_R);
  }
  emitAluFlags(operation, size);
}

function emitPush(valueLocal: u32): void {
  emitGet(regLocal(4)); emitConst(4); emit8(W.OP_I32_SUB); emitSet(L_T);
  emitGet(L_T);
  emitLinearFromOffset(SEG_SS);
  emitWrite(32, valueLocal);
  emitGet(L_T); emitSet(regLocal(4));
}

/** L_R = the dword at SS:ESP, then ESP += 4 + extra. */
function emitPop(extra: u32): void {
  emitGet(regLocal(4));
  emitLinearFromOffset(SEG_SS);
  emitRead(32);
  emitSet(L_R);
  emitGet(regLocal(4)); emitConst(4 + extra); emit8(W.OP_I32_ADD); emitSet(regLocal(4));
}

// Control goes to `eip`: a block of this unit, or out of it. `fallsInto` is the block laid out
// next, reached by falling through when nothing is open.
function emitBranchTo(eip: u32, fallsInto: i32): void {
  const target = findBlock(eip);
  if (target >= 0 && target == fallsInto && nesting == currentBlockNesting) { emitFlushFlags(); return; }
  if (target > <i32>currentBlock) emitFlushFlags();
  // A block laid out later starts right after the end of its label, which encloses this code: a
  // direct branch. Earlier blocks (loops) go through the dispatch loop's br_table.
  if (target > <i32>currentBlock) emitBr(W.OP_BR, nesting - currentBlockNesting + <u32>target - currentBlock - 1);
  else if (target >= 0) { branchesBack = true; emitGoToBlock(<u32>target); }
  else emitExit(eip, EXIT_BRANCH, 0);
}

// The block being emitted, and the labels around its code (those of the blocks after it).
let currentBlock: u32 = 0;
let currentBlockNesting: u32 = 0;

/** Emit one decoded instruction. `fallsInto` is the next block in the layout (or -1). */
function translateInstruction(eip: u32, next: u32, fallsInto: i32): void {
  const op = opcode();
  const reg = readField(DEC_REG);
  // Operand size of the "v" forms (the 66 prefix; classify lets it through only where it means that).
  const vsize: u32 = (readField(DEC_PREFIXES) & PREFIX_OPSIZE) != 0 ? 16 : 32;
  const segment = pushedSegment(op);
  if (segment >= 0) { // PUSH sreg: the selector, zero-extended
    emitLoadField(SEG_SELECTOR + (<u32>segment << 2)); emitSet(L_B);
    emitPush(L_B);
  } else if (op < 0x40) {
    const operation = (op >> 3) & 7;
    const size: u32 = (op & 1) == 0 ? 8 : vsize;
    switch (op & 7) {
      case 0: case 1: {
        prepareE();
        emitGetReg(reg, size); emitSet(L_B);
        emitAluOnOperand(operation, size, true);
        break;
      }
      case 2: case 3: {
        prepareE();
        emitReadE(size); emitSet(L_B);
        emitAluOnOperand(operation, size, false);
        break;
      }
      default: {
        emitConst(size == 8 ? immediate() & 0xff : immediate()); emitSet(L_B);
        emitGetReg(0, size); emitSet(L_A);
        emitAlu(operation);
        if (operation != ALU_CMP) emitSetReg(0, size, L_R);
        emitAluFlags(operation, size);
        break;
      }
    }
  } else if (op < 0x50) {
    const r = op & 7;
    const increment = op < 0x48;
    emitGetReg(r, vsize); emitSet(L_A);
    emitConst(1); emitSet(L_B);
    emitGet(L_A); emitConst(1); emit8(increment ? W.OP_I32_ADD : W.OP_I32_SUB); emitSet(L_R);
    emitSetReg(r, vsize, L_R);
    emitSetFlagsKeepCarry(increment, vsize);
  } else if (op < 0x58) {
    emitGet(regLocal(op & 7)); emitSet(L_B);
    emitPush(L_B);
  } else if (op < 0x60) {
    emitPop(0);
    emitGet(L_R); emitSet(regLocal(op & 7));
  } else if (op == 0x68 || op == 0x6a) {
    emitConst(op == 0x6a ? signedImmediate8() : immediate()); emitSet(L_B);
    emitPush(L_B);
  } else if (isJcc(op)) {
    emitCondition(op & 0xf);
    open(W.OP_IF);
    emitBranchTo(branchTarget(op, next), -1);
    close();
    emitBranchTo(next, fallsInto);
  } else if (op >= 0x140 && op <= 0x14f) {
    prepareE();
    emitReadE(32); emitSet(L_B);
    emitCondition(op & 0xf);
    open(W.OP_IF);
    emitGet(L_B); emitSet(regLocal(reg));
    close();
  } else if (op >= 0x190 && op <= 0x19f) {
    prepareE();
    emitCondition(op & 0xf); emitSet(L_R);
    emitWriteE(8, L_R);
  } else if (op >= 0xb0 && op <= 0xbf) {
    emitConst(immediate()); emitSet(L_R);
    emitSetReg(op & 7, op < 0xb8 ? 8 : vsize, L_R);
  } else if (op >= 0x91 && op <= 0x97) {
    emitGet(regLocal(0)); emitSet(L_T);
    emitGet(regLocal(op & 7)); emitSet(regLocal(0));
    emitGet(L_T); emitSet(regLocal(op & 7));
  } else {
    switch (op) {
      case 0x80: case 0x81: case 0x83: {
        const size: u32 = op == 0x80 ? 8 : vsize;
        prepareE();
        emitConst(op == 0x83 ? signedImmediate8() & sizeMask(size) : size == 8 ? immediate() & 0xff : immediate()); emitSet(L_B);
        emitAluOnOperand(reg, size, true);
        break;
      }
      case 0x84: case 0x85: case 0xa8: case 0xa9: case 0xf6: case 0xf7: {
        const size: u32 = (op & 1) == 0 ? 8 : vsize;
        if (op == 0xf7 && reg == 6) { translateDivide(); break; }
        if (op == 0xf7 && reg >= 4) { translateMultiply(reg == 5); break; }
        if (op == 0xf7 && reg != 0) { translateNotNeg(reg == 2, size); break; }
        if (op == 0xa8 || op == 0xa9) { emitGetReg(0, size); emitSet(L_A); }
        else { prepareE(); emitReadE(size); emitSet(L_A); }
        if (op == 0x84 || op == 0x85) emitGetReg(reg, size);
        else emitConst(size == 8 ? immediate() & 0xff : immediate());
        emitSet(L_B);
        emitAlu(ALU_AND);
        emitSetFlags(LAZY_LOGIC, size);
        break;
      }
      case 0x9c: {
        emitFlagsImage(); emitSet(L_B);
        emitPush(L_B);
        break;
      }
      case 0x8c: { // MOV E, Sreg: a register takes the selector zero-extended, memory its 16 bits
        prepareE();
        emitLoadField(SEG_SELECTOR + (reg << 2)); emitSet(L_B);
        emitWriteE(modIsRegister() ? 32 : 16, L_B);
        break;
      }
      case 0x9e: { // SAHF: SF ZF AF PF CF from AH
        emitGet(regLocal(0)); emitConst(8); emit8(W.OP_I32_SHR_U); emitConst(SAHF_FLAGS); emit8(W.OP_I32_AND); emitSet(L_T);
        emitSetFlagBits(SAHF_FLAGS);
        break;
      }
      case 0xfa: emitChangeSystemFlags(FLAG_IF, 0); break;
      case 0xfb: emitSetInterruptFlag(); break;
      case 0x9d: emitPopFlags(); break;
      case 0x131: emitReadTsc(); break;
      case 0xa4: case 0xa5: emitMoveString(op == 0xa4 ? 8 : 32, (readField(DEC_PREFIXES) & PREFIX_REP) != 0); break;
      case 0xaa: case 0xab: emitStoreString(op == 0xaa ? 8 : 32, (readField(DEC_PREFIXES) & PREFIX_REP) != 0); break;
      case 0xfc: emitChangeSystemFlags(FLAG_DF, 0); break;
      case 0xfd: emitChangeSystemFlags(0, FLAG_DF); break;
      case 0x1b1: translateCompareExchange(reg); break;
      case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb: translateBitTest((op >> 3) & 3, false); break;
      case 0x1ba: translateBitTest(reg & 3, true); break;
      case 0x1bc: case 0x1bd: translateBitScan(op == 0x1bd, reg); break;
      case 0x1a4: case 0x1ac: {
        const count = immediate() & 31;
        if (count == 0) { emitCallout(); return; } // changes nothing, but still reads and writes E
        emitConst(count); emitSet(L_B);
        translateDoubleShift(op == 0x1a4, reg);
        break;
      }
      case 0x1a5: case 0x1ad: { // SHLD/SHRD r32, r32, CL: nothing happens for a count of 0
        emitGet(regLocal(1)); emitConst(31); emit8(W.OP_I32_AND); emitSet(L_B);
        emitCacheFlags();
        emitGet(L_B);
        open(W.OP_IF);
        translateDoubleShift(op == 0x1a5, reg);
        close();
        forgetFlags();
        markFlagsSet();
        break;
      }
      case 0x87: {
        prepareE();
        emitReadE(32, true); emitSet(L_A);
        emitGet(regLocal(reg)); emitSet(L_B);
        emitWriteE(32, L_B);
        emitGet(L_A); emitSet(regLocal(reg));
        break;
      }
      case 0x88: case 0x89: {
        const size: u32 = op == 0x88 ? 8 : vsize;
        prepareE();
        emitGetReg(reg, size); emitSet(L_R);
        emitWriteE(size, L_R);
        break;
      }
      case 0x8a: case 0x8b: {
        const size: u32 = op == 0x8a ? 8 : vsize;
        prepareE();
        emitReadE(size); emitSet(L_R);
        emitSetReg(reg, size, L_R);
        break;
      }
      case 0x8d: {
        emitModrmOffset();
        emitSet(regLocal(reg));
        break;
      }
      case 0x90: break;
      case 0x98: {
        emitGet(regLocal(0)); emit8(W.OP_I32_EXTEND16_S); emitSet(regLocal(0));
        break;
      }
      case 0x99: {
        emitGet(regLocal(0)); emitConst(31); emit8(W.OP_I32_SHR_S); emitSet(regLocal(2));
        break;
      }
      case 0xc2: case 0xc3: {
        emitPop(op == 0xc2 ? immediate() & 0xffff : 0);
        emitGet(L_R);
        emitExitToStack(EXIT_BRANCH);
        break;
      }
      case 0xc6: case 0xc7: {
        const size: u32 = op == 0xc6 ? 8 : vsize;
        prepareE();
        emitConst(size == 8 ? immediate() & 0xff : immediate()); emitSet(L_R);
        emitWriteE(size, L_R);
        break;
      }
      case 0xe8: {
        const thunkRegister = pcThunkRegister(branchTarget(op, next));
        if (thunkRegister >= 0) { translateThunkCall(branchTarget(op, next), next, <u32>thunkRegister); break; }
        emitConst(next); emitSet(L_B);
        emitPush(L_B);
        emitAttentionCheck(branchTarget(op, next));
        emitBranchTo(branchTarget(op, next), fallsInto);
        return;
      }
      case 0xe9: case 0xeb: {
        emitBranchTo(branchTarget(op, next), fallsInto);
        break;
      }
      case 0xfe: case 0xff: {
        const size: u32 = op == 0xfe ? 8 : vsize;
        if (reg == 6) { // PUSH E
          prepareE();
          emitReadE(32); emitSet(L_B);
          emitPush(L_B);
          break;
        }
        if (reg == 2 || reg == 4) { // CALL E, JMP E: the target is read before the return address is pushed
          prepareE();
          emitReadE(32); emitSet(L_A);
          if (reg == 2) { emitConst(next); emitSet(L_B); emitPush(L_B); }
          emitGet(L_A);
          emitExitToStack(EXIT_BRANCH);
          return;
        }
        const increment = reg == 0;
        prepareE();
        emitReadE(size, true); emitSet(L_A);
        emitConst(1); emitSet(L_B);
        emitGet(L_A); emitConst(1); emit8(increment ? W.OP_I32_ADD : W.OP_I32_SUB); emitSet(L_R);
        emitWriteE(size, L_R);
        emitSetFlagsKeepCarry(increment, size);
        break;
      }
      case 0xa0: case 0xa1: {
        const size: u32 = op == 0xa0 ? 8 : vsize;
        emitModrmLinear();
        emitRead(size); emitSet(L_R);
        emitSetReg(0, size, L_R);
        break;
      }
      case 0xa2: case 0xa3: {
        const size: u32 = op == 0xa2 ? 8 : vsize;
        emitModrmLinear();
        emitGetReg(0, size); emitSet(L_R);
        emitWrite(size, L_R);
        break;
      }
      case 0xc9: { // LEAVE: ESP = EBP, then POP EBP
        emitGet(regLocal(5));
        emitLinearFromOffset(SEG_SS);
        emitRead(32); emitSet(L_R);
        emitGet(regLocal(5)); emitConst(4); emit8(W.OP_I32_ADD); emitSet(regLocal(4));
        emitGet(L_R); emitSet(regLocal(5));
        break;
      }
      case 0xc0: case 0xc1: case 0xd0: case 0xd1: {
        const size: u32 = (op & 1) == 0 ? 8 : vsize;
        const count = op >= 0xd0 ? 1 : immediate() & 31;
        if (count == 0) { emitCallout(); return; } // changes nothing, but still reads and writes E
        prepareE();
        emitReadE(size, true); emitSet(L_A);
        if (reg <= 1) { // (32-bit only)
          translateRotate(reg == 0, count);
          emitWriteE(32, L_R);
          emitSetFlagBits(FLAG_CF | FLAG_OF);
          break;
        }
        emitConst(count); emitSet(L_B);
        translateShift(reg, size);
        emitWriteE(size, L_R);
        emitSetFlagsExplicit(size);
        break;
      }
      case 0xd2: case 0xd3: { // SHL/SHR/SAR r, CL: nothing happens for a count of 0
        const size: u32 = op == 0xd2 ? 8 : vsize;
        const r = readField(DEC_RM);
        emitGet(regLocal(1)); emitConst(31); emit8(W.OP_I32_AND); emitSet(L_B);
        emitCacheFlags();
        emitGet(L_B);
        open(W.OP_IF);
        emitGetReg(r, size); emitSet(L_A);
        translateShift(reg, size);
        emitSetReg(r, size, L_R);
        emitSetFlagsExplicit(size);
        close();
        forgetFlags();
        markFlagsSet();
        break;
      }
      case 0x69: case 0x6b: case 0x1af: {
        prepareE();
        emitReadE(32); emitSet(L_A);
        if (op == 0x1af) emitGet(regLocal(reg)); else emitConst(op == 0x69 ? immediate() : signedImmediate8());
        emitSet(L_B);
        emitGet(L_A); emitGet(L_B); emit8(W.OP_I32_MUL); emitSet(L_R);
        // CF = OF = the signed product does not fit in 32 bits.
        emitGet(L_A); emit8(W.OP_I64_EXTEND_I32_S); emitGet(L_B); emit8(W.OP_I64_EXTEND_I32_S); emit8(W.OP_I64_MUL);
        emitGet(L_R); emit8(W.OP_I64_EXTEND_I32_S);
        emit8(W.OP_I64_NE);
        emitConst(0x801); emit8(W.OP_I32_MUL); // CF (bit 0) and OF (bit 11)
        emitSet(L_T);
        emitGet(L_R); emitSet(regLocal(reg));
        emitSetFlagsExplicit(32);
        break;
      }
      case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
        const size: u32 = (op & 1) == 0 ? 8 : 16;
        prepareE();
        emitReadE(size);
        if (op == 0x1be) emit8(W.OP_I32_EXTEND8_S);
        if (op == 0x1bf) emit8(W.OP_I32_EXTEND16_S);
        emitSet(regLocal(reg));
        break;
      }
      default: unreachable();
    }
  }
  emitAttentionCheckAfter();
}

// ROL or ROR of L_A by a constant 1..31 into L_R, with CF | OF << 11 in L_T (alu.ts).
function translateRotate(left: bool, count: u32): void {
  emitGet(L_A); emitConst(count); emit8(left ? W.OP_I32_ROTL : W.OP_I32_ROTR); emitSet(L_R);
  if (left) {
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_AND); emitTeeCf(); // CF = LSB(res)
    emitGet(L_R); emitConst(31); emit8(W.OP_I32_SHR_U); emit8(W.OP_I32_XOR); // OF = MSB(res) ^ CF
  } else {
    emitGet(L_R); emitConst(31); emit8(W.OP_I32_SHR_U); emitTeeCf(); // CF = MSB(res)
    emit8(W.OP_DROP);
    emitGet(L_R); emitGet(L_R); emitConst(1); emit8(W.OP_I32_SHL); emit8(W.OP_I32_XOR); emitConst(31); emit8(W.OP_I32_SHR_U);
  }
  emitConst(11); emit8(W.OP_I32_SHL);
  emitGet(L_T); emit8(W.OP_I32_OR);
  emitSet(L_T);
}

// L_B minus `delta`: the count, or a bit position derived from it.
function emitCountMinus(delta: u32): void {
  emitGet(L_B);
  if (delta != 0) { emitConst(delta); emit8(W.OP_I32_SUB); }
}

// SHL (4), SHR (5) or SAR (7) of the `size`-bit L_A by L_B (1..31) into L_R, with CF | OF << 11
// in L_T, computed as alu.ts does: from the partial result one bit short of the count.
function translateShift(operation: u32, size: u32): void {
  if (operation == 4) {
    emitGet(L_A); emitCountMinus(1); emit8(W.OP_I32_SHL); emitSet(L_R);
    emitGet(L_R); emitConst(size - 1); emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND);
    emitTeeCf();
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_SHL);
    if (size != 32) { emitConst(sizeMask(size)); emit8(W.OP_I32_AND); }
    emitSet(L_R);
    emitGet(L_R); emitConst(size - 1); emit8(W.OP_I32_SHR_U); emit8(W.OP_I32_XOR); // OF = MSB(res) ^ CF
  } else if (operation == 5) {
    emitGet(L_A); emitCountMinus(1); emit8(W.OP_I32_SHR_U); emitSet(L_R);
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_AND);
    emitTeeCf();
    emit8(W.OP_DROP);
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_SHR_U); emitSet(L_R);
    emitGet(L_A); emitGet(L_R); emit8(W.OP_I32_XOR); emitConst(size - 1); emit8(W.OP_I32_SHR_U); // OF = MSB(dst ^ res)
    emitConst(1); emit8(W.OP_I32_AND);
  } else {
    emitGet(L_A);
    if (size == 16) emit8(W.OP_I32_EXTEND16_S);
    else if (size == 8) emit8(W.OP_I32_EXTEND8_S);
    emitCountMinus(1); emit8(W.OP_I32_SHR_S); emitSet(L_R);
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_AND);
    emitTeeCf();
    emit8(W.OP_DROP);
    emitGet(L_R); emitConst(1); emit8(W.OP_I32_SHR_S);
    if (size != 32) { emitConst(sizeMask(size)); emit8(W.OP_I32_AND); }
    emitSet(L_R);
    emitConst(0);
  }
  emitConst(11); emit8(W.OP_I32_SHL);
  emitGet(L_T); emit8(W.OP_I32_OR);
  emitSet(L_T);
}

// Keep the CF just computed in L_T and leave it on the stack.
function emitTeeCf(): void { emit8(W.OP_LOCAL_TEE); emitU32(L_T); }

// MUL or IMUL of EAX by a 32-bit E into EDX:EAX; CF = OF = the high half is not just the extension
// of the low one, SF ZF PF lazy from the low half (alu.ts multiplyFlags).
function translateMultiply(signed: bool): void {
  prepareE();
  emitReadE(32); emitSet(L_B);
  emitGet(regLocal(0)); emitGet(L_B); emit8(W.OP_I32_MUL); emitSet(L_R);
  emitGet(regLocal(0)); emit8(signed ? W.OP_I64_EXTEND_I32_S : W.OP_I64_EXTEND_I32_U);
  emitGet(L_B); emit8(signed ? W.OP_I64_EXTEND_I32_S : W.OP_I64_EXTEND_I32_U);
  emit8(W.OP_I64_MUL);
  emit8(W.OP_I64_CONST); emit8(32); emit8(W.OP_I64_SHR_U);
  emit8(W.OP_I32_WRAP_I64);
  emitSet(L_A);
  emitGet(L_A);
  if (signed) { emitGet(L_R); emitConst(31); emit8(W.OP_I32_SHR_S); } else emitConst(0);
  emit8(W.OP_I32_NE);
  emitConst(0x801); emit8(W.OP_I32_MUL); // CF (bit 0) and OF (bit 11)
  emitSet(L_T);
  emitGet(L_R); emitSet(regLocal(0));
  emitGet(L_A); emitSet(regLocal(2));
  emitSetFlagsExplicit(32);
}

// DIV of EDX:EAX by a 32-bit E. A quotient that does not fit (a divisor of 0 included: EDX is
// never below it) is #DE, which the interpreter raises.
function translateDivide(): void {
  prepareE();
  emitReadE(32); emitSet(L_B);
  emitGet(regLocal(2)); emitGet(L_B); emit8(W.OP_I32_GE_U);
  W.hintUnlikely();
  open(W.OP_IF);
  emitInterpretAndLeave(EXIT_SLOW_PATH);
  close();
  emitGet(regLocal(0)); emitSet(L_A);
  emitGet(regLocal(2)); emit8(W.OP_I64_EXTEND_I32_U); emit8(W.OP_I64_CONST); emit8(32); emit8(W.OP_I64_SHL);
  emitGet(L_A); emit8(W.OP_I64_EXTEND_I32_U); emit8(W.OP_I64_OR);
  emitGet(L_B); emit8(W.OP_I64_EXTEND_I32_U); emit8(W.OP_I64_DIV_U);
  emit8(W.OP_I32_WRAP_I64);
  emitSet(regLocal(0));
  // The remainder's low 32 bits are those of dividend - quotient * divisor, and it fits in them.
  emitGet(L_A); emitGet(regLocal(0)); emitGet(L_B); emit8(W.OP_I32_MUL); emit8(W.OP_I32_SUB);
  emitSet(regLocal(2));
}

// CMPXCHG E, G (32-bit): CMP EAX, E; equal: E = G; else EAX = E. Memory is written either way
// (with its own value on failure), as on P6 (interpreter.ts compareExchange).
function translateCompareExchange(reg: u32): void {
  prepareE();
  emitReadE(32, true); emitSet(L_B);
  emitGet(regLocal(0)); emitSet(L_A);
  emitAlu(ALU_CMP);
  emitGet(regLocal(reg)); emitGet(L_B); emitGet(L_A); emitGet(L_B); emit8(W.OP_I32_EQ); emit8(W.OP_SELECT);
  emitSet(L_T); // what E gets
  if (!modIsRegister()) emitWrite(32, L_T); // (before EAX changes: a faulting write changes nothing)
  emitGet(L_A); emitGet(L_B); emitGet(L_A); emitGet(L_B); emit8(W.OP_I32_EQ); emit8(W.OP_SELECT);
  emitSet(regLocal(0));
  if (modIsRegister()) emitSetReg(readField(DEC_RM), 32, L_T); // (after: CMPXCHG EAX, r sets EAX = r)
  emitSetFlags(LAZY_SUB, 32);
}

// BT (0), BTS (1), BTR (2) or BTC (3) of a 32-bit E: CF = the bit, which BTS/BTR/BTC then set,
// clear or flip. The bit offset is an immediate, or G; with a memory E, G's bits above the low
// five pick the dword, signed (SDM vol. 2, BT: Linux's test_bit and set_bit on bitmaps).
function translateBitTest(operation: u32, immediateOffset: bool): void {
  prepareE();
  if (!immediateOffset && !modIsRegister()) {
    emitGet(L_LINEAR);
    emitGet(regLocal(readField(DEC_REG))); emitConst(5); emit8(W.OP_I32_SHR_S); emitConst(2); emit8(W.OP_I32_SHL);
    emit8(W.OP_I32_ADD); emitSet(L_LINEAR);
  }
  emitReadE(32, operation != 0); emitSet(L_A);
  if (immediateOffset) emitConst(immediate() & 31); else emitGet(regLocal(readField(DEC_REG)));
  emitSet(L_B); // (WebAssembly shifts take the count modulo 32, as BT takes the offset)
  if (operation != 0) {
    emitGet(L_A);
    emitConst(1); emitGet(L_B); emit8(W.OP_I32_SHL);
    if (operation == 2) { emitConst(-1); emit8(W.OP_I32_XOR); emit8(W.OP_I32_AND); }
    else emit8(operation == 1 ? W.OP_I32_OR : W.OP_I32_XOR);
    emitSet(L_R);
    emitWriteE(32, L_R);
  }
  emitGet(L_A); emitGet(L_B); emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND);
  emitSet(L_T);
  emitSetFlagBits(FLAG_CF);
}

// BSF (forward) or BSR (reverse) G, E (32-bit): G = the index of the lowest or highest set bit
// of E and ZF clear; for an E of 0, ZF set and G left as it was (P6 and QEMU; interpreter
// bitScan). The other flags stay.
function translateBitScan(reverse: bool, reg: u32): void {
  prepareE();
  emitReadE(32); emitSet(L_B);
  emitGet(L_B);
  if (reverse) { emit8(W.OP_I32_CLZ); emitConst(31); emit8(W.OP_I32_XOR); } else emit8(W.OP_I32_CTZ);
  emitGet(regLocal(reg));
  emitGet(L_B);
  emit8(W.OP_SELECT);
  emitSet(regLocal(reg));
  emitGet(L_B); emit8(W.OP_I32_EQZ); emitConst(6); emit8(W.OP_I32_SHL); emitSet(L_T); // (ZF is bit 6)
  emitSetFlagBits(FLAG_ZF);
}

// SHLD/SHRD E, G by L_B (32-bit, count 1..31): E's bits shifted out are replaced by G's; CF is
// the last bit out, OF whether the sign changed, SF ZF PF from the result (alu.ts doubleShift).
function translateDoubleShift(left: bool, reg: u32): void {
  prepareE();
  emitReadE(32, true); emitSet(L_A);
  emitGet(L_A); emitGet(L_B); emit8(left ? W.OP_I32_SHL : W.OP_I32_SHR_U);
  emitGet(regLocal(reg)); emitConst(32); emitGet(L_B); emit8(W.OP_I32_SUB); emit8(left ? W.OP_I32_SHR_U : W.OP_I32_SHL);
  emit8(W.OP_I32_OR);
  emitSet(L_R);
  emitGet(L_A);
  if (left) { emitConst(32); emitGet(L_B); emit8(W.OP_I32_SUB); } else emitCountMinus(1);
  emit8(W.OP_I32_SHR_U); emitConst(1); emit8(W.OP_I32_AND);
  emitGet(L_A); emitGet(L_R); emit8(W.OP_I32_XOR); emitConst(31); emit8(W.OP_I32_SHR_U); emitConst(11); emit8(W.OP_I32_SHL);
  emit8(W.OP_I32_OR);
  emitSet(L_T);
  emitWriteE(32, L_R);
  emitSetFlagsExplicit(32);
}

// NOT (no flags) or NEG (flags of 0 - x) of a 16- or 32-bit E.
function translateNotNeg(not: bool, size: u32): void {
  prepareE();
  emitReadE(size, true); emitSet(L_B);
  emitConst(0); emitSet(L_A);
  if (not) { emitGet(L_B); emitConst(-1); emit8(W.OP_I32_XOR); emitSet(L_R); }
  else { emitConst(0); emitGet(L_B); emit8(W.OP_I32_SUB); emitSet(L_R); }
  emitWriteE(size, L_R);
  if (!not) emitSetFlags(LAZY_SUB, size);
}

// A write's slow path may have reached translated code (perhaps the next instruction's): look
// at ATTENTION before going on. After a read's slow path (a device may have raised an
// interrupt), the check at the next block start is soon enough.
function emitAttentionCheckAfter(): void {
  if (writesMemory) emitAttentionCheck(instructionNext);
}

// ---- The unit ---------------------------------------------------------------------------------

// Leave without running anything (returns the budget untouched) unless CS reaches 4 GiB (so no
// jump out of the unit needs a limit check), every segment the unit addresses is flat (4 GiB
// limit, readable and writable; ES, SS and DS also based at 0, so addresses skip the base: FS
// and GS keep theirs, per-CPU and thread data) and, if it uses the stack, SS is 32-bit.
function requiredSegmentState(): u32 {
  let required = CS_REACHES_4G;
  for (let seg: u32 = 0; seg < 6; seg++) {
    if ((segmentsUsed & (1 << seg)) == 0) continue;
    required |= flatBit(seg);
    if (zeroBased(seg)) required |= zeroBasedBit(seg);
  }
  if (stackUsed) required |= STACK_32;
  if (privileged) required |= CPL_0;
  return required;
}

function emitSegmentGuard(): void {
  const required = requiredSegmentState();
  emitLoadField(JIT_SEGMENTS); emitConst(required); emit8(W.OP_I32_AND);
  emitConst(required); emit8(W.OP_I32_NE);
  W.hintUnlikely();
  emit8(W.OP_IF); emit8(W.BLOCK_VOID);
  emitGet(L_BUDGET);
  emit8(W.OP_RETURN);
  emit8(W.OP_END);
}

// After a segment-register load (the helper brought JIT_SEGMENTS up to date): leave before the
// next instruction unless the unit's guard still holds.
function emitSegmentRecheck(): void {
  const required = requiredSegmentState();
  emitLoadField(JIT_SEGMENTS); emitConst(required); emit8(W.OP_I32_AND);
  emitConst(required); emit8(W.OP_I32_NE);
  W.hintUnlikely();
  open(W.OP_IF);
  emitExit(instructionNext, EXIT_UNTRANSLATED, budgetRefund);
  close();
}

function emitBlockEntry(index: u32): void {
  const count = blockWeight(index);
  emitLoadField(ATTENTION);
  emitGet(L_BUDGET); emitConst(count); emit8(W.OP_I32_LT_S);
  emit8(W.OP_I32_OR);
  W.hintUnlikely();
  open(W.OP_IF);
  emitExit(blockStart(index), EXIT_BOUNDARY, 0);
  close();
  emitGet(L_BUDGET); emitConst(count); emit8(W.OP_I32_SUB); emitSet(L_BUDGET);
}

function emitBlock(index: u32): void {
  setNesting(blocks - 1 - index);
  currentBlock = index;
  currentBlockNesting = nesting;
  forgetFlags();
  resetFlagLocals();
  const count = blockCount(index);
  const fallsInto: i32 = index + 1 < blocks ? <i32>(index + 1) : -1;
  if (count > 0) emitBlockEntry(index);
  const deadFlags = findDeadFlags(blockStart(index), count);
  let eip = blockStart(index);
  let remaining = blockWeight(index);
  for (let i: u32 = 0; i < count; i++) {
    const kind = classify(eip);
    const next = decodeAt(eip);
    remaining -= instructionWeight(kind, next);
    setInstruction(eip, next, remaining);
    setFlagsDead(((deadFlags >> i) & 1) != 0);
    const run = kind == NATIVE ? stackRunLength(eip, count - i) : 0;
    if (run > 1) {
      emitStackRun(load<u8>(hostAddress(eip)) < 0x58, stackRunRegisters, run);
      i += run - 1;
      remaining -= run - 1;
      eip += run;
      continue;
    }
    if (kind == CALLOUT) emitCallout();
    else if (kind == SEGMENT_LOAD) {
      if (movesToDataSegment()) translateMoveToDataSegment();
      else emitCallout();
      emitSegmentRecheck();
    }
    else if (kind == LEAVE) emitInterpretAndLeave(EXIT_UNTRANSLATED);
    else translateInstruction(eip, next, fallsInto);
    eip = next;
  }
  const reason = blockReason(index);
  if (reason == END_UNTRANSLATED) emitExit(eip, EXIT_UNTRANSLATED, 0);
  else if (reason == END_CONTINUE) emitBranchTo(eip, fallsInto);
}

// ---- Flags no one sees -------------------------------------------------------------------------
// The flags an instruction sets are dead when a later instruction of the block sets all six
// arithmetic flags before anything reads them, and nothing in between can leave the unit or
// show the state to the helper (memory operands, the stack, callouts; the writer itself included,
// as its memory operand could fault before it sets them). Their computation is then left out:
// V8 cannot drop it, since every slow path after it spills the flags. Compiled C is full of such
// flags: IMUL and shifts, whose CF and OF are merged into EFLAGS, feeding the next ADD.

const FLAGS_OTHER: u32 = 0; // reads flags, or may leave: the flags before it are live
const FLAGS_NEUTRAL: u32 = 1; // register-only, leaves the flags alone
const FLAGS_KILL: u32 = 2; // register-only, sets all six arithmetic flags and reads none

// How the decoded instruction (classified `kind`) treats the flags.
function flagEffect(kind: u32): u32 {
  if (kind != NATIVE) return FLAGS_OTHER;
  const op = opcode();
  const reg = readField(DEC_REG);
  if (op == 0x8d) return FLAGS_NEUTRAL; // LEA computes an address and reads nothing
  const registerOnly = readField(DEC_HAS_MEMORY_OPERAND) == 0 && !usesStack(op) && !isBulkString(op);
  if (!registerOnly) return FLAGS_OTHER;
  if (op < 0x40 && (op & 7) < 6) { const alu = (op >> 3) & 7; return alu == 2 || alu == 3 ? FLAGS_OTHER : FLAGS_KILL; }
  if (op >= 0x80 && op <= 0x83) return reg == 2 || reg == 3 ? FLAGS_OTHER : FLAGS_KILL;
  switch (op) {
    case 0x84: case 0x85: case 0xa8: case 0xa9: case 0x69: case 0x6b: case 0x1af: return FLAGS_KILL;
    case 0xf6: return reg == 0 ? FLAGS_KILL : FLAGS_OTHER;
    case 0xf7: return reg == 0 || reg == 3 || reg == 4 || reg == 5 ? FLAGS_KILL : reg == 2 ? FLAGS_NEUTRAL : FLAGS_OTHER;
    case 0xc0: case 0xc1: return reg >= 4 && (immediate() & 31) != 0 ? FLAGS_KILL : FLAGS_OTHER;
    case 0xd0: case 0xd1: return reg >= 4 ? FLAGS_KILL : FLAGS_OTHER; // (SHL SHR SAR by 1)
    case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x87: case 0x98: case 0x99:
    case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: return FLAGS_NEUTRAL;
    default: break;
  }
  if (op >= 0x90 && op <= 0x97) return FLAGS_NEUTRAL; // XCHG EAX, r (and NOP)
  if (op >= 0xb0 && op <= 0xbf) return FLAGS_NEUTRAL; // MOV r, imm
  return FLAGS_OTHER;
}

// Whether the decoded instruction writes memory (a write's slow path may make the unit leave
// right after it, where its flags must be in place).
function mayWriteMemory(): bool {
  if (readField(DEC_HAS_MEMORY_OPERAND) == 0 || readField(DEC_MOD) == 3) return usesStack(opcode()) || isBulkString(opcode());
  const op = opcode();
  if (op < 0x40) return (op & 7) < 2 && (op >> 3) != 7; // E, G forms write E (CMP does not)
  if (op >= 0x80 && op <= 0x83) return readField(DEC_REG) != 7;
  if (op == 0x84 || op == 0x85 || op == 0x8b || op == 0x8a || op == 0x1af || op == 0x69 || op == 0x6b || op == 0x8d) return false;
  if (op == 0xf6 || op == 0xf7) { const reg = readField(DEC_REG); return reg == 2 || reg == 3; }
  if (op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) return false;
  return true;
}

// Bit i: the flags the block's instruction i sets are dead.
function findDeadFlags(start: u32, count: u32): u64 {
  let eip = start;
  for (let i: u32 = 0; i < count; i++) {
    const kind = classify(eip);
    const next = decodeAt(eip);
    const writes = kind != NATIVE || mayWriteMemory();
    store<u8>(JIT_SCAN + 0x500 + i, <u8>(flagEffect(kind) | (writes ? 4 : 0)));
    eip = next;
  }
  let dead: u64 = 0;
  let killedLater = false;
  for (let i = <i32>count - 1; i >= 0; i--) {
    const effect = <u32>load<u8>(JIT_SCAN + 0x500 + <u32>i);
    if (killedLater && (effect & 4) == 0) dead |= <u64>1 << <u64>i;
    if ((effect & 3) == FLAGS_KILL) killedLater = true;
    else if ((effect & 3) != FLAGS_NEUTRAL) killedLater = false;
  }
  return dead;
}

/** The EIPs [start, end) the last translated unit covers (for tracking writes into it). */
export let coveredStart: u32 = 0;
export let coveredEnd: u32 = 0;

function noteCoverage(): void {
  coveredStart = 0xffffffff;
  coveredEnd = 0;
  for (let i: u32 = 0; i < blocks; i++) {
    if (blockEnd(i) == blockStart(i)) continue;
    if (blockStart(i) < coveredStart) coveredStart = blockStart(i);
    if (blockEnd(i) > coveredEnd) coveredEnd = blockEnd(i);
  }
}

// Whether a block of the unit branches back to an earlier one (the first pass finds out).
let branchesBack = false;

// The exit block around the dispatch loop, whose br_table picks the block to run (L_NEXT) and
// which every block ends by branching back to or out of. A unit with no backward branch has a
// plain block in the loop's place and starts at block 0: V8 gives every loop a stack check at
// its head and hoists out of it what depends only on registers the unit never writes.
function emitDispatch(): void {
  setNesting(0);
  emit8(W.OP_BLOCK); emit8(W.BLOCK_VOID); // exit
  emit8(branchesBack ? W.OP_LOOP : W.OP_BLOCK); emit8(W.BLOCK_VOID); // dispatch
  for (let i: u32 = 0; i < blocks; i++) { emit8(W.OP_BLOCK); emit8(W.BLOCK_VOID); }
  if (branchesBack) {
    emitGet(L_NEXT);
    emit8(W.OP_BR_TABLE);
    emitU32(blocks);
    for (let i: u32 = 0; i < blocks; i++) emitU32(i);
    emitU32(0);
  }
  for (let i: u32 = 0; i < blocks; i++) {
    emit8(W.OP_END);
    emitBlock(i);
  }
  emit8(W.OP_END); // dispatch loop (never falls out: every block ends in a branch)
}

/**
 * Translate the unit entered at `entryEip` (in the current fetch window, whose bytes for EIPs
 * [first, limit) start at host address `host`). Writes the function body (locals, code, end)
 * at `out` and returns its length, or 0 if not even the first instruction can be translated.
 */
export function translateUnit(entryEip: u32, first: u32, limit: u32, host: usize, user: bool, out: usize): usize {
  pageFirst = first;
  pageLimit = limit;
  hostBase = host;
  setUserMode(user);
  const entryKind = classify(entryEip);
  if (entryKind == NOT_IN_UNIT || entryKind == LEAVE) return 0;
  const savedEip = load<u32>(REG_EIP);
  const savedStart = load<u32>(INSTRUCTION_START);
  segmentsUsed = 0;
  stackUsed = false;
  privileged = false;
  blocks = 0;
  addBlock(entryEip);
  for (let i: u32 = 0; i < blocks; i++) scanBlock(i);
  noteCoverage();

  // A first pass over the blocks (into scratch space) finds which guest state the unit touches.
  setWritePosition(JIT_OUTPUT);
  W.resetLocalUse();
  W.recordHints(false, 0);
  branchesBack = false;
  emitDispatch();
  setStateMasks(W.localsWritten, W.localsRead | W.localsWritten);

  setWritePosition(out);
  W.recordHints(true, out);
  emitU32(1); emitU32(LOCALS); emit8(W.TYPE_I32);
  emitCountEntry(entryEip); // (first: src/machine/unit_packer.ts finds it there)
  emitSegmentGuard();
  emitLoadState();
  emitDispatch();
  emit8(W.OP_END); // exit block
  emitUnitExit();
  emit8(W.OP_END);
  W.recordHints(false, 0);

  store<u32>(REG_EIP, savedEip);
  store<u32>(INSTRUCTION_START, savedStart);
  return writePosition() - out;
}
