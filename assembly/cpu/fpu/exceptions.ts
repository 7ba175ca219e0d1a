// x87 exception reporting (SDM vol. 1, 8.4-8.7): flags raised by an operation go into the status
// word; an unmasked one sets ES and B, and is signalled as #MF (CR0.NE=1) when the next waiting
// x87 instruction or WAIT starts. With CR0.NE=0 the legacy FERR#/IGNNE# path is not modelled: the
// exception stays pending in the status word and execution continues.
import { raiseFault } from "../fault";
import { getCr0, CR0_NE, EXC_MF } from "../state";
import {
  SW_IE, SW_DE, SW_ZE, SW_SF, SW_ES, SW_B, SW_C1, SW_EXCEPTIONS, statusRaw, setStatusRaw, controlWord,
} from "./stack";
import { raised, raise, clearRaised, setIndefinite } from "./float80";

/** Start of an operation: no flags raised yet. */
@inline export function beginOperation(): void { clearRaised(); }

/**
 * Fold the raised flags into the status word. Returns false when an unmasked invalid-operation,
 * denormal or zero-divide exception forbids writing the result (SDM vol. 1, 8.6).
 */
export function commit(): bool {
  const flags = raised;
  if (flags == 0) return true;
  const unmasked = flags & ~controlWord() & SW_EXCEPTIONS;
  let status = statusRaw() | flags;
  if (unmasked != 0) status |= SW_ES | SW_B;
  setStatusRaw(status);
  return (unmasked & (SW_IE | SW_DE | SW_ZE)) == 0;
}

/** Set or clear C1 (rounding direction, or stack overflow vs. underflow). */
@inline export function setC1(on: bool): void {
  setStatusRaw(on ? statusRaw() | SW_C1 : statusRaw() & ~SW_C1);
}

/**
 * A stack fault: an empty source register (underflow, C1=0) or a push onto a full register
 * (overflow, C1=1). Sets the masked response, the real indefinite, as the result.
 */
export function stackFault(overflow: bool): void {
  raise(SW_IE | SW_SF);
  setC1(overflow);
  setIndefinite();
}

/** Recompute ES and B from the flags and masks (after FLDCW, FLDENV, FRSTOR). */
export function updateSummary(): void {
  const pending = statusRaw() & ~controlWord() & SW_EXCEPTIONS;
  const status = statusRaw() & ~(SW_ES | SW_B);
  setStatusRaw(pending != 0 ? status | SW_ES | SW_B : status);
}

/** A waiting instruction starts: deliver a pending unmasked exception as #MF. */
export function checkPending(): void {
  if ((statusRaw() & SW_ES) != 0 && (getCr0() & CR0_NE) != 0) raiseFault(EXC_MF, -1);
}
