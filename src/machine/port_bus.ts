// The I/O port space: devices claim ranges and see only offsets within their range.
import type { AccessSize, Device } from "../devices/device.ts";

interface PortMapping {
  device: Device;
  base: number;
}

export class PortBus {
  // One slot per port: a lookup is one array index on the I/O path.
  private readonly ports: (PortMapping | undefined)[] = new Array(0x10000).fill(undefined);
  /** Accesses to ports no device claims, for --stats. */
  unclaimedAccesses = 0;

  map(base: number, length: number, device: Device): void {
    const mapping = { device, base };
    for (let port = base; port < base + length; port++) {
      if (this.ports[port]) throw new Error(`port ${port.toString(16)} is mapped twice`);
      this.ports[port] = mapping;
    }
  }

  read(port: number, size: number): number {
    const mapping = this.ports[port];
    if (!mapping) {
      this.unclaimedAccesses++;
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff; // open bus
    }
    return mapping.device.read(port - mapping.base, size as AccessSize);
  }

  write(port: number, size: number, value: number): void {
    const mapping = this.ports[port];
    if (!mapping) {
      this.unclaimedAccesses++;
      return;
    }
    mapping.device.write(port - mapping.base, size as AccessSize, value);
  }
}
