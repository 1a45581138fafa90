import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { partitionTransactions, UnusableFileError } from '../../../layers/transactions/partition';
import { classifyRow, parseTransactionTime } from '../../../layers/transactions/schema';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

describe('parseTransactionTime', () => {
  it('reads ISO-8601 with a zone and epoch seconds', () => {
    expect(parseTransactionTime('2026-11-21T10:00:00Z')).toBe(Date.parse('2026-11-21T10:00:00Z'));
    expect(parseTransactionTime('1795000000')).toBe(1_795_000_000_000);
  });
  it.each(['', 'yesterday', '2026-11-21', '2026-11-21T10:00:00', '12'])('refuses %p', (value) => {
    expect(Number.isNaN(parseTransactionTime(value))).toBe(true);
  });
});

describe('partitionTransactions', () => {
  it('partitions rows by transaction date and quarantines unplaceable rows with reasons', async () => {
    const csv = [
      HEADER,
      't1,u1,p1,1,9.99,5,2026-11-20T23:00:00Z',
      't2,u1,p2,2,1.50,,1795262400',
      't3,u2,p1,1,9.99,4,',
      't4,u2,p1,1,9.99,4',
      't5,u3,"p,9",1,9.99,4,2026-11-21T08:00:00+01:00',
      't6,u3,p1,1,9.99,3,soon',
    ].join('\n');
    const result = await partitionTransactions(Readable.from([csv]));
    expect([...result.partitions.keys()].sort()).toEqual(['2026-11-20', '2026-11-21']);
    expect(result.partitions.get('2026-11-21')?.lines).toEqual([
      't2,u1,p2,2,1.50,,1795262400',
      't5,u3,"p,9",1,9.99,4,2026-11-21T08:00:00+01:00',
    ]);
    expect(result.quarantined.map((q) => [q.line, q.reason])).toEqual([
      [4, 'timestamp is missing'],
      [5, 'expected 7 columns, found 6'],
      [7, 'timestamp "soon" is neither ISO-8601 nor epoch seconds'],
    ]);
    expect(result.rowsRead).toBe(6);
  });

  it('quarantines a line with broken quoting instead of failing the file', async () => {
    const csv = `${HEADER}\nt1,u1,p1,1,9.99,5,2026-11-20T23:00:00Z\nt2,"u1,p1,1,9.99,5,2026-11-20T23:00:00Z\n`;
    const result = await partitionTransactions(Readable.from([csv]));
    expect(result.partitions.get('2026-11-20')?.lines).toHaveLength(1);
    expect(result.quarantined).toHaveLength(1);
    expect(result.quarantined[0]?.reason).toMatch(/malformed CSV/);
  });

  it('refuses a file whose header is not the transactions header', async () => {
    await expect(partitionTransactions(Readable.from(['a,b,c\n1,2,3\n']))).rejects.toThrow(UnusableFileError);
  });

  it('places or quarantines every row, whatever the fields (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 9 }), { maxLength: 30 }),
        async (rows) => {
          const lines = rows.map((fields) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(','));
          const result = await partitionTransactions(Readable.from([`${HEADER}\n${lines.join('\n')}\n`]));
          const placed = [...result.partitions.values()].reduce((n, p) => n + p.lines.length, 0);
          expect(placed + result.quarantined.length).toBe(result.rowsRead);
          for (const q of result.quarantined) expect(q.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('classifies a well-formed row', () => {
    expect(classifyRow(['t', 'u', 'p', '1', '1', '', '1795000000'])).toEqual({ ok: true, epochMs: 1_795_000_000_000 });
  });
});
