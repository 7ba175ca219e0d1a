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

  for (;;) {
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

@inline function advance(reg: u32, value: u32, step: u32, addr32: bool): void {
  if (addr32) setReg32(reg, value + step); else setReg16(reg, (value + step) & 0xffff);
}
