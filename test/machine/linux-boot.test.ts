// The Linux 32-bit boot protocol loader (Documentation/arch/x86/boot.rst), checked with a minimal
// bzImage (guests/linux/boot_protocol_probe.asm) whose protected-mode body reports what it was
// given. QEMU enters a bzImage through its real-mode setup code instead, so it cannot be the
// reference here: the expected values are the protocol's promises.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(path.join(tmpdir(), "wasmvisor-linux-boot-"));
const kernel = path.join(dir, "probe.bzImage");
const initrd = path.join(dir, "probe.initrd");
execFileSync("nasm", ["-f", "bin", path.join(root, "guests/linux/boot_protocol_probe.asm"), "-o", kernel]);
writeFileSync(initrd, "initrd says hello");

function boot(...extra: string[]): { stdout: string; status: number | null } {
  const run = spawnSync(process.execPath, [path.join(root, "bin/wasmvisor.js"), "run", "--kernel", kernel, "--mem", "64", ...extra],
    { encoding: "latin1", timeout: 30_000, input: "" });
  return { stdout: run.stdout, status: run.status };
}

describe("Linux boot protocol", () => {
  it("enters code32_start in flat protected mode with boot_params, command line, initrd and e820", () => {
    const { stdout, status } = boot("--initrd", initrd, "--append", "console=ttyS0 test=1");
    expect(stdout.split("\n")).toEqual([
      // __BOOT_CS, __BOOT_DS in DS and SS, IF clear, EBP|EDI|EBX zero
      "entry cs ds ss if: 0010 0018 0018 0000 00000000 ",
      "cmdline: console=ttyS0 test=1",
      // type_of_loader 0xFF (undefined), 4 e820 entries, ramdisk_size 17, ramdisk page aligned
      "FF 04 00000011 01 ",
      "initrd says hello",
      "",
    ]);
    expect(status).toBe(1); // the probe's success exit through isa-debug-exit
  });

  it("boots without an initrd (ramdisk_image and ramdisk_size stay zero)", () => {
    const { stdout, status } = boot("--append", "quiet");
    expect(stdout.split("\n").slice(1)).toEqual(["cmdline: quiet", "FF 04 00000000 01 ", "", ""]);
    expect(status).toBe(1);
  });
});
