// Register file access and the architectural bit definitions the whole CPU uses.
import {
  REGS, REG_EIP, REG_EFLAGS, SEG_SELECTOR, SEG_BASE, SEG_LIMIT, SEG_ACCESS, CPL, CR0, CR4,
} from "../layout";

// ---- EFLAGS (SDM vol. 1, 3.4.3) --------------------------------------------------------------
export const FLAG_CF: u32 = 1 << 0; // carry
export const FLAG_RESERVED1: u32 = 1 << 1; // always 1
export const FLAG_PF: u32 = 1 << 2; // parity of the low result byte
export const FLAG_AF: u32 = 1 << 4; // auxiliary carry out of bit 3
export const FLAG_ZF: u32 = 1 << 6; // zero
export const FLAG_SF: u32 = 1 << 7; // sign
export const FLAG_TF: u32 = 1 << 8; // single-step trap
export const FLAG_IF: u32 = 1 << 9; // interrupts enabled
export const FLAG_DF: u32 = 1 << 10; // string direction
export const FLAG_OF: u32 = 1 << 11; // overflow
export const FLAG_IOPL: u32 = 3 << 12; // I/O privilege level
export const FLAG_IOPL_SHIFT: u32 = 12;
export const FLAG_NT: u32 = 1 << 14; // nested task
export const FLAG_RF: u32 = 1 << 16; // resume
export const FLAG_VM: u32 = 1 << 17; // virtual-8086 mode
export const FLAG_AC: u32 = 1 << 18; // alignment check
export const FLAG_VIF: u32 = 1 << 19; // virtual interrupt flag
export const FLAG_VIP: u32 = 1 << 20; // virtual interrupt pending
export const FLAG_ID: u32 = 1 << 21; // CPUID available (toggleable)
export const FLAGS_ARITH: u32 = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
// Bits an i686 lets software change (SDM vol. 1, 3.4.3; VIF/VIP only through VME paths).
export const FLAGS_WRITABLE: u32 =
  FLAGS_ARITH | FLAG_TF | FLAG_IF | FLAG_DF | FLAG_IOPL | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID;

// ---- Control registers (SDM vol. 3, 2.5) -----------------------------------------------------
export const CR0_PE: u32 = 1 << 0; // protection enable
export const CR0_MP: u32 = 1 << 1; // monitor coprocessor
export const CR0_EM: u32 = 1 << 2; // x87 emulation
export const CR0_TS: u32 = 1 << 3; // task switched
export const CR0_ET: u32 = 1 << 4; // extension type (hardwired 1 on P6)
export const CR0_NE: u32 = 1 << 5; // native x87 error reporting
export const CR0_WP: u32 = 1 << 16; // supervisor write protect
export const CR0_AM: u32 = 1 << 18; // alignment mask
export const CR0_NW: u32 = 1 << 29; // not write-through
export const CR0_CD: u32 = 1 << 30; // cache disable
export const CR0_PG: u32 = 1 << 31; // paging
export const CR4_VME: u32 = 1 << 0; // virtual-8086 mode extensions
export const CR4_PVI: u32 = 1 << 1; // protected-mode virtual interrupts
export const CR4_TSD: u32 = 1 << 2; // RDTSC privileged
export const CR4_DE: u32 = 1 << 3; // debugging extensions
export const CR4_PSE: u32 = 1 << 4; // 4 MiB pages
export const CR4_PAE: u32 = 1 << 5; // physical address extension (not offered)
export const CR4_MCE: u32 = 1 << 6; // machine-check enable
export const CR4_PGE: u32 = 1 << 7; // global pages
export const CR4_PCE: u32 = 1 << 8; // RDPMC at any CPL
export const CR4_OSFXSR: u32 = 1 << 9; // OS uses FXSAVE/FXRSTOR (SDM vol. 3, 2.5)
// CR4 bits this CPU implements; setting any other bit is #GP(0).
export const CR4_SUPPORTED: u32 = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR;

// ---- Exception vectors (SDM vol. 3, 6.15) ----------------------------------------------------
export const EXC_DE: u32 = 0; // divide error
export const EXC_DB: u32 = 1; // debug
export const EXC_NMI: u32 = 2;
export const EXC_BP: u32 = 3; // breakpoint (INT3)
export const EXC_OF: u32 = 4; // overflow (INTO)
export const EXC_BR: u32 = 5; // BOUND range exceeded
export const EXC_UD: u32 = 6; // invalid opcode
export const EXC_NM: u32 = 7; // device not available
export const EXC_DF: u32 = 8; // double fault
export const EXC_TS: u32 = 10; // invalid TSS
export const EXC_NP: u32 = 11; // segment not present
export const EXC_SS: u32 = 12; // stack-segment fault
export const EXC_GP: u32 = 13; // general protection
export const EXC_PF: u32 = 14; // page fault
export const EXC_MF: u32 = 16; // x87 floating-point error
export const EXC_AC: u32 = 17; // alignment check
export const EXC_MC: u32 = 18; // machine check

// ---- Segment descriptor access bits, as stored in SEG_ACCESS (descriptor bits 40..55) --------
export const ACC_ACCESSED: u32 = 1 << 0;
export const ACC_RW: u32 = 1 << 1; // data: writable; code: readable
export const ACC_DC: u32 = 1 << 2; // data: expand-down; code: conforming
export const ACC_CODE: u32 = 1 << 3; // executable
export const ACC_S: u32 = 1 << 4; // code/data (1) or system (0)
export const ACC_DPL_SHIFT: u32 = 5;
export const ACC_P: u32 = 1 << 7; // present
export const ACC_DB: u32 = 1 << 14; // default operation size / big
export const ACC_G: u32 = 1 << 15; // 4 KiB granularity
// Internal bits above the descriptor's, derived when a segment register is loaded so the
// per-access check is one mask test (mmu/segmentation.ts).
export const ACC_UNUSABLE: u32 = 1 << 16; // null selector loaded: every access faults
export const ACC_NO_READ: u32 = 1 << 17; // execute-only code segment
export const ACC_NO_WRITE: u32 = 1 << 18; // code or read-only data segment
export const ACC_EXPAND_DOWN: u32 = 1 << 19; // expand-down data segment

// ---- General registers ------------------------------------------------------------------------
export const EAX: u32 = 0;
export const ECX: u32 = 1;
export const EDX: u32 = 2;
export const EBX: u32 = 3;
export const ESP: u32 = 4;
export const EBP: u32 = 5;
export const ESI: u32 = 6;
export const EDI: u32 = 7;

@inline export function getReg32(r: u32): u32 { return load<u32>(REGS + (r << 2)); }
@inline export function setReg32(r: u32, v: u32): void { store<u32>(REGS + (r << 2), v); }
@inline export function getReg16(r: u32): u32 { return load<u16>(REGS + (r << 2)); }
@inline export function setReg16(r: u32, v: u32): void { store<u16>(REGS + (r << 2), v); }
// 8-bit registers: AL CL DL BL are byte 0 of EAX..EBX, AH CH DH BH byte 1.
@inline export function getReg8(r: u32): u32 { return load<u8>(REGS + ((r & 3) << 2) + (r >> 2)); }
@inline export function setReg8(r: u32, v: u32): void { store<u8>(REGS + ((r & 3) << 2) + (r >> 2), v); }

@inline export function getEip(): u32 { return load<u32>(REG_EIP); }
@inline export function setEip(v: u32): void { store<u32>(REG_EIP, v); }
@inline export function getFlagsRaw(): u32 { return load<u32>(REG_EFLAGS); }
@inline export function setFlagsRaw(v: u32): void { store<u32>(REG_EFLAGS, v); }

@inline export function segSelector(seg: u32): u32 { return load<u32>(SEG_SELECTOR + (seg << 2)); }
@inline export function segBase(seg: u32): u32 { return load<u32>(SEG_BASE + (seg << 2)); }
@inline export function segLimit(seg: u32): u32 { return load<u32>(SEG_LIMIT + (seg << 2)); }
@inline export function segAccess(seg: u32): u32 { return load<u32>(SEG_ACCESS + (seg << 2)); }

@inline export function getCpl(): u32 { return load<u32>(CPL); }
@inline export function getCr0(): u32 { return load<u32>(CR0); }
@inline export function getCr4(): u32 { return load<u32>(CR4); }
@inline export function isProtectedMode(): bool { return (load<u32>(CR0) & CR0_PE) != 0; }
@inline export function isVm86(): bool { return (load<u32>(REG_EFLAGS) & FLAG_VM) != 0; }
