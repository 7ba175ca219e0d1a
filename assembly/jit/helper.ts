// The functions generated code imports besides the trampoline: memory accesses that miss the
// inline TLB fast path (through jitSlowPath, which makes the state precise first), flag
// questions the translator could not answer at compile time (and EFLAGS for PUSHF), and
// instructions it leaves to the interpreter. A slow path may raise a guest exception; the state
// is precise before the helper runs.
import { CPL, JIT_FAULT_BUDGET, JIT_CODE_WRITES, ATTENTION, INSTRUCTION_START, REGS, STAT_JIT_CALLOUTS } from "../layout";
import { translate } from "../mmu/paging";
import { physRead8, physWrite8 } from "../mmu/physical";
import { readLinear16Slow, readLinear32Slow, readLinearForWriteSlow, writeLinear16Slow, writeLinear32Slow } from "../mmu/linear";
import { testCondition, peekFlags } from "../cpu/flags";
import { FLAG_VM, FLAG_RF } from "../cpu/state";
import { setBudgetLeft, settleAttention } from "../cpu/run";
import {
  HELPER_READ8, HELPER_READ16, HELPER_READ32, HELPER_WRITE8, HELPER_WRITE16,
  HELPER_TEST_CONDITION, HELPER_INTERPRET, HELPER_FLAGS_IMAGE, HELPER_READ_FOR_WRITE,
} from "./codegen";
import { decode, nextEip } from "../cpu/decoder";
import { execute } from "../cpu/interpreter";
import { REG_EIP } from "../layout";
import { updateSegmentState } from "./segment_state";

export function jitHelper(op: u32, a: u32, b: u32): u32 {
  if (op == HELPER_TEST_CONDITION) return testCondition(a) ? 1 : 0;
  if (op == HELPER_FLAGS_IMAGE) return peekFlags() & ~(FLAG_VM | FLAG_RF); // (SDM vol. 2, PUSHF)
  const user = load<u32>(CPL) == 3;
  // If the access faults, the run loop goes on from here with the budget as of this instruction.
  setBudgetLeft(load<i32>(JIT_FAULT_BUDGET));
  switch (op) {
    case HELPER_READ8: return physRead8(translate(a, false, user));
    case HELPER_READ16: return readLinear16Slow(a, user);
    case HELPER_READ32: return readLinear32Slow(a, user);
    case HELPER_READ_FOR_WRITE: return readLinearForWriteSlow(a, b, user);
    default: break;
  }
  const codeWrites = load<u32>(JIT_CODE_WRITES);
  if (op == HELPER_INTERPRET) {
    store<u32>(STAT_JIT_CALLOUTS, load<u32>(STAT_JIT_CALLOUTS) + 1);
    decode();
    store<u32>(REG_EIP, nextEip);
    execute();
    if (load<u32>(ATTENTION) != 0) settleAttention();
    updateSegmentState(); // (for the units this one chains to)
  } else if (op == HELPER_WRITE8) physWrite8(translate(a, true, user), b);
  else if (op == HELPER_WRITE16) writeLinear16Slow(a, b, user);
  else writeLinear32Slow(a, b, user); // HELPER_WRITE32
  // A write to a page holding cached code: the unit may have just rewritten itself.
  if (load<u32>(JIT_CODE_WRITES) != codeWrites) store<u32>(ATTENTION, 1);
  return 0;
}

/**
 * A memory access's slow path (jit/codegen.ts emitSlowPathCall): make the state precise, as
 * the interpreter has it while the instruction at `eip` runs (registers in `mask`, a bit per
 * register local 1..8, come as arguments; the others are in the state block already), then
 * the helper.
 */
export function jitSlowPath(op: u32, a: u32, b: u32, eip: u32, next: u32, budget: i32, mask: u32,
  eax: u32, ecx: u32, edx: u32, ebx: u32, esp: u32, ebp: u32, esi: u32, edi: u32): u32 {
  if (mask & (1 << 1)) store<u32>(REGS, eax);
  if (mask & (1 << 2)) store<u32>(REGS + 4, ecx);
  if (mask & (1 << 3)) store<u32>(REGS + 8, edx);
  if (mask & (1 << 4)) store<u32>(REGS + 12, ebx);
  if (mask & (1 << 5)) store<u32>(REGS + 16, esp);
  if (mask & (1 << 6)) store<u32>(REGS + 20, ebp);
  if (mask & (1 << 7)) store<u32>(REGS + 24, esi);
  if (mask & (1 << 8)) store<u32>(REGS + 28, edi);
  store<u32>(REG_EIP, next);
  store<u32>(INSTRUCTION_START, eip);
  store<i32>(JIT_FAULT_BUDGET, budget);
  return jitHelper(op, a, b);
}
