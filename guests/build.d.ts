// Types for guests/build.js (plain ESM so it runs without a TypeScript step).
export interface GuestSource {
  name: string;
  source: string;
}
export interface BuiltGuest {
  name: string;
  /** Absolute path of build/guests/NAME.elf. */
  elf: string;
}
export const outDir: string;
export class GuestBuildError extends Error {}
export function listGuests(): GuestSource[];
/** Builds the named guests (all when omitted), rebuilding only what is out of date. */
export function buildGuests(names?: string[]): BuiltGuest[];
