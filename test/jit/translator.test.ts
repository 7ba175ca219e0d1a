// The binary translator on small hand-assembled guests: the WebAssembly it generates (printed as
// text and compared with a reviewed file), the same results with translation off and forced on,
// its counters, writes near translated code (sub-page tracking) and a host write (as DMA would
// make) into code it has translated.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import * as layout from "../../assembly/layout.ts";
import { createMachine, type Machine } from "../../src/machine/machine.ts";
import type { JitMode } from "../../src/machine/engine.ts";
import { buildElf, LOAD_ADDRESS } from "../support/elf-builder.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const engineBuilt = existsSync(path.join(here, "../../build/wasmvisor.wasm"));

// Sum 10..1 in a loop, then leave through the debug-exit port with the sum in AL.
const SUM_LOOP = [
  0xb9, 0x0a, 0x00, 0x00, 0x00, // mov ecx, 10
  0x31, 0xc0, //                   xor eax, eax
  0x01, 0xc8, //                   loop: add eax, ecx
  0x49, //                         dec ecx
  0x75, 0xfb, //                   jnz loop
  0xe6, 0xf4, //                   out 0xf4, al
  0xeb, 0xfe, //                   jmp $
];

function machineFor(code: number[], jit: JitMode): { machine: Machine; modules: Uint8Array[]; serial: () => string } {
  const machine = createMachine({ kernel: buildElf({ multiboot: true, code }), memoryMiB: 4, jit });
  const modules: Uint8Array[] = [];
  machine.engine.onModuleCompiled = (bytes) => modules.push(bytes);
  let serial = "";
  machine.serial.onData((bytes) => { serial += Buffer.from(bytes).toString("latin1"); });
  return { machine, modules, serial: () => serial };
}

// Run `code` interpreted and with translation forced on: the translated run must end as the
// interpreted one, with the same exit, instruction count, registers and RAM in [ramStart, ramEnd).
function expectSameAsInterpreted(code: number[], ramStart = 0, ramEnd = 0) {
  const [off, forced] = (["off", "force"] as const).map((mode) => {
    const { machine, modules } = machineFor(code, mode);
    const outcome = machine.runToCompletion();
    // Each segment register's hidden cache: selector, base, limit, access.
    const segments = [layout.SEG_SELECTOR, layout.SEG_BASE, layout.SEG_LIMIT, layout.SEG_ACCESS]
      .flatMap((field) => [0, 1, 2, 3, 4, 5].map((seg) => machine.engine.get32(field + 4 * seg)));
    const segmentState = machine.engine.get32(layout.JIT_SEGMENTS);
    return { outcome, registers: machine.registers(), segments, segmentState, ram: machine.engine.ram().slice(ramStart, ramEnd), statistics: machine.statistics(), modules };
  });
  expect(forced.outcome.reason).toBe("exit");
  expect(forced.outcome.exitStatus).toBe(off.outcome.exitStatus);
  expect(forced.outcome.instructions).toBe(off.outcome.instructions);
  expect(forced.registers).toEqual(off.registers);
  expect(forced.segments).toEqual(off.segments);
  expect(forced.ram).toEqual(off.ram);
  return { off, forced };
}

// Sum a two-dword array (5 + 7) with a memory read in the loop, ADC at the start of the block after
// it (the flags of the DEC before are not known there), then an indirect jump to the exit. So
// the first unit has memory accesses with their slow paths, a flag read from the lazy record,
// an indirect branch and no callout (the OUT is in the next unit): it loads and spills only the
// state it uses.
const ARRAY_SUM = [
  0xbe, 0x00, 0x80, 0x00, 0x00, //       mov esi, 0x8000
  0xc7, 0x06, 0x05, 0x00, 0x00, 0x00, // mov dword [esi], 5
  0xc7, 0x46, 0x04, 0x07, 0x00, 0x00, 0x00, // mov dword [esi + 4], 7
  0xb9, 0x02, 0x00, 0x00, 0x00, //       mov ecx, 2
  0x31, 0xc0, //                         xor eax, eax
  0x03, 0x06, //                         loop: add eax, [esi]
  0x83, 0xc6, 0x04, //                   add esi, 4
  0x49, //                               dec ecx
  0x75, 0xf8, //                         jnz loop
  0x83, 0xd0, 0x00, //                   adc eax, 0
  0xba, ...le32(LOAD_ADDRESS + 43), //   mov edx, exit
  0xff, 0xe2, //                         jmp edx
  0xe6, 0xf4, //                         exit: out 0xf4, al
  0xeb, 0xfe, //                         jmp $
];

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

// Store ECX = 1000 down to 1 at LOAD_ADDRESS + 0x800, in the page of the code itself.
const STORE_LOOP = [
  0xb9, 0xe8, 0x03, 0x00, 0x00, //             mov ecx, 1000
  0x89, 0x0d, ...le32(LOAD_ADDRESS + 0x800), // loop: mov [LOAD_ADDRESS + 0x800], ecx
  0x49, //                                     dec ecx
  0x75, 0xf7, //                               jnz loop
  0xe6, 0xf4, //                               out 0xf4, al
  0xeb, 0xfe, //                               jmp $
];

// `body` after a prelude that loads a GDT of its own, with flat code (0x08), flat data (0x10)
// and data based at 0x1000 (0x18), and flat CS, DS, ES and SS from it (the loader's selectors
// have no GDT behind them).
function withOwnGdt(body: number[]): number[] {
  const gdtr = 248;
  const code = [
    0x0f, 0x01, 0x15, ...le32(LOAD_ADDRESS + gdtr), //    lgdt [gdtr]
    0xea, ...le32(LOAD_ADDRESS + 14), 0x08, 0x00, //      jmp 0x08:next
    0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, // next: mov ax, 0x10; mov ds/es/ss, ax
    ...body,
  ];
  if (code.length > gdtr) throw new Error("body too long");
  while (code.length < gdtr) code.push(0x90);
  return [
    ...code,
    0x1f, 0x00, ...le32(LOAD_ADDRESS + gdtr + 8), 0x90, 0x90, // limit 31, base
    0, 0, 0, 0, 0, 0, 0, 0, //                                 null
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00, //         0x08: code, base 0, 4 GiB
    0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00, //         0x10: data, base 0, 4 GiB
    0xff, 0xff, 0x00, 0x10, 0x00, 0x92, 0xcf, 0x00, //         0x18: data, base 0x1000, 4 GiB
  ];
}

// A module as WebAssembly text, after checking that it validates.
function moduleText(module: Uint8Array): string {
  const parsed = binaryen.readBinary(module);
  parsed.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.TailCall);
  expect(parsed.validate()).toBeTruthy();
  const text = parsed.emitText();
  parsed.dispose();
  return text;
}

// The first module's text, checked against the reviewed file (UPDATE_GOLDEN=1 rewrites it).
function expectGolden(module: Uint8Array, name: string): void {
  const text = moduleText(module);
  const golden = path.join(here, "golden", name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
  expect(text).toBe(readFileSync(golden, "utf8"));
}

describe.skipIf(!engineBuilt)("binary translator", () => {
  it("compiles a loop into the WebAssembly in test/jit/golden/sum_loop.wat", () => {
    const { machine, modules } = machineFor(SUM_LOOP, "force");
    const outcome = machine.runToCompletion();
    expect(outcome.reason).toBe("exit");
    expect(outcome.exitStatus).toBe(111); // (55 << 1) | 1, as QEMU's isa-debug-exit
    expect(modules.length).toBe(1);
    expectGolden(modules[0], "sum_loop.wat");
  });

  it("compiles memory accesses, a block-start flag read and an indirect jump into test/jit/golden/array_sum.wat", () => {
    const { machine, modules } = machineFor(ARRAY_SUM, "force");
    const outcome = machine.runToCompletion();
    expect(outcome.reason).toBe("exit");
    expect(outcome.exitStatus).toBe(25); // (12 << 1) | 1
    expect(modules.length).toBe(2); // the sum, then the unit at the exit
    expectGolden(modules[0], "array_sum.wat");
    const { machine: interpreted } = machineFor(ARRAY_SUM, "off");
    expect(interpreted.runToCompletion().exitStatus).toBe(25);
  });

  it("gives a unit with no backward branch no loop, and one with a loop its dispatch loop", () => {
    const straight = [
      0x31, 0xc0, //       xor eax, eax
      0x83, 0xc0, 0x0c, // add eax, 12
      0xe6, 0xf4, //       out 0xf4, al
      0xf4, //             hlt
    ];
    const { machine, modules } = machineFor(straight, "force");
    expect(machine.runToCompletion().exitStatus).toBe(25); // (12 << 1) | 1
    const looped = machineFor(SUM_LOOP, "force");
    expect(looped.machine.runToCompletion().exitStatus).toBe(111);
    expect(moduleText(modules[0])).not.toContain("(loop");
    expect(moduleText(looped.modules[0])).toContain("(loop");
  });

  it("gives the interpreter's results and counts what it did", () => {
    const results = (["off", "on", "force"] as const).map((mode) => {
      const { machine } = machineFor(SUM_LOOP, mode);
      const outcome = machine.runToCompletion();
      return { outcome, statistics: machine.statistics() };
    });
    for (const { outcome } of results) {
      expect(outcome.exitStatus).toBe(111); // (55 << 1) | 1, as QEMU's isa-debug-exit
      expect(outcome.instructions).toBe(results[0].outcome.instructions);
    }
    const off = results[0].statistics;
    const forced = results[2].statistics;
    expect(off.jitUnitsCompiled).toBe(0);
    expect(off.instructionsTranslated).toBe(0n);
    expect(forced.jitUnitsCompiled).toBe(1);
    expect(forced.jitCompileFailures).toBe(0);
    // The first instruction runs in the interpreter (a run starts at a serviced boundary); xor
    // and ten rounds of add/dec/jnz run translated; the OUT runs as a callout inside the unit,
    // which then leaves because the guest asked to stop.
    expect(forced.instructionsInterpreted).toBe(1n);
    expect(forced.instructionsTranslated).toBe(1n + 30n + 1n);
    expect(forced.jitExitsSlowPath).toBe(1);
  });

  it("translates a long block that runs fewer times than an entry point needs, by its length", () => {
    // 300 passes over one straight block of 500 instructions: 300 entries, under the 2000 an
    // entry point needs by default, but each pass counts its instructions too.
    const block = Array.from({ length: 500 }, () => [0x83, 0xc0, 0x03]).flat(); // add eax, 3
    const code = [
      0x31, 0xc0, //                                 xor eax, eax
      0xb9, ...le32(300), //                         mov ecx, 300
      ...block, //                                   pass: 500 × add eax, 3
      0x49, //                                       dec ecx
      0x0f, 0x85, ...le32(-(block.length + 7)), //   jnz pass
      0xe6, 0xf4, //                                 out 0xf4, al
      0xf4, //                                       hlt
    ];
    const [off, on] = (["off", "on"] as const).map((mode) => {
      const { machine } = machineFor(code, mode);
      return { outcome: machine.runToCompletion(), statistics: machine.statistics() };
    });
    expect(off.outcome.exitStatus).toBe((((300 * 500 * 3) & 0xff) << 1) | 1);
    expect(on.outcome.exitStatus).toBe(off.outcome.exitStatus);
    expect(on.outcome.instructions).toBe(off.outcome.instructions);
    // Hot after some 40 passes: most of the run is translated.
    expect(on.statistics.instructionsTranslated).toBeGreaterThan(on.outcome.instructions / 2n);
  });

  it("compiles units that are warm together with the one that gets hot", () => {
    const code = new Array<number>(0x124).fill(0x90);
    code.splice(0, 0x1b,
      0xb9, 0xb8, 0x0b, 0x00, 0x00, //   mov ecx, 3000 (the threshold of "on" is 2000 entries)
      0xe8, 0xf6, 0x00, 0x00, 0x00, //   loop: call r1
      0xe8, 0x01, 0x01, 0x00, 0x00, //   call r2
      0xe8, 0x0c, 0x01, 0x00, 0x00, //   call r3
      0x49, //                           dec ecx
      0x75, 0xee, //                     jnz loop
      0xe6, 0xf4, //                     out 0xf4, al
      0xeb, 0xfe, //                     jmp $
    );
    code.splice(0x100, 2, 0x40, 0xc3); //             r1: inc eax; ret
    code.splice(0x110, 3, 0x01, 0xc0, 0xc3); //       r2: add eax, eax; ret
    code.splice(0x120, 4, 0x83, 0xf0, 0x05, 0xc3); // r3: xor eax, 5; ret
    code.length = 0x124;
    const runs = (["off", "on"] as const).map((mode) => {
      const { machine } = machineFor(code, mode);
      return { outcome: machine.runToCompletion(), statistics: machine.statistics() };
    });
    expect(runs[1].outcome.exitStatus).toBe(runs[0].outcome.exitStatus);
    expect(runs[1].outcome.instructions).toBe(runs[0].outcome.instructions);
    const { jitUnitsCompiled, jitModulesCompiled } = runs[1].statistics;
    expect(jitUnitsCompiled).toBeGreaterThan(3);
    expect(jitModulesCompiled).toBeLessThan(Number(jitUnitsCompiled));
  });

  it("bounds the translation cache: more units than table slots still run correctly", () => {
    // Calls through a register to as many one-byte routines (RET), each a unit entry point, and
    // each return address another: more units than the table has slots, so the cache must let go.
    const calls = Math.ceil(layout.JIT_SLOTS / 2) + 500;
    const routines = 0x10000;
    const code = new Array<number>(routines + calls).fill(0xc3); // the routines: RET
    let at = 0;
    for (let i = 0; i < calls; i++) {
      const target = LOAD_ADDRESS + routines + i;
      code.splice(at, 7, 0xb8, target & 0xff, (target >> 8) & 0xff, (target >> 16) & 0xff, target >>> 24, 0xff, 0xd0); // mov eax, target; call eax
      at += 7;
    }
    code.splice(at, 6, 0xb0, 0x2a, 0xe6, 0xf4, 0xeb, 0xfe); // mov al, 42; out 0xf4, al; jmp $
    code.length = routines + calls;
    const { machine } = machineFor(code, "force");
    const outcome = machine.runToCompletion();
    expect(outcome.exitStatus).toBe((42 << 1) | 1);
    const statistics = machine.statistics();
    // (A long run, to check the host time counted in slices too: runToCompletion is all slices.)
    expect(statistics.runningMilliseconds).toBeGreaterThan(outcome.elapsedMs * 0.9);
    expect(statistics.runningMilliseconds).toBeLessThanOrEqual(Math.ceil(outcome.elapsedMs));
    expect(statistics.jitUnitsCompiled).toBeGreaterThan(layout.JIT_SLOTS);
    expect(statistics.jitEvictions).toBeGreaterThan(0);
    expect(statistics.jitCompileFailures).toBe(0);
  });

  // Instructions of every length-deciding form (SIB and disp32, 66 and 67 prefixes, the
  // immediate of TEST in group 3), laid out to end exactly at a page end or with the last one
  // crossing it by `overhang` bytes; then OUT in the next page.
  function pageEndCode(overhang: number): number[] {
    const tail = [
      0x81, 0xc0, 0x44, 0x33, 0x22, 0x11, //       add eax, 0x11223344
      0x66, 0x05, 0x34, 0x12, //                   add ax, 0x1234
      0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00, //       test eax, 1
      0x67, 0x8d, 0x40, 0x07, //                   lea eax, [bx + si + 7] (16-bit addressing)
      0x8d, 0x84, 0xb6, 0x00, 0x01, 0x00, 0x00, // lea eax, [esi + esi * 4 + 0x100]
      0x6b, 0xc0, 0x03, //                         imul eax, eax, 3
      0x05, 0x78, 0x56, 0x34, 0x12, //             add eax, 0x12345678
    ];
    const start = 0x1000 - tail.length + overhang;
    const code = new Array<number>(start + tail.length + 4).fill(0x90);
    code.splice(0, 10,
      0xbe, 0x05, 0x00, 0x00, 0x00, //             mov esi, 5
      0xe9, ...le32(start - 10)); //               jmp tail
    code.splice(start, tail.length, ...tail);
    code.splice(start + tail.length, 4, 0xe6, 0xf4, 0xeb, 0xfe); // out 0xf4, al; jmp $
    return code;
  }

  it.each([
    [0, 1n], // all translated: only the first instruction, where every run starts, is interpreted
    [2, 2n], // the one crossing into the next page runs in the interpreter
  ])("translates instructions up to the page end (overhang %i)", (overhang, interpreted) => {
    const results = (["off", "force"] as const).map((mode) => {
      const { machine } = machineFor(pageEndCode(overhang), mode);
      const outcome = machine.runToCompletion();
      return { outcome, statistics: machine.statistics() };
    });
    expect(results[1].outcome.exitStatus).toBe(results[0].outcome.exitStatus);
    expect(results[1].outcome.instructions).toBe(results[0].outcome.instructions);
    expect(results[1].statistics.jitCompileFailures).toBe(0);
    expect(results[1].statistics.instructionsInterpreted).toBe(interpreted);
  });

  it("translates POPF at CPL 0 and reads the flags it popped as the interpreter does", () => {
    const popfLoop = [ // (assembled with NASM)
      0xb9, 0x2c, 0x01, 0x00, 0x00, //       mov ecx, 300
      0x31, 0xff, //                         xor edi, edi
      0x69, 0xc1, ...le32(0x01000193), //    loop: imul eax, ecx, 0x01000193
      0x25, ...le32(0xed5), //               and eax, 0xed5 (OF DF IF SF ZF AF PF CF; not TF)
      0x0d, ...le32(0x10000), //             or eax, 0x10000 (RF, which POPF clears)
      0x50, //                               push eax
      0x9d, //                               popfd
      0x11, 0xff, //                         adc edi, edi (CF)
      0x0f, 0x90, 0xc3, //                   seto bl
      0x0f, 0x98, 0xc7, //                   sets bh
      0x0f, 0xb7, 0xdb, //                   movzx ebx, bx
      0x01, 0xdf, //                         add edi, ebx
      0x9c, //                               pushfd
      0x5b, //                               pop ebx
      0x31, 0xdf, //                         xor edi, ebx
      0xfc, //                               cld
      0x49, //                               dec ecx
      0x75, 0xd9, //                         jnz loop
      0x89, 0xf8, //                         mov eax, edi
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    const { forced } = expectSameAsInterpreted(popfLoop);
    // Only the OUT runs in the interpreter (it was one callout per POPF), and the unit leaves
    // only for it: IF set with no interrupt pending lets it go on.
    expect(forced.statistics.jitCallouts).toBe(1);
    expect(forced.statistics.jitExitsSlowPath).toBe(1);
    expect(forced.statistics.jitExitsUntranslated).toBe(0);
  });

  it("translates RDTSC at CPL 0: the time-stamp counter as the interpreter reads it, mid-block", () => {
    const rdtscLoop = [ // (assembled with NASM)
      0xb9, 0xc8, 0x00, 0x00, 0x00, //       mov ecx, 200
      0x31, 0xff, //                         xor edi, edi
      0x31, 0xf6, //                         xor esi, esi
      0x0f, 0x31, //                         loop: rdtsc
      0x01, 0xc7, //                         add edi, eax
      0x11, 0xd6, //                         adc esi, edx
      0x6b, 0xc1, 0x07, //                   imul eax, ecx, 7
      0x01, 0xc7, //                         add edi, eax
      0x49, //                               dec ecx
      0x75, 0xf2, //                         jnz loop
      0x89, 0xf8, //                         mov eax, edi
      0x31, 0xf0, //                         xor eax, esi
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    const { forced } = expectSameAsInterpreted(rdtscLoop);
    expect(forced.statistics.jitCallouts).toBe(1); // the OUT
  });

  // A load of segment register `sreg` (ES 0, DS 3, FS 4, GS 5) with `selector`: from EDX, or
  // from memory (the stack top).
  const loadSegment = (sreg: number, selector: number, fromMemory = false): number[] => fromMemory
    ? [0x6a, selector, 0x8e, 0x04 | (sreg << 3), 0x24, 0x83, 0xc4, 0x04] // push selector; mov sreg, [esp]; add esp, 4
    : [0xba, ...le32(selector), 0x8e, 0xc2 | (sreg << 3)]; //              mov edx, selector; mov sreg, edx
  const [ES, DS, FS, GS] = [0, 3, 4, 5];
  // The guest's own GDT: flat code and data, a 4 KiB segment at 0x8000, read-only data, data not
  // yet accessed, expand-down data, DPL 3 data, flat data based at 0x8000.
  const DESCRIPTORS = [
    [0, 0], [0x0000ffff, 0x00cf9a00], [0x0000ffff, 0x00cf9300], [0x80000fff, 0x00409300], [0x9000ffff, 0x00cf9100],
    [0x0000ffff, 0x00cf9200], [0x0000ffff, 0x00cf9700], [0x0000ffff, 0x00cff300], [0x8000ffff, 0x00cf9300],
  ];

  it.each([
    ["DPL 3 data in ES, a based flat segment in FS, the 4 KiB one in GS", [[ES, 0x3b], [DS, 0x10], [FS, 0x40], [GS, 0x18, true]]],
    ["the data first accessed here in ES, expand-down in FS, read-only in GS", [[ES, 0x28], [DS, 0x10], [FS, 0x30], [GS, 0x20, true]]],
  ] as [string, [number, number, boolean?][]][])("loads DS, ES, FS and GS in line as the interpreter does, ending with %s", (_, last) => {
    const GDT = 0x100;
    const loop = [
      0xb8, 0x10, 0x00, 0x00, 0x00, //   mov eax, 0x10
      0x8e, 0xd8, 0x8e, 0xc0, //         mov ds, eax; mov es, eax (the selector they hold)
      ...loadSegment(FS, 0x28), //       (accessed bit set the first time)
      ...loadSegment(FS, 0), //          null
      ...loadSegment(GS, 0x20, true), // read-only
      ...loadSegment(GS, 0x30), //       expand-down
      ...loadSegment(ES, 0x3b), //       DPL 3, RPL 3
      ...loadSegment(FS, 0x40), //       flat, based at 0x8000
      ...loadSegment(GS, 0x18), //       4 KiB
      ...last.flatMap(([sreg, selector, fromMemory]) => loadSegment(sreg, selector, fromMemory)),
      0x8c, 0xe0, 0x01, 0xc7, //         mov eax, fs; add edi, eax
      0x8c, 0xe8, 0x01, 0xc7, //         mov eax, gs; add edi, eax
      0xc1, 0xc7, 0x03, //               rol edi, 3
      0x49, //                           dec ecx
    ];
    const code = [
      0x0f, 0x01, 0x15, ...le32(LOAD_ADDRESS + GDT + 8 * DESCRIPTORS.length), // lgdt [gdtr]
      0xea, ...le32(LOAD_ADDRESS + 0x0e), 0x08, 0x00, //    jmp 0x08:start
      0xb8, 0x10, 0x00, 0x00, 0x00, //                      start: mov eax, 0x10
      0x8e, 0xd0, //                                        mov ss, eax
      0xbc, 0x00, 0x90, 0x00, 0x00, //                      mov esp, 0x9000
      0xb9, 0x64, 0x00, 0x00, 0x00, //                      mov ecx, 100
      0x31, 0xff, //                                        xor edi, edi
      ...loop, //                                           loop: ...
      0x0f, 0x85, ...le32(-(loop.length + 6)), //           jnz loop
      0x89, 0xf8, //                                        mov eax, edi
      0xe6, 0xf4, //                                        out 0xf4, al
      0xf4, //                                              hlt
    ];
    while (code.length < GDT) code.push(0x90);
    for (const [low, high] of DESCRIPTORS) code.push(...le32(low), ...le32(high));
    code.push(8 * DESCRIPTORS.length - 1, 0x00, ...le32(LOAD_ADDRESS + GDT)); // gdtr: limit, base
    const gdtStart = LOAD_ADDRESS + GDT;
    const { off, forced } = expectSameAsInterpreted(code, gdtStart, gdtStart + DESCRIPTORS.length * 8);
    expect(off.ram[0x28 + 5]).toBe(0x93); // (the interpreter set the accessed bit)
    // 13 segment loads a round, 1300 in all, in translated code: the interpreter runs the far
    // jump before the loop, MOV SS, the first load of the descriptor not yet accessed, the OUT.
    expect(forced.statistics.instructionsInterpreted).toBeLessThan(10n);
    expect(forced.statistics.jitCallouts).toBeLessThan(5);
    // The units' segment word has each segment's bits as jit/segment_state.ts computes them.
    const [selectors, bases, limits, access] = [0, 6, 12, 18].map((at) => forced.segments.slice(at, at + 6));
    const checked = 0xf << 16; // ACC_UNUSABLE, ACC_NO_READ, ACC_NO_WRITE, ACC_EXPAND_DOWN (assembly/cpu/state.ts)
    for (const seg of [ES, DS, FS, GS]) {
      const flat = (access[seg] & checked) === 0 && limits[seg] === 0xffffffff;
      expect([selectors[seg], (forced.segmentState >>> seg) & 1, (forced.segmentState >>> (8 + seg)) & 1])
        .toEqual([selectors[seg], flat ? 1 : 0, bases[seg] === 0 ? 1 : 0]);
    }
  });

  it.each(["off", "force"] as const)("lets a device see guest time as of the instruction that reaches it (translation %s)", (mode) => {
    // The local APIC timer counts down one per cycle (divide by 1), and a cycle is a retired
    // instruction: two reads of its current count differ by the instructions between them.
    const timerReads = [ // (assembled with NASM)
      0xc7, 0x05, ...le32(0xfee003e0), ...le32(0xb), //        mov dword [divide configuration], 0xb (by 1)
      0xc7, 0x05, ...le32(0xfee00320), ...le32(0x10000), //    mov dword [LVT timer], 0x10000 (masked)
      0xc7, 0x05, ...le32(0xfee00380), ...le32(0x10000000), // mov dword [initial count], 0x10000000
      0xb9, 0xe8, 0x03, 0x00, 0x00, //                         mov ecx, 1000
      0x0f, 0x31, //                                           rdtsc
      0x8b, 0x1d, ...le32(0xfee00390), //                      mov ebx, [current count]
      0x49, //                                                 loop: dec ecx
      0x75, 0xfd, //                                           jnz loop
      0x0f, 0x31, //                                           rdtsc
      0xa1, ...le32(0xfee00390), //                            mov eax, [current count]
      0x29, 0xc3, //                                           sub ebx, eax
      0xe6, 0xf4, //                                           out 0xf4, al
      0xf4, //                                                 hlt
    ];
    const { machine } = machineFor(timerReads, mode);
    expect(machine.runToCompletion().reason).toBe("exit");
    expect(machine.registers().ebx).toBe(2000 + 2); // the loop, the RDTSC and the second read
  });

  it("keeps two entry points that share an entry-cache set both cached: calls to them chain", () => {
    // Two functions whose EIPs hash alike (jit/entry_cache.ts: the same set, and the same entry
    // of a direct-mapped cache of that size), each `add eax, n; ret`, called in turn.
    // Direct-mapped, each call evicted the other's entry and went back through the run loop.
    const set = (eip: number): number => Math.imul(eip, 0x9e3779b1) >>> 17;
    const first = LOAD_ADDRESS + 0x1000;
    let second = LOAD_ADDRESS + 0x2000;
    while (set(second) !== set(first)) second++;
    const ROUNDS = 5000;
    const code = [
      0xb9, ...le32(ROUNDS), //                  mov ecx, ROUNDS
      0x31, 0xc0, //                             xor eax, eax
      0xe8, ...le32(first - (LOAD_ADDRESS + 12)), //  loop: call first
      0xe8, ...le32(second - (LOAD_ADDRESS + 17)), // call second
      0x49, //                                   dec ecx
      0x75, 0xf3, //                             jnz loop
      0xe6, 0xf4, //                             out 0xf4, al
      0xf4, //                                   hlt
    ];
    while (code.length < first - LOAD_ADDRESS) code.push(0x90);
    code.push(0x83, 0xc0, 0x01, 0xc3); //        first: add eax, 1; ret
    while (code.length < second - LOAD_ADDRESS) code.push(0x90);
    code.push(0x83, 0xc0, 0x02, 0xc3); //        second: add eax, 2; ret
    const { forced } = expectSameAsInterpreted(code);
    expect(forced.outcome.exitStatus).toBe((((ROUNDS * 3) & 0xff) << 1) | 1);
    // Four transitions a round (two calls, two returns) go straight from unit to unit.
    expect(forced.statistics.jitExitsChained).toBeGreaterThan(ROUNDS * 4 * 0.99);
    expect(forced.statistics.jitExitsBranch).toBeLessThan(20);
  });

  it("goes on in translated code after a unit leaves for an instruction it cannot follow", () => {
    // MOV CR3 ends the unit (the interpreter runs it from inside, then the unit leaves): what
    // comes after it is a block start, for the next unit, not interpreted up to the next jump.
    const cr3Loop = [
      0x31, 0xdb, //                   xor ebx, ebx
      0x31, 0xc0, //                   xor eax, eax
      0xb9, 0xe8, 0x03, 0x00, 0x00, // mov ecx, 1000
      0x0f, 0x22, 0xdb, //             loop: mov cr3, ebx
      ...Array.from({ length: 8 }, (_, i) => [0x83, 0xc0, i + 1]).flat(), // add eax, 1 ... add eax, 8
      0x49, //                         dec ecx
      0x75, 0xe2, //                   jnz loop
      0xe6, 0xf4, //                   out 0xf4, al
      0xf4, //                         hlt
    ];
    const { forced } = expectSameAsInterpreted(cr3Loop);
    expect(forced.outcome.exitStatus).toBe((((1000 * 36) & 0xff) << 1) | 1);
    expect(forced.statistics.jitExitsUntranslated).toBeGreaterThanOrEqual(1000);
    // (9000 when the run loop took the rest of the loop for code the unit had not left.)
    expect(forced.statistics.instructionsInterpreted).toBeLessThan(20n);
  });

  it("runs STI inside a unit with no callout while no interrupt is pending", () => {
    const stiLoop = [
      0xb9, 0xe8, 0x03, 0x00, 0x00, // mov ecx, 1000
      0xfa, //                         loop: cli
      0xfb, //                         sti
      0x49, //                         dec ecx
      0x75, 0xfb, //                   jnz loop
      0xe6, 0xf4, //                   out 0xf4, al
      0xf4, //                         hlt
    ];
    const { forced } = expectSameAsInterpreted(stiLoop);
    // Only the OUT runs in the interpreter (it was one callout per STI).
    expect(forced.statistics.jitCallouts).toBe(1);
    expect(forced.statistics.jitExitsSlowPath).toBe(1);
  });

  it("translates BSF, BSR, REP BSF and BT, BTS, BTR with a register bit offset into memory, as the interpreter runs them", () => {
    const BITMAP = 0x8000;
    const bitLoop = [
      0xbe, ...le32(BITMAP + 0x20), //       mov esi, BITMAP + 0x20 (offsets reach 0x20 bytes below)
      0xb9, 0xc8, 0x00, 0x00, 0x00, //       mov ecx, 200
      0x31, 0xff, //                         xor edi, edi
      0x69, 0xc1, ...le32(0x01000193), //    loop: imul eax, ecx, 0x01000193
      0x89, 0xc2, //                         mov edx, eax
      0x81, 0xe2, ...le32(0x0f0f00f0), //    and edx, 0x0f0f00f0
      0xf6, 0xc1, 0x07, //                   test cl, 7
      0x75, 0x02, //                         jnz scan
      0x31, 0xd2, //                         xor edx, edx (every eighth: BSF and BSR of 0)
      0x0f, 0xbc, 0xda, //                   scan: bsf ebx, edx
      0x0f, 0x44, 0xd9, //                   cmovz ebx, ecx
      0x01, 0xdf, //                         add edi, ebx
      0x0f, 0xbd, 0xea, //                   bsr ebp, edx
      0x0f, 0x44, 0xe9, //                   cmovz ebp, ecx
      0x01, 0xef, //                         add edi, ebp
      0xf3, 0x0f, 0xbc, 0xda, //             rep bsf ebx, edx (TZCNT, which is BSF on this CPU)
      0x01, 0xdf, //                         add edi, ebx
      0xc1, 0xf8, 0x18, //                   sar eax, 24 (a bit offset of -128..127)
      0x0f, 0xab, 0x06, //                   bts [esi], eax
      0x11, 0xff, //                         adc edi, edi
      0x0f, 0xa3, 0x46, 0x04, //             bt [esi + 4], eax
      0x11, 0xff, //                         adc edi, edi
      0x83, 0xc0, 0x03, //                   add eax, 3
      0x0f, 0xb3, 0x06, //                   btr [esi], eax
      0x11, 0xff, //                         adc edi, edi
      0x49, //                               dec ecx
      0x75, 0xbc, //                         jnz loop
      0x89, 0xf8, //                         mov eax, edi
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    const { off, forced } = expectSameAsInterpreted(bitLoop, BITMAP, BITMAP + 0x40);
    expect(off.ram.some((byte) => byte !== 0)).toBe(true);
    expect(forced.statistics.jitCallouts).toBe(1); // the OUT
    const text = forced.modules.map(moduleText).join("");
    expect(text).toContain("i32.ctz");
    expect(text).toContain("i32.clz");
  });

  it("translates PUSH of each segment register, MOV from one to a register and to memory, and SAHF, as the interpreter runs them", () => {
    const segmentLoop = [ // (assembled with NASM)
      0xb9, 0x64, 0x00, 0x00, 0x00, //       mov ecx, 100
      0x31, 0xff, //                         xor edi, edi
      0x06, 0x0e, 0x16, 0x1e, //             loop: push es; push cs; push ss; push ds
      0x0f, 0xa0, 0x0f, 0xa8, //             push fs; push gs
      ...Array.from({ length: 6 }, () => [0x58, 0x01, 0xc7]).flat(), // 6 × (pop eax; add edi, eax)
      0x8c, 0xdb, //                         mov ebx, ds
      0x01, 0xdf, //                         add edi, ebx
      0x8c, 0x25, 0x00, 0x80, 0x00, 0x00, // mov [0x8000], fs
      0x03, 0x3d, 0x00, 0x80, 0x00, 0x00, // add edi, [0x8000]
      0x88, 0xcc, //                         mov ah, cl
      0x9e, //                               sahf
      0x83, 0xd7, 0x00, //                   adc edi, 0
      0x49, //                               dec ecx
      0x75, 0xcd, //                         jnz loop
      0x89, 0xf8, //                         mov eax, edi
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    const { forced } = expectSameAsInterpreted(segmentLoop, 0x8000, 0x8004);
    expect(forced.statistics.jitCallouts).toBe(1); // the OUT
  });

  it("goes on in the unit after a REP MOVSB across page ends, which the interpreter runs", () => {
    const copyLoop = [ // (assembled with NASM)
      0xbb, 0x64, 0x00, 0x00, 0x00, //       mov ebx, 100
      0x31, 0xc0, //                         xor eax, eax
      0xbe, 0xf0, 0x8f, 0x00, 0x00, //       loop: mov esi, 0x8ff0 (32 bytes across 0x9000)
      0xbf, 0xf8, 0xaf, 0x00, 0x00, //       mov edi, 0xaff8 (across 0xb000)
      0xb9, 0x20, 0x00, 0x00, 0x00, //       mov ecx, 32
      0xf3, 0xa4, //                         rep movsb
      0x03, 0x05, 0x00, 0xb0, 0x00, 0x00, // add eax, [0xb000]
      0xfe, 0x05, 0xf8, 0x8f, 0x00, 0x00, // inc byte [0x8ff8]
      0x4b, //                               dec ebx
      0x75, 0xe0, //                         jnz loop
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    const { forced } = expectSameAsInterpreted(copyLoop, 0xafe0, 0xb020);
    expect(forced.statistics.jitCallouts).toBe(101); // the copies, and the OUT
    expect(forced.statistics.jitExitsSlowPath).toBe(1); // (101 when each copy left the unit)
  });

  it("pushes and pops a run of registers as one stack access, across a page end too", () => {
    // ESP alternates between 0x9000c, where three pushes stay in one page, and 0x90004, where
    // they cross into the page below. Each round pushes three registers and pops them into three others.
    const stackLoop = (crossing: boolean) => [
      0xbc, ...le32(0x9000c), //             mov esp, 0x9000c
      0xb9, 0xe8, 0x03, 0x00, 0x00, //       mov ecx, 1000
      0x31, 0xc0, //                         xor eax, eax
      0x8d, 0x1c, 0x09, //                   loop: lea ebx, [ecx + ecx]
      0x8d, 0x34, 0x49, //                   lea esi, [ecx + ecx * 2]
      0x53, 0x56, 0x51, //                   push ebx; push esi; push ecx
      0x5f, 0x5a, 0x5d, //                   pop edi; pop edx; pop ebp
      0x01, 0xf8, //                         add eax, edi
      0x29, 0xd0, //                         sub eax, edx
      0x31, 0xe8, //                         xor eax, ebp
      0x83, 0xf4, crossing ? 0x08 : 0x00, // xor esp, 8 (or 0)
      0x49, //                               dec ecx
      0x75, 0xe8, //                         jnz loop
      0xe6, 0xf4, //                         out 0xf4, al
      0xf4, //                               hlt
    ];
    for (const crossing of [false, true]) {
      const { forced } = expectSameAsInterpreted(stackLoop(crossing), 0x8fff0, 0x90010);
      // The loop's unit has no slow-path call for the runs (import 2, jit/codegen.ts
      // FUNCTION_SLOW_PATH): a TLB entry that does not allow the access leaves for the interpreter.
      expect(moduleText(forced.modules[0])).not.toContain("call $fimport$2");
      // The unit leaves only until the interpreter has touched the stack pages (their TLB
      // entries), and for the OUT: crossing, the run takes its elements one by one.
      expect(forced.statistics.jitExitsSlowPath).toBeLessThan(8);
    }
  });

  it("goes on after a segment load that leaves its segments flat", () => {
    const reloadLoop = withOwnGdt([
      0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, ...le32(1), // mov dword [0x100], 1
      0x31, 0xdb, //                                   xor ebx, ebx
      0xb9, 0x64, 0x00, 0x00, 0x00, //                 mov ecx, 100
      0x8c, 0xd8, 0x8e, 0xd8, //                       loop: mov eax, ds; mov ds, eax
      0x03, 0x1d, 0x00, 0x01, 0x00, 0x00, //           add ebx, [0x100]
      0x49, 0x75, 0xf3, //                             dec ecx; jnz loop
      0x89, 0xd8, 0xe6, 0xf4, 0xf4, //                 mov eax, ebx; out 0xf4, al; hlt
    ]);
    const { machine } = machineFor(reloadLoop, "force");
    expect(machine.runToCompletion().exitStatus).toBe((100 << 1) | 1);
    expect(machine.statistics().jitExitsUntranslated).toBe(0); // (100 when the load ended the unit)
  });

  it("leaves after a segment load that gives a segment it uses a base", () => {
    const basedLoop = withOwnGdt([
      0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, ...le32(1), // mov dword [0x100], 1
      0xc7, 0x05, 0x00, 0x11, 0x00, 0x00, ...le32(2), // mov dword [0x1100], 2
      0x31, 0xdb, //                                   xor ebx, ebx
      0xb9, 0x64, 0x00, 0x00, 0x00, //                 mov ecx, 100
      0x66, 0xb8, 0x18, 0x00, 0x8e, 0xd8, //           loop: mov ax, 0x18; mov ds, ax
      0x03, 0x1d, 0x00, 0x01, 0x00, 0x00, //           add ebx, [0x100] (linear 0x1100)
      0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, //           mov ax, 0x10; mov ds, ax
      0x03, 0x1d, 0x00, 0x01, 0x00, 0x00, //           add ebx, [0x100]
      0x49, 0x75, 0xe5, //                             dec ecx; jnz loop
      0x89, 0xd8, 0xe6, 0xf4, 0xf4, //                 mov eax, ebx; out 0xf4, al; hlt
    ]);
    // A unit that went on with DS based at 0x1000 would read 1 for 2, or 2 for 1.
    for (const mode of ["off", "force"] as const) {
      const { machine } = machineFor(basedLoop, mode);
      expect(machine.runToCompletion().exitStatus, mode).toBe(((300 & 0xff) << 1) | 1); // 100 × (2 + 1)
    }
  });

  it("keeps translated code when the guest writes data elsewhere in its page", () => {
    const { machine } = machineFor(STORE_LOOP, "force");
    expect(machine.runToCompletion().reason).toBe("exit");
    const statistics = machine.statistics();
    // The stores go through the slow path (the page holds code) but hit no translated bytes.
    expect(statistics.jitInvalidations).toBe(0);
    expect(statistics.jitExitsSlowPath).toBe(1); // the OUT that ends the run
    expect(statistics.instructionsTranslated).toBeGreaterThan(2990n);
    expect(machine.engine.ram()[LOAD_ADDRESS + 0x800]).toBe(1);
  });

  it("lets writes over translated code take the fast path once that code is dropped", () => {
    const code = new Array<number>(0x1001).fill(0x90);
    code.splice(0, 23,
      0xe8, ...le32(0x1000 - 5), //                call LOAD_ADDRESS + 0x1000 (a RET there, translated)
      0xb9, 0xe8, 0x03, 0x00, 0x00, //             mov ecx, 1000
      0x89, 0x0d, ...le32(LOAD_ADDRESS + 0x1000), // loop: mov [LOAD_ADDRESS + 0x1000], ecx
      0x49, //                                     dec ecx
      0x75, 0xf7, //                               jnz loop
      0xe6, 0xf4, //                               out 0xf4, al
      0xeb, 0xfe); //                              jmp $
    code[0x1000] = 0xc3;
    const { machine } = machineFor(code, "force");
    expect(machine.runToCompletion().reason).toBe("exit");
    const statistics = machine.statistics();
    // The first store drops the RET's unit and leaves the loop's; the page then holds no
    // translated code, so after one more slow store (which refreshes the TLB entry) the rest
    // take the fast path. Before, each store dropped the translations again and left the unit.
    expect(statistics.jitExitsSlowPath).toBe(2); // the first store, and the OUT
    expect(statistics.tlbMisses).toBeLessThan(20);
    expect(machine.engine.ram()[LOAD_ADDRESS + 0x1000]).toBe(1);
  });

  it("keeps a page that mixes code and data marked while the interpreter runs its code", () => {
    const { machine } = machineFor(STORE_LOOP, "off");
    expect(machine.runToCompletion().reason).toBe("exit");
    // Each store takes the slow path (one TLB refill) and the loop's code is decoded again after
    // it. Unmarking the page on the store would make each decode mark it again and drop its
    // TLB entries, a second refill per round.
    expect(machine.statistics().tlbMisses).toBeLessThan(1100);
  });

  it("drops translated code the host rewrites (as a DMA transfer would)", async () => {
    const ROUTINE = LOAD_ADDRESS + 0x1000;
    const FLAG = LOAD_ADDRESS + 0x2000;
    const code = new Array<number>(0x2001).fill(0);
    code.splice(0, 0x25,
      0xbe, 0xe8, 0x03, 0x00, 0x00, //                   mov esi, 1000
      0xe8, 0xf6, 0x0f, 0x00, 0x00, //                   hot: call routine
      0x4e, //                                           dec esi
      0x75, 0xf8, //                                     jnz hot
      0x66, 0xba, 0xf8, 0x03, //                         mov dx, 0x3f8
      0xee, //                                           out dx, al
      0x80, 0x3d, 0x00, 0x20, 0x10, 0x00, 0x00, //       wait: cmp byte [FLAG], 0
      0x74, 0xf7, //                                     je wait
      0xe8, 0xe0, 0x0f, 0x00, 0x00, //                   call routine
      0xee, //                                           out dx, al
      0xe6, 0xf4, //                                     out 0xf4, al
      0xeb, 0xfe, //                                     jmp $
    );
    code.splice(0x1000, 3, 0xb0, 0x41, 0xc3); //         routine: mov al, 'A'; ret
    code.length = 0x2001;
    const { machine, serial } = machineFor(code, "force");
    machine.serial.onData(() => {
      // The guest printed the routine's result and waits for the flag: rewrite the routine.
      const ram = machine.engine.ram();
      ram[ROUTINE + 1] = 0x42; // mov al, 'B'
      machine.engine.exports.hostWroteMemory(ROUTINE + 1, 1);
      ram[FLAG] = 1;
      machine.engine.exports.hostWroteMemory(FLAG, 1);
    });
    const outcome = await machine.run();
    expect(outcome.reason).toBe("exit");
    expect(serial()).toBe("AB");
    expect(machine.statistics().jitInvalidations).toBeGreaterThanOrEqual(1);
  });
});
