import { stringify } from 'csv-stringify/sync';
import * as fc from 'fast-check';
import { type CsvRecord, CsvRecordReader } from '../../../layers/util/csv-records';
import { toCsvLine } from '../../../layers/util/csv-write';

/** Fields as exports hold them, hostile ones included: quotes, commas, line breaks, spaces, non-ASCII. */
const field = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '7', ' ', ',', '"', '\n', '\r', 'é', '😀', '\t', ';') }),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{0,12}$/),
);
const line = fc.array(field, { minLength: 1, maxLength: 8 });

describe('toCsvLine', () => {
  it('writes what csv-stringify writes', () => {
    fc.assert(
      fc.property(line, (fields) => {
        expect(toCsvLine(fields)).toBe(stringify([fields], { eof: false }));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back through our reader as the same fields', () => {
    fc.assert(
      fc.property(
        line.filter((fields) => !(fields.length === 1 && fields[0] === '')),
        (fields) => {
          const records: CsvRecord[] = [];
          const reader = new CsvRecordReader((r) => records.push(r), { expectedFields: fields.length });
          reader.write(Buffer.from(`${toCsvLine(fields)}\n`, 'utf8'));
          reader.end();
          expect(records).toHaveLength(1);
          expect(records[0]?.ok).toBe(true);
          expect(records[0]?.fields).toEqual(fields);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
