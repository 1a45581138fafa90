import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { type CheckSpec, SuiteRun } from '../../../layers/quality/checks';
import { renderHtml, renderPdf } from '../../../layers/quality/report';
import { SUITES } from '../../../layers/quality/suites';
import { validateStream } from '../../../layers/quality/validate';
import { validateFile } from '../../../lib/cli/commands/validate';
import { CliError } from '../../../lib/cli/errors';

function run(check: CheckSpec, rows: Record<string, unknown>[], ctx = {}) {
  const suite = new SuiteRun([check], ctx);
  for (const r of rows) suite.row(r);
  return suite.finish()[0];
}

describe('checks', () => {
  it.each<[string, CheckSpec, Record<string, unknown>[], Record<string, unknown>[]]>([
    ['completeness', { id: 'c', kind: 'completeness', column: 'a', severity: 'critical' }, [{ a: 'x' }], [{ a: ' ' }]],
    [
      'unique',
      { id: 'u', kind: 'unique', column: 'a', severity: 'critical' },
      [{ a: '1' }, { a: '2' }],
      [{ a: '1' }, { a: '1' }],
    ],
    ['uniqueRows', { id: 'r', kind: 'uniqueRows', severity: 'warning' }, [{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 1 }]],
    [
      'range',
      { id: 'g', kind: 'range', column: 'a', min: 1, max: 5, integer: true, severity: 'critical' },
      [{ a: '3' }, { a: '' }],
      [{ a: '6' }],
    ],
    [
      'set',
      { id: 's', kind: 'set', column: 'a', values: ['x', 'y'], severity: 'critical' },
      [{ a: 'x' }],
      [{ a: 'z' }],
    ],
    [
      'pattern',
      { id: 'p', kind: 'pattern', column: 'a', pattern: /^u\d+$/, patternName: 'a user id', severity: 'critical' },
      [{ a: 'u1' }],
      [{ a: 'x1' }],
    ],
    [
      'timestamp',
      { id: 't', kind: 'timestamp', column: 'a', parse: Date.parse, severity: 'critical' },
      [{ a: '2026-01-01T00:00:00Z' }],
      [{ a: 'soon' }],
    ],
  ])('%s passes good rows and fails bad ones with a reason', (_name, check, good, bad) => {
    expect(run(check, good)).toMatchObject({ passed: true, failures: 0 });
    const failed = run(check, [...good, ...bad]);
    expect(failed?.passed).toBe(false);
    expect(failed?.examples[0]?.reason.length).toBeGreaterThan(5);
  });

  it('tolerates failures up to `mostly`', () => {
    const check: CheckSpec = { id: 'c', kind: 'completeness', column: 'a', severity: 'critical', mostly: 0.75 };
    const rows = [{ a: '1' }, { a: '2' }, { a: '3' }, { a: '' }];
    expect(run(check, rows)).toMatchObject({ passed: true, observed: 0.75, failures: 1 });
    expect(run(check, [...rows, { a: '' }])).toMatchObject({ passed: false, observed: 0.6 });
  });

  it('checks references only when it has them', () => {
    const check: CheckSpec = {
      id: 'ref',
      kind: 'referential',
      column: 'p',
      reference: 'catalog',
      severity: 'critical',
    };
    expect(run(check, [{ p: 'p9' }])).toMatchObject({
      passed: true,
      threshold: 'catalog not available: not evaluated',
    });
    expect(run(check, [{ p: 'p9' }], { references: { catalog: new Set(['p1']) } })).toMatchObject({
      passed: false,
      examples: [{ row: 1, value: 'p9', reason: 'p "p9" is not in catalog' }],
    });
  });

  it('measures freshness and the row count against the manifest', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const fresh: CheckSpec = {
      id: 'f',
      kind: 'freshness',
      column: 't',
      parse: Date.parse,
      maxAgeHours: 24,
      severity: 'warning',
    };
    expect(run(fresh, [{ t: '2026-11-21T00:00:00Z' }], { now })).toMatchObject({ passed: true, observed: 12 });
    expect(run(fresh, [{ t: '2026-11-19T00:00:00Z' }], { now })).toMatchObject({ passed: false, observed: 60 });
    const count: CheckSpec = { id: 'n', kind: 'rowCount', severity: 'critical' };
    expect(run(count, [{}, {}], { expectedRows: 2 })).toMatchObject({ passed: true });
    expect(run(count, [{}, {}], { expectedRows: 3 })).toMatchObject({
      passed: false,
      observed: 2,
      threshold: '= 3 (manifest)',
    });
  });

  it('keeps at most 20 examples per check', () => {
    const rows = Array.from({ length: 50 }, () => ({ a: '' }));
    expect(run({ id: 'c', kind: 'completeness', column: 'a', severity: 'critical' }, rows)?.examples).toHaveLength(20);
  });
});

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

describe('validateStream', () => {
  it('passes clean transactions and sends failing rows to the bad-row sink', async () => {
    const csv = [
      HEADER,
      't1,u1,p1,1,9.99,5,2026-11-20T10:00:00Z',
      't2,u1,p1,0,9.99,7,2026-11-20T10:00:00Z',
      't1,u2,p2,1,1,,1795000000',
    ].join('\n');
    const bad: [number, string[]][] = [];
    const result = await validateStream(Readable.from([csv]), SUITES.transactions, {
      source: 'test',
      expectedRows: 3,
      onBadRow: (row, _record, reasons) => bad.push([row, [...reasons]]),
    });
    expect(result.rows).toBe(3);
    expect(result.passed).toBe(false);
    expect(result.failedCritical).toEqual(
      expect.arrayContaining(['types', 'unique_transaction_id', 'rating_1_5', 'quantity_positive']),
    );
    expect(bad.map(([row]) => row)).toEqual([2, 3]);
    expect(bad[1]?.[1]).toContain('duplicate transaction_id "t1" (first at row 1)');
    expect(result.profile.charts.find((c) => c.id === 'rating')?.bars).toEqual([
      { label: '5', count: 1 },
      { label: '7', count: 1 },
    ]);
  });

  it('calls a file with the wrong columns unusable without reading its rows', async () => {
    const result = await validateStream(Readable.from(['a,b\n1,2\n']), SUITES.catalog, { source: 'x' });
    expect(result.unusable).toMatch(/^columns are "a,b", expected "product_id,title/);
    expect(result.rows).toBe(0);
    expect(result.passed).toBe(false);
  });

  it('validates clickstream JSON Lines, counting unreadable lines as failures', async () => {
    const ok = JSON.stringify({
      eventId: '3f1f8a4e-2b7c-4d1e-9a3b-5c6d7e8f9a0b',
      eventType: 'view',
      userId: 'u1',
      sessionId: 's',
      productId: 'p1',
      timestamp: '2026-11-21T10:00:00Z',
    });
    const result = await validateStream(Readable.from([`${ok}\n{not json\n`]), SUITES.clickstream, { source: 'x' });
    const types = result.checks.find((c) => c.id === 'types');
    expect(types).toMatchObject({
      failures: 1,
      examples: [{ row: 2, reason: expect.stringMatching(/^not valid JSON/) }],
    });
  });

  it('evaluates every row of arbitrary CSV without throwing (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 8 }), { maxLength: 9 }), { maxLength: 20 }),
        async (rows) => {
          const lines = rows.map((fields) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(','));
          const result = await validateStream(
            Readable.from([`${HEADER}\n${lines.join('\n')}\n`]),
            SUITES.transactions,
            { source: 'p' },
          );
          expect(result.rows).toBe(lines.filter((l) => l !== '').length);
          expect(result.badRows).toBeLessThanOrEqual(result.rows);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('reports and the validate command', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-quality-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'transactions.csv');
  fs.writeFileSync(
    file,
    `${[HEADER, 't1,u1,p1,1,9.99,5,2026-11-20T10:00:00Z', 't2,u2,p2,2,19.99,,2026-11-21T10:00:00Z'].join('\n')}\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'catalog.csv'),
    'product_id,title,category,brand,price,created_at\np1,A,x,b,1,2025-01-01\n',
  );

  it('renders HTML with the charts and a multi-page PDF', async () => {
    const result = await validateStream(fs.createReadStream(file), SUITES.transactions, { source: file });
    const html = await renderHtml(result);
    expect(html).toContain('<title>Quality report — transactions</title>');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    const pdf = await renderPdf(result);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect((pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('writes the report files and uses the reference folder for referential checks', async () => {
    const result = await validateFile(file, { dataset: 'transactions', report: path.join(dir, 'out') });
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual([
      'transactions-failing-rows.jsonl',
      'transactions-quality.html',
      'transactions-quality.json',
      'transactions-quality.pdf',
    ]);
    // p2 is not in the catalog next to the file: 1 of 2 rows, below the 0.99 tolerance
    expect(result.checks.find((c) => c.id === 'product_exists')).toMatchObject({ passed: false, observed: 0.5 });
  });

  it('says "unusable" with exit code 2 for a missing file', async () => {
    await expect(validateFile(path.join(dir, 'nope.csv'), { dataset: 'transactions' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/nope\.csv is not a file/),
    });
    expect(new CliError('x', 2).exitCode).toBe(2);
  });

  it('exits 0, 1 and 2 from the command line', () => {
    const bin = path.join(__dirname, '../../../bin/recomart.cjs');
    const code = (args: string[]) => {
      try {
        execFileSync(process.execPath, [bin, 'validate', ...args], { stdio: 'pipe', timeout: 60_000 });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    const clean = path.join(dir, 'clean', 'customers.csv');
    fs.mkdirSync(path.dirname(clean), { recursive: true });
    fs.writeFileSync(clean, 'customer_id,signup_date,region,segment\nu1,2024-01-01,eu,new\n');
    expect(code([clean, '--dataset', 'customers'])).toBe(0);
    expect(code([file, '--dataset', 'transactions'])).toBe(1);
    expect(code([file, '--dataset', 'customers'])).toBe(2);
  });

  it('refuses a binary file and never writes its bytes to the terminal', () => {
    const bin = path.join(__dirname, '../../../bin/recomart.cjs');
    const run = (file: string) => {
      try {
        execFileSync(process.execPath, [bin, 'validate', file, '--dataset', 'transactions'], {
          stdio: 'pipe',
          timeout: 60_000,
        });
        return { status: 0, stdout: '', stderr: '' };
      } catch (err) {
        const e = err as { status: number; stdout: Buffer; stderr: Buffer };
        return { status: e.status, stdout: e.stdout.toString('utf8'), stderr: e.stderr.toString('utf8') };
      }
    };
    const binary = path.join(dir, 'image.csv');
    fs.writeFileSync(
      binary,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x1b, 0x5b, 0x32, 0x4a]),
    );
    const refused = run(binary);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is not a text file \(byte 8 is NUL\)/);
    // A text file whose header carries an escape sequence: quoted, with the control bytes escaped.
    const escapes = path.join(dir, 'escapes.csv');
    fs.writeFileSync(escapes, 'a,b\x1b[2J\x07\n1,2\n');
    const quoted = run(escapes);
    expect(quoted.status).toBe(2);
    expect(quoted.stderr).toContain('a,b\\x1b[2J\\x07');
    for (const out of [refused, quoted]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: no control byte may reach the terminal
      expect(`${out.stdout}${out.stderr}`.replace(/\n/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });
});
