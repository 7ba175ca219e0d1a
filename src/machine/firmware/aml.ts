// A small ACPI Machine Language encoder: just the terms the DSDT needs (names, integers, strings,
// packages, scopes and devices), written from the ACPI 6.4 specification, chapter 20 "ACPI Machine
// Language (AML) Specification" (20.2.3 "Data Objects Encoding", 20.2.4 "Package Length
// Encoding", 20.2.2 "Name Objects Encoding", 20.2.5.1 "Namespace Modifier Objects Encoding",
// 20.2.5.2 "Named Objects Encoding"). Each function returns the bytes of one term.

/** Opcodes (ACPI 6.4, 20.3 "AML Byte Stream Byte Values"). */
export const AML = {
  ZeroOp: 0x00,
  OneOp: 0x01,
  NameOp: 0x08,
  BytePrefix: 0x0a,
  WordPrefix: 0x0b,
  DWordPrefix: 0x0c,
  StringPrefix: 0x0d,
  ScopeOp: 0x10,
  PackageOp: 0x12,
  OnesOp: 0xff,
  ExtOpPrefix: 0x5b,
  /** DeviceOp is ExtOpPrefix 0x82. */
  DeviceOp: 0x82,
  RootChar: 0x5c,
  DualNamePrefix: 0x2e,
} as const;

export class AmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AmlError";
  }
}

/** Concatenate terms. */
export function aml(...parts: (Uint8Array | number[])[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * PkgLength (20.2.4): the length of the package including the PkgLength bytes themselves. One byte
 * holds up to 63; otherwise bits 7-6 of the lead byte count 1-3 following bytes, its bits 3-0 are
 * the low nibble and each following byte the next 8 bits.
 */
export function pkgLength(contentLength: number): Uint8Array {
  for (let extra = 0; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (extra === 0 && total <= 0x3f) return new Uint8Array([total]);
    if (extra > 0 && total < 2 ** (4 + 8 * extra)) {
      const bytes = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) bytes.push((total >>> (4 + 8 * i)) & 0xff);
      return new Uint8Array(bytes);
    }
  }
  throw new AmlError(`package of ${contentLength} bytes is too long for PkgLength`);
}

/** A NameSeg (20.2.2): four characters of A-Z, 0-9 and _, the first not a digit; short names pad with _. */
export function nameSeg(name: string): Uint8Array {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(name)) throw new AmlError(`"${name}" is not a valid NameSeg`);
  return new TextEncoder().encode(name.padEnd(4, "_"));
}

/** A NameString (20.2.2): an optional root prefix `\` and one or two dot-separated NameSegs. */
export function nameString(path: string): Uint8Array {
  const root = path.startsWith("\\");
  const segs = (root ? path.slice(1) : path).split(".");
  const prefix = root ? [AML.RootChar] : [];
  if (segs.length === 1) return aml(prefix, nameSeg(segs[0]));
  if (segs.length === 2) return aml(prefix, [AML.DualNamePrefix], nameSeg(segs[0]), nameSeg(segs[1]));
  throw new AmlError(`name path "${path}" has more than two segments`);
}

/** The shortest ComputationalData encoding of an unsigned 32-bit integer (20.2.3). */
export function integer(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new AmlError(`integer ${value} out of range`);
  if (value === 0) return new Uint8Array([AML.ZeroOp]);
  if (value === 1) return new Uint8Array([AML.OneOp]);
  if (value <= 0xff) return new Uint8Array([AML.BytePrefix, value]);
  if (value <= 0xffff) return new Uint8Array([AML.WordPrefix, value & 0xff, value >> 8]);
  return new Uint8Array([AML.DWordPrefix, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]);
}

/** A String (20.2.3): StringPrefix, ASCII characters, NUL. */
export function string(text: string): Uint8Array {
  if (!/^[\x01-\x7f]*$/.test(text)) throw new AmlError(`string "${text}" is not 7-bit ASCII without NUL`);
  return aml([AML.StringPrefix], new TextEncoder().encode(text), [0]);
}

/**
 * The 32-bit compressed EISA ID of a PNP ID like "PNP0A03" (ACPI 6.4, 19.6.35 "EISAID"): three
 * letters of 5 bits (A = 1) and four hex digits, stored as a DWord whose bytes read, in memory
 * order, letters then digits.
 */
export function eisaId(id: string): Uint8Array {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new AmlError(`"${id}" is not a PNP ID like PNP0A03`);
  const c = (i: number) => id.charCodeAt(i) - 0x40;
  const b0 = (c(0) << 2) | (c(1) >> 3);
  const b1 = ((c(1) & 7) << 5) | c(2);
  const b2 = parseInt(id.slice(3, 5), 16);
  const b3 = parseInt(id.slice(5, 7), 16);
  return new Uint8Array([AML.DWordPrefix, b0, b1, b2, b3]);
}

/** Name(name, object) (20.2.5.1 DefName). */
export function name(path: string, object: Uint8Array): Uint8Array {
  return aml([AML.NameOp], nameString(path), object);
}

/** Package(){elements} (20.2.5.4 DefPackage): NumElements is one byte. */
export function pkg(...elements: Uint8Array[]): Uint8Array {
  if (elements.length > 0xff) throw new AmlError("package with more than 255 elements");
  const body = aml([elements.length], ...elements);
  return aml([AML.PackageOp], pkgLength(body.length), body);
}

/** Scope(path){terms} (20.2.5.1 DefScope). */
export function scope(path: string, ...terms: Uint8Array[]): Uint8Array {
  const body = aml(nameString(path), ...terms);
  return aml([AML.ScopeOp], pkgLength(body.length), body);
}

/** Device(name){terms} (20.2.5.2 DefDevice). */
export function device(path: string, ...terms: Uint8Array[]): Uint8Array {
  const body = aml(nameString(path), ...terms);
  return aml([AML.ExtOpPrefix, AML.DeviceOp], pkgLength(body.length), body);
}
