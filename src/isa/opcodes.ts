// The opcode table: every one-byte and 0F two-byte opcode an i686 (P6 family, no MMX/SSE) executes
// in 16- and 32-bit modes, in the operand notation of Intel SDM vol. 2, appendix A (A.2 "Key to
// abbreviations", tables A-2 and A-3, group table A-6). Decode attributes, the disassembler and
// test generators are all derived from this one table (STYLE.md practice 1). An opcode (or group
// member) that has no row here raises #UD.

/** How a row's operation may be used, beyond its operands. */
export type OpcodeFlag =
  | "lock" // LOCK prefix allowed (with a memory destination) — SDM vol. 2 "LOCK"
  | "privileged" // CPL 0 only, else #GP(0)
  | "sensitive" // sensitive but unprivileged (Popek & Goldberg): reveals or alters privileged state
  | "block-end" // ends a translation block: control transfer, mode/interrupt-shadow change
  | "mem-only" // ModRM.mod == 3 raises #UD
  | "reg-only" // ModRM.mod is ignored and rm names a register (MOV CRn/DRn)
  | "io" // port I/O: IOPL and TSS I/O bitmap checks
  | "raises-ud" // always raises #UD (UD1, UD2)
  | "x87"; // floating-point escape (D8-DF), semantics elsewhere

export interface OpcodeRow {
  /** 0x00-0xff one-byte map; 0x100-0x1ff = 0F xx two-byte map. */
  opcode: number;
  /** ModRM.reg (0-7) for a member of a group (opcode extension, SDM table A-6). */
  reg?: number;
  /** Intel mnemonic, upper case; condition-code families are spelled out per condition. */
  mnemonic: string;
  /** SDM appendix A operand notation, comma separated, "" for none. */
  operands: string;
  flags?: OpcodeFlag[];
}

/** Offset of the 0F two-byte map in `OpcodeRow.opcode`. */
export const TWO_BYTE = 0x100;

/** Condition-code suffixes by the low 4 bits of Jcc/SETcc/CMOVcc (SDM vol. 1, appendix B). */
export const CONDITION_CODES: readonly string[] = [
  "O", "NO", "B", "NB", "Z", "NZ", "BE", "NBE", "S", "NS", "P", "NP", "L", "NL", "LE", "NLE",
];

/** Prefix bytes: not rows; the decoder consumes them before the opcode. */
export const PREFIX_BYTES: readonly number[] = [
  0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
];

const REGISTERS_32 = ["eAX", "eCX", "eDX", "eBX", "eSP", "eBP", "eSI", "eDI"];
const REGISTERS_8 = ["AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH"];

function row(opcode: number, mnemonic: string, operands: string, ...flags: OpcodeFlag[]): OpcodeRow {
  return flags.length > 0 ? { opcode, mnemonic, operands, flags } : { opcode, mnemonic, operands };
}

function member(opcode: number, reg: number, mnemonic: string, operands: string, ...flags: OpcodeFlag[]): OpcodeRow {
  return { ...row(opcode, mnemonic, operands, ...flags), reg };
}

/** The six classic ALU forms at base..base+5 (Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  eAX,Iz). */
function aluBlock(base: number, mnemonic: string, lockable: boolean): OpcodeRow[] {
  const lock: OpcodeFlag[] = lockable ? ["lock"] : [];
  return [
    row(base + 0, mnemonic, "Eb,Gb", ...lock),
    row(base + 1, mnemonic, "Ev,Gv", ...lock),
    row(base + 2, mnemonic, "Gb,Eb"),
    row(base + 3, mnemonic, "Gv,Ev"),
    row(base + 4, mnemonic, "AL,Ib"),
    row(base + 5, mnemonic, "eAX,Iz"),
  ];
}

/** Group 1 (80-83): the ALU operation is chosen by ModRM.reg; CMP cannot be locked. */
function group1(opcode: number, operands: string): OpcodeRow[] {
  const names = ["ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"];
  return names.map((name, reg) =>
    name === "CMP" ? member(opcode, reg, name, operands) : member(opcode, reg, name, operands, "lock"),
  );
}

/** Group 2 (C0/C1/D0-D3): rotates and shifts. /6 is the undocumented alias of SHL that P6 executes. */
function group2(opcode: number, operands: string): OpcodeRow[] {
  const names = ["ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SHL", "SAR"];
  return names.map((name, reg) => member(opcode, reg, name, operands));
}

/** Group 3 (F6/F7). /1 is the undocumented alias of TEST that P6 executes. */
function group3(opcode: number, size: "b" | "v"): OpcodeRow[] {
  const immediate = size === "b" ? "Ib" : "Iz";
  const operand = `E${size}`;
  return [
    member(opcode, 0, "TEST", `${operand},${immediate}`),
    member(opcode, 1, "TEST", `${operand},${immediate}`),
    member(opcode, 2, "NOT", operand, "lock"),
    member(opcode, 3, "NEG", operand, "lock"),
    member(opcode, 4, "MUL", operand),
    member(opcode, 5, "IMUL", operand),
    member(opcode, 6, "DIV", operand),
    member(opcode, 7, "IDIV", operand),
  ];
}

function conditionFamily(base: number, prefix: string, operands: string, ...flags: OpcodeFlag[]): OpcodeRow[] {
  return CONDITION_CODES.map((condition, index) => row(base + index, prefix + condition, operands, ...flags));
}

function registerFamily(base: number, mnemonic: string, operandsFor: (register: string) => string): OpcodeRow[] {
  return REGISTERS_32.map((register, index) => row(base + index, mnemonic, operandsFor(register)));
}

const ONE_BYTE_MAP: OpcodeRow[] = [
  ...aluBlock(0x00, "ADD", true),
  row(0x06, "PUSH", "ES"),
  row(0x07, "POP", "ES"),
  ...aluBlock(0x08, "OR", true),
  row(0x0e, "PUSH", "CS", "sensitive"), // reveals CPL in the selector's RPL
  ...aluBlock(0x10, "ADC", true),
  row(0x16, "PUSH", "SS"),
  row(0x17, "POP", "SS", "block-end"), // inhibits interrupts for one instruction
  ...aluBlock(0x18, "SBB", true),
  row(0x1e, "PUSH", "DS"),
  row(0x1f, "POP", "DS"),
  ...aluBlock(0x20, "AND", true),
  row(0x27, "DAA", ""),
  ...aluBlock(0x28, "SUB", true),
  row(0x2f, "DAS", ""),
  ...aluBlock(0x30, "XOR", true),
  row(0x37, "AAA", ""),
  ...aluBlock(0x38, "CMP", false),
  row(0x3f, "AAS", ""),
  ...registerFamily(0x40, "INC", (register) => register),
  ...registerFamily(0x48, "DEC", (register) => register),
  ...registerFamily(0x50, "PUSH", (register) => register),
  ...registerFamily(0x58, "POP", (register) => register),
  row(0x60, "PUSHA", ""),
  row(0x61, "POPA", ""),
  row(0x62, "BOUND", "Gv,Ma", "mem-only"),
  row(0x63, "ARPL", "Ew,Gw"),
  row(0x68, "PUSH", "Iz"),
  row(0x69, "IMUL", "Gv,Ev,Iz"),
  row(0x6a, "PUSH", "Ib"),
  row(0x6b, "IMUL", "Gv,Ev,Ib"),
  row(0x6c, "INS", "Yb,DX", "io"),
  row(0x6d, "INS", "Yz,DX", "io"),
  row(0x6e, "OUTS", "DX,Xb", "io"),
  row(0x6f, "OUTS", "DX,Xz", "io"),
  ...conditionFamily(0x70, "J", "Jb", "block-end"),
  ...group1(0x80, "Eb,Ib"),
  ...group1(0x81, "Ev,Iz"),
  ...group1(0x82, "Eb,Ib"), // alias of 80 in 16/32-bit modes
  ...group1(0x83, "Ev,Ib"),
  row(0x84, "TEST", "Eb,Gb"),
  row(0x85, "TEST", "Ev,Gv"),
  row(0x86, "XCHG", "Eb,Gb", "lock"),
  row(0x87, "XCHG", "Ev,Gv", "lock"),
  row(0x88, "MOV", "Eb,Gb"),
  row(0x89, "MOV", "Ev,Gv"),
  row(0x8a, "MOV", "Gb,Eb"),
  row(0x8b, "MOV", "Gv,Ev"),
  row(0x8c, "MOV", "Ev,Sw", "sensitive"), // MOV r,CS reveals CPL
  row(0x8d, "LEA", "Gv,M", "mem-only"),
  row(0x8e, "MOV", "Sw,Ew", "block-end"), // MOV SS inhibits interrupts; segment bases change
  member(0x8f, 0, "POP", "Ev"),
  row(0x90, "NOP", ""),
  ...REGISTERS_32.slice(1).map((register, index) => row(0x91 + index, "XCHG", `${register},eAX`)),
  row(0x98, "CBW", ""), // CWDE with 32-bit operand size
  row(0x99, "CWD", ""), // CDQ with 32-bit operand size
  row(0x9a, "CALL", "Ap", "block-end"),
  row(0x9b, "FWAIT", ""),
  row(0x9c, "PUSHF", "", "sensitive"), // reveals IF and IOPL
  row(0x9d, "POPF", "", "sensitive", "block-end"), // silently ignores IF/IOPL changes below CPL 0
  row(0x9e, "SAHF", ""),
  row(0x9f, "LAHF", ""),
  row(0xa0, "MOV", "AL,Ob"),
  row(0xa1, "MOV", "eAX,Ov"),
  row(0xa2, "MOV", "Ob,AL"),
  row(0xa3, "MOV", "Ov,eAX"),
  row(0xa4, "MOVS", "Yb,Xb"),
  row(0xa5, "MOVS", "Yv,Xv"),
  row(0xa6, "CMPS", "Xb,Yb"),
  row(0xa7, "CMPS", "Xv,Yv"),
  row(0xa8, "TEST", "AL,Ib"),
  row(0xa9, "TEST", "eAX,Iz"),
  row(0xaa, "STOS", "Yb,AL"),
  row(0xab, "STOS", "Yv,eAX"),
  row(0xac, "LODS", "AL,Xb"),
  row(0xad, "LODS", "eAX,Xv"),
  row(0xae, "SCAS", "AL,Yb"),
  row(0xaf, "SCAS", "eAX,Yv"),
  ...REGISTERS_8.map((register, index) => row(0xb0 + index, "MOV", `${register},Ib`)),
  ...REGISTERS_32.map((register, index) => row(0xb8 + index, "MOV", `${register},Iv`)),
  ...group2(0xc0, "Eb,Ib"),
  ...group2(0xc1, "Ev,Ib"),
  row(0xc2, "RET", "Iw", "block-end"),
  row(0xc3, "RET", "", "block-end"),
  row(0xc4, "LES", "Gz,Mp", "mem-only"),
  row(0xc5, "LDS", "Gz,Mp", "mem-only"),
  member(0xc6, 0, "MOV", "Eb,Ib"),
  member(0xc7, 0, "MOV", "Ev,Iz"),
  row(0xc8, "ENTER", "Iw,Ib"),
  row(0xc9, "LEAVE", ""),
  row(0xca, "RETF", "Iw", "block-end"),
  row(0xcb, "RETF", "", "block-end"),
  row(0xcc, "INT3", "", "block-end"),
  row(0xcd, "INT", "Ib", "block-end"),
  row(0xce, "INTO", "", "block-end"),
  row(0xcf, "IRET", "", "block-end"),
  ...group2(0xd0, "Eb,1"),
  ...group2(0xd1, "Ev,1"),
  ...group2(0xd2, "Eb,CL"),
  ...group2(0xd3, "Ev,CL"),
  row(0xd4, "AAM", "Ib"),
  row(0xd5, "AAD", "Ib"),
  row(0xd6, "SALC", ""), // undocumented: AL = CF ? 0xff : 0
  row(0xd7, "XLAT", ""),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((index) => row(0xd8 + index, "ESC", "Ex87", "x87")),
  row(0xe0, "LOOPNE", "Jb", "block-end"),
  row(0xe1, "LOOPE", "Jb", "block-end"),
  row(0xe2, "LOOP", "Jb", "block-end"),
  row(0xe3, "JCXZ", "Jb", "block-end"), // JECXZ with 32-bit address size
  row(0xe4, "IN", "AL,Ib", "io"),
  row(0xe5, "IN", "eAX,Ib", "io"),
  row(0xe6, "OUT", "Ib,AL", "io"),
  row(0xe7, "OUT", "Ib,eAX", "io"),
  row(0xe8, "CALL", "Jz", "block-end"),
  row(0xe9, "JMP", "Jz", "block-end"),
  row(0xea, "JMP", "Ap", "block-end"),
  row(0xeb, "JMP", "Jb", "block-end"),
  row(0xec, "IN", "AL,DX", "io"),
  row(0xed, "IN", "eAX,DX", "io"),
  row(0xee, "OUT", "DX,AL", "io"),
  row(0xef, "OUT", "DX,eAX", "io"),
  row(0xf1, "INT1", "", "block-end"), // ICEBP: undocumented on P6, executed as a debug trap
  row(0xf4, "HLT", "", "privileged", "block-end"),
  row(0xf5, "CMC", ""),
  ...group3(0xf6, "b"),
  ...group3(0xf7, "v"),
  row(0xf8, "CLC", ""),
  row(0xf9, "STC", ""),
  row(0xfa, "CLI", ""), // IOPL-sensitive (#GP if CPL > IOPL), not CPL-0-only
  row(0xfb, "STI", "", "block-end"), // interrupt shadow; may open the interrupt window
  row(0xfc, "CLD", ""),
  row(0xfd, "STD", ""),
  member(0xfe, 0, "INC", "Eb", "lock"),
  member(0xfe, 1, "DEC", "Eb", "lock"),
  member(0xff, 0, "INC", "Ev", "lock"),
  member(0xff, 1, "DEC", "Ev", "lock"),
  member(0xff, 2, "CALL", "Ev", "block-end"),
  member(0xff, 3, "CALL", "Mp", "block-end", "mem-only"),
  member(0xff, 4, "JMP", "Ev", "block-end"),
  member(0xff, 5, "JMP", "Mp", "block-end", "mem-only"),
  member(0xff, 6, "PUSH", "Ev"),
];

const T = TWO_BYTE;

const TWO_BYTE_MAP: OpcodeRow[] = [
  // Group 6: #UD in real and virtual-8086 mode (checked by the interpreter, not the table).
  member(T + 0x00, 0, "SLDT", "Ew", "sensitive"),
  member(T + 0x00, 1, "STR", "Ew", "sensitive"),
  member(T + 0x00, 2, "LLDT", "Ew", "privileged"),
  member(T + 0x00, 3, "LTR", "Ew", "privileged"),
  member(T + 0x00, 4, "VERR", "Ew", "sensitive"),
  member(T + 0x00, 5, "VERW", "Ew", "sensitive"),
  // Group 7: mod == 3 encodings of /0-/3 and /7 are later extensions (VMX, MONITOR, SWAPGS): #UD here.
  member(T + 0x01, 0, "SGDT", "Ms", "sensitive", "mem-only"),
  member(T + 0x01, 1, "SIDT", "Ms", "sensitive", "mem-only"),
  member(T + 0x01, 2, "LGDT", "Ms", "privileged", "mem-only"),
  member(T + 0x01, 3, "LIDT", "Ms", "privileged", "mem-only"),
  member(T + 0x01, 4, "SMSW", "Ew", "sensitive"),
  member(T + 0x01, 6, "LMSW", "Ew", "privileged", "block-end"),
  member(T + 0x01, 7, "INVLPG", "Mb", "privileged", "mem-only"),
  row(T + 0x02, "LAR", "Gv,Ew", "sensitive"),
  row(T + 0x03, "LSL", "Gv,Ew", "sensitive"),
  row(T + 0x06, "CLTS", "", "privileged"),
  row(T + 0x08, "INVD", "", "privileged"),
  row(T + 0x09, "WBINVD", "", "privileged"),
  row(T + 0x0b, "UD2", "", "raises-ud", "block-end"),
  // 0F 19-0F 1F: hint NOPs on every P6 (SDM vol. 2 "NOP", table A-3); ENDBR32 (F3 0F 1E FB),
  // which CET-enabled compilers put in every function, is one of them.
  ...[0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f].flatMap((opcode) =>
    [0, 1, 2, 3, 4, 5, 6, 7].map((reg) => member(T + opcode, reg, "NOP", "Ev"))),
  row(T + 0x20, "MOV", "Rd,Cd", "privileged", "reg-only"),
  row(T + 0x21, "MOV", "Rd,Dd", "privileged", "reg-only"),
  row(T + 0x22, "MOV", "Cd,Rd", "privileged", "reg-only", "block-end"), // CR0/CR3/CR4 change mode or mappings
  row(T + 0x23, "MOV", "Dd,Rd", "privileged", "reg-only", "block-end"), // DR7 arms breakpoints
  row(T + 0x30, "WRMSR", "", "privileged"),
  row(T + 0x31, "RDTSC", ""), // CR4.TSD makes it CPL-0-only; checked by the interpreter
  row(T + 0x32, "RDMSR", "", "privileged"),
  row(T + 0x33, "RDPMC", ""), // CR4.PCE clear makes it CPL-0-only
  row(T + 0x34, "SYSENTER", "", "block-end"),
  row(T + 0x35, "SYSEXIT", "", "privileged", "block-end"),
  ...conditionFamily(T + 0x40, "CMOV", "Gv,Ev"),
  ...conditionFamily(T + 0x80, "J", "Jz", "block-end"),
  ...conditionFamily(T + 0x90, "SET", "Eb"),
  row(T + 0xa0, "PUSH", "FS"),
  row(T + 0xa1, "POP", "FS"),
  row(T + 0xa2, "CPUID", ""),
  row(T + 0xa3, "BT", "Ev,Gv"),
  row(T + 0xa4, "SHLD", "Ev,Gv,Ib"),
  row(T + 0xa5, "SHLD", "Ev,Gv,CL"),
  row(T + 0xa8, "PUSH", "GS"),
  row(T + 0xa9, "POP", "GS"),
  row(T + 0xab, "BTS", "Ev,Gv", "lock"),
  row(T + 0xac, "SHRD", "Ev,Gv,Ib"),
  row(T + 0xad, "SHRD", "Ev,Gv,CL"),
  // group 15: only FXSAVE/FXRSTOR on a P6 with FXSR; the other members are #UD.
  member(T + 0xae, 0, "FXSAVE", "M", "mem-only"),
  member(T + 0xae, 1, "FXRSTOR", "M", "mem-only"),
  row(T + 0xaf, "IMUL", "Gv,Ev"),
  row(T + 0xb0, "CMPXCHG", "Eb,Gb", "lock"),
  row(T + 0xb1, "CMPXCHG", "Ev,Gv", "lock"),
  row(T + 0xb2, "LSS", "Gv,Mp", "mem-only", "block-end"), // loads SS: interrupt shadow like MOV SS
  row(T + 0xb3, "BTR", "Ev,Gv", "lock"),
  row(T + 0xb4, "LFS", "Gv,Mp", "mem-only"),
  row(T + 0xb5, "LGS", "Gv,Mp", "mem-only"),
  row(T + 0xb6, "MOVZX", "Gv,Eb"),
  row(T + 0xb7, "MOVZX", "Gv,Ew"),
  row(T + 0xb9, "UD1", "Gv,Ev", "raises-ud", "block-end"), // group 10: documented invalid opcode
  member(T + 0xba, 4, "BT", "Ev,Ib"),
  member(T + 0xba, 5, "BTS", "Ev,Ib", "lock"),
  member(T + 0xba, 6, "BTR", "Ev,Ib", "lock"),
  member(T + 0xba, 7, "BTC", "Ev,Ib", "lock"),
  row(T + 0xbb, "BTC", "Ev,Gv", "lock"),
  row(T + 0xbc, "BSF", "Gv,Ev"),
  row(T + 0xbd, "BSR", "Gv,Ev"),
  row(T + 0xbe, "MOVSX", "Gv,Eb"),
  row(T + 0xbf, "MOVSX", "Gv,Ew"),
  row(T + 0xc0, "XADD", "Eb,Gb", "lock"),
  row(T + 0xc1, "XADD", "Ev,Gv", "lock"),
  member(T + 0xc7, 1, "CMPXCHG8B", "Mq", "lock", "mem-only"),
  ...registerFamily(T + 0xc8, "BSWAP", (register) => register),
];

export const OPCODES: readonly OpcodeRow[] = [...ONE_BYTE_MAP, ...TWO_BYTE_MAP];
