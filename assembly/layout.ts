// The one definition of where everything lives in the VM's linear memory.
// Plain `export const NAME = value;` so AssemblyScript and TypeScript both import this file.
// Low memory (below MEMORY_BASE) holds the CPU state block at fixed addresses, so constant
// addresses fold into WebAssembly load/store offset immediates.

// ---- CPU state block -------------------------------------------------------------------------
export const STATE_BASE = 0x400;
export const STATE_SIZE = 0xc00;

// General registers in encoding order EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each (SDM 3.4.1).
// 8-bit register r lives at REGS + (r & 3) * 4 + (r >> 2): AL CL DL BL AH CH DH BH.
export const REGS = 0x400;
export const REG_EAX = 0x400;
export const REG_ECX = 0x404;
export const REG_EDX = 0x408;
export const REG_EBX = 0x40c;
export const REG_ESP = 0x410;
export const REG_EBP = 0x414;
export const REG_ESI = 0x418;
export const REG_EDI = 0x41c;
export const REG_EIP = 0x420;
// EFLAGS bits that are not computed lazily (and the lazy ones once materialised).
export const REG_EFLAGS = 0x424;

// Lazy arithmetic flags (CF PF AF ZF SF OF): FLAGS_LAZY_MASK says which of them must be computed
// from the last operation instead of read from REG_EFLAGS.
export const FLAGS_LAZY_MASK = 0x428;
export const FLAGS_OP = 0x42c; // LazyOp kind of the last flag-setting operation
export const FLAGS_SIZE = 0x430; // operand size of that operation: 8, 16 or 32
export const FLAGS_DST = 0x434; // first operand
export const FLAGS_SRC = 0x438; // second operand
export const FLAGS_RES = 0x43c; // result
export const FLAGS_CARRY_IN = 0x440; // carry in for ADC/SBB

// Segment registers in encoding order ES CS SS DS FS GS, then LDTR and TR (index 6, 7).
// Each has a visible selector and a hidden descriptor cache (SDM 3.4.3).
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;
export const SEG_LDTR = 6;
export const SEG_TR = 7;
export const SEG_SELECTOR = 0x480; // u32 x 8
export const SEG_BASE = 0x4a0; // u32 x 8
export const SEG_LIMIT = 0x4c0; // u32 x 8: byte-granular effective limit
export const SEG_ACCESS = 0x4e0; // u32 x 8: descriptor bits 40..55 (type, S, DPL, P, AVL, D/B, G)

export const GDTR_BASE = 0x500;
export const GDTR_LIMIT = 0x504;
export const IDTR_BASE = 0x508;
export const IDTR_LIMIT = 0x50c;

export const CR0 = 0x510;
export const CR2 = 0x514;
export const CR3 = 0x518;
export const CR4 = 0x51c;
export const DR0 = 0x520; // DR0..DR7, u32 x 8
export const CPL = 0x540; // current privilege level 0..3

// Model-specific registers kept in the state block (SDM vol. 4).
export const MSR_SYSENTER_CS = 0x548;
export const MSR_SYSENTER_ESP = 0x54c;
export const MSR_SYSENTER_EIP = 0x550;
export const MSR_APIC_BASE = 0x554;
export const TSC = 0x558; // u64: time-stamp counter offset added to retired instructions
export const MSR_MISC_ENABLE = 0x560; // u64

// Execution bookkeeping.
export const INSTRUCTIONS_RETIRED = 0x568; // u64
export const INTERRUPT_PENDING = 0x570; // set by the host when the PIC/APIC has a vector ready
export const STOP_REQUESTED = 0x574; // set by the host (e.g. isa-debug-exit) to leave run()
export const HALTED = 0x578; // 1 after HLT until an interrupt arrives
export const EXCEPTION_VECTOR = 0x57c; // exception being raised (-1 none)
export const EXCEPTION_ERROR_CODE = 0x580; // its error code (-1 none)
export const INSTRUCTION_START = 0x584; // EIP of the instruction being executed
export const INHIBIT_INTERRUPTS = 0x588; // 1 for one instruction after MOV SS / POP SS / STI
export const RUN_RESULT = 0x58c; // why run() returned (RunResult)
export const EXIT_CODE = 0x590; // value written to isa-debug-exit
export const RAM_SIZE = 0x594; // bytes of guest physical RAM
export const A20_MASK = 0x598; // 0xffffffff with A20 enabled
export const TSC_OFFSET = 0x5a0; // u64
export const EXCEPTION_DELIVERING = 0x5a8; // vector whose delivery is in progress (-1 none)
// Nonzero when the next instruction boundary must look at the fields above (interrupt pending,
// stop requested, halted, interrupt shadow, single-step). Whoever sets one of them sets this too;
// the engine recomputes it at the boundary. One load per instruction instead of five.
export const ATTENTION = 0x5ac;

// Binary translator state the generated code and the run loop share.
export const JIT_FAULT_BUDGET = 0x5b0; // the run budget as of a slow-path call in translated code
export const JIT_CODE_WRITES = 0x5b8; // bumped by every write to a page holding cached code
// Moves (in steps of 4, so the low bits can hold a mode) whenever an entry point cached by EIP
// might no longer lead to the same translated code: a write into translated code, a table slot
// given back (jit/entry_cache.ts; TLB changes it checks itself).
export const JIT_ENTRY_EPOCH = 0x5bc;
export const JIT_SEGMENTS = 0x5b4; // which segments units may use as they are (jit/segment_state.ts)
// u64: the TSC when the run's budget is used up (cpu/run.ts), so translated code reads the TSC as
// this minus the budget it has left.
export const TSC_AT_BUDGET_END = 0x5c0;
// Decoded-instruction record: the decoder fills it, the interpreter (and later the translator and
// disassembler) read it.
// Fields are 32-, 16- or 8-bit by where they lie (cpu/record.ts): a record fills 40 bytes, so a
// decode-cache entry (tag and record) fits one 64-byte cache line.
export const DEC_EA = 0x600; // effective address (offset within DEC_SEGMENT)
export const DEC_IMM = 0x604; // first immediate / displacement / far offset
// The memory operand's addressing form; DEC_EA is computed from it (and the registers) each time
// the instruction executes: EA = ([base] + ([index] << scale) + displacement) & mask.
export const DEC_EA_DISPLACEMENT = 0x608;
export const DEC_EA_MASK = 0x60c; // 0xffff with 16-bit addressing
export const DEC_RECORD_16 = 0x610; // 16-bit fields from here
export const DEC_OPCODE = 0x610; // 0x000-0x0ff one-byte, 0x100-0x1ff 0F two-byte
export const DEC_ATTRS = 0x612; // decode attributes of the opcode (decode_attrs.ts)
export const DEC_IMM2 = 0x614; // second immediate (ENTER level, far selector)
export const DEC_EA_BASE = 0x616; // address of the base register, or of ZERO_WORD
export const DEC_EA_INDEX = 0x618; // address of the index register, or of ZERO_WORD
export const DEC_MODRM = 0x61a; // ModRM byte, or 0xffff
export const DEC_RECORD_8 = 0x61c; // 8-bit fields from here
export const DEC_PREFIXES = 0x61c; // Prefix bits
export const DEC_SEGMENT = 0x61d; // effective segment of the memory operand
export const DEC_MOD = 0x61e;
export const DEC_REG = 0x61f;
export const DEC_RM = 0x620;
export const DEC_OPSIZE32 = 0x621; // 1 for 32-bit operand size
export const DEC_ADDRSIZE32 = 0x622; // 1 for 32-bit address size
export const DEC_LENGTH = 0x623; // instruction length in bytes
export const DEC_BASE_IS_ESP = 0x624; // 1 when the memory operand's base register is ESP
export const DEC_EA_SCALE = 0x625;
export const DEC_HAS_MEMORY_OPERAND = 0x626; // 1 when DEC_EA must be computed
// The record's extent: decoded instructions live in this buffer or in a decode-cache entry.
export const DEC_RECORD_START = 0x600;
export const DEC_RECORD_BYTES = 0x28;
// Address of the record the current instruction was decoded into (cpu/record.ts).
export const DEC_RECORD_POINTER = 0x5f8;
// Always zero: the "no register" operand of an addressing form.
export const ZERO_WORD = 0x5fc;

// Statistics counters (u32 each) for --stats.
export const STAT_TLB_MISSES = 0x700;
export const STAT_PAGE_FAULTS = 0x704;
export const STAT_EXCEPTIONS = 0x708;
export const STAT_INTERRUPTS = 0x70c;
export const STAT_TLB_FLUSHES = 0x710;
// Binary translator counters (jit/), u32 each unless noted.
export const STAT_JIT_UNITS = 0x714; // units translated
export const STAT_JIT_INVALIDATIONS = 0x718; // units dropped because their code page was written
export const STAT_JIT_EVICTIONS = 0x71c; // units dropped to make room (slot pool or table slot reused)
export const STAT_JIT_TRANSLATED = 0x720; // u64: instructions retired inside translated code
export const STAT_JIT_EXITS = 0x730; // u32 x JIT_EXIT_CAUSES: exits from translated code to the run loop, by cause
export const JIT_EXIT_CAUSES = 4;
export const STAT_JIT_BYTES = 0x740; // bytes of WebAssembly generated
export const STAT_JIT_MODULES = 0x744; // modules compiled (each holds one or more units)
export const STAT_JIT_CHAINED = 0x748; // branches out of a unit that went straight on into another unit
export const STAT_JIT_CALLOUTS = 0x74c; // instructions a unit ran through the interpreter (callouts, and those it leaves after)

// x87 FPU state (SDM vol. 1, 8.1). Registers by physical number 0..7, 16 bytes each: the 64-bit
// significand at +0 and sign<<15 | biased exponent (u16) at +8. ST(i) is register (TOP + i) & 7.
export const FPU_REGS = 0x800;
// The control word is kept XORed with its FNINIT value (037F) and the tag
// as a "valid" mask, so the zeroed state block after reset is already the FNINIT state.
export const FPU_CONTROL = 0x880; // control word ^ 0x037f (SDM 8.1.5)
export const FPU_STATUS = 0x884; // status word with TOP (bits 11-13) kept zero; TOP is FPU_TOP
export const FPU_TOP = 0x888; // top-of-stack register number 0..7
export const FPU_VALID = 0x88c; // bit p set: physical register p is not empty (tag != 11)
export const FPU_IP = 0x890; // last non-control instruction's offset (FIP)
export const FPU_CS = 0x894; // and its CS selector (FCS)
export const FPU_DP = 0x898; // its memory operand's offset (FDP)
export const FPU_DS = 0x89c; // and that operand's segment selector (FDS)
export const FPU_OPCODE = 0x8a0; // its opcode: 11 bits, (first byte & 7) << 8 | ModRM (FOP)

// ---- Runtime and tables ----------------------------------------------------------------------
// AssemblyScript's static data and stub heap start here (asconfig memoryBase).
export const MEMORY_BASE = 0x10000;
// Software TLB: one i32 per 4 KiB linear page, 2^20 entries (mmu/tlb.ts).
export const TLB_BASE = 0x100000;
export const TLB_SIZE = 0x400000;
// Pages with a valid TLB entry, so a flush touches only those: global entries in one list, the
// rest in the other (a CR3 reload goes through that one only).
export const TLB_VALID_LIST = 0x500000;
export const TLB_GLOBAL_LIST = 0x520000;
export const TLB_LIST_CAPACITY = 0x8000; // entries in each list
export const TLB_VALID_COUNT = 0x5f0; // entries in use in TLB_VALID_LIST
export const TLB_GLOBAL_COUNT = 0x5f4; // and in TLB_GLOBAL_LIST
// Per RAM page, for the decoded-instruction cache: bit 0 = decoded code is cached from this page
// (its TLB entries carry TLB_HAS_CODE, so writes take the slow path); bit 1 = written since its
// code was last decoded; bits 31..2 = generation, bumped by every write to a marked page, which
// makes the page's cached decodes stale.
export const CODE_PAGE_INFO = 0x540000;
export const CODE_PAGE_INFO_PAGES = 0xc0000; // 3 GiB of RAM at most
// Decoded-instruction cache: direct-mapped, keyed by physical address and code size.
export const DECODE_CACHE = 0x900000;
export const DECODE_CACHE_ENTRIES = 0x4000;
export const DECODE_CACHE_ENTRY_BYTES = 0x40; // 12-byte tag, then the record
// The pages each recent address space had in the TLB when the guest left it (mmu/address_spaces.ts).
export const ADDRESS_SPACES = 0xe80000;
export const ADDRESS_SPACES_BYTES = 0x4000;
// Entries into translated units, a u32 counter per hash of the unit's entry EIP: the host packs
// the units that keep running into shared modules (src/machine/unit_packer.ts).
export const JIT_UNIT_ENTRY_COUNTS = 0xe90000;
export const JIT_UNIT_ENTRY_COUNTS_BITS = 14;
// Binary translator (jit/): the module being generated, and the unit table (entry point →
// table slot), two-way set associative by physical address.
export const JIT_OUTPUT = 0xb00000;
export const JIT_OUTPUT_BYTES = 0x100000;
export const JIT_BODY = 0xc00000; // function body under construction
export const JIT_BODY_BYTES = 0x100000;
export const JIT_UNITS = 0xd00000;
export const JIT_UNIT_ENTRIES = 0x4000;
export const JIT_UNIT_ENTRY_BYTES = 32; // physical EIP, linear EIP, mode, slot, page generation
export const JIT_SCAN = 0xe00000; // block list of the unit being translated
export const JIT_FREE_SLOTS = 0xe40000; // stack of table slots given back by dropped units
export const JIT_WARM = 0xe08000; // entry points waiting to be compiled with the next batch
export const JIT_BATCH = 0xe08100; // the entry points of the batch being compiled
export const JIT_SLOT_LIST = 0xe08200; // the table slots for that batch, in function order
export const JIT_BATCH_HINTS = 0xe08300; // per function of the batch, its first branch hint in JIT_HINTS
// Offsets of the unlikely branches in the batch's function bodies (jit/wasm_writer.ts).
export const JIT_HINTS = 0xec0000;
export const JIT_HINTS_CAPACITY = 0x10000;
// Entry points by EIP (jit/entry_cache.ts): two-way set associative, 32 bytes an entry.
export const JIT_ENTRY_CACHE = 0xa00000;
export const JIT_ENTRY_CACHE_ENTRIES = 0x8000;
// Hotness counts of entry points not translated yet (jit/units.ts): 2^JIT_HOTNESS_BITS u16.
export const JIT_HOTNESS = 0xe20000;
export const JIT_HOTNESS_BITS = 16;
// The function table the engine imports: slots from JIT_FIRST_SLOT hold translated units.
export const JIT_FIRST_SLOT = 256;
export const JIT_SLOTS = 16384;
// Guest physical RAM starts here and runs for RAM_SIZE bytes.
export const GUEST_RAM = 0x1000000;
