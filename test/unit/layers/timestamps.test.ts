import * as fc from 'fast-check';
import { daysInMonth, parseEventTime, parseIsoInstant, type YearRange } from '../../../layers/util/timestamps';

/**
 * The oracle: the accepted shapes as regular expressions and the calendar rules written out
 * directly (the parser scans by hand, for speed, and must agree with this on every string).
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$/;
const EPOCH = /^\d{9,11}(\.\d+)?$/;

function oracleIso(value: string, years: YearRange) {
  const m = ISO.exec(value);
  if (!m) return { ok: false, reason: `"${value.slice(0, 40)}" is not an ISO-8601 date-time with a zone` };
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i])) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return { ok: false, reason: `"${value.slice(0, 40)}" is not a date and time of the calendar` };
  let offset = 0;
  if (m[8] !== 'Z') {
    if (Number(m[10]) > 14 || Number(m[11]) > 59)
      return { ok: false, reason: `"${value.slice(0, 40)}" has an impossible zone offset` };
    offset = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  }
  if (year < years.min || year > years.max)
    return { ok: false, reason: `year ${m[1]} is outside the accepted years ${years.min}-${years.max}` };
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  return { ok: true, epochMs: Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offset * 60_000 };
}

function oracleEvent(value: string, years: YearRange) {
  const t = value.trim();
  if (EPOCH.test(t)) {
    const epochMs = Number(t) * 1000;
    const year = new Date(epochMs).getUTCFullYear();
    if (year < years.min || year > years.max)
      return { ok: false, reason: `epoch ${t} is in ${year}, outside the accepted years ${years.min}-${years.max}` };
    return { ok: true, epochMs };
  }
  const iso = oracleIso(t, years);
  if (iso.ok || ISO.test(t)) return iso;
  return { ok: false, reason: `timestamp "${t.slice(0, 40)}" is neither ISO-8601 nor epoch seconds` };
}

/** Strings near the accepted shapes: digits of any width, separators swapped, parts dropped. */
const piece = fc.oneof(
  fc.stringMatching(/^\d{0,5}$/),
  fc.constantFrom('-', 'T', ':', '.', 'Z', '+', '-', ' ', 't', 'z', '٣', '0'),
);
const nearIso = fc.oneof(
  fc
    .record({
      y: fc.integer({ min: 0, max: 9999 }),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.option(fc.integer({ min: 0, max: 61 })),
      f: fc.option(fc.stringMatching(/^\d{0,7}$/)),
      zone: fc.oneof(
        fc.constant('Z'),
        fc
          .tuple(
            fc.constantFrom('+', '-'),
            fc.integer({ min: 0, max: 16 }),
            fc.boolean(),
            fc.integer({ min: 0, max: 61 }),
          )
          .map(
            ([sign, h, colon, m]) =>
              `${sign}${String(h).padStart(2, '0')}${colon ? ':' : ''}${String(m).padStart(2, '0')}`,
          ),
        fc.constantFrom('', 'z', '+1', '+05:3', 'Z '),
      ),
    })
    .map(
      ({ y, mo, d, h, mi, s, f, zone }) =>
        `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}${s === null ? '' : `:${String(s).padStart(2, '0')}${f === null ? '' : `.${f}`}`}${zone}`,
    ),
  fc.array(piece, { maxLength: 14 }).map((parts) => parts.join('')),
  fc.stringMatching(/^ ?\d{8,12}(\.\d{0,3})? ?$/),
  fc.string({ maxLength: 30 }),
);

describe('event times', () => {
  const ranges: YearRange[] = [
    { min: 1970, max: 2100 },
    { min: 2020, max: 2026 },
  ];

  it('agree with the regular-expression oracle on near-ISO and arbitrary strings (property)', () => {
    fc.assert(
      fc.property(nearIso, fc.constantFrom(...ranges), (value, years) => {
        expect(parseIsoInstant(value, years)).toEqual(oracleIso(value, years));
        expect(parseEventTime(value, years)).toEqual(oracleEvent(value, years));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the shapes exports write', () => {
    const years = ranges[0] as YearRange;
    expect(parseEventTime('2026-09-24T19:54:50.081Z', years)).toEqual({
      ok: true,
      epochMs: Date.UTC(2026, 8, 24, 19, 54, 50, 81),
    });
    expect(parseEventTime('2026-09-24T21:54+0200', years)).toEqual({
      ok: true,
      epochMs: Date.UTC(2026, 8, 24, 19, 54),
    });
    expect(parseEventTime(' 1792977156 ', years)).toEqual({ ok: true, epochMs: 1_792_977_156_000 });
    expect(parseEventTime('2026-02-29T00:00Z', years)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/calendar/),
    });
    expect(parseEventTime('4102444800', years)).toMatchObject({ ok: true });
    expect(parseEventTime('4133980800', years)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/is in 2101/),
    });
  });
});
