import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import type { z } from 'zod';
import { CatalogRowSchema, CustomerRowSchema } from '../../../layers/master/schema';
import { FirstSeen } from '../../../layers/quality/first-seen';
import { SUITES } from '../../../layers/quality/suites';
import { validateStream } from '../../../layers/quality/validate';
import { TransactionRowSchema } from '../../../layers/transactions/schema';
import { acceptanceOf } from '../../../layers/util/csv-fields';

/** Values near what each CSV field type accepts, and hostile ones. */
const fieldValue = fc.oneof(
  fc.stringMatching(/^ ?-?\d{0,7}(\.\d{0,3})? ?$/),
  fc.constantFrom('', ' ', '\t', '0', '1', '5', '6', '1e3', '0x10', 'NaN', 'Infinity', '9'.repeat(400), '1.', '.5'),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{0,66}$/),
  fc.constantFrom(
    '2026-11-20T10:00:00Z',
    '2026-02-30T00:00Z',
    '1795000000',
    '2024-01-01',
    ' 2024-01-01 ',
    'é',
    '\u00a0x',
  ),
  fc.string({ maxLength: 12 }),
);

describe('acceptance predicates', () => {
  const schemas: [string, z.ZodObject][] = [
    ['transactions', TransactionRowSchema],
    ['catalog', CatalogRowSchema],
    ['customers', CustomerRowSchema],
  ];
  for (const [name, schema] of schemas) {
    for (const [field, type] of Object.entries(schema.shape) as [string, z.ZodType][]) {
      const accepts = acceptanceOf(type);
      if (!accepts) continue;
      it(`${name}.${field} accepts exactly what its zod type accepts (property)`, () => {
        fc.assert(
          fc.property(fieldValue, (value) => {
            expect(accepts(value)).toBe(type.safeParse(value).success);
          }),
          { numRuns: 3000 },
        );
      });
    }
  }
});

describe('FirstSeen', () => {
  it('answers as a Map of first rows does (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3000 }), (keys) => {
        const seen = new FirstSeen();
        const oracle = new Map<string, number>();
        keys.forEach((key, row) => {
          const expected = oracle.get(key) ?? -1;
          if (expected < 0) oracle.set(key, row);
          expect(seen.firstOrAdd(key, row)).toBe(expected);
        });
        expect(seen.size).toBe(oracle.size);
      }),
      { numRuns: 100 },
    );
  });
});

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** A field as a hostile export writes it: plain, quoted, broken quoting, a line break. */
const csvField = fc.oneof(
  { weight: 6, arbitrary: fieldValue.filter((v) => !/[",\r\n]/.test(v)) },
  { weight: 1, arbitrary: fieldValue.map((v) => `"${v.replace(/"/g, '""')}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"open', 'x"y', '"a""b"', '"a\nb"', '"a\r\nb"', '"x"y') },
);
const csvLine = fc.oneof(
  { weight: 8, arbitrary: fc.array(csvField, { minLength: 7, maxLength: 7 }).map((f) => f.join(',')) },
  { weight: 1, arbitrary: fc.array(csvField, { minLength: 0, maxLength: 9 }).map((f) => f.join(',')) },
);

async function both(bytes: Buffer, suite: keyof typeof SUITES) {
  const run = async (compiled: boolean) => {
    const bad: unknown[] = [];
    const result = await validateStream(Readable.from([bytes]), SUITES[suite], {
      source: 's',
      compiled,
      now: new Date('2026-11-21T00:00:00Z'),
      references: { catalog: new Set(['p1', 'p2', '1']), customers: new Set(['u1', 'x']) },
      onBadRow: (row, record, reasons) => bad.push([row, record, reasons]),
    });
    const { seconds: _s, startedAt: _t, ...rest } = result;
    return { ...rest, bad };
  };
  return [await run(true), await run(false)];
}

describe('compiled validation', () => {
  it('gives the reference evaluation’s results on hostile CSV: counts, examples, profile, quarantined rows (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(csvLine, { maxLength: 40 }),
        fc.subarray([0, 1, 2, 3]),
        fc.constantFrom('\n', '\r\n'),
        async (lines, extras, eol) => {
          const rows = [...lines];
          // duplicates, an invalid UTF-8 line and a blank line where asked
          if (extras.includes(0) && rows.length > 0) rows.push(rows[0] as string);
          const text = `${HEADER}${eol}${rows.join(eol)}${eol}`;
          let bytes = Buffer.from(text, 'utf8');
          if (extras.includes(1))
            bytes = Buffer.concat([bytes, Buffer.from('t9,u1,p1,1,1,,1795000000\xff', 'latin1'), Buffer.from(eol)]);
          if (extras.includes(2)) bytes = Buffer.concat([bytes, Buffer.from(`${eol}  ${eol}`)]);
          const [compiled, reference] = await both(bytes, 'transactions');
          expect(compiled).toEqual(reference);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('agrees on the master datasets, whose columns are other types', async () => {
    const catalog = [
      'product_id,title,category,brand,price,created_at',
      'p1,A,x,b,1,2025-01-01',
      'p1,A,x,b,1,2025-01-01',
      ' p2 , ,x,,-1,2025-02-30',
      '"p3","a, b",x,b,"2.50",2025-01-01T10:00:00Z',
    ].join('\n');
    const [a, b] = await both(Buffer.from(catalog), 'catalog');
    expect(a).toEqual(b);
    expect(a?.badRows).toBe(2);
    const customers = ['customer_id,signup_date,region,segment', 'u1,2024-01-01,eu,new', 'u1,2024-13-01,,'].join(
      '\r\n',
    );
    const [c, d] = await both(Buffer.from(customers), 'customers');
    expect(c).toEqual(d);
  });
});
