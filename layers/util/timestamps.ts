/**
 * Event times as exports and producers write them, checked against the calendar: a date that does
 * not exist (`2026-02-30`, `T24:00`) is refused, never rolled over into the next day, and years
 * outside an accepted range (1970-2100 unless configured) are refused too.
 */

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

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$/;
const EPOCH_SECONDS = /^\d{9,11}(\.\d+)?$/;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * An ISO-8601 date-time with a zone (`Z` or `±HH:MM`), checked against the calendar and the year
 * range. Returns the instant or one sentence saying why not.
 */
export function parseIsoInstant(value: string, years: YearRange = DEFAULT_YEARS): InstantResult {
  const m = ISO.exec(value);
  if (!m) return { ok: false, reason: `"${value.slice(0, 40)}" is not an ISO-8601 date-time with a zone` };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return { ok: false, reason: `"${value.slice(0, 40)}" is not a date and time of the calendar` };
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 14 || om > 59) return { ok: false, reason: `"${value.slice(0, 40)}" has an impossible zone offset` };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (year < years.min || year > years.max)
    return { ok: false, reason: `year ${m[1]} is outside the accepted years ${formatYearRange(years)}` };
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return { ok: true, epochMs };
}

/** ISO-8601 with a zone, or epoch seconds (9 to 11 digits), within the accepted years. */
export function parseEventTime(value: string, years: YearRange = DEFAULT_YEARS): InstantResult {
  const trimmed = value.trim();
  if (EPOCH_SECONDS.test(trimmed)) {
    const epochMs = Number(trimmed) * 1000;
    const year = new Date(epochMs).getUTCFullYear();
    if (year < years.min || year > years.max)
      return {
        ok: false,
        reason: `epoch ${trimmed} is in ${year}, outside the accepted years ${formatYearRange(years)}`,
      };
    return { ok: true, epochMs };
  }
  const iso = parseIsoInstant(trimmed, years);
  if (iso.ok || ISO.test(trimmed)) return iso;
  return { ok: false, reason: `timestamp "${trimmed.slice(0, 40)}" is neither ISO-8601 nor epoch seconds` };
}
