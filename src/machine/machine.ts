// A virtual machine: the engine, guest RAM, the port bus with the platform devices, a virtual
// clock, and the loop that runs the CPU in slices and services devices between them.
import * as layout from "../../assembly/layout.ts";
import { Engine, RunResult, type JitMode } from "./engine.ts";
import { PcPlatform, CYCLES_PER_SECOND } from "./platform.ts";
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC, type MultibootModule } from "./multiboot.ts";
import { LoaderError } from "./loader_error.ts";
import { loadFlat, DEFAULT_FLAT_LOAD_ADDRESS } from "./flat.ts";
import { loadLinux, isBzImage, BOOT_CS, BOOT_DS, BOOT_GDT_ADDRESS, BOOT_GDT_LIMIT } from "./linux_boot.ts";
import { pcMemoryMap } from "./memory_map.ts";

/** Longest slice between device services (1 ms of guest time), in instructions. */
export const MAX_SLICE = CYCLES_PER_SECOND / 1000;
/** Host time between looks for hot translated units to pack (a look costs some µs). */
const PACK_CHECK_MILLISECONDS = 50;
/** Yield to the host event loop this often (in slices) so input and timers are served. */
const SLICES_PER_YIELD = 16;

export interface MachineOptions {
  /** Guest RAM in MiB (default 128, as QEMU). */
  memoryMiB?: number;
  /**
   * The kernel: a Linux bzImage (recognised by its setup header, booted through the 32-bit boot
   * protocol), a multiboot image, or a flat binary with `flat`.
   */
  kernel: Uint8Array;
  /** Initial ramdisk for a Linux kernel. */
  initrd?: Uint8Array;
  /**
   * Treat `kernel` as a flat binary: copied to `loadAddress` (default 0x7C00) and entered in real
   * mode at 0000:loadAddress, as a BIOS starts a boot sector.
   */
  flat?: { loadAddress?: number };
  /** Name shown in error messages (default "kernel"). */
  kernelName?: string;
  /** Kernel command line (after the kernel's name, which comes first as GRUB and QEMU put it). */
  cmdline?: string;
  modules?: MultibootModule[];
  /**
   * When the guest resets (triple fault, 8042 reset pulse, port 0xCF9): boot again (default) or
   * stop, like QEMU's -no-reboot.
   */
  rebootOnReset?: boolean;
  /**
   * The binary translator: "on" translates hot code to WebAssembly (default, or WASMVISOR_JIT
   * from the environment), "off" interprets everything, "force" translates all code on first use.
   */
  jit?: JitMode;
  /** Path of the engine's .wasm file (default: found next to the package). */
  wasmPath?: string;
}

export type StopReason = "exit" | "power-off" | "reboot" | "triple-fault" | "halted-forever" | "stopped";

/** Why a step() ended the run. */
export interface StepOutcome {
  reason: StopReason;
  /** With reason "exit": the process status isa-debug-exit asked for ((v << 1) | 1). */
  exitStatus?: number;
}

/** The registers a debugger compares between two machines (EFLAGS with lazy flags computed). */
export interface GuestRegisters {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
  es: number; cs: number; ss: number; ds: number; fs: number; gs: number;
  cr0: number; cr2: number; cr3: number; cr4: number;
}

export type GeneralRegister = "eax" | "ecx" | "edx" | "ebx" | "esp" | "ebp" | "esi" | "edi";

/** Register names in the order reports list them. */
export const GUEST_REGISTER_NAMES: readonly (keyof GuestRegisters)[] = [
  "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
  "es", "cs", "ss", "ds", "fs", "gs", "cr0", "cr2", "cr3", "cr4",
];

const GENERAL_REGISTER_OFFSETS: Record<GeneralRegister, number> = {
  eax: layout.REG_EAX, ecx: layout.REG_ECX, edx: layout.REG_EDX, ebx: layout.REG_EBX,
  esp: layout.REG_ESP, ebp: layout.REG_EBP, esi: layout.REG_ESI, edi: layout.REG_EDI,
};

export interface RunOutcome {
  reason: StopReason;
  /** With reason "exit": the process status isa-debug-exit asked for ((v << 1) | 1). */
  exitStatus?: number;
  instructions: bigint;
  /** Host wall-clock time spent running, in milliseconds. */
  elapsedMs: number;
}

// A slice's result: stop with an outcome, go on (undefined), or IDLE — halted with interrupts
// enabled and nothing scheduled that could raise one.
const IDLE = Symbol("idle");
type SliceOutcome = StepOutcome | typeof IDLE | undefined;
const FLAG_IF = 0x200; // EFLAGS.IF (SDM vol. 1, 3.4.3)
const CODE_SEGMENT_D = 0x4000; // D bit of a code descriptor (bit 54, as SEG_ACCESS holds bits 40..55; SDM vol. 3, 3.4.5)
const MAX_INSTRUCTION_BYTES = 15; // longer is #GP (SDM vol. 2, 2.3.11)

export class MachineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MachineError";
  }
}

export const MIN_MEMORY_MIB = 2;
export const MAX_MEMORY_MIB = 3072;

type SerialListener = (bytes: Uint8Array) => void;

export class Machine {
  readonly engine: Engine;
  readonly platform: PcPlatform;
  readonly serial: { onData(listener: SerialListener): void; write(bytes: Uint8Array | string): void };

  private readonly options: MachineOptions;
  private readonly serialListeners: SerialListener[] = [];
  private stopRequested = false;
  private exitStatus: number | undefined;
  /** Cycles the guest spent halted (time skipped forward to the next timer event while idle). */
  private idleCycles = 0;
  private resets = 0;
  private lastPackCheck = 0;
  /**
   * Instructions retired before the last reset. A CPU reset zeroes the engine's counter, but guest
   * time (the 8254's clock) must not go back: the 8254 would stand still until the new boot had
   * retired as many instructions as all earlier ones.
   */
  private retiredBeforeReset = 0n;

  constructor(options: MachineOptions) {
    const memoryMiB = options.memoryMiB ?? 128;
    if (!Number.isInteger(memoryMiB) || memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
      throw new MachineError(`memory size must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}, not ${memoryMiB}`);
    }
    this.options = options;
    this.engine = new Engine({
      portIn: (port, size) => this.platform.ports.read(port, size),
      portOut: (port, size, value) => this.platform.ports.write(port, size, value),
      mmioRead: (address, size) => this.platform.mmio.read(address, size),
      mmioWrite: (address, size, value) => this.platform.mmio.write(address, size, value),
      acknowledgeInterrupt: () => this.platform.acknowledgeInterrupt(),
    }, options.wasmPath, options.jit);
    this.engine.initialize(memoryMiB * 1024 * 1024);
    this.platform = new PcPlatform({
      cycles: () => this.guestCycles(),
      interruptLine: (pending) => {
        this.engine.set32(layout.INTERRUPT_PENDING, pending ? 1 : 0);
        if (pending) this.engine.set32(layout.ATTENTION, 1);
      },
      serialOutput: (byte) => this.emitSerial(byte),
      debugExit: (status) => this.requestExit(status),
      powerOff: () => this.requestStop("power-off"),
      reset: () => this.requestStop("reset"),
    }, memoryMiB * 1024 * 1024);

    this.serial = {
      onData: (listener) => { this.serialListeners.push(listener); },
      write: (bytes) => { this.queueSerialInput(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes); },
    };
    this.boot();
  }

  /** Load the kernel and set the CPU to the multiboot entry state (Multiboot 0.6.96, 3.2). */
  private boot(): void {
    if (this.options.flat) {
      this.bootFlat(this.options.flat.loadAddress ?? DEFAULT_FLAT_LOAD_ADDRESS);
      return;
    }
    if (isBzImage(this.options.kernel)) {
      this.bootLinux();
      return;
    }
    const ram = this.engine.ram();
    const name = this.options.kernelName ?? "kernel";
    // As GRUB and QEMU do, the command line starts with the kernel's name.
    const append = this.options.cmdline ?? "";
    const cmdline = append === "" ? name : `${name} ${append}`;
    const { entry, infoAddress } = loadMultiboot(ram, this.options.kernel, name, cmdline, this.options.modules ?? []);
    const e = this.engine;
    // 32-bit flat code and data segments; selectors as QEMU's multiboot loader uses them.
    const flatCode = 0xc09b; // G, D, P, S, code, readable, accessed
    const flatData = 0xc093; // G, B, P, S, data, writable, accessed
    e.exports.loadSegmentCache(layout.SEG_CS, 0x10, 0, 0xffffffff, flatCode);
    for (const seg of [layout.SEG_ES, layout.SEG_SS, layout.SEG_DS, layout.SEG_FS, layout.SEG_GS]) {
      e.exports.loadSegmentCache(seg, 0x18, 0, 0xffffffff, flatData);
    }
    e.set32(layout.CR0, 0x11); // PE and ET
    e.set32(layout.REG_EFLAGS, 0x2);
    e.set32(layout.REG_EIP, entry);
    e.set32(layout.REG_EAX, MULTIBOOT_BOOTLOADER_MAGIC);
    e.set32(layout.REG_EBX, infoAddress);
    e.set32(layout.REG_ESP, 0x7c00);
    e.exports.stateChanged(0);
  }

  /** Linux 32-bit boot protocol entry state (boot.rst, "32-bit boot protocol"). */
  private bootLinux(): void {
    const e = this.engine;
    const rsdp = this.platform.writeFirmwareTables(e.ram());
    const { entry, bootParamsAddress } = loadLinux(e.ram(), this.options.kernel, this.options.kernelName ?? "kernel",
      this.options.cmdline ?? "", this.options.initrd, pcMemoryMap(e.ram().length), rsdp);
    e.set32(layout.GDTR_BASE, BOOT_GDT_ADDRESS);
    e.set32(layout.GDTR_LIMIT, BOOT_GDT_LIMIT);
    e.exports.loadSegmentCache(layout.SEG_CS, BOOT_CS, 0, 0xffffffff, 0xc09b);
    for (const seg of [layout.SEG_ES, layout.SEG_SS, layout.SEG_DS, layout.SEG_FS, layout.SEG_GS]) {
      e.exports.loadSegmentCache(seg, BOOT_DS, 0, 0xffffffff, 0xc093);
    }
    e.set32(layout.CR0, 0x11); // PE and ET; paging off
    e.set32(layout.REG_EFLAGS, 0x2); // interrupts disabled
    e.set32(layout.REG_EIP, entry);
    e.set32(layout.REG_ESI, bootParamsAddress);
    for (const r of [layout.REG_EBP, layout.REG_EDI, layout.REG_EBX]) e.set32(r, 0);
    e.exports.stateChanged(0);
  }

  /** Real mode at 0000:address with the image there; the rest is the CPU's power-on state. */
  private bootFlat(address: number): void {
    loadFlat(this.engine.ram(), this.options.kernel, this.options.kernelName ?? "image", address);
    const e = this.engine;
    e.exports.loadSegmentCache(layout.SEG_CS, 0, 0, 0xffff, 0x9b);
    e.set32(layout.REG_EIP, address);
    e.set32(layout.REG_EDX, 0x80); // DL: the drive booted from, as a BIOS passes it
    e.set32(layout.REG_ESP, address); // the stack grows down below the image
    e.exports.stateChanged(0);
  }

  // Transmitted bytes are batched and handed to listeners once per slice (or when full).
  private readonly serialBuffer = new Uint8Array(4096);
  private serialBuffered = 0;

  private emitSerial(byte: number): void {
    this.serialBuffer[this.serialBuffered++] = byte;
    if (this.serialBuffered === this.serialBuffer.length) this.flushSerial();
  }

  private flushSerial(): void {
    if (this.serialBuffered === 0) return;
    const chunk = this.serialBuffer.slice(0, this.serialBuffered);
    this.serialBuffered = 0;
    for (const listener of this.serialListeners) listener(chunk);
  }

  // Host → guest bytes wait here and enter the UART's receive FIFO as it has room, as a real
  // line would pace them, so nothing typed is lost to an overrun.
  private serialInput: number[] = [];

  private queueSerialInput(bytes: Uint8Array): void {
    for (const byte of bytes) this.serialInput.push(byte);
    this.feedSerialInput();
    this.wake?.();
  }

  private feedSerialInput(): void {
    if (this.serialInput.length === 0) return;
    const room = this.platform.com1.receiveRoom();
    if (room <= 0) return;
    const accepted = this.platform.com1.receive(this.serialInput.slice(0, room));
    this.serialInput = this.serialInput.slice(accepted);
  }

  private requestExit(status: number): void {
    this.exitStatus = status;
    this.engine.set32(layout.STOP_REQUESTED, 1);
    this.engine.set32(layout.ATTENTION, 1);
  }

  /** Guest time in cycles: retired instructions plus time skipped while idle; never decreases. */
  private guestCycles(): number {
    return this.instructionsRetired() + this.idleCycles;
  }

  /** Instructions retired since the machine was created, across resets. */
  instructionsRetired(): number {
    return Number(this.totalInstructions());
  }

  private totalInstructions(): bigint {
    return this.retiredBeforeReset + this.engine.get64(layout.INSTRUCTIONS_RETIRED);
  }

  /** Ask run() to return at the next slice boundary. */
  stop(): void {
    this.stopRequested = true;
    this.engine.set32(layout.STOP_REQUESTED, 1);
    this.engine.set32(layout.ATTENTION, 1);
    this.wake?.();
  }

  /** Run until the guest exits, shuts down, halts for good, or stop() is called. */
  async run(): Promise<RunOutcome> {
    const started = performance.now();
    let slices = 0;
    for (;;) {
      const outcome = this.runSlice();
      if (outcome === IDLE) {
        // Halted with interrupts enabled and no timer armed: only input or stop() can wake it.
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
        continue;
      }
      if (outcome) return { ...outcome, instructions: this.totalInstructions(), elapsedMs: performance.now() - started };
      if (++slices % SLICES_PER_YIELD === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // Resolves the wait of an idle run().
  private wake: (() => void) | undefined;

  /** Run synchronously until the guest stops (for tests and tools without an event loop). */
  runToCompletion(): RunOutcome {
    const started = performance.now();
    for (;;) {
      const outcome = this.runSlice();
      // Nothing can arrive while this call holds the thread: an idle guest has halted for good.
      if (outcome === IDLE) return { reason: "halted-forever", instructions: this.totalInstructions(), elapsedMs: performance.now() - started };
      if (outcome) return { ...outcome, instructions: this.totalInstructions(), elapsedMs: performance.now() - started };
    }
  }

  /** Whether the guest halted with interrupts enabled (it could still be woken by input). */
  get interruptsEnabled(): boolean {
    return (this.engine.get32(layout.REG_EFLAGS) & FLAG_IF) !== 0;
  }

  // Host time spent in slices (running the guest and its devices, not waiting for input).
  private runningMilliseconds = 0;

  private runSlice(maxInstructions = MAX_SLICE): SliceOutcome {
    const started = performance.now();
    try {
      return this.runSliceUntimed(maxInstructions);
    } finally {
      this.runningMilliseconds += performance.now() - started;
    }
  }

  // A slice ends at the next timer event, so timer interrupts arrive after the same instruction
  // however the run is cut into slices: a smaller maxInstructions leaves the guest's path alone.
  private runSliceUntimed(maxInstructions: number): SliceOutcome {
    const platform = this.platform;
    platform.updateTimers();
    const cyclesToTimer = platform.cyclesToNextEvent();
    const longest = Math.min(MAX_SLICE, maxInstructions);
    const budget = Number.isFinite(cyclesToTimer) ? Math.max(1, Math.min(longest, Math.ceil(cyclesToTimer))) : longest;
    const result = this.engine.run(budget);
    const now = performance.now();
    if (now - this.lastPackCheck >= PACK_CHECK_MILLISECONDS) {
      this.lastPackCheck = now;
      this.engine.packHotUnits();
    }
    this.flushSerial();
    this.feedSerialInput();
    platform.updateTimers();
    switch (result) {
      case RunResult.StopRequested: {
        this.engine.set32(layout.STOP_REQUESTED, 0);
        if (this.exitStatus !== undefined) return { reason: "exit", exitStatus: this.exitStatus };
        const event = this.platformEvent;
        this.platformEvent = undefined;
        if (event === "power-off") return { reason: "power-off" };
        if (event === "reset") return this.rebootOrStop("reboot");
        if (this.stopRequested) return this.stopped();
        return undefined;
      }
      case RunResult.TripleFault:
        return this.rebootOrStop("triple-fault");
      case RunResult.Halted: {
        if (this.stopRequested) return this.stopped();
        if (!this.interruptsEnabled) return { reason: "halted-forever" };
        if (platform.hasPendingInterrupt() || this.serialInput.length > 0) return undefined;
        // Idle: skip guest time forward to the next timer event (the TSC moves with it).
        const cycles = platform.cyclesToNextEvent();
        if (!Number.isFinite(cycles)) return IDLE;
        this.skipIdle(Math.max(1, Math.ceil(cycles)));
        return undefined;
      }
      default:
        if (this.stopRequested) return this.stopped();
        return undefined;
    }
  }

  // Debugging hooks, for tools that compare two machines instruction by instruction
  // (src/machine/lockstep.ts). Guest time is derived from retired instructions (and time skipped
  // while halted), never from the host's clock, so two machines given the same steps stay in step.

  /**
   * Run one slice of at most `maxInstructions` and service the devices, as run() does between
   * slices. Returns why the guest stopped, or undefined when it can go on. A guest idle for good
   * (halted, nothing armed to wake it) counts as "halted-forever", as in runToCompletion().
   */
  step(maxInstructions = MAX_SLICE): StepOutcome | undefined {
    if (!Number.isInteger(maxInstructions) || maxInstructions < 1) {
      throw new MachineError(`step() takes a whole number of instructions from 1, not ${maxInstructions}`);
    }
    const outcome = this.runSlice(maxInstructions);
    return outcome === IDLE ? { reason: "halted-forever" } : outcome;
  }

  /** The guest's registers; reading them leaves the CPU state unchanged. */
  registers(): GuestRegisters {
    const e = this.engine;
    const selector = (seg: number): number => e.get32(layout.SEG_SELECTOR + 4 * seg);
    return {
      eax: e.get32(layout.REG_EAX), ecx: e.get32(layout.REG_ECX), edx: e.get32(layout.REG_EDX), ebx: e.get32(layout.REG_EBX),
      esp: e.get32(layout.REG_ESP), ebp: e.get32(layout.REG_EBP), esi: e.get32(layout.REG_ESI), edi: e.get32(layout.REG_EDI),
      eip: e.get32(layout.REG_EIP), eflags: e.exports.peekFlags() >>> 0,
      es: selector(layout.SEG_ES), cs: selector(layout.SEG_CS), ss: selector(layout.SEG_SS),
      ds: selector(layout.SEG_DS), fs: selector(layout.SEG_FS), gs: selector(layout.SEG_GS),
      cr0: e.get32(layout.CR0), cr2: e.get32(layout.CR2), cr3: e.get32(layout.CR3), cr4: e.get32(layout.CR4),
    };
  }

  /** Overwrite a general register between steps (to test debugging tools). */
  setRegister(name: GeneralRegister, value: number): void {
    this.engine.set32(GENERAL_REGISTER_OFFSETS[name], value);
  }

  /** Guest physical RAM, to read. Write through writeRam(), which keeps decoded code coherent. */
  guestRam(): Uint8Array {
    return this.engine.ram();
  }

  /** Write bytes into guest physical RAM between steps. */
  writeRam(address: number, bytes: Uint8Array): void {
    const ram = this.engine.ram();
    if (!Number.isInteger(address) || address < 0 || address + bytes.length > ram.length) {
      throw new MachineError(`writeRam: ${bytes.length} bytes at 0x${address.toString(16)} fall outside guest RAM`);
    }
    ram.set(bytes, address);
    this.engine.exports.hostWroteMemory(address, bytes.length);
  }

  /**
   * The bytes at CS:EIP (up to 15, fewer where the next page is not mapped) and whether CS is a
   * 32-bit code segment, for showing the next instruction. Reading walks the page tables as a
   * fetch would (filling the TLB, setting accessed bits), so use it only on a machine that is no
   * longer compared with another.
   */
  codeAtEip(): { linear: number; code32: boolean; bytes: Uint8Array } {
    const e = this.engine;
    const linear = (e.get32(layout.SEG_BASE + 4 * layout.SEG_CS) + e.get32(layout.REG_EIP)) >>> 0;
    const code32 = (e.get32(layout.SEG_ACCESS + 4 * layout.SEG_CS) & CODE_SEGMENT_D) !== 0;
    const ram = e.ram();
    const cr2 = e.get32(layout.CR2); // a failed walk would set it
    const bytes: number[] = [];
    while (bytes.length < MAX_INSTRUCTION_BYTES) {
      const address = (linear + bytes.length) >>> 0;
      const physical = e.tryCall(() => e.exports.translateLinear(address, 0, 0) >>> 0);
      if (typeof physical !== "number" || physical >= ram.length) break;
      const onPage = Math.min(MAX_INSTRUCTION_BYTES - bytes.length, 0x1000 - (address & 0xfff));
      bytes.push(...ram.subarray(physical, physical + onPage));
    }
    e.set32(layout.CR2, cr2);
    return { linear, code32, bytes: Uint8Array.from(bytes) };
  }

  // A device asked for power-off or reset during the slice (ACPI S5, 8042 pulse, port 0xCF9).
  private platformEvent: "power-off" | "reset" | undefined;

  private requestStop(event: "power-off" | "reset"): void {
    this.platformEvent = event;
    this.engine.set32(layout.STOP_REQUESTED, 1);
    this.engine.set32(layout.ATTENTION, 1);
  }

  /** A reset (triple fault, or one a device asked for): boot again, or stop under --no-reboot. */
  private rebootOrStop(reason: "triple-fault" | "reboot"): SliceOutcome {
    if (!(this.options.rebootOnReset ?? true)) return { reason };
    this.reset();
    // The reset cleared the engine's stop flag; a stop() asked for in this slice still holds.
    return this.stopRequested ? this.stopped() : undefined;
  }

  private skipIdle(cycles: number): void {
    this.idleCycles += cycles;
    const offset = this.engine.get64(layout.TSC_OFFSET) + BigInt(cycles);
    this.engine.set32(layout.TSC_OFFSET, Number(offset & 0xffffffffn));
    this.engine.set32(layout.TSC_OFFSET + 4, Number(offset >> 32n));
  }

  /** The outcome for a honoured stop(); the request is used up, so a later run() runs again. */
  private stopped(): { reason: StopReason } {
    this.stopRequested = false;
    this.engine.set32(layout.STOP_REQUESTED, 0);
    return { reason: "stopped" };
  }

  /** Hardware reset: devices to power-on state, memory cleared, the kernel loaded again. */
  reset(): void {
    this.resets++;
    this.retiredBeforeReset += this.engine.get64(layout.INSTRUCTIONS_RETIRED);
    this.engine.ram().fill(0);
    this.engine.exports.resetCpu();
    this.platform.reset();
    this.boot();
  }

  get resetCount(): number { return this.resets; }

  /** Counters for --stats. */
  statistics(): Record<string, number | bigint> {
    const e = this.engine;
    return {
      instructions: this.totalInstructions(),
      runningMilliseconds: Math.round(this.runningMilliseconds),
      exceptions: e.get32(layout.STAT_EXCEPTIONS),
      pageFaults: e.get32(layout.STAT_PAGE_FAULTS),
      interrupts: e.get32(layout.STAT_INTERRUPTS),
      tlbMisses: e.get32(layout.STAT_TLB_MISSES),
      tlbFlushes: e.get32(layout.STAT_TLB_FLUSHES),
      unclaimedPortAccesses: this.platform.ports.unclaimedAccesses,
      unclaimedMmioAccesses: this.platform.mmio.unclaimedAccesses,
      resets: this.resets,
      jitUnitsCompiled: e.get32(layout.STAT_JIT_UNITS),
      jitModulesCompiled: e.get32(layout.STAT_JIT_MODULES),
      jitUnitsPacked: e.unitsPacked,
      jitModulesPacked: e.modulesPacked,
      jitCompileMilliseconds: Math.round(e.compileMicroseconds / 1000),
      jitBytesGenerated: e.get32(layout.STAT_JIT_BYTES),
      jitCompileFailures: e.jitFailures,
      instructionsTranslated: e.get64(layout.STAT_JIT_TRANSLATED),
      instructionsInterpreted: e.get64(layout.INSTRUCTIONS_RETIRED) - e.get64(layout.STAT_JIT_TRANSLATED),
      jitInvalidations: e.get32(layout.STAT_JIT_INVALIDATIONS),
      jitEvictions: e.get32(layout.STAT_JIT_EVICTIONS),
      jitExitsBranch: e.get32(layout.STAT_JIT_EXITS),
      jitExitsUntranslated: e.get32(layout.STAT_JIT_EXITS + 4),
      jitExitsBoundary: e.get32(layout.STAT_JIT_EXITS + 8),
      jitExitsSlowPath: e.get32(layout.STAT_JIT_EXITS + 12),
      jitExitsChained: e.get32(layout.STAT_JIT_CHAINED),
      jitCallouts: e.get32(layout.STAT_JIT_CALLOUTS),
    };
  }
}

export function createMachine(options: MachineOptions): Machine {
  return new Machine(options);
}

export { LoaderError };
