import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { md5Hex } from '../../../layers/lake/manifest';
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

/** Partition `csv` in a fresh work dir; returns each date's data lines and the quarantine entries. */
async function partition(csv: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-test-'));
  try {
    const result = await partitionTransactions(Readable.from([csv]), dir);
    const lines = new Map<string, string[]>();
    for (const p of result.partitions) {
      const body = fs.readFileSync(p.path);
      expect(md5Hex(body)).toBe(p.md5);
      expect(body.byteLength).toBe(p.bytes);
      const [header, ...rows] = body.toString('utf8').trimEnd().split('\n');
      expect(header).toBe(HEADER);
      expect(rows).toHaveLength(p.records);
      lines.set(p.dt, rows);
    }
    const quarantined = result.quarantine
      ? fs
          .readFileSync(result.quarantine.path, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as { row: number; reason: string; fields: string[] })
      : [];
    return { result, lines, quarantined };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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
    const { result, lines, quarantined } = await partition(csv);
    expect([...lines.keys()].sort()).toEqual(['2026-11-20', '2026-11-21']);
    expect(lines.get('2026-11-21')).toEqual([
      't2,u1,p2,2,1.50,,1795262400',
      't5,u3,"p,9",1,9.99,4,2026-11-21T08:00:00+01:00',
    ]);
    expect(quarantined.map((q) => [q.row, q.reason])).toEqual([
      [3, 'timestamp is missing'],
      [4, 'expected 7 columns, found 6'],
      [6, 'timestamp "soon" is neither ISO-8601 nor epoch seconds'],
    ]);
    expect(result.partitions.find((p) => p.dt === '2026-11-21')).toMatchObject({
      minMs: Date.parse('2026-11-21T07:00:00Z'),
      maxMs: 1_795_262_400_000,
    });
    expect(result.rowsRead).toBe(6);
  });

  it('quarantines a line with broken quoting instead of failing the file', async () => {
    const csv = `${HEADER}\nt1,u1,p1,1,9.99,5,2026-11-20T23:00:00Z\nt2,"u1,p1,1,9.99,5,2026-11-20T23:00:00Z\n`;
    const { lines, quarantined } = await partition(csv);
    expect(lines.get('2026-11-20')).toHaveLength(1);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.reason).toMatch(/malformed CSV/);
  });

  it('refuses a file whose header is not the transactions header', async () => {
    await expect(partition('a,b,c\n1,2,3\n')).rejects.toThrow(UnusableFileError);
    await expect(partition('')).rejects.toThrow(/file is empty/);
  });

  it('places or quarantines every row, whatever the fields (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 9 }), { maxLength: 30 }),
        async (rows) => {
          const lines = rows.map((fields) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(','));
          const { result, lines: placed, quarantined } = await partition(`${HEADER}\n${lines.join('\n')}\n`);
          const placedRows = [...placed.values()].reduce((n, rows) => n + rows.length, 0);
          expect(placedRows + quarantined.length).toBe(result.rowsRead);
          for (const q of quarantined) expect(q.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('classifies a well-formed row', () => {
    expect(classifyRow(['t', 'u', 'p', '1', '1', '', '1795000000'])).toEqual({ ok: true, epochMs: 1_795_000_000_000 });
  });
});
