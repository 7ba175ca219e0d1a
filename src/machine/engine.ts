// Loads the AssemblyScript engine (build/wasmvisor.wasm) and gives the host typed access to its
// exports and to the state block. Only i32 crosses the boundary (../shared/DESIGN.md).
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { UnitPacker } from "./unit_packer.ts";
import * as layout from "../../assembly/layout.ts";

/** Host functions the engine imports (assembly/host.ts). */
export interface EngineHost {
  portIn(port: number, size: number): number;
  portOut(port: number, size: number, value: number): void;
  mmioRead(address: number, size: number): number;
  mmioWrite(address: number, size: number, value: number): void;
  acknowledgeInterrupt(): number;
}

interface EngineExports {
  memory: WebAssembly.Memory;
  initialize(ramBytes: number): number;
  resetCpu(): void;
  run(budget: number): number;
  resume(): number;
  loadSegmentCache(seg: number, selector: number, base: number, limit: number, access: number): void;
  stateChanged(cpl: number): void;
  decodeInstruction(): number;
  translateLinear(linear: number, write: number, user: number): number;
  flushTlb(): void;
  hostWroteMemory(address: number, length: number): void;
  invalidateDecodedCode(): void;
  setJitThreshold(entries: number): void;
  setJitChaining(enabled: boolean): void;
  /** Entries into the translated units entered at `eip` (counted by hash: an upper bound). */
  jitUnitEntries(eip: number): number;
  jitHelper(op: number, a: number, b: number): number;
  jitSlowPath(...args: number[]): number;
  /** EFLAGS with the lazy flags computed, leaving the lazy state untouched. */
  peekFlags(): number;
}

/** How the binary translator is used: never, for hot code, or for all code (a debugging aid). */
export type JitMode = "off" | "on" | "force";

// Entries into a block start before it is translated. Compiling a unit costs about as much as
// interpreting it a few thousand times: measured on the Debian boot and shell workloads
// (bench/linux-guest.js), 1000-3000 beat 200 (the boot 15 s against 18 s, the workloads alike).
const JIT_THRESHOLDS: Record<JitMode, number> = { off: 0, on: 2000, force: 1 };

/** The mode when none is given: WASMVISOR_JIT from the environment (test runs use it), else "on". */
export function defaultJitMode(): JitMode {
  const fromEnvironment = typeof process === "undefined" ? undefined : process.env.WASMVISOR_JIT;
  if (fromEnvironment === undefined || fromEnvironment === "") return "on";
  if (fromEnvironment === "off" || fromEnvironment === "on" || fromEnvironment === "force") return fromEnvironment;
  throw new EngineError(`WASMVISOR_JIT must be off, on or force, not ${JSON.stringify(fromEnvironment)}`);
}

// Translated units go on into the next unit through this trampoline, by tail calls: it is the
// only module besides the engine that imports the function table (assembly/jit/module_writer.ts).
// (module (type $unit (func (param i32) (result i32))) (import "e" "t" (table 0 funcref))
//   (func (export "c") (param $budget i32) (param $slot i32) (result i32)
//     local.get $budget local.get $slot return_call_indirect (type $unit)))
const TRAMPOLINE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0c, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
  0x02, 0x09, 0x01, 0x01, 0x65, 0x01, 0x74, 0x01, 0x70, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x01,
  0x07, 0x05, 0x01, 0x01, 0x63, 0x00, 0x00,
  0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x13, 0x00, 0x00, 0x0b,
]);

// V8 settings for translated code, made once, before the first module is compiled.
// - Branch hints: translated units mark their slow paths and exits as unlikely branches (the
//   branch-hinting proposal, assembly/jit/wasm_writer.ts), so V8 lays that code out of the way of
//   the hot path. On the Linux bench that made the gzip pipeline 1.5x and the shell loop 1.3x
//   faster: the translated kernel and busybox code stops overflowing the instruction caches. V8
//   honours the hints by default from 13.7 (Chrome 137); before, only with this flag.
// - Compilation hints: packed modules ask for their functions optimized before the module is
//   ready (unit_packer.ts), so their slots never run baseline code.
let v8Tuned = false;
function tuneV8ForTranslatedCode(): void {
  if (v8Tuned) return;
  v8Tuned = true;
  const [major, minor] = process.versions.v8.split(".").map(Number);
  if (major < 13 || (major === 13 && minor < 7)) setFlagsFromString("--experimental-wasm-branch-hinting");
  setFlagsFromString("--experimental-wasm-compilation-hints");
}

// What units import in its place without tail calls; with chaining off they never call it.
const noTrampoline = (): number => {
  throw new EngineError("a translated unit chained without tail calls");
};

/** The trampoline, or undefined where WebAssembly has no tail calls (units then do not chain). */
function instantiateTrampoline(table: WebAssembly.Table): ((budget: number, slot: number) => number) | undefined {
  if (!WebAssembly.validate(TRAMPOLINE)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(TRAMPOLINE), { e: { t: table } });
  return instance.exports.c as (budget: number, slot: number) => number;
}

/** An exception an engine call raised instead of returning (vector and error code, -1 for none). */
export interface GuestException {
  vector: number;
  errorCode: number;
}

/** Why a slice of execution ended (assembly/cpu/run.ts). */
export enum RunResult {
  BudgetExhausted = 0,
  Halted = 1,
  StopRequested = 2,
  TripleFault = 3,
}

export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineError";
  }
}

// Thrown through the engine to abandon an instruction that raised an exception; never escapes
// this module. A plain object: no stack trace is captured.
const UNWIND = { unwind: true };

function findWasm(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, "wasmvisor.wasm"), // next to the bundled CLI (dist/)
    path.join(here, "../../build/wasmvisor.wasm"), // running from src/machine
    path.join(here, "../build/wasmvisor.wasm"),
  ];
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new EngineError(`engine not built: none of ${candidates.join(", ")} exists (run: npm run build)`);
}

let compiledModule: WebAssembly.Module | undefined;

export class Engine {
  readonly exports: EngineExports;
  private u32View: Uint32Array;
  private u8View: Uint8Array;

  /** Modules the host failed to compile (a translator bug; those units stay interpreted). */
  jitFailures = 0;
  firstJitFailure: string | undefined;
  private trampoline: ((budget: number, slot: number) => number) | undefined;
  private readonly table = new WebAssembly.Table({ element: "anyfunc", initial: layout.JIT_FIRST_SLOT + layout.JIT_SLOTS });
  /** Called with every module the translator generates (tests print them; tools can save them). */
  onModuleCompiled: ((bytes: Uint8Array) => void) | undefined;
  /** Host time spent compiling translated code, in µs. */
  compileMicroseconds = 0;
  private readonly packer: UnitPacker;

  constructor(host: EngineHost, wasmPath?: string, jit: JitMode = defaultJitMode()) {
    if (jit !== "off") tuneV8ForTranslatedCode();
    compiledModule ??= new WebAssembly.Module(readFileSync(wasmPath ?? findWasm()));
    const instance = new WebAssembly.Instance(compiledModule, {
      host: {
        portIn: (port: number, size: number) => host.portIn(port & 0xffff, size),
        portOut: (port: number, size: number, value: number) => host.portOut(port & 0xffff, size, value >>> 0),
        mmioRead: (address: number, size: number) => host.mmioRead(address >>> 0, size),
        mmioWrite: (address: number, size: number, value: number) => host.mmioWrite(address >>> 0, size, value >>> 0),
        acknowledgeInterrupt: () => host.acknowledgeInterrupt(),
        unwind: () => { throw UNWIND; },
        compileModule: (address: number, length: number, slots: number, count: number) => this.compileModule(address, length, slots, count),
      },
      env: {
        abort: () => { throw new EngineError("engine aborted (internal error)"); },
        table: this.table,
      },
    });
    this.exports = instance.exports as unknown as EngineExports;
    this.exports.setJitThreshold(JIT_THRESHOLDS[jit]);
    this.trampoline = instantiateTrampoline(this.table);
    this.packer = new UnitPacker(this.table, (module) => this.instantiateUnits(module), (eip) => this.exports.jitUnitEntries(eip));
    this.exports.setJitChaining(this.trampoline !== undefined);
    this.u32View = new Uint32Array(this.exports.memory.buffer);
    this.u8View = new Uint8Array(this.exports.memory.buffer);
  }

  // Synchronous compilation: fine in Node and in a Worker (../shared/DESIGN.md).
  private compileModule(address: number, length: number, slots: number, count: number): number {
    const started = performance.now();
    try {
      const bytes = new Uint8Array(this.exports.memory.buffer, address, length);
      this.onModuleCompiled?.(bytes.slice());
      const instance = this.instantiateUnits(new WebAssembly.Module(bytes));
      const slotList: number[] = [];
      const eips: number[] = [];
      for (let i = 0; i < count; i++) {
        slotList.push(this.get32(slots + 4 * i));
        eips.push(this.get32(layout.JIT_BATCH + 8 * i + 4));
        this.table.set(slotList[i], instance.exports[String(i)] as (...args: unknown[]) => unknown);
      }
      this.packer.compiled(bytes, slotList, eips);
      return 1;
    } catch (error) {
      this.jitFailures++;
      this.firstJitFailure ??= (error as Error).message;
      return 0;
    } finally {
      this.compileMicroseconds += (performance.now() - started) * 1000;
    }
  }

  private instantiateUnits(module: WebAssembly.Module): WebAssembly.Instance {
    return new WebAssembly.Instance(module, { e: { m: this.exports.memory, h: this.exports.jitHelper, c: this.trampoline ?? noTrampoline, s: this.exports.jitSlowPath } });
  }

  /** Pack the translated units that became hot since they were compiled (unit_packer.ts). */
  packHotUnits(): void {
    const started = performance.now();
    this.packer.check();
    this.compileMicroseconds += (performance.now() - started) * 1000;
  }

  /** Units moved into packed modules so far (unit_packer.ts), and those modules. */
  get unitsPacked(): number { return this.packer.unitsPacked; }
  get modulesPacked(): number { return this.packer.modulesPacked; }

  initialize(ramBytes: number): void {
    if (!this.exports.initialize(ramBytes)) throw new EngineError(`cannot allocate ${ramBytes} bytes of guest RAM`);
    this.refreshViews();
  }

  private refreshViews(): void {
    if (this.u8View.buffer !== this.exports.memory.buffer) {
      this.u32View = new Uint32Array(this.exports.memory.buffer);
      this.u8View = new Uint8Array(this.exports.memory.buffer);
    }
  }

  /** Run up to `budget` instructions; exceptions the guest raises are delivered inside. */
  run(budget: number): RunResult {
    let result: number;
    try {
      result = this.exports.run(budget);
    } catch (error) {
      if (error !== UNWIND) throw error;
      result = this.resumeAfterUnwind();
    }
    return result as RunResult;
  }

  private resumeAfterUnwind(): number {
    for (;;) {
      try {
        return this.exports.resume();
      } catch (error) {
        if (error !== UNWIND) throw error;
      }
    }
  }

  /**
   * Call an engine entry point that may raise a guest exception (unit tests of single stages);
   * returns its result, or the exception it raised (which is then no longer pending).
   */
  tryCall<T>(call: () => T): T | GuestException {
    try {
      return call();
    } catch (error) {
      if (error !== UNWIND) throw error;
      const vector = this.get32(layout.EXCEPTION_VECTOR) | 0;
      const errorCode = this.get32(layout.EXCEPTION_ERROR_CODE) | 0;
      this.set32(layout.EXCEPTION_VECTOR, 0xffffffff);
      return { vector, errorCode };
    }
  }

  get32(offset: number): number { return this.u32View[offset >>> 2]; }
  set32(offset: number, value: number): void { this.u32View[offset >>> 2] = value >>> 0; }
  get64(offset: number): bigint {
    return (BigInt(this.u32View[(offset >>> 2) + 1]) << 32n) | BigInt(this.u32View[offset >>> 2]);
  }

  /**
   * Guest physical RAM as a byte view (length = RAM size). Whoever writes through it while the
   * guest runs must call exports.hostWroteMemory for the range, so decoded code stays coherent.
   */
  ram(): Uint8Array {
    this.refreshViews();
    return this.u8View.subarray(layout.GUEST_RAM, layout.GUEST_RAM + this.get32(layout.RAM_SIZE));
  }
}
