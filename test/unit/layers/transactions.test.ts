import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { md5Hex } from '../../../layers/lake/manifest';
import { partitionTransactions, UnusableFileError } from '../../../layers/transactions/partition';
import { classifyRow, parseTransactionTime } from '../../../layers/transactions/schema';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** Physical lines (LF, CRLF or a lone CR) as latin-1 strings, so any bytes compare exactly. */
function splitLines(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

describe('parseTransactionTime', () => {
  it('reads ISO-8601 with a zone and epoch seconds', () => {
    expect(parseTransactionTime('2026-11-21T10:00:00Z')).toBe(Date.parse('2026-11-21T10:00:00Z'));
    expect(parseTransactionTime('1795000000')).toBe(1_795_000_000_000);
  });
  it.each([
    '',
    'yesterday',
    '2026-11-21',
    '2026-11-21T10:00:00',
    '12',
    '2026-02-30T10:00:00Z',
    '2026-11-20T24:00:00Z',
    '2026-11-20T10:60:00Z',
    '2025-02-29T10:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '99999999999',
  ])('refuses %p (never rolls an impossible date over)', (value) => {
    expect(Number.isNaN(parseTransactionTime(value))).toBe(true);
  });
  it('accepts 29 February of a leap year and honours a configured year range', () => {
    expect(parseTransactionTime('2024-02-29T23:30:00-01:00')).toBe(Date.parse('2024-03-01T00:30:00Z'));
    expect(Number.isNaN(parseTransactionTime('1965-06-01T00:00:00Z'))).toBe(true);
    expect(parseTransactionTime('1965-06-01T00:00:00Z', { min: 1900, max: 2100 })).toBe(
      Date.parse('1965-06-01T00:00:00Z'),
    );
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
          .map((l) => JSON.parse(l) as { line: number; reason: string; raw: string; rawBase64?: string })
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
    expect(quarantined.map((q) => [q.line, q.reason, q.raw])).toEqual([
      [4, 'timestamp is missing', 't3,u2,p1,1,9.99,4,'],
      [5, 'expected 7 columns, found 6', 't4,u2,p1,1,9.99,4'],
      [7, 'timestamp "soon" is neither ISO-8601 nor epoch seconds', 't6,u3,p1,1,9.99,3,soon'],
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
    expect(quarantined[0]).toMatchObject({ line: 3, raw: 't2,"u1,p1,1,9.99,5,2026-11-20T23:00:00Z' });
    expect(quarantined[0]?.reason).toMatch(/quoted field .* never closed/);
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

  it('accounts for every line of a hostile file in raw or quarantine, byte for byte (property)', async () => {
    // The oracle: the input's own non-empty physical lines (LF, CRLF or CR), as bytes. Raw keeps each
    // row as the source wrote it and quarantine keeps each rejected row's exact bytes, so the two
    // together must hold exactly the same multiset of lines, whatever the parser decided.
    const text = (s: string) => s.replace(/[",\r\n]/g, '');
    const field = fc.oneof(
      { weight: 6, arbitrary: fc.string({ maxLength: 6 }).map((s) => Buffer.from(text(s))) },
      { weight: 2, arbitrary: fc.string({ maxLength: 6 }).map((s) => Buffer.from(`"${s.replace(/"/g, '""')}"`)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.string({ maxLength: 3 }), fc.constantFrom('\n', '\r\n', '\r', ','), fc.string({ maxLength: 3 }))
          .map(([a, sep, b]) => Buffer.from(`"${text(a)}${sep}${text(b)}"`)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('"open', '27" TV', '"27" monitor"', '\u0000', 'é').map((s) => Buffer.from(s)),
      },
      { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xe9]), Buffer.from([0xff])) },
    );
    const time = fc.constantFrom('2026-11-20T10:00:00Z', '1795000000', '2026-02-30T10:00:00Z', '', 'soon');
    const row = fc
      .tuple(fc.array(field, { minLength: 5, maxLength: 7 }), time, fc.constantFrom('\n', '\r\n', '\r', '\n\n'))
      .map(([fields, t, end]) =>
        Buffer.concat([...fields.flatMap((f) => [f, Buffer.from(',')]), Buffer.from(t + end)]),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), async (rows) => {
        const input = Buffer.concat([Buffer.from(`${HEADER}\n`), ...rows]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-prop-'));
        try {
          const result = await partitionTransactions(Readable.from([input]), dir);
          const out: string[] = [];
          for (const p of result.partitions) {
            const body = fs.readFileSync(p.path);
            out.push(...splitLines(body.subarray(HEADER.length + 1)));
          }
          if (result.quarantine) {
            for (const l of fs.readFileSync(result.quarantine.path, 'utf8').trimEnd().split('\n')) {
              const q = JSON.parse(l) as { raw: string; rawBase64?: string; reason: string };
              expect(q.reason.length).toBeGreaterThan(0);
              out.push(...splitLines(q.rawBase64 ? Buffer.from(q.rawBase64, 'base64') : Buffer.from(q.raw)));
            }
          }
          const expected = splitLines(input).slice(1);
          expect(out.filter((l) => l !== '').sort()).toEqual(expected.filter((l) => l !== '').sort());
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the 989 rows after an unescaped quote in row 11 of a 1000-row export', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `t${i},u${i},p${i},1,9.99,,2026-11-20T10:00:00Z`);
    rows[10] = 't10,u10,"27" monitor",1,9.99,,2026-11-20T10:00:00Z';
    const { lines, quarantined } = await partition(`${HEADER}\n${rows.join('\n')}\n`);
    expect(lines.get('2026-11-20')).toHaveLength(999);
    expect(quarantined).toEqual([expect.objectContaining({ line: 12, raw: rows[10] })]);
  });

  it('classifies a well-formed row', () => {
    expect(classifyRow(['t', 'u', 'p', '1', '1', '', '1795000000'])).toEqual({ ok: true, epochMs: 1_795_000_000_000 });
  });
});
