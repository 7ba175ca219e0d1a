// String instructions (MOVS CMPS STOS LODS SCAS INS OUTS) with REP/REPE/REPNE (SDM vol. 2, 4.x;
// vol. 1, 7.3.9). A repeated instruction runs a bounded number of iterations per step and then
// restarts itself, so interrupts and the run budget are honoured during long copies.
import { readField, writeField } from "./record";
import { DEC_PREFIXES, DEC_ADDRSIZE32, SEG_ES, INSTRUCTION_START } from "../layout";
import { PREFIX_REP, PREFIX_REPNE } from "./decode_attrs";
import { getReg32, setReg32, getReg16, setReg16, setEip, ECX, EDX, ESI, EDI, EAX, FLAG_DF } from "./state";
import { getFlags, getZF } from "./flags";
import { alu, ALU_CMP } from "./alu";
import { vSize, getReg, setReg, effectiveSegment, readLinearSized, writeLinearSized } from "./operands";
import { linearForRead, linearForWrite } from "../mmu/segmentation";
import { checkIoPermission } from "./system";
import { portIn, portOut } from "./io";
import { SEG_ACCESS, SEG_LIMIT, SEG_BASE, GUEST_RAM } from "../layout";
import { ACC_UNUSABLE, ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN } from "./state";
import { tlbEntry, tlbReadMask, tlbWriteMask, TLB_VALID } from "../mmu/tlb";

// Iterations of a REP-prefixed instruction before it yields (and is restarted).
const ITERATIONS_PER_STEP: u32 = 4096;

export function stringInstruction(opcode: u32): void {
  const size: u32 = (opcode & 1) == 0 ? 8 : vSize();
  const bytes = size >> 3;
  const addr32 = readField(DEC_ADDRSIZE32) != 0;
  const prefixes = readField(DEC_PREFIXES);
  const repeated = (prefixes & (PREFIX_REP | PREFIX_REPNE)) != 0;
  const step: u32 = (getFlags() & FLAG_DF) != 0 ? -bytes : bytes;
  const sourceSegment = effectiveSegment();
  const addressMask: u32 = addr32 ? 0xffffffff : 0xffff;
  let count: u32 = repeated ? (addr32 ? getReg32(ECX) : getReg16(ECX)) : 1;
  if (count == 0) return;
  let iterations: u32 = 0;
  const isCompare = opcode == 0xa6 || opcode == 0xa7 || opcode == 0xae || opcode == 0xaf;
  if (opcode >= 0x6c && opcode <= 0x6f) checkIoPermission(getReg16(EDX), bytes);

  const bulk = repeated && addr32 && step == bytes && (opcode == 0xa4 || opcode == 0xa5 || opcode == 0xaa || opcode == 0xab);

  for (;;) {
    if (bulk) {
      const done = bulkRun(opcode == 0xa4 || opcode == 0xa5, size, sourceSegment, min(count, ITERATIONS_PER_STEP - iterations));
      if (done != 0) {
        count -= done;
        setReg32(ECX, count);
        if (count == 0) return;
        iterations += done;
        if (iterations >= ITERATIONS_PER_STEP) { setEip(load<u32>(INSTRUCTION_START)); return; }
        continue;
      }
    }
    const si = getReg32(ESI) & addressMask;
    const di = getReg32(EDI) & addressMask;
    switch (opcode) {
      case 0xa4: case 0xa5: { // MOVS
        const v = readLinearSized(linearForRead(sourceSegment, si, bytes), size);
        writeLinearSized(linearForWrite(SEG_ES, di, bytes), size, v);
        advance(ESI, si, step, addr32);
        advance(EDI, di, step, addr32);
        break;
      }
      case 0xa6: case 0xa7: { // CMPS: [ESI] - [EDI]
        const a = readLinearSized(linearForRead(sourceSegment, si, bytes), size);
        const b = readLinearSized(linearForRead(SEG_ES, di, bytes), size);
        alu(ALU_CMP, size, a, b);
        advance(ESI, si, step, addr32);
        advance(EDI, di, step, addr32);
        break;
      }
      case 0xaa: case 0xab: { // STOS
        writeLinearSized(linearForWrite(SEG_ES, di, bytes), size, getReg(EAX, size));
        advance(EDI, di, step, addr32);
        break;
      }
      case 0xac: case 0xad: { // LODS
        setReg(EAX, size, readLinearSized(linearForRead(sourceSegment, si, bytes), size));
        advance(ESI, si, step, addr32);
        break;
      }
      case 0xae: case 0xaf: { // SCAS: eAX - [EDI]
        const b = readLinearSized(linearForRead(SEG_ES, di, bytes), size);
        alu(ALU_CMP, size, getReg(EAX, size), b);
        advance(EDI, di, step, addr32);
        break;
      }
      case 0x6c: case 0x6d: { // INS: the destination is checked before the port is read
        const linear = linearForWrite(SEG_ES, di, bytes);
        writeLinearSized(linear, size, portIn(getReg16(EDX), size));
        advance(EDI, di, step, addr32);
        break;
      }
      default: { // OUTS
        const v = readLinearSized(linearForRead(sourceSegment, si, bytes), size);
        portOut(getReg16(EDX), size, v);
        advance(ESI, si, step, addr32);
        break;
      }
    }
    if (!repeated) return;
    count = (count - 1) & addressMask;
    if (addr32) setReg32(ECX, count); else setReg16(ECX, count);
    if (count == 0) return;
    if (isCompare) {
      const zf = getZF();
      if ((prefixes & PREFIX_REP) != 0 ? !zf : zf) return;
    }
    if (++iterations >= ITERATIONS_PER_STEP) {
      // Not finished: execute this instruction again.
      setEip(load<u32>(INSTRUCTION_START));
      return;
    }
  }
}

// REP MOVS and STOS forward with 32-bit addresses: the elements up to the next page end on each
// side (at most `limit`) move at once, with memory.copy or memory.fill, when their segments are
// flat and their TLB entries allow the plain access (so no fault, device, dirty bit or code
// write can be among them). Returns how many moved; 0 leaves the next element to the loop.
function bulkRun(move: bool, size: u32, sourceSegment: u32, limit: u32): u32 {
  const bytes = size >> 3;
  const di = getReg32(EDI);
  const destination = runStart(SEG_ES, di, ACC_UNUSABLE | ACC_NO_WRITE | ACC_EXPAND_DOWN, tlbWriteMask);
  if (destination < 0) return 0;
  let room = 0x1000 - (<u32>destination & 0xfff);
  let source: i64 = 0;
  if (move) {
    const si = getReg32(ESI);
    source = runStart(sourceSegment, si, ACC_UNUSABLE | ACC_NO_READ | ACC_EXPAND_DOWN, tlbReadMask);
    if (source < 0) return 0;
    room = min(room, 0x1000 - (<u32>source & 0xfff));
  }
  const elements = min(limit, room / bytes);
  if (elements == 0) return 0;
  const length = elements * bytes;
  const to = <usize>GUEST_RAM + <usize>destination;
  if (move) {
    const from = <usize>GUEST_RAM + <usize>source;
    if (to > from && to < from + length) return 0; // a forward copy repeats what it wrote
    memory.copy(to, from, length);
    setReg32(ESI, getReg32(ESI) + length);
  } else {
    const value = getReg(EAX, size);
    const byte = value & 0xff;
    if (value != (size == 8 ? byte : size == 16 ? byte * 0x101 : byte * 0x01010101)) return 0;
    memory.fill(to, <u8>byte, length);
  }
  setReg32(EDI, di + length);
  return elements;
}

// The physical address of `offset` in a flat (4 GiB, expand-up) `seg` whose TLB entry passes
// `mask`, or -1.
function runStart(seg: u32, offset: u32, problems: u32, mask: u32): i64 {
  if ((load<u32>(SEG_ACCESS + (seg << 2)) & problems) != 0 || load<u32>(SEG_LIMIT + (seg << 2)) != 0xffffffff) return -1;
  const linear = load<u32>(SEG_BASE + (seg << 2)) + offset;
  const entry = tlbEntry(linear);
  if ((entry & mask) != TLB_VALID) return -1;
  return <i64>((entry & 0xfffff000) | (linear & 0xfff));
}

@inline function advance(reg: u32, value: u32, step: u32, addr32: bool): void {
  if (addr32) setReg32(reg, value + step); else setReg16(reg, (value + step) & 0xffff);
}
