// Flat binaries: a boot sector in guests/flat/ runs under QEMU (booted from a floppy by its BIOS)
// and under wasmvisor (`--flat`, entered at 0000:7C00 like a BIOS would); output must match.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runQemu, runWasmvisor } from "../support/guest-runner.ts";

const flatGuests = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../guests/flat");
const out = mkdtempSync(path.join(tmpdir(), "wasmvisor-flat-"));

describe("flat binaries against QEMU", () => {
  for (const source of readdirSync(flatGuests).filter((name) => name.endsWith(".asm"))) {
    it(source, () => {
      const image = path.join(out, source.replace(/\.asm$/, ".bin"));
      execFileSync("nasm", ["-f", "bin", path.join(flatGuests, source), "-o", image]);
      const qemu = runQemu(image, { bootSector: true });
      const wasmvisor = runWasmvisor(image, { bootSector: true });
      expect(qemu.exitCode, `QEMU did not reach the guest's success exit:\n${qemu.serial}${qemu.stderr}`).toBe(1);
      expect(wasmvisor.serial).toBe(qemu.serial);
      expect(wasmvisor.exitCode).toBe(qemu.exitCode);
    });
  }
});
