// System-register instructions: descriptor-table registers (group 7), LDTR/TR and descriptor
// queries (group 6, LAR, LSL), control and debug registers, CPUID, MSRs, TSC, SYSENTER/SYSEXIT
// (SDM vol. 2 for each; vol. 3, 2.5 and 2.8).
import { readField, writeField } from "./record";
import {
  GDTR_BASE, GDTR_LIMIT, IDTR_BASE, IDTR_LIMIT, CR0, CR2, CR3, CR4, DR0, SEG_CS, SEG_SS, SEG_LDTR,
  SEG_TR, SEG_SELECTOR, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_APIC_BASE, INSTRUCTIONS_RETIRED,
  TSC_OFFSET, DEC_SEGMENT, DEC_EA,
} from "../layout";
import {
  getReg32, setReg32, setEip, getCpl, isProtectedMode, isVm86, ECX, EDX, EAX, EBX, ESP,
  CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_TS, CR0_MP, CR0_EM, CR0_NW, CR0_CD, CR4_PGE, CR4_PSE, CR4_DE,
  CR4_TSD, CR4_SUPPORTED, FLAG_ZF, FLAG_IF, FLAG_VM, FLAG_RF, EXC_GP, EXC_UD,
  ACC_S, ACC_CODE, ACC_DC, ACC_P, ACC_RW, ACC_DB, ACC_G, ACC_ACCESSED, ACC_DPL_SHIFT, ACC_UNUSABLE,
} from "./state";
import { raiseFault } from "./fault";
import { getFlags, setFlags, setFlagBits } from "./flags";
import {
  readDescriptor, descLow, descHigh, descriptorBase, descriptorLimit, descriptorAccess, accessDpl,
  accessType, setSegmentCache, setSegmentUnusable, writeDescriptorHigh, setCpl, TYPE_LDT,
  TYPE_TSS16_AVAILABLE, TYPE_TSS32_AVAILABLE,
} from "./descriptors";
import {
  readE, writeE, readG, writeG, vSize, modIsRegister, decodedRm, decodedReg, eaLinearRead,
  eaLinearWrite, setReg,
} from "./operands";
import { readLinear16, readLinear32, writeLinear16, writeLinear32 } from "../mmu/linear";
import { tlbFlush, tlbInvalidatePage, tlbEntry, TLB_LARGE } from "../mmu/tlb";
import { syncInstructionsRetired, updateTscAtBudgetEnd } from "./run";
import { rememberAddressSpace, reloadAddressSpace } from "../mmu/address_spaces";

@inline function requireProtectedMode(): void { if (!isProtectedMode() || isVm86()) raiseFault(EXC_UD, -1); }
@inline function requireCpl0(): void { if (getCpl() != 0) raiseFault(EXC_GP, 0); }
@inline function selectorOf(seg: u32): u32 { return load<u32>(SEG_SELECTOR + (seg << 2)); }

// ---- Group 6: SLDT STR LLDT LTR VERR VERW ------------------------------------------------------
export function group6(): void {
  requireProtectedMode();
  switch (decodedReg()) {
    case 0: storeSelector(selectorOf(SEG_LDTR)); break;
    case 1: storeSelector(selectorOf(SEG_TR)); break;
    case 2: requireCpl0(); loadLdtr(readE(16)); break;
    case 3: requireCpl0(); loadTaskRegister(readE(16)); break;
    case 4: verify(readE(16), false); break;
    case 5: verify(readE(16), true); break;
    default: raiseFault(EXC_UD, -1);
  }
}

// SLDT/STR: a register destination with 32-bit operand size gets the zero-extended selector.
function storeSelector(selector: u32): void {
  if (modIsRegister()) setReg(decodedRm(), vSize(), selector);
  else writeE(16, selector);
}

function loadLdtr(selector: u32): void {
  if ((selector & 0xfffc) == 0) { setSegmentUnusable(SEG_LDTR, selector); return; }
  if ((selector & 4) != 0 || !readDescriptor(selector)) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
  const access = descriptorAccess(descHigh);
  if ((access & ACC_S) != 0 || accessType(access) != TYPE_LDT) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
  if ((access & ACC_P) == 0) raiseFault(11, <i32>(selector & 0xfffc));
  setSegmentCache(SEG_LDTR, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), access);
}

function loadTaskRegister(selector: u32): void {
  if ((selector & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  if ((selector & 4) != 0 || !readDescriptor(selector)) raiseFault(EXC_GP, <i32>(selector & 0xfffc));
  const access = descriptorAccess(descHigh);
  const type = accessType(access);
  if ((access & ACC_S) != 0 || (type != TYPE_TSS16_AVAILABLE && type != TYPE_TSS32_AVAILABLE)) {
    raiseFault(EXC_GP, <i32>(selector & 0xfffc));
  }
  if ((access & ACC_P) == 0) raiseFault(11, <i32>(selector & 0xfffc));
  // Mark the TSS busy (type bit 1) in the GDT and in the cached copy.
  writeDescriptorHigh(descHigh | (2 << 8));
  setSegmentCache(SEG_TR, selector, descriptorBase(descLow, descHigh), descriptorLimit(descLow, descHigh), access | 2);
}

/** VERR/VERW: ZF = 1 when the segment is readable/writable from the current privilege. */
function verify(selector: u32, write: bool): void {
  let ok = false;
  if ((selector & 0xfffc) != 0 && readDescriptor(selector)) {
    const access = descriptorAccess(descHigh);
    const dpl = accessDpl(access);
    const conforming = (access & (ACC_CODE | ACC_DC)) == (ACC_CODE | ACC_DC);
    if ((access & ACC_S) != 0 && (conforming || (dpl >= getCpl() && dpl >= (selector & 3)))) {
      if (write) ok = (access & ACC_CODE) == 0 && (access & ACC_RW) != 0;
      else ok = (access & ACC_CODE) == 0 || (access & ACC_RW) != 0;
    }
  }
  setFlagBits(FLAG_ZF, ok ? FLAG_ZF : 0);
}

/** Common part of LAR and LSL: ZF and whether the descriptor is visible from here. */
function queryDescriptor(selector: u32, forLimit: bool): bool {
  if ((selector & 0xfffc) == 0 || !readDescriptor(selector)) return false;
  const access = descriptorAccess(descHigh);
  const dpl = accessDpl(access);
  if ((access & ACC_S) == 0) {
    const type = accessType(access);
    // LAR accepts TSS, LDT and gates; LSL only what has a limit (SDM vol. 2, LAR and LSL).
    const valid = forLimit
      ? type == 1 || type == 2 || type == 3 || type == 9 || type == 11
      : type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 9 || type == 11 || type == 12;
    if (!valid) return false;
  } else if ((access & (ACC_CODE | ACC_DC)) == (ACC_CODE | ACC_DC)) {
    return true; // conforming code: no privilege check
  }
  return dpl >= getCpl() && dpl >= (selector & 3);
}

export function loadAccessRights(): void {
  requireProtectedMode();
  const selector = readE(16);
  if (queryDescriptor(selector, false)) {
    // Limit bits 19:16 are not part of the access rights (SDM vol. 2, LAR: masked by 00FxFF00H).
    writeG(vSize(), descHigh & (vSize() == 32 ? 0x00f0ff00 : 0xff00));
    setFlagBits(FLAG_ZF, FLAG_ZF);
  } else {
    setFlagBits(FLAG_ZF, 0);
  }
}

export function loadSegmentLimit(): void {
  requireProtectedMode();
  const selector = readE(16);
  if (queryDescriptor(selector, true)) {
    const limit = descriptorLimit(descLow, descHigh);
    writeG(vSize(), vSize() == 32 ? limit : limit & 0xffff);
    setFlagBits(FLAG_ZF, FLAG_ZF);
  } else {
    setFlagBits(FLAG_ZF, 0);
  }
}

// ---- Group 7: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG -------------------------------------------
export function group7(): void {
  const operand32 = vSize() == 32;
  switch (decodedReg()) {
    case 0: storeTableRegister(GDTR_BASE, GDTR_LIMIT, operand32); break;
    case 1: storeTableRegister(IDTR_BASE, IDTR_LIMIT, operand32); break;
    case 2: requireCpl0(); loadTableRegister(GDTR_BASE, GDTR_LIMIT, operand32); break;
    case 3: requireCpl0(); loadTableRegister(IDTR_BASE, IDTR_LIMIT, operand32); break;
    case 4: { // SMSW: a register destination gets CR0 (all of it with a 32-bit operand)
      const cr0 = load<u32>(CR0);
      if (modIsRegister()) setReg(decodedRm(), vSize(), cr0);
      else writeE(16, cr0 & 0xffff);
      break;
    }
    case 6: { // LMSW: PE, MP, EM, TS; PE can be set but not cleared
      requireCpl0();
      const value = readE(16);
      const cr0 = load<u32>(CR0);
      const updated = (cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (value & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
      writeCr0(updated);
      break;
    }
    case 7: { // INVLPG m
      requireCpl0();
      const linear = load<u32>(0x4a0 + (readField(DEC_SEGMENT) << 2)) + readField(DEC_EA);
      invalidatePage(linear);
      break;
    }
    default: raiseFault(EXC_UD, -1);
  }
}

function invalidatePage(linear: u32): void {
  // A 4 MiB page is cached as 1024 small entries: drop them all.
  if ((tlbEntry(linear) & TLB_LARGE) != 0) {
    const first = linear & 0xffc00000;
    for (let i: u32 = 0; i < 1024; i++) tlbInvalidatePage(first + (i << 12));
  } else {
    tlbInvalidatePage(linear);
  }
}

function storeTableRegister(baseField: u32, limitField: u32, operand32: bool): void {
  const linear = eaLinearWrite(48);
  writeLinear16(linear, load<u32>(limitField));
  const base = load<u32>(baseField);
  writeLinear32(linear + 2, operand32 ? base : base & 0x00ffffff);
}

function loadTableRegister(baseField: u32, limitField: u32, operand32: bool): void {
  const linear = eaLinearRead(48);
  const limit = readLinear16(linear);
  const base = readLinear32(linear + 2);
  store<u32>(limitField, limit);
  store<u32>(baseField, operand32 ? base : base & 0x00ffffff);
}

// ---- Control and debug registers ------------------------------------------------------------
export function moveFromControl(): void {
  requireCpl0();
  let value: u32;
  switch (decodedReg()) {
    case 0: value = load<u32>(CR0); break;
    case 2: value = load<u32>(CR2); break;
    case 3: value = load<u32>(CR3); break;
    case 4: value = load<u32>(CR4); break;
    default: raiseFault(EXC_UD, -1); return;
  }
  setReg32(decodedRm(), value);
}

export function moveToControl(): void {
  requireCpl0();
  const value = getReg32(decodedRm());
  switch (decodedReg()) {
    case 0: writeCr0(value); break;
    case 2: store<u32>(CR2, value); break;
    case 3: {
      const paging = (load<u32>(CR0) & CR0_PG) != 0;
      if (paging) rememberAddressSpace(load<u32>(CR3) & 0xfffff000);
      store<u32>(CR3, value & 0xfffff018);
      tlbFlush(true);
      if (paging) reloadAddressSpace(value & 0xfffff000);
      break;
    }
    case 4: {
      if ((value & ~CR4_SUPPORTED) != 0) raiseFault(EXC_GP, 0);
      const old = load<u32>(CR4);
      store<u32>(CR4, value);
      if (((old ^ value) & (CR4_PGE | CR4_PSE)) != 0) tlbFlush(false);
      break;
    }
    default: raiseFault(EXC_UD, -1);
  }
}

export function writeCr0(requested: u32): void {
  // PG without PE, and NW without CD, are #GP(0) (SDM vol. 3, 2.5). ET is hardwired to 1.
  if ((requested & CR0_PG) != 0 && (requested & CR0_PE) == 0) raiseFault(EXC_GP, 0);
  if ((requested & CR0_NW) != 0 && (requested & CR0_CD) == 0) raiseFault(EXC_GP, 0);
  const value = (requested & 0xe005003f) | CR0_ET;
  const old = load<u32>(CR0);
  store<u32>(CR0, value);
  if (((old ^ value) & (CR0_PG | CR0_WP | CR0_PE)) != 0) tlbFlush(false);
  if ((value & CR0_PE) == 0) setCpl(0);
}

export function moveFromDebug(): void {
  requireCpl0();
  setReg32(decodedRm(), load<u32>(DR0 + (debugRegisterIndex() << 2)));
}

export function moveToDebug(): void {
  requireCpl0();
  const index = debugRegisterIndex();
  let value = getReg32(decodedRm());
  // DR6 and DR7 have fixed bits (SDM vol. 3, 17.2).
  if (index == 6) value = (value & 0x0000e00f) | 0xffff0ff0;
  else if (index == 7) value = (value & 0xffff2bff) | 0x400;
  store<u32>(DR0 + (index << 2), value);
}

function debugRegisterIndex(): u32 {
  let index = decodedReg();
  if (index == 4 || index == 5) {
    // DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined.
    if ((load<u32>(CR4) & CR4_DE) != 0) raiseFault(EXC_UD, -1);
    index += 2;
  }
  return index;
}

export function clts(): void {
  requireCpl0();
  store<u32>(CR0, load<u32>(CR0) & ~CR0_TS);
}

export function invalidateCaches(): void {
  requireCpl0(); // INVD/WBINVD: no caches are modelled
}

// ---- CPUID (SDM vol. 2, CPUID) ----------------------------------------------------------------
// A P6-family processor (Pentium II, family 6 model 5 stepping 2: the signature QEMU's
// `-cpu pentium2` reports) declaring exactly the features this CPU implements.
export const CPUID_FEATURE_FPU: u32 = 1 << 0; // x87 FPU on chip
export const CPUID_FEATURE_PSE: u32 = 1 << 3;
export const CPUID_FEATURE_TSC: u32 = 1 << 4;
export const CPUID_FEATURE_MSR: u32 = 1 << 5;
export const CPUID_FEATURE_CX8: u32 = 1 << 8;
export const CPUID_FEATURE_SEP: u32 = 1 << 11;
export const CPUID_FEATURE_PGE: u32 = 1 << 13;
export const CPUID_FEATURE_APIC: u32 = 1 << 9; // on-chip local APIC (the host's LocalApic)
export const CPUID_FEATURE_CMOV: u32 = 1 << 15;
export const CPUID_FEATURE_FXSR: u32 = 1 << 24; // FXSAVE/FXRSTOR, CR4.OSFXSR
const CPUID_FEATURES_EDX: u32 = CPUID_FEATURE_FPU | CPUID_FEATURE_FXSR | CPUID_FEATURE_PSE | CPUID_FEATURE_TSC | CPUID_FEATURE_MSR |
  CPUID_FEATURE_CX8 | CPUID_FEATURE_APIC | CPUID_FEATURE_SEP | CPUID_FEATURE_PGE | CPUID_FEATURE_CMOV;
const CPUID_SIGNATURE: u32 = 0x0652; // family 6, model 5, stepping 2
const CPUID_MAX_LEAF: u32 = 2;

export function cpuid(): void {
  let leaf = getReg32(EAX);
  // An unsupported leaf returns the highest basic leaf's data (SDM vol. 2, CPUID).
  if (leaf > CPUID_MAX_LEAF) leaf = CPUID_MAX_LEAF;
  switch (leaf) {
    case 0: {
      setReg32(EAX, CPUID_MAX_LEAF);
      setReg32(EBX, 0x756e6547); // "Genu"
      setReg32(EDX, 0x49656e69); // "ineI"
      setReg32(ECX, 0x6c65746e); // "ntel"
      break;
    }
    case 1: {
      setReg32(EAX, CPUID_SIGNATURE);
      setReg32(EBX, 0);
      setReg32(ECX, 0);
      setReg32(EDX, CPUID_FEATURES_EDX);
      break;
    }
    default: {
      // Leaf 2: one iteration, no cache descriptors.
      setReg32(EAX, 1);
      setReg32(EBX, 0);
      setReg32(ECX, 0);
      setReg32(EDX, 0);
      break;
    }
  }
}

// ---- MSRs and the TSC (SDM vol. 4) --------------------------------------------------------------
export const MSR_TSC: u32 = 0x10;
export const MSR_INDEX_APIC_BASE: u32 = 0x1b; // IA32_APIC_BASE (SDM vol. 3, 10.4.4)
export const MSR_INDEX_PLATFORM_ID: u32 = 0x17; // IA32_PLATFORM_ID, read-only (SDM vol. 4, table 2-3)
export const MSR_INDEX_BIOS_SIGN_ID: u32 = 0x8b; // IA32_BIOS_SIGN_ID: microcode revision (SDM vol. 3, 9.11.7)
export const APIC_BASE_BSP: u32 = 1 << 8;
export const APIC_BASE_ENABLE: u32 = 1 << 11;
const APIC_BASE_FLAGS: u32 = APIC_BASE_BSP | APIC_BASE_ENABLE;
/** IA32_APIC_BASE at reset: the default base, this CPU the bootstrap processor, APIC enabled. */
export const APIC_BASE_RESET: u32 = 0xfee00000 | APIC_BASE_BSP | APIC_BASE_ENABLE;
export const MSR_INDEX_SYSENTER_CS: u32 = 0x174;
export const MSR_INDEX_SYSENTER_ESP: u32 = 0x175;
export const MSR_INDEX_SYSENTER_EIP: u32 = 0x176;

/** TSC: retired instructions plus an offset, so runs are reproducible. */
export function readTsc(): u64 {
  syncInstructionsRetired();
  return load<u64>(INSTRUCTIONS_RETIRED) + load<u64>(TSC_OFFSET);
}

export function rdmsr(): void {
  requireCpl0();
  let value: u64 = 0;
  switch (getReg32(ECX)) {
    case MSR_TSC: value = readTsc(); break;
    case MSR_INDEX_SYSENTER_CS: value = load<u32>(MSR_SYSENTER_CS); break;
    case MSR_INDEX_SYSENTER_ESP: value = load<u32>(MSR_SYSENTER_ESP); break;
    case MSR_INDEX_SYSENTER_EIP: value = load<u32>(MSR_SYSENTER_EIP); break;
    case MSR_INDEX_APIC_BASE: value = load<u32>(MSR_APIC_BASE); break;
    case MSR_INDEX_BIOS_SIGN_ID: value = 0; break; // no microcode update loaded: revision 0
    case MSR_INDEX_PLATFORM_ID: value = 0; break; // platform 0 in bits 52:50
    default: raiseFault(EXC_GP, 0);
  }
  setReg32(EAX, <u32>value);
  setReg32(EDX, <u32>(value >> 32));
}

export function wrmsr(): void {
  requireCpl0();
  const value = (<u64>getReg32(EDX) << 32) | <u64>getReg32(EAX);
  switch (getReg32(ECX)) {
    case MSR_TSC: {
      syncInstructionsRetired();
      store<u64>(TSC_OFFSET, value - load<u64>(INSTRUCTIONS_RETIRED));
      updateTscAtBudgetEnd();
      break;
    }
    case MSR_INDEX_SYSENTER_CS: store<u32>(MSR_SYSENTER_CS, <u32>value & 0xffff); break;
    case MSR_INDEX_SYSENTER_ESP: store<u32>(MSR_SYSENTER_ESP, <u32>value); break;
    case MSR_INDEX_SYSENTER_EIP: store<u32>(MSR_SYSENTER_EIP, <u32>value); break;
    case MSR_INDEX_BIOS_SIGN_ID: break; // software clears it before CPUID; nothing to keep
    case MSR_INDEX_APIC_BASE: {
      // The base stays where the platform maps the APIC (0xFEE00000): only BSP and enable change.
      if ((value >> 32) != 0) raiseFault(EXC_GP, 0);
      store<u32>(MSR_APIC_BASE, (load<u32>(MSR_APIC_BASE) & 0xfffff000) | (<u32>value & APIC_BASE_FLAGS));
      break;
    }
    default: raiseFault(EXC_GP, 0);
  }
}

export function rdtsc(): void {
  if ((load<u32>(CR4) & CR4_TSD) != 0 && getCpl() != 0 && isProtectedMode()) raiseFault(EXC_GP, 0);
  const tsc = readTsc();
  setReg32(EAX, <u32>tsc);
  setReg32(EDX, <u32>(tsc >> 32));
}

// ---- SYSENTER / SYSEXIT (SDM vol. 2) -------------------------------------------------------------
const FLAT_CODE_ACCESS: u32 = ACC_G | ACC_DB | ACC_P | ACC_S | ACC_CODE | ACC_RW | ACC_ACCESSED;
const FLAT_DATA_ACCESS: u32 = ACC_G | ACC_DB | ACC_P | ACC_S | ACC_RW | ACC_ACCESSED;

export function sysenter(): void {
  const cs = load<u32>(MSR_SYSENTER_CS);
  if (!isProtectedMode() || (cs & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  setFlags(getFlags() & ~(FLAG_VM | FLAG_IF | FLAG_RF));
  setSegmentCache(SEG_CS, cs & 0xfffc, 0, 0xffffffff, FLAT_CODE_ACCESS);
  setSegmentCache(SEG_SS, (cs & 0xfffc) + 8, 0, 0xffffffff, FLAT_DATA_ACCESS);
  setCpl(0);
  setReg32(ESP, load<u32>(MSR_SYSENTER_ESP));
  setEip(load<u32>(MSR_SYSENTER_EIP));
}

export function sysexit(): void {
  const cs = load<u32>(MSR_SYSENTER_CS);
  if (!isProtectedMode() || isVm86() || getCpl() != 0 || (cs & 0xfffc) == 0) raiseFault(EXC_GP, 0);
  setSegmentCache(SEG_CS, ((cs + 16) & 0xfffc) | 3, 0, 0xffffffff, FLAT_CODE_ACCESS | (3 << ACC_DPL_SHIFT));
  setSegmentCache(SEG_SS, ((cs + 24) & 0xfffc) | 3, 0, 0xffffffff, FLAT_DATA_ACCESS | (3 << ACC_DPL_SHIFT));
  setCpl(3);
  setReg32(ESP, getReg32(ECX));
  setEip(getReg32(EDX));
}
