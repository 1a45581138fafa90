import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import * as byteLane from '../../../layers/quality/byte-lane';
import { FirstSeen, PackedKeySet } from '../../../layers/quality/first-seen';
import { type DatasetSuite, SUITES } from '../../../layers/quality/suites';
import { validateStream } from '../../../layers/quality/validate';
import { acceptanceOf } from '../../../layers/util/csv-fields';
import { ROW_SCHEMA_FIELDS } from '../../helpers/row-schemas';

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
  for (const [name, field, type] of ROW_SCHEMA_FIELDS) {
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

interface BothOptions {
  /** Reference keys as loadKeys packs them (the byte lane looks them up in the bytes), not as Sets. */
  readonly packed?: boolean;
  readonly maxExamples?: number;
  /** Where the input is cut into chunks. */
  readonly cuts?: readonly number[];
}

const CATALOG_KEYS = ['p1', 'p2', '1', 'product-with-a-long-id'];
const CUSTOMER_KEYS = ['u1', 'x', 'ü1'];

async function both(bytes: Buffer, suite: keyof typeof SUITES, options: BothOptions = {}) {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...(options.cuts ?? [])].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  chunks.push(bytes.subarray(at));
  const keys = (list: string[]) => (options.packed ? new PackedKeySet(list) : new Set(list));
  const run = async (compiled: boolean) => {
    const bad: unknown[] = [];
    const result = await validateStream(Readable.from(chunks), SUITES[suite], {
      source: 's',
      compiled,
      now: new Date('2026-11-21T00:00:00Z'),
      references: { catalog: keys(CATALOG_KEYS), customers: keys(CUSTOMER_KEYS) },
      ...(options.maxExamples !== undefined ? { maxExamples: options.maxExamples } : {}),
      onBadRow: (row, record, reasons) => bad.push([row, record, reasons]),
    });
    const { seconds: _s, startedAt: _t, ...rest } = result;
    return { ...rest, bad };
  };
  return [await run(true), await run(false)];
}

/** Lines the byte lane took in the compiled runs since the last call (it must not be idle in these tests). */
const laneTook = { lines: 0 };
beforeAll(() => {
  const compile = byteLane.compileLane;
  jest.spyOn(byteLane, 'compileLane').mockImplementation((...args) => {
    const lane = compile(...args);
    if (!lane) return lane;
    return {
      get taken() {
        return lane.taken;
      },
      take(region: Buffer, offset: number, maxLineBytes: number) {
        const end = lane.take(region, offset, maxLineBytes);
        laneTook.lines += lane.taken;
        return end;
      },
    };
  });
});

/**
 * Transactions rows as exports write them: mostly valid, with the mistakes real files have (a
 * duplicate id or row, an unknown customer or product, a bad number, a timestamp off the calendar,
 * padding, a missing rating), and now and then a hostile line.
 */
const pick = <T>(values: readonly T[], weights?: readonly number[]) =>
  weights
    ? fc.oneof(...values.map((v, i) => ({ weight: weights[i] as number, arbitrary: fc.constant(v) })))
    : fc.constantFrom(...values);
const transactionRow = fc
  .tuple(
    fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 1, max: 1000 }).map((i) => `t${i}`) },
      { weight: 1, arbitrary: pick(['', ' t1', 't1 ', 'tx"y']) },
    ),
    pick(['u1', 'x', 'ü1', 'u2', '', ' u1', 'u/1'], [30, 20, 2, 2, 1, 1, 1]),
    pick(['p1', 'p2', '1', 'product-with-a-long-id', 'p9', 'p 1', ''], [30, 20, 5, 5, 1, 1, 1]),
    pick(['1', '2', '12', '007', '0', '-1', '1.5', ' 3', '1e2', '1000001'], [30, 10, 5, 2, 1, 1, 1, 1, 1, 1]),
    pick(['10.5', '0', '3', '199.99', '500', '0.000001', '-1', 'abc', '1.', ' 2.5'], [20, 5, 10, 5, 3, 2, 1, 1, 1, 1]),
    pick(['', '1', '5', '3', '6', ' ', '4.0', '0'], [20, 10, 10, 10, 1, 1, 1, 1]),
    pick(
      [
        '2026-11-20T10:00:00Z',
        '2026-11-20T10:00:00.123+01:00',
        '2026-11-19T23:59:59.9999-0530',
        '2026-11-20T10:00Z',
        '1795000000',
        '1795000000.5',
        '2026-02-30T00:00Z',
        '2026-11-20T24:00:00Z',
        '1795000000 ',
        '2200-01-01T00:00:00Z',
        '123',
        'yesterday',
      ],
      [20, 8, 4, 4, 20, 4, 1, 1, 1, 1, 1, 1],
    ),
  )
  .map((fields) => fields.join(','));
const transactionLines = fc.array(
  fc.oneof({ weight: 20, arbitrary: transactionRow }, { weight: 1, arbitrary: csvLine }),
  { minLength: 10, maxLength: 120 },
);

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

  it('gives the reference evaluation’s results on export-like transactions, whichever lines the byte lane takes (property)', async () => {
    laneTook.lines = 0;
    let rowsChecked = 0;
    await fc.assert(
      fc.asyncProperty(
        transactionLines,
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.nat({ max: 6000 }), { maxLength: 4 }),
        fc.constantFrom('\n', '\r\n'),
        async (lines, packed, maxExamples, cuts, eol) => {
          const rows = lines.length > 2 ? [...lines, lines[1] as string] : lines;
          const bytes = Buffer.from(`${HEADER}\n${rows.join(eol)}\n`);
          const [compiled, reference] = await both(bytes, 'transactions', { packed, maxExamples, cuts });
          expect(compiled).toEqual(reference);
          rowsChecked += rows.length;
        },
      ),
      { numRuns: 150 },
    );
    // Not a vacuous comparison: many lines went through the lane.
    expect(laneTook.lines).toBeGreaterThan(rowsChecked / 4);
  });

  it('gives the reference evaluation’s results on a suite without a schema check: ranges, sets, patterns without byte forms, warnings (property)', async () => {
    // With no schema check before them, the lane itself decides these checks' failures.
    const suite: DatasetSuite = {
      dataset: 'external_metadata',
      format: 'csv',
      references: ['catalog'],
      checks: [
        { id: 'columns', kind: 'columns', expected: ['id', 'n', 'label', 'code'], severity: 'critical' },
        { id: 'complete_id', kind: 'completeness', column: 'id', severity: 'critical' },
        { id: 'complete_n', kind: 'completeness', column: 'n', severity: 'warning', mostly: 0.5 },
        { id: 'unique_id', kind: 'unique', column: 'id', severity: 'warning' },
        { id: 'unique_rows', kind: 'uniqueRows', severity: 'warning' },
        { id: 'n_whole', kind: 'range', column: 'n', min: 1, max: 5, integer: true, severity: 'warning' },
        { id: 'n_positive', kind: 'range', column: 'n', min: 0, severity: 'critical' },
        { id: 'label', kind: 'set', column: 'label', values: ['a', 'b'], severity: 'warning' },
        {
          id: 'code',
          kind: 'pattern',
          column: 'code',
          pattern: /^[A-Z]{2}\d$/,
          patternName: 'a code',
          severity: 'warning',
        },
        { id: 'known', kind: 'referential', column: 'id', reference: 'catalog', severity: 'warning' },
        { id: 'row_count', kind: 'rowCount', severity: 'critical' },
      ],
      profile: {
        columns: ['id', 'n', 'label', 'code'],
        charts: [{ id: 'n', title: 'n', column: 'n', kind: 'numeric', min: 0, max: 5, step: 1 }],
      },
    };
    const line = fc
      .tuple(
        pick(['p1', 'p2', '1', 'q', '', ' p1']),
        pick(['1', '2', '5', '2.5', '0', '7', '-1', '', 'x', '4.0']),
        pick(['a', 'b', 'c', '', 'a ']),
        pick(['AB1', 'XY9', 'ab1', 'ABC', '']),
      )
      .map((f) => f.join(','));
    laneTook.lines = 0;
    let rowsChecked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 5, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 0, max: 2 }),
        async (distinct, repeats, maxExamples) => {
          // whole rows repeated, interleaved (A, B, A, B: each duplicate after another row's first)
          const lines = [...distinct];
          for (const r of repeats) lines.splice(r % (lines.length + 1), 0, distinct[r % distinct.length] as string);
          const bytes = Buffer.from(`id,n,label,code\n${lines.join('\n')}\n`);
          const runs = await Promise.all(
            [true, false].map(async (compiled) => {
              const bad: unknown[] = [];
              const {
                seconds: _s,
                startedAt: _t,
                ...result
              } = await validateStream(Readable.from([bytes]), suite, {
                source: 's',
                compiled,
                maxExamples,
                references: { catalog: new PackedKeySet(CATALOG_KEYS) },
                onBadRow: (row, record, reasons) => bad.push([row, record, reasons]),
              });
              return { ...result, bad };
            }),
          );
          expect(runs[0]).toEqual(runs[1]);
          rowsChecked += lines.length;
        },
      ),
      { numRuns: 150 },
    );
    expect(laneTook.lines).toBeGreaterThan(rowsChecked / 6);
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
