// End-to-end: Debian's i386 Linux with a busybox initramfs boots to a shell on the serial console,
// runs commands and a small CPU workload whose results are checked on the host, and powers off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { LinuxGuest } from "./linux-guest.ts";

let guest: LinuxGuest;

beforeAll(async () => {
  guest = await LinuxGuest.boot();
  await guest.waitFor(LinuxGuest.prompt);
}, 600_000);

afterAll(() => guest?.machine.stop());

const md5 = (data: string | Buffer) => createHash("md5").update(data).digest("hex");

describe("Debian i386 Linux guest", () => {
  it("reports the Debian 686 kernel", async () => {
    const uname = await guest.run("uname -a");
    expect(uname).toMatch(/^Linux \S+ 6\.1\.\d+-\d+-686 #1 SMP .*Debian .* i686 GNU\/Linux\n$/);
  });

  it("sees the CPU wasmvisor models: a GenuineIntel P6 with an FPU and a local APIC", async () => {
    const cpuinfo = await guest.run("cat /proc/cpuinfo");
    expect(cpuinfo).toMatch(/^vendor_id\s*: GenuineIntel$/m);
    expect(cpuinfo).toMatch(/^cpu family\s*: 6$/m);
    expect(cpuinfo).toMatch(/^model\s*: 5$/m);
    expect(cpuinfo).toMatch(/^fpu\s*: yes$/m);
    const flags = cpuinfo.match(/^flags\s*: (.*)$/m)?.[1].split(" ") ?? [];
    for (const flag of ["fpu", "tsc", "msr", "cx8", "apic", "sep", "pge", "cmov", "fxsr"]) expect(flags).toContain(flag);
  });

  it("takes timer interrupts through the IOAPIC and the local APIC timer", async () => {
    const interrupts = await guest.run("cat /proc/interrupts");
    const timer = interrupts.match(/^\s*0:\s+(\d+)\s+IO-APIC\s+2-edge\s+timer$/m);
    expect(timer, interrupts).not.toBeNull();
    const local = interrupts.match(/^\s*LOC:\s+(\d+)\s+Local timer interrupts$/m);
    expect(local, interrupts).not.toBeNull();
    expect(Number(local![1])).toBeGreaterThan(100);
    expect(interrupts).toMatch(/^\s*4:\s+\d+\s+IO-APIC\s+4-edge\s+ttyS0$/m);
  });

  it("computes what the host computes: md5sum of dd output and a gzip round trip", async () => {
    const zeros = await guest.run("dd if=/dev/zero bs=1024 count=512 2>/dev/null | md5sum");
    expect(zeros).toBe(`${md5(Buffer.alloc(512 * 1024))}  -\n`);
    const text = Array.from({ length: 3000 }, (_, i) => `${i + 1}`).join("\n") + "\n";
    const roundTrip = await guest.run("seq 1 3000 | gzip -9 | gzip -d | md5sum");
    expect(roundTrip).toBe(`${md5(text)}  -\n`);
    const compressed = await guest.run("seq 1 3000 | gzip -9 | wc -c");
    expect(Number(compressed)).toBeLessThan(text.length / 2);
  });

  it("logged no oops, panic, lockup or broken timer", () => {
    const log = guest.output;
    // "alg: ... failed" is the kernel's crypto self-tests (testmgr, RSA/DH/SHA/AES) disagreeing with
    // their known answers: a check on the CPU's arithmetic that no one here wrote.
    for (const bad of [/Oops/, /Kernel panic/, /timer doesn't work/, /soft lockup/, /hard LOCKUP/, /BUG: /, /Call Trace:/, /alg: .*fail/]) {
      expect(log).not.toMatch(bad);
    }
    expect(log).toMatch(/APIC: Switch to symmetric I\/O mode setup/);
    expect(log).toMatch(/\.\.TIMER: vector=0x30 apic1=0 pin1=2/); // the PIT through IOAPIC pin 2
    expect(log).toMatch(/tsc: Detected [\d.]+ MHz processor/);
  });

  it("powers off with poweroff -f (ACPI S5)", async () => {
    guest.machine.serial.write("poweroff -f\n");
    const outcome = await guest.outcome;
    expect(outcome.reason).toBe("power-off");
  });
});
