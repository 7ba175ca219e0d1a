// Saving and restoring the x87 state: FNSTENV/FLDENV and FNSAVE/FRSTOR in their 16- and 32-bit,
// real- and protected-mode layouts (SDM vol. 1, 8.1.10, figures 8-9 to 8-12), and FXSAVE/FXRSTOR
// (SDM vol. 2, FXSAVE, table 3-53).
import { readField } from "../record";
import {
  DEC_OPSIZE32, DEC_SEGMENT, DEC_EA, FPU_IP, FPU_CS, FPU_DP, FPU_DS, FPU_OPCODE,
} from "../../layout";
import { raiseFault } from "../fault";
import { isProtectedMode, isVm86, EXC_GP } from "../state";
import { linearForRead, linearForWrite } from "../../mmu/segmentation";
import { readLinear16, readLinear32, writeLinear16, writeLinear32, writeLinear8, readLinear8, probeWrite } from "../../mmu/linear";
import {
  controlWord, setControlWord, statusWord, setStatusWord, tagWord, setTagWord, validMask, setValidMask,
  physical, regSE, regSig, setReg, initialize,
} from "./stack";

// This CPU has no SSE, so FXSAVE/FXRSTOR neither write nor read MXCSR and the XMM area, whatever
// CR4.OSFXSR says (as QEMU's pentium2 model behaves): bytes 24-31 and 160-511 are left alone.

/** Environment size in bytes: 28 with a 32-bit operand size, 14 with 16. */
@inline function environmentBytes(): u32 { return readField(DEC_OPSIZE32) != 0 ? 28 : 14; }
@inline function realAddressing(): bool { return !isProtectedMode() || isVm86(); }

/** Write the environment at `linear` (already checked for the whole image). */
function writeEnvironment(linear: u32): void {
  const wide = readField(DEC_OPSIZE32) != 0;
  const ip = load<u32>(FPU_IP), cs = load<u32>(FPU_CS), dp = load<u32>(FPU_DP), ds = load<u32>(FPU_DS);
  const opcode = load<u32>(FPU_OPCODE) & 0x7ff;
  if (wide) {
    writeLinear32(linear, controlWord());
    writeLinear32(linear + 4, statusWord());
    writeLinear32(linear + 8, tagWord());
    if (realAddressing()) {
      const ipLinear = (cs << 4) + ip, dpLinear = (ds << 4) + dp;
      writeLinear32(linear + 12, ipLinear & 0xffff);
      writeLinear32(linear + 16, ((ipLinear >> 16) << 12) | opcode);
      writeLinear32(linear + 20, dpLinear & 0xffff);
      writeLinear32(linear + 24, (dpLinear >> 16) << 12);
    } else {
      writeLinear32(linear + 12, ip);
      writeLinear32(linear + 16, (cs & 0xffff) | (opcode << 16));
      writeLinear32(linear + 20, dp);
      writeLinear32(linear + 24, ds & 0xffff);
    }
  } else {
    writeLinear16(linear, controlWord());
    writeLinear16(linear + 2, statusWord());
    writeLinear16(linear + 4, tagWord());
    if (realAddressing()) {
      const ipLinear = (cs << 4) + ip, dpLinear = (ds << 4) + dp;
      writeLinear16(linear + 6, ipLinear & 0xffff);
      writeLinear16(linear + 8, (((ipLinear >> 16) & 0xf) << 12) | opcode);
      writeLinear16(linear + 10, dpLinear & 0xffff);
      writeLinear16(linear + 12, ((dpLinear >> 16) & 0xf) << 12);
    } else {
      writeLinear16(linear + 6, ip);
      writeLinear16(linear + 8, cs);
      writeLinear16(linear + 10, dp);
      writeLinear16(linear + 12, ds);
    }
  }
}

/** Read an environment image; the caller reads everything before changing state. */
let envControl: u32 = 0, envStatus: u32 = 0, envTag: u32 = 0;
let envIp: u32 = 0, envCs: u32 = 0, envDp: u32 = 0, envDs: u32 = 0, envOpcode: u32 = 0;
function readEnvironment(linear: u32): void {
  if (readField(DEC_OPSIZE32) != 0) {
    envControl = readLinear16(linear);
    envStatus = readLinear16(linear + 4);
    envTag = readLinear16(linear + 8);
    const w12 = readLinear32(linear + 12), w16 = readLinear32(linear + 16);
    const w20 = readLinear32(linear + 20), w24 = readLinear32(linear + 24);
    if (realAddressing()) {
      envIp = (w12 & 0xffff) | (((w16 >> 12) & 0xffff) << 16); envCs = 0;
      envOpcode = w16 & 0x7ff;
      envDp = (w20 & 0xffff) | (((w24 >> 12) & 0xffff) << 16); envDs = 0;
    } else {
      envIp = w12; envCs = w16 & 0xffff; envOpcode = (w16 >> 16) & 0x7ff;
      envDp = w20; envDs = w24 & 0xffff;
    }
  } else {
    envControl = readLinear16(linear);
    envStatus = readLinear16(linear + 2);
    envTag = readLinear16(linear + 4);
    const w6 = readLinear16(linear + 6), w8 = readLinear16(linear + 8);
    const w10 = readLinear16(linear + 10), w12 = readLinear16(linear + 12);
    if (realAddressing()) {
      envIp = w6 | ((w8 >> 12) << 16); envCs = 0; envOpcode = w8 & 0x7ff;
      envDp = w10 | ((w12 >> 12) << 16); envDs = 0;
    } else {
      envIp = w6; envCs = w8; envOpcode = 0; envDp = w10; envDs = w12;
    }
  }
}

function applyEnvironment(): void {
  setControlWord(envControl);
  setStatusWord(envStatus);
  setTagWord(envTag);
  store<u32>(FPU_IP, envIp);
  store<u32>(FPU_CS, envCs);
  store<u32>(FPU_DP, envDp);
  store<u32>(FPU_DS, envDs);
  store<u32>(FPU_OPCODE, envOpcode);
}

/** FNSTENV: store the environment, then mask all exceptions (SDM vol. 2, FSTENV). */
export function storeEnvironment(): void {
  const bytes = environmentBytes();
  const linear = linearForWrite(readField(DEC_SEGMENT), readField(DEC_EA), bytes);
  probeWrite(linear, bytes);
  writeEnvironment(linear);
  setControlWord(controlWord() | 0x3f);
}

export function loadEnvironment(): void {
  const linear = linearForRead(readField(DEC_SEGMENT), readField(DEC_EA), environmentBytes());
  readEnvironment(linear);
  applyEnvironment();
}

/** FNSAVE: environment, then ST(0)..ST(7) as 80-bit values, then FNINIT. */
export function saveState(): void {
  const envBytes = environmentBytes();
  const linear = linearForWrite(readField(DEC_SEGMENT), readField(DEC_EA), envBytes + 80);
  probeWrite(linear, envBytes + 80);
  writeEnvironment(linear);
  for (let i: u32 = 0; i < 8; i++) {
    const p = physical(i);
    const at = linear + envBytes + i * 10;
    const sig = regSig(p);
    writeLinear32(at, <u32>sig);
    writeLinear32(at + 4, <u32>(sig >> 32));
    writeLinear16(at + 8, regSE(p));
  }
  initialize();
  store<u32>(FPU_IP, 0); store<u32>(FPU_CS, 0); store<u32>(FPU_DP, 0); store<u32>(FPU_DS, 0);
  store<u32>(FPU_OPCODE, 0);
}

/** FRSTOR: the inverse of FNSAVE. */
export function restoreState(): void {
  const envBytes = environmentBytes();
  const linear = linearForRead(readField(DEC_SEGMENT), readField(DEC_EA), envBytes + 80);
  // Touch the last byte first so a page fault happens before any state changes.
  readLinear8(linear + envBytes + 79);
  readEnvironment(linear);
  applyEnvironment();
  for (let i: u32 = 0; i < 8; i++) {
    const at = linear + envBytes + i * 10;
    const low = readLinear32(at), high = readLinear32(at + 4), se = readLinear16(at + 8);
    setReg(physical(i), se, (<u64>high << 32) | <u64>low);
  }
}

/** FXSAVE: 512-byte image, 16-byte aligned (#GP(0) otherwise). */
export function fxsave(): void {
  const linear = linearForWrite(readField(DEC_SEGMENT), readField(DEC_EA), 512);
  if ((linear & 15) != 0) raiseFault(EXC_GP, 0);
  probeWrite(linear, 160);
  writeLinear16(linear, controlWord());
  writeLinear16(linear + 2, statusWord());
  writeLinear8(linear + 4, validMask()); // abridged tag: one bit per register, 1 = not empty
  writeLinear8(linear + 5, 0);
  writeLinear16(linear + 6, load<u32>(FPU_OPCODE) & 0x7ff);
  writeLinear32(linear + 8, load<u32>(FPU_IP));
  writeLinear32(linear + 12, load<u32>(FPU_CS) & 0xffff);
  writeLinear32(linear + 16, load<u32>(FPU_DP));
  writeLinear32(linear + 20, load<u32>(FPU_DS) & 0xffff);
  for (let i: u32 = 0; i < 8; i++) {
    const p = physical(i);
    const at = linear + 32 + i * 16;
    const sig = regSig(p);
    writeLinear32(at, <u32>sig);
    writeLinear32(at + 4, <u32>(sig >> 32));
    writeLinear16(at + 8, regSE(p));
  }
}

/** FXRSTOR: the inverse of FXSAVE. */
export function fxrstor(): void {
  const linear = linearForRead(readField(DEC_SEGMENT), readField(DEC_EA), 512);
  if ((linear & 15) != 0) raiseFault(EXC_GP, 0);
  readLinear8(linear + 159);
  setControlWord(readLinear16(linear));
  setStatusWord(readLinear16(linear + 2));
  setValidMask(readLinear8(linear + 4));
  store<u32>(FPU_OPCODE, readLinear16(linear + 6) & 0x7ff);
  store<u32>(FPU_IP, readLinear32(linear + 8));
  store<u32>(FPU_CS, readLinear16(linear + 12));
  store<u32>(FPU_DP, readLinear32(linear + 16));
  store<u32>(FPU_DS, readLinear16(linear + 20));
  for (let i: u32 = 0; i < 8; i++) {
    const at = linear + 32 + i * 16;
    const low = readLinear32(at), high = readLinear32(at + 4), se = readLinear16(at + 8);
    setReg(physical(i), se, (<u64>high << 32) | <u64>low);
  }
}
