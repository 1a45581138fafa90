import * as fc from 'fast-check';
import { PackedKeySet } from '../../../layers/quality/first-seen';
import { byteTestOf, byteValueOf, decimalOf, idBytes } from '../../../layers/util/byte-forms';
import { acceptanceOf, ID } from '../../../layers/util/csv-fields';
import { DEFAULT_YEARS, daysFromCivil, eventTimeBytes, parseEventTime } from '../../../layers/util/timestamps';
import { ROW_SCHEMA_FIELDS } from '../../helpers/row-schemas';

/**
 * The byte forms the validation lane reads fields with are one-sided: a byte test may say "not
 * sure" (false) where the string form accepts, never "yes" where it refuses; a byte value may be NaN
 * where the string form has a value, never another value. Each property checks that side against
 * the string form, and that the byte form does answer for the canonical shapes it is there for.
 */

const bytesOf = (s: string) => Buffer.from(` ${s},`, 'latin1');
/** Run a byte form on `s` placed inside a buffer (a byte before and after it, as in a CSV line). */
const onBytes = <T>(s: string, form: (b: Uint8Array, start: number, end: number) => T): T =>
  form(bytesOf(s), 1, 1 + s.length);

const printable = fc.string({ unit: fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c)) });

describe('decimalOf', () => {
  it('reads what Number() reads for canonical decimals, and nothing else (property)', () => {
    const canonical = fc
      .tuple(fc.boolean(), fc.stringMatching(/^\d{1,9}$/), fc.option(fc.stringMatching(/^\d{1,6}$/)))
      .map(([neg, whole, frac]) => `${neg ? '-' : ''}${whole}${frac === null ? '' : `.${frac}`}`);
    fc.assert(
      fc.property(canonical, (s) => {
        expect(onBytes(s, decimalOf)).toBe(Number(s));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(printable, fc.stringMatching(/^[-+ .eE0-9]{0,18}$/)), (s) => {
        const n = onBytes(s, decimalOf);
        if (!Number.isNaN(n)) {
          expect(s).toMatch(/^-?\d+(\.\d+)?$/);
          expect(n).toBe(Number(s));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('says not sure past 15 digits, where a double may no longer hold the digits', () => {
    expect(onBytes('1234567890.12345', decimalOf)).toBe(1234567890.12345);
    expect(Number.isNaN(onBytes('1234567890.123456', decimalOf))).toBe(true);
    expect(Number.isNaN(onBytes('9007199254740993', decimalOf))).toBe(true);
  });
});

describe('idBytes', () => {
  it('matches exactly what the id pattern matches (property)', () => {
    const idLike = fc.stringMatching(/^[A-Za-z0-9_.:\- /é]{0,70}$/).filter((s) => /^[\x20-\x7e]*$/.test(s));
    fc.assert(
      fc.property(fc.oneof(idLike, printable), (s) => {
        expect(onBytes(s, idBytes)).toBe(ID.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('eventTimeBytes', () => {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  /** Valid instants in the accepted years, written in the shapes exports use. */
  const written = fc
    .tuple(
      fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2100-12-30T00:00:00Z'), noInvalidDate: true }),
      fc.constantFrom('Z', '+01:00', '-05:30', '+0000', '+14:00'),
      fc.constantFrom('', ':SS', ':SS.f'),
      fc.integer({ min: 1, max: 9 }),
    )
    .map(([d, zone, seconds, digits]) => {
      const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      const fraction = String(d.getUTCMilliseconds()).padStart(3, '0').padEnd(digits, '7').slice(0, digits);
      const secs = seconds === '' ? '' : `:${pad(d.getUTCSeconds())}${seconds === ':SS.f' ? `.${fraction}` : ''}`;
      return `${base}${secs}${zone}`;
    });
  const epoch = fc
    .tuple(fc.integer({ min: 100_000_000, max: 4_102_444_000 }), fc.option(fc.stringMatching(/^\d{1,4}$/)))
    .map(([s, f]) => `${s}${f === null ? '' : `.${f}`}`);
  const nearMiss = fc.oneof(
    written.map((s) => s.replace(/T(\d\d)/, (_, h) => `T${Number(h) + 24}`)),
    written.map((s) => s.replace(/-(\d\d)T/, '-31T')),
    written.map((s) => s.slice(0, -1)),
    written.map((s) => `${s.startsWith('20') ? '2101' : '1969'}${s.slice(4)}`),
    written.map((s) => s.replace(/[+-]\d\d:?\d\d$/, '+15:00')),
    written.map((s) => ` ${s} `),
    epoch.map((s) => `${s}.`),
    epoch.map((s) => s.slice(1)),
    fc.stringMatching(/^[-+:.TZ0-9 ]{0,30}$/),
  );

  it('gives parseEventTime’s instant whenever it gives one (property)', () => {
    fc.assert(
      fc.property(fc.oneof(written, epoch, nearMiss), (s) => {
        const t = onBytes(s, (b, start, end) => eventTimeBytes(b, start, end, DEFAULT_YEARS));
        if (Number.isNaN(t)) return;
        const parsed = parseEventTime(s, DEFAULT_YEARS);
        expect(parsed).toEqual({ ok: true, epochMs: t });
      }),
      { numRuns: 5000 },
    );
  });

  it('knows the shapes exports write (property)', () => {
    fc.assert(
      fc.property(fc.oneof(written, epoch), (s) => {
        const parsed = parseEventTime(s, DEFAULT_YEARS);
        if (!parsed.ok) return; // an epoch outside the accepted years
        expect(onBytes(s, (b, start, end) => eventTimeBytes(b, start, end, DEFAULT_YEARS))).toBe(parsed.epochMs);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts days as Date.UTC does (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.nat(), (y, m, d) => {
        const day = 1 + (d % new Date(Date.UTC(y, m, 0)).getUTCDate());
        expect(daysFromCivil(y, m, day) * 86_400_000).toBe(Date.UTC(y, m - 1, day));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('schema byte tests', () => {
  const valueLike = fc.oneof(
    printable,
    fc.stringMatching(/^ ?-?\d{0,7}(\.\d{0,3})? ?$/),
    fc.stringMatching(/^[A-Za-z0-9_.:-]{0,66}$/),
    fc.constantFrom('', ' ', '0', '5', '6', '-0', '007', '1.', '.5', '1000000', '1000001', '1795000000'),
    fc.constantFrom('2026-11-20T10:00:00Z', '2026-02-30T00:00Z', '2024-01-01', '2026-11-20T10:00:00.5+01:00'),
  );
  for (const [name, field, type] of ROW_SCHEMA_FIELDS) {
    const value = byteValueOf(type);
    const test =
      byteTestOf(type) ?? (value && ((b: Uint8Array, s: number, e: number) => Number.isFinite(value(b, s, e))));
    if (!test) continue;
    it(`${name}.${field}: what its byte test accepts, its zod type accepts (property)`, () => {
      let yes = 0;
      fc.assert(
        fc.property(valueLike, (s) => {
          if (!onBytes(s, test)) return;
          yes++;
          expect(type.safeParse(s).success).toBe(true);
          expect(acceptanceOf(type)?.(s)).toBe(true);
        }),
        { numRuns: 1500 },
      );
      expect(yes).toBeGreaterThan(10);
    });
  }
});

describe('PackedKeySet', () => {
  it('answers as a Set of its keys does, from strings and from bytes (property)', () => {
    const key = fc.oneof(
      fc.stringMatching(/^[a-z0-9]{0,9}$/),
      fc.string({ maxLength: 10 }),
      fc.constantFrom('', 'ü1', 'a\u0000', 'product-with-a-long-id'),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 200 }), fc.array(key, { maxLength: 50 }), (keys, probes) => {
        const set = new Set(keys);
        const packed = new PackedKeySet(keys);
        expect(packed.size).toBe(set.size);
        for (const probe of [...keys, ...probes]) {
          expect(packed.has(probe)).toBe(set.has(probe));
          if (/^[\x20-\x7e]*$/.test(probe))
            expect(onBytes(probe, (b, s, e) => packed.hasBytes(b, s, e))).toBe(set.has(probe));
        }
      }),
      { numRuns: 150 },
    );
  });
});
