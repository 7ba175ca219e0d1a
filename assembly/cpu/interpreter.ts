// The execute stage: one case per opcode, reading the decoded record. Each case does only its
// operation; prefixes, ModRM, immediates, #UD and LOCK checks happened in the decoder.
import { readField, writeField } from "./record";
import {
  DEC_OPCODE, DEC_BASE_IS_ESP, DEC_IMM, DEC_IMM2, DEC_EA, DEC_SEGMENT, DEC_REG, DEC_ADDRSIZE32,
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_SELECTOR, HALTED, INHIBIT_INTERRUPTS, CR4,
} from "../layout";
import { PREFIX_LOCK } from "./decode_attrs";
import {
  getReg8, getReg16, getReg32, setReg8, setReg16, setReg32, getEip, setEip, getCpl, segLimit,
  isProtectedMode, isVm86, EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI,
  FLAG_CF, FLAG_PF, FLAG_AF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAG_IF, FLAG_DF, FLAG_TF, FLAG_AC, FLAG_ID,
  FLAG_IOPL, FLAG_IOPL_SHIFT, FLAG_VM, FLAG_RF, FLAG_NT, FLAGS_WRITABLE,
  EXC_UD, EXC_GP, EXC_DE, EXC_BR, EXC_NM, EXC_BP, EXC_OF, EXC_DB, CR0_EM, CR0_TS, getCr0,
} from "./state";
import { nextEip } from "./decoder";
import { requestAttention } from "./run";
import { raiseFault } from "./fault";
import { getFlags, setFlags, getCF, getOF, testCondition, setFlagBits, getAF } from "./flags";
import {
  alu, inc, dec, neg, logicFlags, shift, doubleShift, multiplyFlags, bcdFlags, sizeMask, signBit,
  signExtend, ALU_CMP,
} from "./alu";
import {
  readE, writeE, readG, writeG, getReg, setReg, vSize, eaLinearRead, eaLinearWrite, readLinearSized,
  writeLinearSized, modIsRegister, decodedRm, decodedReg, push, pop, peek, stack32, stackOffset,
  setStackPointer, effectiveAddress, effectiveSegment,
} from "./operands";
import { loadSegment, setCpl } from "./descriptors";
import { farJump, farCall, farReturn, deliverInterrupt, interruptReturn, updateFlagsFromIret, checkIoPermission } from "./system";
import { stringInstruction } from "./string";
import { fpuEscape, fpuWait, fxsaveGroup } from "./fpu/instructions";
import { portIn, portOut } from "./io";
import { group6, group7, loadAccessRights, loadSegmentLimit, moveToControl, moveFromControl, moveToDebug, moveFromDebug, clts, cpuid, rdmsr, wrmsr, rdtsc, sysenter, sysexit, invalidateCaches } from "./control";
import { linearForRead, linearForWrite } from "../mmu/segmentation";
import { readLinear8, readLinear16, readLinear32, writeLinear8, writeLinear16, writeLinear32, probeWrite, readLinearForWrite } from "../mmu/linear";

@inline function imm(): u32 { return readField(DEC_IMM); }
@inline function imm8s(): u32 { return <u32><i32><i8>readField(DEC_IMM); }
@inline function opcodeSize(opcode: u32): u32 { return (opcode & 1) == 0 ? 8 : vSize(); }
@inline function selectorOf(seg: u32): u32 { return load<u32>(SEG_SELECTOR + (seg << 2)); }

/** Branch to EIP-relative target, truncated to 16 bits with a 16-bit operand size. */
@inline function jumpRelative(displacement: u32): void {
  let target = nextEip + displacement;
  if (vSize() == 16) target &= 0xffff;
  jumpNear(target);
}
function jumpNear(target: u32): void {
  // A near jump outside CS's limit faults before EIP changes (SDM vol. 2, JMP).
  if (target > segLimit(SEG_CS)) raiseFault(EXC_GP, 0);
  setEip(target);
}

@inline function iopl(): u32 { return (getFlags() & FLAG_IOPL) >> FLAG_IOPL_SHIFT; }

/** Execute the decoded instruction. REG_EIP is already the next instruction's address. */
export function execute(): void {
  const opcode = readField(DEC_OPCODE);
  switch (opcode) {
    // ---- ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz (00-3D) ----
    case 0x00: case 0x08: case 0x10: case 0x18: case 0x20: case 0x28: case 0x30: case 0x38:
    case 0x01: case 0x09: case 0x11: case 0x19: case 0x21: case 0x29: case 0x31: case 0x39: {
      // 32-bit operands get their own inlined copy with the size folded in (the common case).
      const size = opcodeSize(opcode);
      if (size == 32) aluIntoE((opcode >> 3) & 7, 32, readG(32));
      else aluIntoE((opcode >> 3) & 7, size, readG(size));
      break;
    }
    case 0x02: case 0x0a: case 0x12: case 0x1a: case 0x22: case 0x2a: case 0x32: case 0x3a:
    case 0x03: case 0x0b: case 0x13: case 0x1b: case 0x23: case 0x2b: case 0x33: case 0x3b: {
      const size = opcodeSize(opcode);
      if (size == 32) aluIntoG((opcode >> 3) & 7, 32);
      else aluIntoG((opcode >> 3) & 7, size);
      break;
    }
    case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: case 0x3c: {
      const op = (opcode >> 3) & 7;
      const res = alu(op, 8, getReg8(EAX), imm());
      if (op != ALU_CMP) setReg8(EAX, res);
      break;
    }
    case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: {
      const size = vSize();
      const op = (opcode >> 3) & 7;
      const res = alu(op, size, getReg(EAX, size), imm());
      if (op != ALU_CMP) setReg(EAX, size, res);
      break;
    }
    // ---- segment register push/pop ----
    case 0x06: push(vSize(), selectorOf(SEG_ES)); break;
    case 0x0e: push(vSize(), selectorOf(SEG_CS)); break;
    case 0x16: push(vSize(), selectorOf(SEG_SS)); break;
    case 0x1e: push(vSize(), selectorOf(SEG_DS)); break;
    case 0x1a0: push(vSize(), selectorOf(SEG_FS)); break;
    case 0x1a8: push(vSize(), selectorOf(SEG_GS)); break;
    case 0x07: popSegment(SEG_ES); break;
    case 0x17: popSegment(SEG_SS); store<u32>(INHIBIT_INTERRUPTS, 1); requestAttention(); break;
    case 0x1f: popSegment(SEG_DS); break;
    case 0x1a1: popSegment(SEG_FS); break;
    case 0x1a9: popSegment(SEG_GS); break;
    // ---- BCD ----
    case 0x27: daa(); break;
    case 0x2f: das(); break;
    case 0x37: aaa(); break;
    case 0x3f: aas(); break;
    // ---- INC/DEC/PUSH/POP r ----
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47: {
      const size = vSize();
      setReg(opcode & 7, size, inc(size, getReg(opcode & 7, size)));
      break;
    }
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      const size = vSize();
      setReg(opcode & 7, size, dec(size, getReg(opcode & 7, size)));
      break;
    }
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      if (vSize() == 32) push(32, getReg32(opcode & 7)); else push(16, getReg16(opcode & 7));
      break;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
      if (vSize() == 32) setReg32(opcode & 7, pop(32)); else setReg16(opcode & 7, pop(16));
      break;
    case 0x60: pushAll(); break;
    case 0x61: popAll(); break;
    case 0x62: bound(); break;
    case 0x63: arpl(); break;
    case 0x68: push(vSize(), imm()); break;
    case 0x6a: push(vSize(), imm8s()); break;
    case 0x69: case 0x6b: case 0x1af: {
      const size = vSize();
      const src = opcode == 0x1af ? readG(size) : opcode == 0x69 ? imm() : imm8s();
      writeG(size, imulTruncating(size, readE(size), src));
      break;
    }
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
      stringInstruction(opcode);
      break;
    // ---- Jcc ----
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
      if (testCondition(opcode & 15)) jumpRelative(imm8s());
      break;
    case 0x180: case 0x181: case 0x182: case 0x183: case 0x184: case 0x185: case 0x186: case 0x187:
    case 0x188: case 0x189: case 0x18a: case 0x18b: case 0x18c: case 0x18d: case 0x18e: case 0x18f:
      if (testCondition(opcode & 15)) jumpRelative(vSize() == 16 ? <u32><i32><i16>imm() : imm());
      break;
    // ---- group 1 ----
    case 0x80: case 0x81: case 0x82: case 0x83: {
      const size = opcodeSize(opcode);
      const src = opcode == 0x83 ? imm8s() & sizeMask(size) : imm();
      if (size == 32) aluIntoE(decodedReg(), 32, src);
      else aluIntoE(decodedReg(), size, src);
      break;
    }
    case 0x84: logicFlags(8, readE(8) & readG(8)); break;
    case 0x85: if (vSize() == 32) logicFlags(32, readE(32) & readG(32)); else logicFlags(16, readE(16) & readG(16)); break;
    case 0x86: case 0x87: {
      const size = opcodeSize(opcode);
      const reg = readG(size);
      if (modIsRegister()) {
        const r = decodedRm();
        const other = getReg(r, size);
        setReg(r, size, reg);
        writeG(size, other);
      } else {
        const linear = eaLinearWrite(size);
        const other = readLinearForWrite(linear, size);
        writeLinearSized(linear, size, reg);
        writeG(size, other);
      }
      break;
    }
    case 0x88: writeE(8, readG(8)); break;
    case 0x89: if (vSize() == 32) writeE(32, readG(32)); else writeE(16, readG(16)); break;
    case 0x8a: writeG(8, readE(8)); break;
    case 0x8b: if (vSize() == 32) writeG(32, readE(32)); else writeG(16, readE(16)); break;
    case 0x8c: {
      // MOV Ev,Sw: a register destination takes the whole selector zero-extended with 32-bit size.
      const seg = decodedReg();
      if (seg > 5) raiseFault(EXC_UD, -1);
      if (modIsRegister()) setReg(decodedRm(), vSize(), selectorOf(seg));
      else writeE(16, selectorOf(seg));
      break;
    }
    case 0x8d: writeG(vSize(), readField(DEC_EA)); break; // LEA (mem-only in the table)
    case 0x8e: {
      const seg = decodedReg();
      if (seg == SEG_CS || seg > 5) raiseFault(EXC_UD, -1);
      loadSegment(seg, readE(16));
      if (seg == SEG_SS) store<u32>(INHIBIT_INTERRUPTS, 1); requestAttention();
      break;
    }
    case 0x8f: {
      // POP Ev: an ESP-based destination address uses ESP after the increment (SDM vol. 2, POP).
      const size = vSize();
      const v = peek(size, 0);
      const newSp = stackOffset(size >> 3);
      if (modIsRegister()) {
        setStackPointer(newSp);
        setReg(decodedRm(), size, v);
      } else {
        if (readField(DEC_BASE_IS_ESP) != 0) writeField(DEC_EA, readField(DEC_EA) + (size >> 3));
        writeLinearSized(eaLinearWrite(size), size, v);
        setStackPointer(newSp);
      }
      break;
    }
    case 0x90: break; // NOP (XCHG eAX,eAX)
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
      const size = vSize();
      const r = opcode & 7;
      const v = getReg(r, size);
      setReg(r, size, getReg(EAX, size));
      setReg(EAX, size, v);
      break;
    }
    case 0x98: if (vSize() == 32) setReg32(EAX, <u32><i32><i16>getReg16(EAX)); else setReg16(EAX, <u32><i32><i8>getReg8(EAX)); break;
    case 0x99: {
      if (vSize() == 32) setReg32(EDX, <u32>(<i32>getReg32(EAX) >> 31));
      else setReg16(EDX, (getReg16(EAX) & 0x8000) != 0 ? 0xffff : 0);
      break;
    }
    case 0x9a: farCall(readField(DEC_IMM2), imm(), vSize() == 32, nextEip); break;
    case 0x9b: fwait(); break;
    case 0x9c: pushFlags(); break;
    case 0x9d: popFlags(); break;
    case 0x9e: { // SAHF
      const ah = getReg8(4);
      setFlagBits(FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF, ah);
      break;
    }
    case 0x9f: setReg8(4, getFlags() & 0xff); break; // LAHF
    case 0xa0: case 0xa1: {
      const size = opcodeSize(opcode);
      setReg(EAX, size, readLinearSized(linearForRead(effectiveSegment(), effectiveAddress(), size >> 3), size));
      break;
    }
    case 0xa2: case 0xa3: {
      const size = opcodeSize(opcode);
      writeLinearSized(eaLinearWrite(size), size, getReg(EAX, size));
      break;
    }
    case 0xa8: logicFlags(8, getReg8(EAX) & imm()); break;
    case 0xa9: { const size = vSize(); logicFlags(size, getReg(EAX, size) & imm()); break; }
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      setReg8(opcode & 7, imm()); break;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      setReg(opcode & 7, vSize(), imm()); break;
    // ---- group 2 ----
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const size = opcodeSize(opcode);
      const count = opcode >= 0xd2 ? getReg8(ECX) : opcode >= 0xd0 ? 1 : imm();
      const op = decodedReg();
      if (modIsRegister()) {
        const r = decodedRm();
        setReg(r, size, shift(op, size, getReg(r, size), count));
      } else {
        const linear = eaLinearWrite(size);
        const v = readLinearForWrite(linear, size);
        const res = shift(op, size, v, count);
        writeLinearSized(linear, size, res);
      }
      break;
    }
    case 0xc2: nearReturn(imm()); break;
    case 0xc3: nearReturn(0); break;
    case 0xc4: loadFarPointer(SEG_ES); break;
    case 0xc5: loadFarPointer(SEG_DS); break;
    case 0x1b2: loadFarPointer(SEG_SS); break;
    case 0x1b4: loadFarPointer(SEG_FS); break;
    case 0x1b5: loadFarPointer(SEG_GS); break;
    case 0xc6: case 0xc7: writeE(opcodeSize(opcode), imm()); break;
    case 0xc8: enter(); break;
    case 0xc9: { // LEAVE
      const size = vSize();
      const framePointer = stack32() ? getReg32(EBP) : getReg16(EBP);
      const v = readLinearSized(linearForRead(SEG_SS, framePointer, size >> 3), size);
      if (stack32()) setReg32(ESP, framePointer + (size >> 3)); else setReg16(ESP, (framePointer + (size >> 3)) & 0xffff);
      setReg(EBP, size, v);
      break;
    }
    case 0xca: farReturn(vSize() == 32, imm()); break;
    case 0xcb: farReturn(vSize() == 32, 0); break;
    case 0xcc: softwareInterrupt(EXC_BP, true); break;
    case 0xcd: softwareInterrupt(imm(), false); break;
    case 0xce: if (getOF()) softwareInterrupt(EXC_OF, true); break;
    case 0xcf: {
      if (isVm86() && iopl() != 3) raiseFault(EXC_GP, 0);
      interruptReturn(vSize() == 32);
      break;
    }
    case 0xd4: { // AAM
      const base = imm() & 0xff;
      if (base == 0) raiseFault(EXC_DE, -1);
      const al = getReg8(EAX);
      const res = al % base;
      setReg8(4, al / base);
      setReg8(EAX, res);
      logicFlags(8, res);
      break;
    }
    case 0xd5: { // AAD
      const res = (getReg8(EAX) + getReg8(4) * (imm() & 0xff)) & 0xff;
      setReg16(EAX, res);
      logicFlags(8, res);
      break;
    }
    case 0xd6: setReg8(EAX, getCF() != 0 ? 0xff : 0); break; // SALC
    case 0xd7: { // XLAT
      const base = readField(DEC_ADDRSIZE32) != 0 ? getReg32(EBX) : getReg16(EBX);
      let offset = base + getReg8(EAX);
      if (readField(DEC_ADDRSIZE32) == 0) offset &= 0xffff;
      setReg8(EAX, readLinear8(linearForRead(effectiveSegment(), offset, 1)));
      break;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      x87Escape(); break;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: loopOrJcxz(opcode); break;
    case 0xe4: case 0xe5: case 0xec: case 0xed: {
      const size = opcodeSize(opcode);
      const port = opcode >= 0xec ? getReg16(EDX) : imm() & 0xff;
      checkIoPermission(port, size >> 3);
      setReg(EAX, size, portIn(port, size));
      break;
    }
    case 0xe6: case 0xe7: case 0xee: case 0xef: {
      const size = opcodeSize(opcode);
      const port = opcode >= 0xee ? getReg16(EDX) : imm() & 0xff;
      checkIoPermission(port, size >> 3);
      portOut(port, size, getReg(EAX, size));
      break;
    }
    case 0xe8: { // CALL rel
      const size = vSize();
      let target = nextEip + (size == 16 ? <u32><i32><i16>imm() : imm());
      if (size == 16) target &= 0xffff;
      if (target > segLimit(SEG_CS)) raiseFault(EXC_GP, 0);
      push(size, nextEip);
      setEip(target);
      break;
    }
    case 0xe9: jumpRelative(vSize() == 16 ? <u32><i32><i16>imm() : imm()); break;
    case 0xea: farJump(readField(DEC_IMM2), imm(), vSize() == 32); break;
    case 0xeb: jumpRelative(imm8s()); break;
    case 0xf1: softwareInterrupt(EXC_DB, true); break; // INT1 / ICEBP
    case 0xf4: { // HLT
      if (getCpl() != 0) raiseFault(EXC_GP, 0);
      store<u32>(HALTED, 1);
      requestAttention();
      break;
    }
    case 0xf5: setFlagBits(FLAG_CF, getCF() ^ 1); break;
    case 0xf6: case 0xf7: group3(opcodeSize(opcode)); break;
    case 0xf8: setFlagBits(FLAG_CF, 0); break;
    case 0xf9: setFlagBits(FLAG_CF, FLAG_CF); break;
    case 0xfa: { // CLI
      if (isProtectedMode() && iopl() < (isVm86() ? 3 : getCpl())) raiseFault(EXC_GP, 0);
      setFlags(getFlags() & ~FLAG_IF);
      break;
    }
    case 0xfb: { // STI: interrupts stay blocked for one more instruction
      if (isProtectedMode() && iopl() < (isVm86() ? 3 : getCpl())) raiseFault(EXC_GP, 0);
      const flags = getFlags();
      if ((flags & FLAG_IF) == 0) store<u32>(INHIBIT_INTERRUPTS, 1); requestAttention();
      setFlags(flags | FLAG_IF);
      break;
    }
    case 0xfc: setFlags(getFlags() & ~FLAG_DF); break;
    case 0xfd: setFlags(getFlags() | FLAG_DF); break;
    case 0xfe: { // group 4: INC/DEC Eb
      incDecE(8, decodedReg() == 0);
      break;
    }
    case 0xff: group5(); break;

    // ---- two-byte opcodes ----
    case 0x100: group6(); break;
    case 0x101: group7(); break;
    case 0x102: loadAccessRights(); break;
    case 0x103: loadSegmentLimit(); break;
    case 0x106: clts(); break;
    case 0x108: case 0x109: invalidateCaches(); break;
    case 0x10b: raiseFault(EXC_UD, -1); break; // UD2
    case 0x119: case 0x11a: case 0x11b: case 0x11c: case 0x11d: case 0x11e: case 0x11f: break; // hint NOP Ev
    case 0x120: moveFromControl(); break;
    case 0x121: moveFromDebug(); break;
    case 0x122: moveToControl(); break;
    case 0x123: moveToDebug(); break;
    case 0x130: wrmsr(); break;
    case 0x131: rdtsc(); break;
    case 0x132: rdmsr(); break;
    case 0x133: rdpmc(); break;
    case 0x134: sysenter(); break;
    case 0x135: sysexit(); break;
    case 0x140: case 0x141: case 0x142: case 0x143: case 0x144: case 0x145: case 0x146: case 0x147:
    case 0x148: case 0x149: case 0x14a: case 0x14b: case 0x14c: case 0x14d: case 0x14e: case 0x14f: {
      // CMOVcc reads its source even when the condition is false (a memory source can fault).
      const size = vSize();
      const v = readE(size);
      if (testCondition(opcode & 15)) writeG(size, v);
      else if (size == 32) writeG(32, readG(32));
      break;
    }
    case 0x190: case 0x191: case 0x192: case 0x193: case 0x194: case 0x195: case 0x196: case 0x197:
    case 0x198: case 0x199: case 0x19a: case 0x19b: case 0x19c: case 0x19d: case 0x19e: case 0x19f:
      writeE(8, testCondition(opcode & 15) ? 1 : 0);
      break;
    case 0x1a2: cpuid(); break;
    case 0x1a3: bitTest(0, false); break; // BT Ev,Gv
    case 0x1ab: bitTest(1, false); break; // BTS
    case 0x1b3: bitTest(2, false); break; // BTR
    case 0x1bb: bitTest(3, false); break; // BTC
    case 0x1ba: { // group 8: BT/BTS/BTR/BTC Ev,Ib
      bitTest(decodedReg() - 4, true);
      break;
    }
    case 0x1a4: case 0x1a5: case 0x1ac: case 0x1ad: {
      const size = vSize();
      const count = (opcode & 1) != 0 ? getReg8(ECX) : imm();
      const left = opcode < 0x1ac;
      const src = readG(size);
      if (modIsRegister()) {
        const r = decodedRm();
        setReg(r, size, doubleShift(left, size, getReg(r, size), src, count));
      } else {
        const linear = eaLinearWrite(size);
        writeLinearSized(linear, size, doubleShift(left, size, readLinearForWrite(linear, size), src, count));
      }
      break;
    }
    case 0x1b0: case 0x1b1: compareExchange(opcodeSize(opcode)); break;
    case 0x1b6: writeG(vSize(), readE(8)); break;
    case 0x1b7: writeG(vSize(), readE(16)); break;
    case 0x1be: writeG(vSize(), signExtend(readE(8), 8) & sizeMask(vSize())); break;
    case 0x1bf: writeG(vSize(), signExtend(readE(16), 16) & sizeMask(vSize())); break;
    case 0x1bc: case 0x1bd: bitScan(opcode == 0x1bd); break;
    case 0x1c0: case 0x1c1: {
      const size = opcodeSize(opcode);
      const src = readG(size);
      if (modIsRegister()) {
        const r = decodedRm();
        const dst = getReg(r, size);
        const sum = alu(0, size, dst, src);
        writeG(size, dst);
        setReg(r, size, sum);
      } else {
        const linear = eaLinearWrite(size);
        const dst = readLinearForWrite(linear, size);
        const sum = alu(0, size, dst, src);
        writeLinearSized(linear, size, sum);
        writeG(size, dst);
      }
      break;
    }
    case 0x1ae: fxsaveGroup(readField(DEC_REG)); break; // FXSAVE, FXRSTOR
    case 0x1c7: compareExchange8Bytes(); break;
    case 0x1c8: case 0x1c9: case 0x1ca: case 0x1cb: case 0x1cc: case 0x1cd: case 0x1ce: case 0x1cf: {
      const r = opcode & 7;
      if (vSize() == 32) setReg32(r, bswap<u32>(getReg32(r)));
      else setReg16(r, 0); // BSWAP with a 16-bit operand is undefined; P6 and QEMU clear it
      break;
    }
    default:
      raiseFault(EXC_UD, -1);
  }
}


/** ALU operation `op` into the E operand (register or read-modify-write memory). */
@inline function aluIntoE(op: u32, size: u32, src: u32): void {
  if (modIsRegister()) {
    const r = decodedRm();
    const res = alu(op, size, getReg(r, size), src);
    if (op != ALU_CMP) setReg(r, size, res);
  } else if (op == ALU_CMP) {
    alu(op, size, readLinearSized(eaLinearRead(size), size), src);
  } else {
    const linear = eaLinearWrite(size);
    const res = alu(op, size, readLinearForWrite(linear, size), src);
    writeLinearSized(linear, size, res);
  }
}

/** ALU operation `op` into the G register from the E operand. */
@inline function aluIntoG(op: u32, size: u32): void {
  const res = alu(op, size, readG(size), readE(size));
  if (op != ALU_CMP) writeG(size, res);
}

function popSegment(seg: u32): void {
  const size = vSize();
  const v = peek(size, 0) & 0xffff;
  loadSegment(seg, v);
  setStackPointer(stackOffset(size >> 3));
}

function pushAll(): void {
  const size = vSize();
  const bytes = size >> 3;
  const sp = stackOffset(-(8 * bytes));
  const linear = eaStack(sp, 8 * bytes);
  const originalSp = getReg(ESP, size);
  for (let r: u32 = 0; r < 8; r++) {
    const v = r == ESP ? originalSp : getReg(r, size);
    writeLinearSized(linear + (7 - r) * bytes, size, v);
  }
  setStackPointer(sp);
}
function eaStack(sp: u32, bytes: u32): u32 {
  const linear = linearForWrite(SEG_SS, sp, bytes);
  probeWrite(linear, bytes);
  return linear;
}

function popAll(): void {
  const size = vSize();
  const bytes = size >> 3;
  const linear = linearForRead(SEG_SS, stackOffset(0), 8 * bytes);
  for (let r: i32 = 7; r >= 0; r--) {
    if (<u32>r == ESP) continue;
    setReg(<u32>r, size, readLinearSized(linear + (7 - <u32>r) * bytes, size));
  }
  setStackPointer(stackOffset(8 * bytes));
}

function bound(): void {
  const size = vSize();
  const index = readG(size);
  const linear = eaLinearRead(size * 2);
  const lower = readLinearSized(linear, size);
  const upper = readLinearSized(linear + (size >> 3), size);
  const i = <i32>signExtend(index, size);
  if (i < <i32>signExtend(lower, size) || i > <i32>signExtend(upper, size)) raiseFault(EXC_BR, -1);
}

function arpl(): void {
  if (!isProtectedMode() || isVm86()) raiseFault(EXC_UD, -1);
  const dst = readE(16);
  const src = readG(16);
  if ((dst & 3) < (src & 3)) {
    writeE(16, (dst & ~3) | (src & 3));
    setFlagBits(FLAG_ZF, FLAG_ZF);
  } else {
    setFlagBits(FLAG_ZF, 0);
  }
}

function imulTruncating(size: u32, a: u32, b: u32): u32 {
  const product = <i64><i32>signExtend(a, size) * <i64><i32>signExtend(b, size);
  const low = <u32>product & sizeMask(size);
  multiplyFlags(size, low, product != <i64><i32>signExtend(low, size));
  return low;
}

function group3(size: u32): void {
  const op = decodedReg();
  switch (op) {
    case 0: case 1: logicFlags(size, readE(size) & imm()); break; // TEST
    case 2: { // NOT: no flags
      if (modIsRegister()) { const r = decodedRm(); setReg(r, size, ~getReg(r, size) & sizeMask(size)); }
      else { const linear = eaLinearWrite(size); writeLinearSized(linear, size, ~readLinearForWrite(linear, size) & sizeMask(size)); }
      break;
    }
    case 3: {
      if (modIsRegister()) { const r = decodedRm(); setReg(r, size, neg(size, getReg(r, size))); }
      else { const linear = eaLinearWrite(size); writeLinearSized(linear, size, neg(size, readLinearForWrite(linear, size))); }
      break;
    }
    case 4: { // MUL
      const src = readE(size);
      if (size == 8) {
        const r = getReg8(EAX) * src;
        setReg16(EAX, r);
        multiplyFlags(8, r & 0xff, (r & 0xff00) != 0);
      } else if (size == 16) {
        const r = getReg16(EAX) * src;
        setReg16(EAX, r & 0xffff);
        setReg16(EDX, r >>> 16);
        multiplyFlags(16, r & 0xffff, (r >>> 16) != 0);
      } else {
        const r = <u64>getReg32(EAX) * <u64>src;
        setReg32(EAX, <u32>r);
        setReg32(EDX, <u32>(r >> 32));
        multiplyFlags(32, <u32>r, (r >> 32) != 0);
      }
      break;
    }
    case 5: { // IMUL (one operand)
      const src = readE(size);
      if (size == 8) {
        const r = <i32><i8>getReg8(EAX) * <i32><i8>src;
        setReg16(EAX, <u32>r & 0xffff);
        multiplyFlags(8, <u32>r & 0xff, r != <i32><i8>r);
      } else if (size == 16) {
        const r = <i32><i16>getReg16(EAX) * <i32><i16>src;
        setReg16(EAX, <u32>r & 0xffff);
        setReg16(EDX, (<u32>r >>> 16) & 0xffff);
        multiplyFlags(16, <u32>r & 0xffff, r != <i32><i16>r);
      } else {
        const r = <i64><i32>getReg32(EAX) * <i64><i32>src;
        setReg32(EAX, <u32>r);
        setReg32(EDX, <u32>(r >> 32));
        multiplyFlags(32, <u32>r, r != <i64><i32>r);
      }
      break;
    }
    case 6: divide(size, readE(size)); break;
    default: divideSigned(size, readE(size)); break;
  }
}

function divide(size: u32, divisor: u32): void {
  if (divisor == 0) raiseFault(EXC_DE, -1);
  if (size == 8) {
    const dividend = getReg16(EAX);
    const q = dividend / divisor;
    if (q > 0xff) raiseFault(EXC_DE, -1);
    setReg16(EAX, ((dividend % divisor) << 8) | q);
  } else if (size == 16) {
    const dividend = (getReg16(EDX) << 16) | getReg16(EAX);
    const q = dividend / divisor;
    if (q > 0xffff) raiseFault(EXC_DE, -1);
    setReg16(EAX, q);
    setReg16(EDX, dividend % divisor);
  } else {
    const dividend = (<u64>getReg32(EDX) << 32) | <u64>getReg32(EAX);
    const q = dividend / <u64>divisor;
    if (q > 0xffffffff) raiseFault(EXC_DE, -1);
    setReg32(EAX, <u32>q);
    setReg32(EDX, <u32>(dividend % <u64>divisor));
  }
}

function divideSigned(size: u32, rawDivisor: u32): void {
  if (rawDivisor == 0) raiseFault(EXC_DE, -1);
  if (size == 8) {
    const dividend = <i32><i16>getReg16(EAX);
    const divisor = <i32><i8>rawDivisor;
    const q = dividend / divisor;
    if (q != <i32><i8>q) raiseFault(EXC_DE, -1);
    setReg16(EAX, ((<u32>(dividend % divisor) & 0xff) << 8) | (<u32>q & 0xff));
  } else if (size == 16) {
    const dividend = <i32>((getReg16(EDX) << 16) | getReg16(EAX));
    const divisor = <i32><i16>rawDivisor;
    // -2^31 / -1 overflows i32 arithmetic: it is a #DE anyway.
    if (dividend == i32.MIN_VALUE && divisor == -1) raiseFault(EXC_DE, -1);
    const q = dividend / divisor;
    if (q != <i32><i16>q) raiseFault(EXC_DE, -1);
    setReg16(EAX, <u32>q & 0xffff);
    setReg16(EDX, <u32>(dividend % divisor) & 0xffff);
  } else {
    const dividend = <i64>((<u64>getReg32(EDX) << 32) | <u64>getReg32(EAX));
    const divisor = <i64><i32>rawDivisor;
    if (dividend == i64.MIN_VALUE && divisor == -1) raiseFault(EXC_DE, -1);
    const q = dividend / divisor;
    if (q != <i64><i32>q) raiseFault(EXC_DE, -1);
    setReg32(EAX, <u32>q);
    setReg32(EDX, <u32>(dividend % divisor));
  }
}

function incDecE(size: u32, increment: bool): void {
  if (modIsRegister()) {
    const r = decodedRm();
    const v = getReg(r, size);
    setReg(r, size, increment ? inc(size, v) : dec(size, v));
  } else {
    const linear = eaLinearWrite(size);
    const v = readLinearForWrite(linear, size);
    writeLinearSized(linear, size, increment ? inc(size, v) : dec(size, v));
  }
}

function group5(): void {
  const size = vSize();
  switch (decodedReg()) {
    case 0: incDecE(size, true); break;
    case 1: incDecE(size, false); break;
    case 2: { // CALL near Ev
      const target = readE(size);
      if (target > segLimit(SEG_CS)) raiseFault(EXC_GP, 0);
      push(size, nextEip);
      setEip(target);
      break;
    }
    case 3: { // CALL far Mp
      const linear = eaLinearRead(size + 16);
      const offset = readLinearSized(linear, size);
      const selector = readLinear16(linear + (size >> 3));
      farCall(selector, offset, size == 32, nextEip);
      break;
    }
    case 4: jumpNear(readE(size)); break;
    case 5: { // JMP far Mp
      const linear = eaLinearRead(size + 16);
      const offset = readLinearSized(linear, size);
      const selector = readLinear16(linear + (size >> 3));
      farJump(selector, offset, size == 32);
      break;
    }
    default: push(size, readE(size)); break; // PUSH Ev (6)
  }
}

function nearReturn(release: u32): void {
  const size = vSize();
  const target = peek(size, 0);
  if (target > segLimit(SEG_CS)) raiseFault(EXC_GP, 0);
  setStackPointer(stackOffset((size >> 3) + release));
  setEip(target);
}

function loadFarPointer(seg: u32): void {
  const size = vSize();
  const linear = eaLinearRead(size + 16);
  const offset = readLinearSized(linear, size);
  const selector = readLinear16(linear + (size >> 3));
  loadSegment(seg, selector);
  writeG(size, offset);
}

function enter(): void {
  const size = vSize();
  const bytes = size >> 3;
  const allocation = imm() & 0xffff;
  const level = readField(DEC_IMM2) & 31;
  const big = stack32();
  let sp = getReg32(ESP);
  let bp = getReg32(EBP);
  const mask: u32 = big ? 0xffffffff : 0xffff;
  sp = (sp - bytes) & mask;
  writeLinearSized(linearForWrite(SEG_SS, sp, bytes), size, bp);
  // The frame pointer is the stack pointer register after the push: on a 16-bit stack only SP
  // moved, and a 32-bit EBP takes ESP's upper half along (SDM vol. 2, ENTER; QEMU agrees).
  const frameTemp = big ? sp : (getReg32(ESP) & 0xffff0000) | sp;
  if (level > 0) {
    for (let i: u32 = 1; i < level; i++) {
      bp = (bp - bytes) & mask;
      const v = readLinearSized(linearForRead(SEG_SS, bp, bytes), size);
      sp = (sp - bytes) & mask;
      writeLinearSized(linearForWrite(SEG_SS, sp, bytes), size, v);
    }
    sp = (sp - bytes) & mask;
    writeLinearSized(linearForWrite(SEG_SS, sp, bytes), size, frameTemp);
  }
  sp = (sp - allocation) & mask;
  // The new stack top must be writable (SDM vol. 2, ENTER): probe it before committing.
  linearForWrite(SEG_SS, sp, 1);
  setReg(EBP, size, frameTemp);
  if (big) setReg32(ESP, sp); else setReg16(ESP, sp);
}

function softwareInterrupt(vector: u32, oneByteForm: bool): void {
  if (isVm86() && !oneByteForm && iopl() != 3) raiseFault(EXC_GP, 0);
  deliverInterrupt(vector, true, false, -1, nextEip);
}

function pushFlags(): void {
  if (isVm86() && iopl() != 3) raiseFault(EXC_GP, 0);
  // VM and RF are never pushed as set (SDM vol. 2, PUSHF).
  const flags = getFlags() & ~(FLAG_VM | FLAG_RF);
  push(vSize(), flags);
}

function popFlags(): void {
  const size = vSize();
  if (isVm86()) {
    if (iopl() != 3) raiseFault(EXC_GP, 0);
    const v = pop(size);
    const mask: u32 = (size == 32 ? FLAGS_WRITABLE : FLAGS_WRITABLE & 0xffff) & ~FLAG_IOPL;
    setFlags((getFlags() & ~mask) | (v & mask));
    return;
  }
  const v = pop(size);
  if (!isProtectedMode()) {
    const mask: u32 = size == 32 ? FLAGS_WRITABLE : FLAGS_WRITABLE & 0xffff;
    setFlags((getFlags() & ~mask) | (v & mask));
    return;
  }
  updateFlagsFromIret(v & ~FLAG_RF, size == 32, getCpl());
}

function daa(): void {
  const al = getReg8(EAX);
  const cf = getCF();
  let res = al;
  let newCf: u32 = 0;
  let af = false;
  if ((al & 0xf) > 9 || getAF()) {
    res = (res + 6) & 0xff;
    newCf = cf | (al > 0xf9 ? 1 : 0);
    af = true;
  }
  if (al > 0x99 || cf != 0) {
    res = (res + 0x60) & 0xff;
    newCf = 1;
  } else {
    newCf = 0;
  }
  setReg8(EAX, res);
  bcdFlags(res, newCf, af);
}

function das(): void {
  const al = getReg8(EAX);
  const cf = getCF();
  let res = al;
  let newCf: u32 = 0;
  let af = false;
  if ((al & 0xf) > 9 || getAF()) {
    res = (res - 6) & 0xff;
    newCf = cf | (al < 6 ? 1 : 0);
    af = true;
  }
  if (al > 0x99 || cf != 0) {
    res = (res - 0x60) & 0xff;
    newCf = 1;
  }
  setReg8(EAX, res);
  bcdFlags(res, newCf, af);
}

// AAA/AAS adjust AX as a whole, so a carry out of AL reaches AH (SDM vol. 2, AAA: AX ← AX + 106H).
function aaa(): void {
  const ax = getReg16(EAX);
  if ((ax & 0xf) > 9 || getAF()) {
    const adjusted = (ax + 0x106) & 0xffff;
    setReg16(EAX, adjusted & 0xff0f);
    bcdFlags(adjusted & 0xf, 1, true);
  } else {
    setReg8(EAX, ax & 0xf);
    bcdFlags(ax & 0xf, 0, false);
  }
}

function aas(): void {
  const ax = getReg16(EAX);
  if ((ax & 0xf) > 9 || getAF()) {
    const adjusted = ((ax - 6) & 0xffff) - 0x100;
    setReg16(EAX, adjusted & 0xff0f);
    bcdFlags(adjusted & 0xf, 1, true);
  } else {
    setReg8(EAX, ax & 0xf);
    bcdFlags(ax & 0xf, 0, false);
  }
}

function loopOrJcxz(opcode: u32): void {
  const addr32 = readField(DEC_ADDRSIZE32) != 0;
  let count = addr32 ? getReg32(ECX) : getReg16(ECX);
  let taken: bool;
  if (opcode == 0xe3) {
    taken = count == 0;
  } else {
    count = addr32 ? count - 1 : (count - 1) & 0xffff;
    taken = count != 0;
    if (opcode == 0xe0) taken = taken && !testCondition(4); // LOOPNE: ZF = 0
    else if (opcode == 0xe1) taken = taken && testCondition(4); // LOOPE: ZF = 1
  }
  if (taken) {
    let target = nextEip + imm8s();
    if (vSize() == 16) target &= 0xffff;
    jumpNear(target);
  }
  if (opcode != 0xe3) { if (addr32) setReg32(ECX, count); else setReg16(ECX, count); }
}

function bitTest(op: u32, immediate: bool): void {
  const size = vSize();
  const bitOffset = immediate ? imm() & 0xff : readG(size);
  let res: u32;
  if (modIsRegister()) {
    const r = decodedRm();
    const v = getReg(r, size);
    const bit = bitOffset & (size - 1);
    const mask: u32 = 1 << bit;
    setFlagBits(FLAG_CF, (v >> bit) & 1);
    if (op == 0) return;
    res = op == 1 ? v | mask : op == 2 ? v & ~mask : v ^ mask;
    setReg(r, size, res);
    return;
  }
  // A register bit offset addresses memory beyond the operand (signed, SDM vol. 2, BT).
  let displacement: u32 = 0;
  if (!immediate) {
    const signed = <i32>signExtend(bitOffset, size);
    displacement = <u32>((signed >> (size == 32 ? 5 : 4)) * <i32>(size >> 3));
  }
  const bit = bitOffset & (size - 1);
  const savedEa = effectiveAddress();
  let ea = savedEa + displacement;
  if (readField(DEC_ADDRSIZE32) == 0) ea &= 0xffff;
  writeField(DEC_EA, ea);
  const mask: u32 = 1 << bit;
  if (op == 0) {
    const v = readLinearSized(eaLinearRead(size), size);
    writeField(DEC_EA, savedEa);
    setFlagBits(FLAG_CF, (v >> bit) & 1);
    return;
  }
  const linear = eaLinearWrite(size);
  writeField(DEC_EA, savedEa);
  const v = readLinearForWrite(linear, size);
  res = op == 1 ? v | mask : op == 2 ? v & ~mask : v ^ mask;
  writeLinearSized(linear, size, res);
  setFlagBits(FLAG_CF, (v >> bit) & 1);
}

function bitScan(reverse: bool): void {
  const size = vSize();
  const v = readE(size);
  if (v == 0) {
    // Destination unchanged (P6 and QEMU leave it), ZF set.
    setFlagBits(FLAG_ZF, FLAG_ZF);
    return;
  }
  const index: u32 = reverse ? 31 - clz<u32>(v) : ctz<u32>(v);
  writeG(size, index);
  setFlagBits(FLAG_ZF, 0);
}

function compareExchange(size: u32): void {
  const accumulator = getReg(EAX, size);
  const src = readG(size);
  if (modIsRegister()) {
    const r = decodedRm();
    const dst = getReg(r, size);
    alu(ALU_CMP, size, accumulator, dst);
    if (accumulator == dst) setReg(r, size, src); else setReg(EAX, size, dst);
    return;
  }
  const linear = eaLinearWrite(size);
  const dst = readLinearForWrite(linear, size);
  alu(ALU_CMP, size, accumulator, dst);
  // The destination is always written (with its own value on failure), as on P6.
  if (accumulator == dst) {
    writeLinearSized(linear, size, src);
  } else {
    writeLinearSized(linear, size, dst);
    setReg(EAX, size, dst);
  }
}

function compareExchange8Bytes(): void {
  if (decodedReg() != 1) raiseFault(EXC_UD, -1);
  const linear = eaLinearWrite(64);
  probeWrite(linear, 8);
  const low = readLinear32(linear);
  const high = readLinear32(linear + 4);
  if (low == getReg32(EAX) && high == getReg32(EDX)) {
    writeLinear32(linear, getReg32(EBX));
    writeLinear32(linear + 4, getReg32(ECX));
    setFlagBits(FLAG_ZF, FLAG_ZF);
  } else {
    writeLinear32(linear, low);
    writeLinear32(linear + 4, high);
    setReg32(EAX, low);
    setReg32(EDX, high);
    setFlagBits(FLAG_ZF, 0);
  }
}

function fwait(): void {
  fpuWait();
}

function x87Escape(): void {
  fpuEscape();
}

function rdpmc(): void {
  // No performance counters are modelled: counter numbers above 1 are #GP(0) on P6.
  const cr4 = load<u32>(CR4);
  if (getCpl() != 0 && (cr4 & (1 << 8)) == 0) raiseFault(EXC_GP, 0);
  if (getReg32(ECX) > 1) raiseFault(EXC_GP, 0);
  setReg32(EAX, 0);
  setReg32(EDX, 0);
}
