// The PC physical memory map every loader reports (multiboot mmap, Linux e820): conventional
// memory, the EBDA and the VGA/ROM hole (with the firmware tables in 0xE0000–0xFFFFF), then RAM
// from 1 MiB (ACPI 6.4, 15 "System Address Map Interfaces").

/** Address range types (ACPI 6.4, table 15.1). */
export const MEMORY_RAM = 1;
export const MEMORY_RESERVED = 2;

export interface MemoryRegion {
  base: number;
  length: number;
  type: number;
}

/** Conventional memory ends here; the EBDA follows. */
export const LOW_MEMORY_END = 0x9fc00;
export const HIGH_MEMORY_START = 0x100000;
/** Firmware tables (ACPI RSDP and tables) are placed in this reserved range. */
export const FIRMWARE_AREA_START = 0xe0000;

export function pcMemoryMap(ramBytes: number): MemoryRegion[] {
  return [
    { base: 0, length: LOW_MEMORY_END, type: MEMORY_RAM },
    { base: LOW_MEMORY_END, length: 0xa0000 - LOW_MEMORY_END, type: MEMORY_RESERVED },
    { base: FIRMWARE_AREA_START, length: HIGH_MEMORY_START - FIRMWARE_AREA_START, type: MEMORY_RESERVED },
    { base: HIGH_MEMORY_START, length: ramBytes - HIGH_MEMORY_START, type: MEMORY_RAM },
  ];
}
