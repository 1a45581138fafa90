/**
 * Event times as exports and producers write them, checked against the calendar: a date that does
 * not exist (`2026-02-30`, `T24:00`) is refused, never rolled over into the next day, and years
 * outside an accepted range (1970-2100 unless configured) are refused too.
 */

import { decimalOf, POW10 } from './byte-forms';

export interface YearRange {
  readonly min: number;
  readonly max: number;
}

/** Name of the environment variable that carries the accepted years (`1970-2100`) to the functions. */
export const ACCEPTED_YEARS_ENV = 'ACCEPTED_YEARS';

export const BUILT_IN_YEARS: YearRange = { min: 1970, max: 2100 };

/** Parse `1970-2100`; one clear error otherwise. */
export function parseYearRange(text: string): YearRange {
  const match = /^\s*(\d{4})\s*-\s*(\d{4})\s*$/.exec(text);
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (!match || min > max) throw new Error(`accepted years must be written as "1970-2100", not "${text}"`);
  return { min, max };
}

/** The accepted years from the environment, or the built-in range. */
export function yearsFromEnv(env: Record<string, string | undefined> = process.env): YearRange {
  const value = env[ACCEPTED_YEARS_ENV];
  return value ? parseYearRange(value) : BUILT_IN_YEARS;
}

/**
 * The years every parser accepts unless told otherwise: `ACCEPTED_YEARS` when the stack set it on the
 * function (stage config `lake.acceptedYears`), else 1970-2100. One setting, so ingestion, validation
 * and the feature build agree on what a valid event time is.
 */
export const DEFAULT_YEARS: YearRange = yearsFromEnv();

export function formatYearRange(years: YearRange): string {
  return `${years.min}-${years.max}`;
}

export type InstantResult = { ok: true; epochMs: number } | { ok: false; reason: string };

const EPOCH_SECONDS = /^\d{9,11}(\.\d+)?$/;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The parts of `YYYY-MM-DDTHH:MM[:SS[.f…]](Z|±HH[:]MM)`, the shape accepted (`second` -1 and
 * `fraction` '' when absent).
 */
interface IsoParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
  /** 0 for `Z`, else 1 or -1 */
  sign: number;
  offsetHours: number;
  offsetMinutes: number;
}

const scratch: IsoParts = {
  year: 0,
  month: 0,
  day: 0,
  hour: 0,
  minute: 0,
  second: -1,
  fraction: '',
  sign: 0,
  offsetHours: 0,
  offsetMinutes: 0,
};

/** Digits at [at, at + n) as a number, or -1 when one is not an ASCII digit. */
function digits(value: string, at: number, n: number): number {
  let out = 0;
  for (let i = at; i < at + n; i++) {
    const d = value.charCodeAt(i) - 48; // NaN past the end
    if (!(d >= 0 && d <= 9)) return -1;
    out = out * 10 + d;
  }
  return out;
}

/**
 * Match the accepted shape by hand (the hot path: a regex with eleven captures allocates a dozen
 * strings per timestamp): the parts in `scratch`, or false. Tests hold it equal to the regular
 * expression `^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$`.
 */
function scanIso(v: string): boolean {
  const n = v.length;
  if (n < 17 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84) return false;
  if (v.charCodeAt(13) !== 58) return false;
  const p = scratch;
  p.year = digits(v, 0, 4);
  p.month = digits(v, 5, 2);
  p.day = digits(v, 8, 2);
  p.hour = digits(v, 11, 2);
  p.minute = digits(v, 14, 2);
  if (p.year < 0 || p.month < 0 || p.day < 0 || p.hour < 0 || p.minute < 0) return false;
  let i = 16;
  p.second = -1;
  p.fraction = '';
  if (v.charCodeAt(i) === 58) {
    p.second = digits(v, i + 1, 2);
    if (p.second < 0 || i + 3 > n) return false;
    i += 3;
    if (v.charCodeAt(i) === 46) {
      let j = i + 1;
      while (j < n && v.charCodeAt(j) >= 48 && v.charCodeAt(j) <= 57) j++;
      if (j === i + 1) return false;
      p.fraction = v.slice(i, j);
      i = j;
    }
  }
  const zone = v.charCodeAt(i);
  if (zone === 90) {
    p.sign = 0;
    return i + 1 === n;
  }
  if (zone !== 43 && zone !== 45) return false;
  p.sign = zone === 45 ? -1 : 1;
  p.offsetHours = digits(v, i + 1, 2);
  if (p.offsetHours < 0 || i + 3 > n) return false;
  let m = i + 3;
  if (v.charCodeAt(m) === 58) m++;
  p.offsetMinutes = digits(v, m, 2);
  return p.offsetMinutes >= 0 && m + 2 === n;
}

/**
 * An ISO-8601 date-time with a zone (`Z` or `±HH:MM`), checked against the calendar and the year
 * range. Returns the instant or one sentence saying why not.
 */
export function parseIsoInstant(value: string, years: YearRange = DEFAULT_YEARS): InstantResult {
  if (!scanIso(value)) return { ok: false, reason: `"${value.slice(0, 40)}" is not an ISO-8601 date-time with a zone` };
  const { year, month, day, hour, minute, fraction, sign, offsetHours, offsetMinutes } = scratch;
  const second = scratch.second < 0 ? 0 : scratch.second;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return { ok: false, reason: `"${value.slice(0, 40)}" is not a date and time of the calendar` };
  let offset = 0;
  if (sign !== 0) {
    if (offsetHours > 14 || offsetMinutes > 59)
      return { ok: false, reason: `"${value.slice(0, 40)}" has an impossible zone offset` };
    offset = sign * (offsetHours * 60 + offsetMinutes);
  }
  if (year < years.min || year > years.max)
    return { ok: false, reason: `year ${value.slice(0, 4)} is outside the accepted years ${formatYearRange(years)}` };
  const millis = fraction === '' ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000;
  return { ok: true, epochMs };
}

/** The first instant of `years.min` and of the year after `years.max`, per range. */
const yearBounds = new WeakMap<YearRange, { from: number; to: number }>();
function boundsOf(years: YearRange): { from: number; to: number } {
  let bounds = yearBounds.get(years);
  if (!bounds) {
    bounds = { from: Date.UTC(years.min, 0, 1), to: Date.UTC(years.max + 1, 0, 1) };
    yearBounds.set(years, bounds);
  }
  return bounds;
}

/** ISO-8601 with a zone, or epoch seconds (9 to 11 digits), within the accepted years. */
export function parseEventTime(value: string, years: YearRange = DEFAULT_YEARS): InstantResult {
  const trimmed = value.trim();
  if (EPOCH_SECONDS.test(trimmed)) {
    const epochMs = Number(trimmed) * 1000;
    const bounds = boundsOf(years);
    if (epochMs >= bounds.from && epochMs < bounds.to) return { ok: true, epochMs };
    const year = new Date(epochMs).getUTCFullYear();
    if (year < years.min || year > years.max)
      return {
        ok: false,
        reason: `epoch ${trimmed} is in ${year}, outside the accepted years ${formatYearRange(years)}`,
      };
    return { ok: true, epochMs };
  }
  const iso = parseIsoInstant(trimmed, years);
  if (iso.ok || scanIso(trimmed)) return iso;
  return { ok: false, reason: `timestamp "${trimmed.slice(0, 40)}" is neither ISO-8601 nor epoch seconds` };
}

/** Two ASCII digits at `at` as a number, or -1. */
function twoDigits(bytes: Uint8Array, at: number): number {
  const a = (bytes[at] as number) - 48;
  const b = (bytes[at + 1] as number) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `parseEventTime` on the ASCII bytes [start, end), for validation's byte lane: the same instant
 * when that is valid, NaN otherwise (then the string parser decides and gives the reason). Knows
 * epoch seconds of at most 15 digits and the ISO shape `scanIso` accepts, with at most 14 fraction
 * digits. docs/decisions/027-validation-byte-lane.md
 */
export function eventTimeBytes(bytes: Uint8Array, start: number, end: number, years: YearRange): number {
  while (start < end && bytes[start] === 32) start++;
  while (end > start && bytes[end - 1] === 32) end--;
  const n = end - start;
  if (n >= 9 && n < 17 && bytes[start + 4] !== 45) {
    // epoch seconds: 9 to 11 digits, then an optional fraction
    let whole = 0;
    while (whole < n && (bytes[start + whole] as number) >= 48 && (bytes[start + whole] as number) <= 57) whole++;
    if (whole < 9 || whole > 11) return Number.NaN;
    if (whole < n && (bytes[start + whole] !== 46 || whole + 1 === n)) return Number.NaN;
    const epochMs = decimalOf(bytes, start, end) * 1000;
    const bounds = boundsOf(years);
    return epochMs >= bounds.from && epochMs < bounds.to ? epochMs : Number.NaN;
  }
  if (n < 17 || bytes[start + 4] !== 45 || bytes[start + 7] !== 45 || bytes[start + 10] !== 84) return Number.NaN;
  if (bytes[start + 13] !== 58) return Number.NaN;
  const century = twoDigits(bytes, start);
  const yy = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  const hour = twoDigits(bytes, start + 11);
  const minute = twoDigits(bytes, start + 14);
  if (century < 0 || yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return Number.NaN;
  const year = century * 100 + yy;
  let i = start + 16;
  let second = 0;
  let millis = 0;
  if (bytes[i] === 58) {
    if (i + 3 > end) return Number.NaN;
    second = twoDigits(bytes, i + 1);
    if (second < 0) return Number.NaN;
    i += 3;
    if (bytes[i] === 46 && i < end) {
      let j = i + 1;
      let fraction = 0;
      while (j < end && (bytes[j] as number) >= 48 && (bytes[j] as number) <= 57) {
        fraction = fraction * 10 + ((bytes[j] as number) - 48);
        j++;
      }
      const digits = j - i - 1;
      if (digits === 0 || digits > 14) return Number.NaN;
      millis = Math.floor((fraction / (POW10[digits] as number)) * 1000);
      i = j;
    }
  }
  let offset = 0;
  const zone = i < end ? bytes[i] : -1;
  if (zone === 90) {
    if (i + 1 !== end) return Number.NaN;
  } else if (zone === 43 || zone === 45) {
    const offsetHours = i + 3 <= end ? twoDigits(bytes, i + 1) : -1;
    let m = i + 3;
    if (bytes[m] === 58 && m < end) m++;
    const offsetMinutes = m + 2 === end ? twoDigits(bytes, m) : -1;
    if (offsetHours < 0 || offsetMinutes < 0 || offsetHours > 14 || offsetMinutes > 59) return Number.NaN;
    offset = (zone === 45 ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  } else return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return Number.NaN;
  if (year < years.min || year > years.max) return Number.NaN;
  if (year < 100) return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000;
  return (
    daysFromCivil(year, month, day) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millis -
    offset * 60_000
  );
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil), in exact integer arithmetic: what `Date.UTC` counts for years from 100 on.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
