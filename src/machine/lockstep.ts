// Lockstep comparison of the binary translator against the interpreter (scripts/lockstep.js).
// Two machines boot the same guest, one interpreting everything (the reference) and one
// translating; both advance one step at a time, and their registers (after every step) and RAM
// (every few steps) must agree. Steps line up because instruction counts agree between modes by
// design: a translated unit runs a block only if the whole block fits the budget. On the first
// difference the run is replayed from the start with ever smaller steps to narrow it down; guest
// time comes from retired instructions, so a replay follows the same path.
import {
  Machine, MAX_SLICE, GUEST_REGISTER_NAMES, type MachineOptions, type GuestRegisters, type StepOutcome,
} from "./machine.ts";
import { disassemble } from "../isa/disassemble.ts";

export interface LockstepOptions {
  /** The guest; `jit` is ignored (the reference runs with "off", the other with `jit` below). */
  machine: MachineOptions;
  /** The translator mode under test. */
  jit: "on" | "force";
  /** Most instructions in a step (default: the machine's own slice, 1 ms of guest time). */
  stepInstructions?: number;
  /** Compare RAM after every this many steps (default 16); registers after every step. */
  ramEvery?: number;
  /** Stop comparing after this many instructions (default: run until the guest stops). */
  maxInstructions?: number;
  /** Replay with smaller steps to narrow a divergence down (default true). */
  narrow?: boolean;
  /** Called now and then with the instructions compared so far. */
  onProgress?: (instructions: number, what: string) => void;
  /** Creates each machine (default: new Machine); tests use it to plant a difference. */
  createMachine?: (options: MachineOptions) => Machine;
}

/** A byte range [start, end) of guest physical RAM. */
export interface RamRange {
  start: number;
  end: number;
}

/** Everything that differs between the two machines at one point. */
export interface Difference {
  registers: (keyof GuestRegisters)[];
  ram: RamRange[];
  /** Set when the instruction counts differ (they never should). */
  instructions?: { reference: number; translated: number };
  /** Set when one machine stopped and the other did not, or both for different reasons. */
  stops?: { reference?: StepOutcome; translated?: StepOutcome };
}

export interface TracedInstruction {
  /** Instructions retired before this one. */
  instructions: number;
  /** CS base + EIP. */
  linear: number;
  text: string;
}

export interface Divergence {
  /** The step of the first pass (from 1) after which a difference was seen. */
  firstPassStep: number;
  /** Instructions retired when the narrowest differing step began and ended. */
  from: number;
  to: number;
  /** Most instructions per step of the pass that found that step. */
  stepInstructions: number;
  difference: Difference;
  /** Both register sets at `to`. */
  reference: GuestRegisters;
  translated: GuestRegisters;
  /** The reference's instructions from `from` to `to` (the first TRACE_LIMIT of them). */
  trace: TracedInstruction[];
}

export interface LockstepResult {
  /** "stopped": both stopped alike; "limit": maxInstructions compared; "diverged". */
  status: "stopped" | "limit" | "diverged";
  /** Instructions compared (up to the first difference). */
  instructions: number;
  stop?: StepOutcome;
  divergence?: Divergence;
}

export class LockstepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockstepError";
  }
}

const DEFAULT_RAM_EVERY = 16;
/** Step sizes of the narrowing replays, each well under the one before. */
const NARROWING_STEPS = [4096, 256, 16, 1];
/** Most instructions a divergence report traces. */
export const TRACE_LIMIT = 256;
/** Most differing RAM ranges a comparison collects. */
const MAX_RAM_RANGES = 16;
/** Differing bytes closer than this are reported as one range. */
const RAM_RANGE_GAP = 16;
const PAGE_BYTES = 4096;

/** The reference and the translating machine, always stepped alike. */
class MachinePair {
  readonly reference: Machine;
  readonly translated: Machine;
  referenceStop: StepOutcome | undefined;
  translatedStop: StepOutcome | undefined;

  constructor(options: LockstepOptions) {
    const create = options.createMachine ?? ((machineOptions: MachineOptions) => new Machine(machineOptions));
    this.reference = create({ ...options.machine, jit: "off" });
    this.translated = create({ ...options.machine, jit: options.jit });
  }

  get instructions(): number {
    return this.reference.instructionsRetired();
  }

  get stopped(): boolean {
    return this.referenceStop !== undefined || this.translatedStop !== undefined;
  }

  step(maxInstructions: number): void {
    this.referenceStop = this.reference.step(maxInstructions);
    this.translatedStop = this.translated.step(maxInstructions);
  }

  /** What differs now; RAM only with `withRam` (it costs a pass over all of it). */
  compare(withRam: boolean): Difference | undefined {
    const reference = this.reference.registers();
    const translated = this.translated.registers();
    const difference: Difference = {
      registers: GUEST_REGISTER_NAMES.filter((name) => reference[name] !== translated[name]),
      ram: withRam ? differingRam(this.reference.guestRam(), this.translated.guestRam()) : [],
    };
    const counts = { reference: this.reference.instructionsRetired(), translated: this.translated.instructionsRetired() };
    if (counts.reference !== counts.translated) difference.instructions = counts;
    if (!sameStop(this.referenceStop, this.translatedStop)) {
      difference.stops = { reference: this.referenceStop, translated: this.translatedStop };
    }
    const differs = difference.registers.length > 0 || difference.ram.length > 0 ||
      difference.instructions !== undefined || difference.stops !== undefined;
    return differs ? difference : undefined;
  }
}

function sameStop(a: StepOutcome | undefined, b: StepOutcome | undefined): boolean {
  return a?.reason === b?.reason && a?.exitStatus === b?.exitStatus;
}

/** The ranges where two RAM images differ (the first MAX_RAM_RANGES of them). */
export function differingRam(a: Uint8Array, b: Uint8Array): RamRange[] {
  const ranges: RamRange[] = [];
  if (Buffer.compare(a, b) === 0) return ranges;
  for (let page = 0; page < a.length && ranges.length < MAX_RAM_RANGES; page += PAGE_BYTES) {
    const end = Math.min(page + PAGE_BYTES, a.length);
    if (Buffer.compare(a.subarray(page, end), b.subarray(page, end)) === 0) continue;
    for (let i = page; i < end; i++) {
      if (a[i] === b[i]) continue;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && i - last.end < RAM_RANGE_GAP) last.end = i + 1;
      else if (ranges.length < MAX_RAM_RANGES) ranges.push({ start: i, end: i + 1 });
      else break;
    }
  }
  return ranges;
}

/** Steps already taken: up to instruction `until` in steps of at most `stepInstructions`. */
interface ScheduleSegment {
  until: number;
  stepInstructions: number;
}

/** Take the steps of `schedule` again, on machines created fresh. */
function replay(schedule: ScheduleSegment[], instructions: () => number, step: (maxInstructions: number) => void): void {
  for (const segment of schedule) {
    while (instructions() < segment.until) step(segment.stepInstructions);
    if (instructions() !== segment.until) {
      throw new LockstepError(`replay reached instruction ${instructions()}, not ${segment.until}: the guest is not deterministic`);
    }
  }
}

type PassResult =
  | { kind: "diverged"; from: number; to: number; step: number; difference: Difference }
  | { kind: "stopped"; stop: StepOutcome }
  | { kind: "limit" };

/**
 * Step the pair in steps of at most `stepInstructions` until `limit` instructions, comparing
 * registers after every step and RAM after every `ramEvery` steps. A difference is reported
 * with the span since the last point where everything (RAM too) was seen to agree.
 */
function comparePass(pair: MachinePair, stepInstructions: number, limit: number, ramEvery: number,
  onProgress?: (instructions: number) => void): PassResult {
  let agreedAt = pair.instructions;
  let lastProgress = performance.now();
  for (let step = 1; pair.instructions < limit; step++) {
    pair.step(stepInstructions);
    const withRam = step % ramEvery === 0 || pair.stopped || pair.instructions >= limit;
    const difference = pair.compare(withRam);
    if (difference) return { kind: "diverged", from: agreedAt, to: pair.instructions, step, difference };
    if (withRam) agreedAt = pair.instructions;
    if (pair.referenceStop) return { kind: "stopped", stop: pair.referenceStop };
    if (onProgress && performance.now() - lastProgress > 1000) {
      onProgress(pair.instructions);
      lastProgress = performance.now();
    }
  }
  return { kind: "limit" };
}

/** Run the comparison; on a difference, narrow it down and trace the reference through it. */
export function runLockstep(options: LockstepOptions): LockstepResult {
  const stepInstructions = options.stepInstructions ?? MAX_SLICE;
  const ramEvery = options.ramEvery ?? DEFAULT_RAM_EVERY;
  const limit = options.maxInstructions ?? Infinity;
  const progress = options.onProgress;
  if (!Number.isInteger(stepInstructions) || stepInstructions < 1) throw new LockstepError(`step size must be a whole number from 1, not ${stepInstructions}`);
  if (!Number.isInteger(ramEvery) || ramEvery < 1) throw new LockstepError(`RAM comparison interval must be a whole number from 1, not ${ramEvery}`);

  const pair = new MachinePair(options);
  const first = comparePass(pair, stepInstructions, limit, ramEvery, progress && ((n) => progress(n, "compared")));
  if (first.kind === "stopped") return { status: "stopped", instructions: pair.instructions, stop: first.stop };
  if (first.kind === "limit") return { status: "limit", instructions: pair.instructions };

  // Narrow down: replay to the start of the differing span, then step through it in smaller steps.
  let found = { ...first, stepInstructions, pair };
  const schedule: ScheduleSegment[] = [{ until: first.from, stepInstructions }];
  const narrowingSteps = options.narrow === false ? [] : [stepInstructions, ...NARROWING_STEPS];
  for (const size of narrowingSteps) {
    if (size >= found.to - found.from) continue;
    progress?.(found.from, `replaying to narrow instructions ${found.from}..${found.to} down in steps of ${size}`);
    const replayPair = new MachinePair(options);
    replay(schedule, () => replayPair.instructions, (n) => replayPair.step(n));
    const pass = comparePass(replayPair, size, found.to, 1);
    // Smaller steps change which blocks run translated: the difference may not show any more.
    if (pass.kind !== "diverged") break;
    schedule.push({ until: pass.from, stepInstructions: size });
    found = { ...pass, step: first.step, stepInstructions: size, pair: replayPair };
  }

  // A step that compared registers only (no narrowing) still gets its RAM in the report.
  const { reference, translated } = found.pair;
  found.difference.ram = differingRam(reference.guestRam(), translated.guestRam());
  progress?.(found.from, "tracing the reference through the differing step");
  return {
    status: "diverged",
    instructions: found.from,
    divergence: {
      firstPassStep: first.step,
      from: found.from,
      to: found.to,
      stepInstructions: found.stepInstructions,
      difference: found.difference,
      reference: reference.registers(),
      translated: translated.registers(),
      trace: traceReference(options, schedule, found.to),
    },
  };
}

/**
 * Replay a fresh reference machine through `schedule`, then record its instructions up to `to`,
 * one step of one instruction each. (A step that delivers an interrupt runs the handler's first
 * instruction, not the one recorded at EIP.)
 */
function traceReference(options: LockstepOptions, schedule: ScheduleSegment[], to: number): TracedInstruction[] {
  const create = options.createMachine ?? ((machineOptions: MachineOptions) => new Machine(machineOptions));
  const machine = create({ ...options.machine, jit: "off" });
  replay(schedule, () => machine.instructionsRetired(), (n) => machine.step(n));
  const trace: TracedInstruction[] = [];
  while (machine.instructionsRetired() < to && trace.length < TRACE_LIMIT) {
    const code = machine.codeAtEip();
    const text = code.bytes.length === 0 ? "(not readable)" : disassemble(code.bytes, 0, code.code32).text;
    // A halted CPU retires nothing until its interrupt: keep only the last look at it.
    if (trace.at(-1)?.instructions === machine.instructionsRetired()) trace.pop();
    trace.push({ instructions: machine.instructionsRetired(), linear: code.linear, text });
    if (machine.step(1)) break;
  }
  return trace;
}

const hex = (value: number, digits = 8): string => value.toString(16).padStart(digits, "0");

/** A readable report of a divergence: where, what differs, both register sets, the trace. */
export function describeDivergence(divergence: Divergence, jit: string): string {
  const { difference, reference, translated } = divergence;
  const lines = [
    `DIVERGENCE between jit=off and jit=${jit}, first seen after step ${divergence.firstPassStep}`,
    `  narrowed to instructions ${divergence.from}..${divergence.to} (steps of at most ${divergence.stepInstructions})`,
  ];
  if (difference.instructions) {
    lines.push(`  instruction counts differ: reference ${difference.instructions.reference}, translated ${difference.instructions.translated}`);
  }
  if (difference.stops) {
    const describe = (stop?: StepOutcome): string => stop ? `${stop.reason}${stop.exitStatus === undefined ? "" : ` (status ${stop.exitStatus})`}` : "running";
    lines.push(`  stopped differently: reference ${describe(difference.stops.reference)}, translated ${describe(difference.stops.translated)}`);
  }
  lines.push(`  registers differing: ${difference.registers.length > 0 ? difference.registers.join(" ") : "none"}`);
  lines.push(`  RAM differing: ${difference.ram.length > 0 ? difference.ram.map((r) => `${hex(r.start)}..${hex(r.end)}`).join(" ") : "none"}`);
  lines.push("", "  register   jit=off    jit=" + jit);
  for (const name of GUEST_REGISTER_NAMES) {
    const mark = difference.registers.includes(name) ? " <--" : "";
    lines.push(`  ${name.padEnd(8)}   ${hex(reference[name])}   ${hex(translated[name])}${mark}`);
  }
  lines.push("", `  the reference's instructions from ${divergence.from}:`);
  for (const traced of divergence.trace) lines.push(`  ${String(traced.instructions).padStart(12)}  ${hex(traced.linear)}  ${traced.text}`);
  const untraced = divergence.to - divergence.from - divergence.trace.length;
  if (untraced > 0) lines.push(`  ... ${untraced} more`);
  return lines.join("\n");
}
