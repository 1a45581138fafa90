/**
 * Byte forms of field predicates and parsers, for validation's byte lane
 * (docs/decisions/027-validation-byte-lane.md). A byte form reads a field where it lies in the
 * input buffer, as ASCII (the lane hands it only printable ASCII without quotes), and is *one-sided*:
 * - a test answers true only when the string form accepts the same text; false means "not sure",
 *   and the row goes to the string evaluation, which decides;
 * - a value is finite only when it equals what the string form returns; NaN means "not sure".
 * - a value declared on a schema type stands for its test: the type accepts the text when the value
 *   is finite (so a field several checks read is read once).
 * So a byte form may know fewer shapes than its string form (canonical numbers and timestamps
 * only), never different answers. Property tests hold each one to its string form.
 */

export type ByteTest = (bytes: Uint8Array, start: number, end: number) => boolean;
export type ByteValue = (bytes: Uint8Array, start: number, end: number) => number;

const TESTS = new WeakMap<object, ByteTest>();
const VALUES = new WeakMap<object, ByteValue>();

/** Declare the byte test of a schema, a regular expression or a predicate. */
export function withByteTest<T extends object>(target: T, test: ByteTest): T {
  TESTS.set(target, test);
  return target;
}

export function byteTestOf(target: object): ByteTest | undefined {
  return TESTS.get(target);
}

/** Declare the byte form of a parser (string → number). */
export function withByteValue<T extends object>(target: T, value: ByteValue): T {
  VALUES.set(target, value);
  return target;
}

export function byteValueOf(target: object): ByteValue | undefined {
  return VALUES.get(target);
}

/** Powers of ten a double holds exactly, for the exact decimal reads here and in the timestamp scanner. */
export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `-?\d+(\.\d+)?` with at most 15 digits, as `Number()` reads it; NaN for anything else. Exact: the
 * digits form an integer below 2^53 and the divisor a power of ten that a double holds exactly, so
 * one correctly rounded division gives the double nearest the decimal, which is what `Number()` gives.
 */
export function decimalOf(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = bytes[i] === 45;
  if (negative) i++;
  if (i >= end || end - i > 16) return Number.NaN;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = bytes[i] as number;
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0 && digits > 0) fraction = 0;
    else return Number.NaN;
  }
  if (fraction === 0 || digits > 15) return Number.NaN;
  const value = fraction > 0 ? mantissa / (POW10[fraction] as number) : mantissa;
  return negative ? -value : value;
}

/** The ASCII bytes match `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$` (an id). */
export function idBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || end - start > 64) return false;
  const first = bytes[start] as number;
  if (!((first >= 48 && first <= 57) || (first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  for (let i = start + 1; i < end; i++) {
    const c = bytes[i] as number;
    if (!((c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45))
      return false;
  }
  return true;
}
