// Physical addresses outside RAM: devices claim ranges (the local APIC page, the IOAPIC) and see
// offsets within them; anything unclaimed reads as all ones and ignores writes (open bus).
import type { AccessSize, Device } from "../devices/device.ts";

interface MmioRegion {
  base: number;
  length: number;
  device: Device;
}

export class MmioBus {
  private readonly regions: MmioRegion[] = [];
  /** Accesses nothing claimed, for --stats. */
  unclaimedAccesses = 0;

  map(base: number, length: number, device: Device): void {
    for (const region of this.regions) {
      if (base < region.base + region.length && region.base < base + length) {
        throw new Error(`MMIO range 0x${base.toString(16)}+0x${length.toString(16)} overlaps one already mapped`);
      }
    }
    this.regions.push({ base, length, device });
  }

  private find(address: number): MmioRegion | undefined {
    for (const region of this.regions) {
      if (address - region.base >= 0 && address - region.base < region.length) return region;
    }
    return undefined;
  }

  read(address: number, size: number): number {
    const region = this.find(address);
    if (!region) {
      this.unclaimedAccesses++;
      return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    }
    return region.device.read(address - region.base, size as AccessSize);
  }

  write(address: number, size: number, value: number): void {
    const region = this.find(address);
    if (!region) {
      this.unclaimedAccesses++;
      return;
    }
    region.device.write(address - region.base, size as AccessSize, value);
  }
}
