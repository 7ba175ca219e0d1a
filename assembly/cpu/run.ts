// The execution loop: interrupts and pending exceptions at instruction boundaries, then
// decode → execute, until the budget runs out, the CPU halts, or the host asks to stop.
import {
  REG_EIP, REG_EFLAGS, INSTRUCTIONS_RETIRED, INTERRUPT_PENDING, STOP_REQUESTED, HALTED,
  EXCEPTION_VECTOR, EXCEPTION_ERROR_CODE, EXCEPTION_DELIVERING, INSTRUCTION_START,
  INHIBIT_INTERRUPTS, RUN_RESULT, STAT_INTERRUPTS, DR0, ATTENTION, TSC_AT_BUDGET_END, TSC_OFFSET,
} from "../layout";
import { FLAG_IF, FLAG_TF, EXC_DF, EXC_PF, EXC_DB } from "./state";
import { decode, nextEip } from "./decoder";
import { execute } from "./interpreter";
import { deliverInterrupt } from "./system";
import { hostAcknowledgeInterrupt } from "../host";
import { jitEnter, jitEnabled, jitForgetCountedBlock, JIT_INTERPRET_ONE } from "../jit/units";
import { segmentStateChanged } from "../jit/segment_state";

// Why run() returned.
export const RUN_BUDGET_EXHAUSTED: i32 = 0;
export const RUN_HALTED: i32 = 1; // HLT with no interrupt to wake it
export const RUN_STOP_REQUESTED: i32 = 2; // a device (isa-debug-exit) or the host asked to stop
export const RUN_TRIPLE_FAULT: i32 = 3; // shutdown: the host resets or stops the VM

// Instructions left in the current slice; globals so they survive an unwind for an exception.
// Retired instructions are counted from the budget: INSTRUCTIONS_RETIRED is brought up to date
// when run() returns and whenever the count is read (readTsc).
let budgetLeft: i32 = 0;
let budgetCounted: i32 = 0;

/** Bring INSTRUCTIONS_RETIRED up to date with the instructions run since it was last stored. */
export function syncInstructionsRetired(): void {
  store<u64>(INSTRUCTIONS_RETIRED, load<u64>(INSTRUCTIONS_RETIRED) + <u64>(budgetCounted - budgetLeft));
  budgetCounted = budgetLeft;
}

/**
 * TSC_AT_BUDGET_END from the retired count, the budget and the TSC offset; it stays right while
 * the budget runs down (syncInstructionsRetired moves retired and counted alike), so only a run's
 * start and a TSC write change it.
 */
export function updateTscAtBudgetEnd(): void {
  store<u64>(TSC_AT_BUDGET_END, load<u64>(INSTRUCTIONS_RETIRED) + <u64><i64>budgetCounted + load<u64>(TSC_OFFSET));
}

/** Translated code sets the budget before a slow path that may unwind for an exception. */
export function setBudgetLeft(budget: i32): void { budgetLeft = budget; }

// Whether the next boundary is a block start (after a jump, or where translated code left off),
// where the translator's dispatcher looks for a unit.
let atBlockStart: bool = true;

/** Run up to `budget` instructions. Call resume() after an unwind to go on with the rest. */
export function run(budget: i32): i32 {
  budgetLeft = budget;
  budgetCounted = budget;
  return resume();
}

/**
 * Whether anything but the next instruction needs attention at this boundary: an interrupt
 * line, a stop request, HLT, an interrupt shadow or single-stepping. One test per instruction.
 */
@inline function needsAttention(): bool {
  return load<u32>(ATTENTION) != 0;
}

/** Ask for the slow path at the next instruction boundary. */
@inline export function requestAttention(): void {
  store<u32>(ATTENTION, 1);
}

// Whether the boundary after this one still needs the slow path.
function recomputeAttention(): void {
  const flags = load<u32>(REG_EFLAGS);
  const interruptible = load<u32>(INTERRUPT_PENDING) != 0 && (flags & FLAG_IF) != 0;
  const pending = interruptible || load<u32>(STOP_REQUESTED) != 0 || load<u32>(HALTED) != 0 ||
    load<u32>(INHIBIT_INTERRUPTS) != 0 || (flags & FLAG_TF) != 0;
  store<u32>(ATTENTION, pending ? 1 : 0);
}

/**
 * After an instruction translated code ran through the interpreter (STI, POPF...) asked for
 * attention: whether the next boundary really needs it. An interrupt shadow with no interrupt
 * to hold off and no single-step to delay holds nothing back, so it ends here; with nothing
 * else pending the unit then goes on instead of leaving.
 */
export function settleAttention(): void {
  const flags = load<u32>(REG_EFLAGS);
  const interruptible = load<u32>(INTERRUPT_PENDING) != 0 && (flags & FLAG_IF) != 0;
  if (!interruptible && (flags & FLAG_TF) == 0) store<u32>(INHIBIT_INTERRUPTS, 0);
  recomputeAttention();
}

export function resume(): i32 {
  requestAttention(); // the host may have changed anything between calls
  updateTscAtBudgetEnd();
  segmentStateChanged();
  if (load<i32>(EXCEPTION_VECTOR) >= 0) {
    if (!deliverPendingException()) return finish(RUN_TRIPLE_FAULT);
  }
  atBlockStart = true;
  jitForgetCountedBlock();
  while (budgetLeft > 0) {
    if (needsAttention()) {
      const result = serviceBoundary();
      if (result >= 0) return finish(result);
      atBlockStart = true;
      continue;
    }
    // After an instruction no unit starts with (one that ended the unit before it), the next
    // instruction is a block start too.
    let lookAgain = false;
    if (atBlockStart && jitEnabled()) {
      // (The helper sets budgetLeft while the unit runs: compare with the budget it was given.)
      const given = budgetLeft;
      const left = jitEnter(given);
      if (left >= 0) {
        // A unit that ran nothing (budget too small for its first block) leaves it to the interpreter.
        atBlockStart = left != given;
        budgetLeft = left;
        continue;
      }
      lookAgain = left == JIT_INTERPRET_ONE;
    }
    budgetLeft--;
    decode();
    const fallThrough = nextEip;
    store<u32>(REG_EIP, fallThrough);
    execute();
    atBlockStart = load<u32>(REG_EIP) != fallThrough || lookAgain;
  }
  return finish(RUN_BUDGET_EXHAUSTED);
}

// The slow path of an instruction boundary: returns a RUN_* code to stop, or -1 after running
// the next instruction itself (so an interrupt shadow covers exactly one instruction).
function serviceBoundary(): i32 {
  if (load<u32>(STOP_REQUESTED) != 0) return RUN_STOP_REQUESTED;
  const shadow = load<u32>(INHIBIT_INTERRUPTS) != 0;
  if (load<u32>(INHIBIT_INTERRUPTS) != 0) {
    store<u32>(INHIBIT_INTERRUPTS, 0);
  } else if (load<u32>(INTERRUPT_PENDING) != 0 && (load<u32>(REG_EFLAGS) & FLAG_IF) != 0) {
    deliverExternalInterrupt();
  }
  if (load<u32>(HALTED) != 0) return RUN_HALTED;
  budgetLeft--;
  const singleStep = (load<u32>(REG_EFLAGS) & FLAG_TF) != 0;
  // Recompute first: the instruction below may raise an exception and never come back here.
  recomputeAttention();
  if (shadow) requestAttention(); // interrupts were held off for this one instruction only
  decode();
  store<u32>(REG_EIP, nextEip);
  execute();
  if (singleStep) singleStepTrap();
  return -1;
}

@inline function finish(result: i32): i32 {
  syncInstructionsRetired();
  store<i32>(RUN_RESULT, result);
  return result;
}

function deliverExternalInterrupt(): void {
  const vector = hostAcknowledgeInterrupt();
  if (vector < 0) return;
  store<u32>(HALTED, 0);
  store<u32>(STAT_INTERRUPTS, load<u32>(STAT_INTERRUPTS) + 1);
  const eip = load<u32>(REG_EIP);
  store<u32>(INSTRUCTION_START, eip);
  store<i32>(EXCEPTION_DELIVERING, vector);
  deliverInterrupt(<u32>vector, false, true, -1, eip);
  store<i32>(EXCEPTION_DELIVERING, -1);
}

function singleStepTrap(): void {
  // DR6.BS records a single-step trap (SDM vol. 3, 17.2.3).
  store<u32>(DR0 + 6 * 4, load<u32>(DR0 + 6 * 4) | (1 << 14));
  const eip = load<u32>(REG_EIP);
  store<u32>(INSTRUCTION_START, eip);
  deliverInterrupt(EXC_DB, false, true, -1, eip);
}

// Exception classes for double-fault detection (SDM vol. 3, table 6-5).
function isContributory(vector: i32): bool { return vector == 0 || (vector >= 10 && vector <= 13); }

/** Deliver the exception raised by the last instruction; false on a triple fault. */
function deliverPendingException(): bool {
  let vector = load<i32>(EXCEPTION_VECTOR);
  let errorCode = load<i32>(EXCEPTION_ERROR_CODE);
  store<i32>(EXCEPTION_VECTOR, -1);
  const previous = load<i32>(EXCEPTION_DELIVERING);
  if (previous >= 0) {
    if (previous == <i32>EXC_DF) return false;
    const previousIsPageFault = previous == <i32>EXC_PF;
    if ((isContributory(previous) && isContributory(vector)) ||
        (previousIsPageFault && (vector == <i32>EXC_PF || isContributory(vector)))) {
      vector = <i32>EXC_DF;
      errorCode = 0;
    }
  }
  store<u32>(HALTED, 0);
  store<i32>(EXCEPTION_DELIVERING, vector);
  // Faults report the address of the faulting instruction.
  const eip = load<u32>(INSTRUCTION_START);
  store<u32>(REG_EIP, eip);
  deliverInterrupt(<u32>vector, false, true, errorCode, eip);
  store<i32>(EXCEPTION_DELIVERING, -1);
  return true;
}
