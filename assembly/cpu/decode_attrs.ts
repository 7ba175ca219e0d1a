// Bit layout of the per-opcode decode attributes generated from the opcode table
// (src/isa/opcodes.ts → assembly/cpu/decode_table.generated.ts). Plain constants: imported by
// AssemblyScript (decoder) and TypeScript (generator, disassembler).

export const ATTR_MODRM = 1 << 0; // a ModRM byte follows the opcode
export const ATTR_IMM_SHIFT = 1; // immediate kind, 4 bits (IMM_*)
export const ATTR_IMM_MASK = 0xf << 1;
export const ATTR_LOCKABLE = 1 << 5; // LOCK allowed (with a memory destination)
export const ATTR_UNDEFINED = 1 << 6; // raises #UD
export const ATTR_GROUP = 1 << 7; // attributes depend on ModRM.reg: see GROUP_ATTRS
export const ATTR_BLOCK_END = 1 << 8; // ends a translation block (control transfer, mode change)
export const ATTR_PRIVILEGED = 1 << 9; // needs CPL 0 (else #GP(0))
export const ATTR_SENSITIVE = 1 << 10; // sensitive but unprivileged (Popek & Goldberg)
export const ATTR_BYTE = 1 << 11; // byte-sized operands
export const ATTR_MEM_ONLY = 1 << 12; // ModRM.mod == 3 raises #UD
export const ATTR_MODRM_REG_ONLY = 1 << 13; // mod is ignored, rm names a register (MOV CRn/DRn)
export const ATTR_IO = 1 << 14; // port I/O (IOPL / TSS bitmap checks)

// Immediate kinds (ATTR_IMM_MASK >> ATTR_IMM_SHIFT).
export const IMM_NONE = 0;
export const IMM_B = 1; // 8-bit (Ib, Jb)
export const IMM_W = 2; // 16-bit (Iw)
export const IMM_Z = 3; // 16 or 32 bits by operand size (Iz, Iv, Jz)
export const IMM_FAR = 4; // far pointer Ap: offset (16/32 by operand size) then 16-bit selector
export const IMM_ENTER = 5; // Iw then Ib (ENTER)
export const IMM_MOFFS = 6; // Ob/Ov: offset of address size
export const IMM_GROUP3 = 7; // F6/F7: an immediate only for ModRM.reg 0 and 1 (TEST)

// Prefix bits in DEC_PREFIXES.
export const PREFIX_OPSIZE = 1 << 0; // 66
export const PREFIX_ADDRSIZE = 1 << 1; // 67
export const PREFIX_LOCK = 1 << 2; // F0
export const PREFIX_REPNE = 1 << 3; // F2
export const PREFIX_REP = 1 << 4; // F3
export const PREFIX_SEGMENT = 1 << 5; // a segment override is present (DEC_SEGMENT)
