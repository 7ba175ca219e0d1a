// The library API: create and run a machine from TypeScript.
export { createMachine, Machine, MachineError, LoaderError } from "./machine/machine.ts";
export type { MachineOptions, RunOutcome, StopReason, StepOutcome, GuestRegisters, GeneralRegister } from "./machine/machine.ts";
export { runLockstep, describeDivergence, LockstepError, type LockstepOptions, type LockstepResult, type Divergence } from "./machine/lockstep.ts";
export { RunResult } from "./machine/engine.ts";
export { ensureDebianGuest, GuestImageError, DEFAULT_CMDLINE, GUEST_PROMPT, type DebianGuest, type DebianGuestOptions } from "./guest-image/debian.ts";
export { writeCpio, writeCpioGzip, type CpioEntry, type CpioOptions } from "./guest-image/cpio.ts";
export { relaunchWithV8WorkerPool } from "./machine/v8_worker_pool.ts";
