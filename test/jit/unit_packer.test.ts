// Packing translated units into shared modules (src/machine/unit_packer.ts): the functions of
// modules the translator wrote, moved into one module, still validate and carry their branch
// hints and names, lose only their entry count; and a guest whose hot units get packed while it
// runs ends as the interpreter does.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import * as layout from "../../assembly/layout.ts";
import { createMachine } from "../../src/machine/machine.ts";
import type { JitMode } from "../../src/machine/engine.ts";
import { readUnitModule, writeUnitModule, withoutEntryCount } from "../../src/machine/unit_packer.ts";
import { buildElf } from "../support/elf-builder.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const engineBuilt = existsSync(path.join(here, "../../build/wasmvisor.wasm"));

const le32 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];

// `functions` functions, one per page after the first, each `add eax, i + 1; ret`; the first
// page calls them all in turn `iterations` times (ECX counts down), then leaves through the
// debug-exit port with AL. So many units, each entered `iterations` times: for packing, enough
// that the guest runs on for seconds after its units were translated (the packed module is
// compiled in the background, and the machine asks the packer every 50 ms).
const FUNCTIONS = 40;
const ITERATIONS = 1_500_000;

function callManyPages(functions: number, iterations: number): number[] {
  const code: number[] = [0xb9, ...le32(iterations), 0x31, 0xc0]; // mov ecx, iterations; xor eax, eax
  const loop = code.length;
  for (let i = 0; i < functions; i++) {
    const target = 0x1000 * (i + 1);
    code.push(0xe8, ...le32(target - (code.length + 5))); // call function i
  }
  code.push(0x49); // dec ecx
  code.push(0x0f, 0x85, ...le32(loop - (code.length + 6))); // jnz loop
  code.push(0xe6, 0xf4, 0xeb, 0xfe); // out 0xf4, al; jmp $
  for (let i = 0; i < functions; i++) {
    while (code.length < 0x1000 * (i + 1)) code.push(0x90);
    code.push(0x83, 0xc0, i + 1, 0xc3); // add eax, i + 1; ret
  }
  return code;
}

// The exit status of the sum the guest leaves in AL ((AL << 1) | 1, as QEMU's isa-debug-exit).
const EXPECTED_STATUS = ((((FUNCTIONS * (FUNCTIONS + 1)) / 2 * ITERATIONS) & 0xff) << 1) | 1;

// The module's sections in order: ids, or names for custom sections.
function sectionsOf(module: Uint8Array): (number | string)[] {
  const sections: (number | string)[] = [];
  let at = 8;
  const u32 = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = module[at++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < module.length) {
    const id = module[at++];
    const size = u32();
    const end = at + size;
    if (id === 0) {
      const length = u32();
      sections.push(new TextDecoder().decode(module.subarray(at, at + length)));
    } else sections.push(id);
    at = end;
  }
  return sections;
}

function modulesOf(code: number[], jit: JitMode): Uint8Array[] {
  const machine = createMachine({ kernel: buildElf({ multiboot: true, code }), memoryMiB: 4, jit });
  const modules: Uint8Array[] = [];
  machine.engine.onModuleCompiled = (bytes) => modules.push(bytes);
  machine.runToCompletion();
  return modules;
}

describe.skipIf(!engineBuilt)("unit packer", () => {
  it("moves the translator's functions into one module that validates, with their hints and names", () => {
    const modules = modulesOf(callManyPages(3, 10), "force").slice(0, 3);
    expect(modules.length).toBe(3);
    const read = modules.map(readUnitModule);
    const functions = read.flatMap((module) => module.functions);
    expect(functions.every((unit) => unit.hints !== undefined && unit.name !== undefined)).toBe(true);
    const packed = writeUnitModule(read[0].header, functions.map((unit) => ({ ...unit, body: withoutEntryCount(unit.body) })));

    const parsed = binaryen.readBinary(packed);
    parsed.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.TailCall);
    expect(parsed.validate()).toBeTruthy();
    const text = parsed.emitText();
    parsed.dispose();
    for (const unit of functions) expect(text).toContain(`$${new TextDecoder().decode(unit.name!.subarray(1))}`);
    // Every body lost its entry count, and only that: the counter's address is gone.
    expect(text).not.toContain(`offset=${layout.JIT_UNIT_ENTRY_COUNTS}`);
    for (const module of modules) {
      const original = binaryen.readBinary(module);
      expect(original.emitText()).toContain(`offset=${layout.JIT_UNIT_ENTRY_COUNTS}`);
      original.dispose();
    }
    // Every function asks V8 to be optimized before the module is ready, in the one place V8
    // reads that (after the function section, before the code section; the machines above
    // turned V8's compilation hints on, so a malformed section would fail the compile below).
    const hints = WebAssembly.Module.customSections(new WebAssembly.Module(packed), "compilationHints");
    expect(hints).toHaveLength(1);
    expect([...new Uint8Array(hints[0])]).toEqual([functions.length, ...functions.map(() => 0x2a)]);
    const order = sectionsOf(packed);
    expect(order.indexOf("compilationHints")).toBeGreaterThan(order.indexOf(3));
    expect(order.indexOf("compilationHints")).toBeLessThan(order.indexOf(10));
  });

  it("packs hot units while the guest runs, and the guest ends as when interpreted", async () => {
    const kernel = buildElf({ multiboot: true, code: callManyPages(FUNCTIONS, ITERATIONS) });
    const reference = createMachine({ kernel, memoryMiB: 4, jit: "off" }).runToCompletion();
    expect(reference).toMatchObject({ reason: "exit", exitStatus: EXPECTED_STATUS });

    const machine = createMachine({ kernel, memoryMiB: 4, jit: "on" });
    const outcome = await machine.run();
    expect(outcome).toMatchObject({ reason: "exit", exitStatus: EXPECTED_STATUS, instructions: reference.instructions });
    const statistics = machine.statistics();
    expect(statistics.jitUnitsPacked).toBeGreaterThanOrEqual(FUNCTIONS);
    expect(statistics.jitModulesPacked).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
