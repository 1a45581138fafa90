import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { z } from 'zod';
import { RAW_DATASETS } from '../../../layers/catalog/datasets';
import { glueColumnsOf, glueTypeOf } from '../../../layers/catalog/glue-columns';
import { md5Hex } from '../../../layers/lake/manifest';
import { PartitionSpool } from '../../../layers/lake/spool';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { type RunEvent, runEvent, traceLineage } from '../../../layers/lineage/openlineage';
import { UnusableMasterFileError, validateMasterFile } from '../../../layers/master/ingest';
import { CatalogRowSchema, entityOfKey } from '../../../layers/master/schema';
import { SyntheticDataset } from '../../../layers/synthetic/dataset';
import { TransactionRowSchema } from '../../../layers/transactions/schema';
import { parseCsvRow } from '../../../layers/util/csv-fields';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-unit-'));

describe('PartitionSpool', () => {
  it('writes each partition with its header, and the MD5 and size of exactly those bytes', () => {
    const dir = tmp();
    const spool = new PartitionSpool(dir, 'h', 16);
    for (let i = 0; i < 100; i++) spool.append(`p${i % 3}`, `line-${i}`);
    const files = spool.close();
    expect(files.map((f) => [f.partition, f.records])).toEqual([
      ['p0', 34],
      ['p1', 33],
      ['p2', 33],
    ]);
    for (const f of files) {
      const body = fs.readFileSync(f.path);
      expect(md5Hex(body)).toBe(f.md5);
      expect(body.byteLength).toBe(f.bytes);
      expect(body.toString().split('\n')[0]).toBe('h');
    }
    spool.dispose();
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('manifest keys', () => {
  it('are hidden files next to their data, which Athena skips', () => {
    expect(manifestKeyFor('raw/transactions/dt=2026-11-20/ingested_x.csv')).toBe(
      'raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json',
    );
  });
});

describe('master data', () => {
  const CATALOG = 'product_id,title,category,brand,price,created_at';
  async function validate(csv: string) {
    const dir = tmp();
    try {
      const out = await validateMasterFile(Readable.from([csv]), 'catalog', dir);
      const read = (p?: string) => (p ? fs.readFileSync(p, 'utf8').trim().split('\n') : []);
      return { out, rows: read(out.rows?.path), rejects: read(out.quarantine?.path).map((l) => JSON.parse(l)) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keeps valid rows once per key and quarantines the rest with reasons', async () => {
    const { rows, rejects } = await validate(
      [
        CATALOG,
        'p1,Lamp,home,Lux,9.5,2025-01-01',
        'p1,Lamp 2,home,Lux,9.5,2025-01-01',
        'p2,,home,Lux,1,2025-01-01',
        'p3,Mug,home,Lux,abc,2025-01-01',
        'p4,Cup,home,Lux,2',
      ].join('\n'),
    );
    expect(rows).toEqual([CATALOG, 'p1,Lamp,home,Lux,9.5,2025-01-01']);
    expect(rejects.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([
      [3, 'duplicate product_id "p1" (first on line 2)'],
      [4, 'title: must not be empty'],
      [5, 'price: must be a non-negative number'],
      [6, 'expected 6 columns, found 5'],
    ]);
  });

  it('refuses a file with another header as a whole', async () => {
    await expect(validate('customer_id,signup_date,region,segment\nu1,2024-01-01,eu,new')).rejects.toThrow(
      UnusableMasterFileError,
    );
  });

  it('accepts or quarantines every row, whatever it holds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 10 }), { maxLength: 8 }), { maxLength: 25 }),
        async (rows) => {
          const lines = rows.map((fields) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(','));
          const { rows: kept, rejects } = await validate(`${CATALOG}\n${lines.join('\n')}\n`);
          // Oracle: every generated row with at least one field is one record (quoted fields may hold
          // line breaks); a row without fields is an empty line, which is not a record.
          const records = rows.filter((fields) => fields.length > 0).length;
          expect(Math.max(0, kept.length - 1) + rejects.length).toBe(records);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tells the entity from the landing key', () => {
    expect(entityOfKey('landing/master/catalog/export.csv')).toBe('catalog');
    expect(entityOfKey('landing/master/customers-2026.csv')).toBe('customers');
    expect(entityOfKey('landing/master/prices.csv')).toBeUndefined();
  });
});

describe('row schemas and Glue columns', () => {
  it('derive Glue types from the zod schemas', () => {
    expect(glueColumnsOf(TransactionRowSchema)).toEqual([
      { name: 'transaction_id', type: 'string' },
      { name: 'customer_id', type: 'string' },
      { name: 'product_id', type: 'string' },
      { name: 'quantity', type: 'bigint' },
      { name: 'unit_price', type: 'double' },
      { name: 'rating', type: 'bigint' },
      { name: 'timestamp', type: 'string' },
    ]);
    // In a CSV table a column that may be empty must be a string: OpenCSVSerDe fails a query on an empty
    // value in a numeric column (HIVE_BAD_DATA), and an empty rating is valid data.
    expect(glueColumnsOf(TransactionRowSchema, { csv: true }).find((c) => c.name === 'rating')).toEqual({
      name: 'rating',
      type: 'string',
      comment: "bigint, empty when absent: TRY_CAST(NULLIF(rating, '') AS bigint)",
    });
    expect(glueColumnsOf(TransactionRowSchema, { csv: true }).find((c) => c.name === 'quantity')?.type).toBe('bigint');
    expect(glueTypeOf(z.array(z.object({ a: z.number() })))).toBe('array<struct<a:double>>');
    expect(() => glueTypeOf(z.map(z.string(), z.string()))).toThrow(/no Glue type for a zod map/);
  });

  it('cover every raw dataset', () => {
    for (const dataset of RAW_DATASETS) expect(glueColumnsOf(dataset.schema).length).toBeGreaterThan(3);
  });

  it('validate CSV rows with one reason per failure', () => {
    const cols = Object.keys(TransactionRowSchema.shape);
    expect(parseCsvRow(TransactionRowSchema, cols, ['t1', 'u1', 'p1', '2', '9.50', '', '1795000000'])).toMatchObject({
      ok: true,
      value: { quantity: 2, unit_price: 9.5, rating: undefined },
    });
    expect(parseCsvRow(TransactionRowSchema, cols, ['t1', 'u1', 'p1', '2', '9.50', '7', '1795000000'])).toEqual({
      ok: false,
      reason: 'rating: Too big: expected number to be <=5',
    });
    expect(
      parseCsvRow(CatalogRowSchema, Object.keys(CatalogRowSchema.shape), ['p 1', 'x', 'c', 'b', '1', '2025-01-01']),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^product_id: must be an id/),
    });
  });
});

describe('traceLineage', () => {
  const at = (job: string, inputs: string[], outputs: string[]): RunEvent =>
    runEvent({
      job,
      codeVersion: 't',
      inputs: inputs.map((name) => ({ namespace: 's3://b', name })),
      outputs: outputs.map((name) => ({ namespace: 's3://b', name, md5: `md5-${name}` })),
    });
  const events = [
    at('ingest', ['landing/a.csv'], ['raw/a1.csv', 'raw/a2.csv', 'archive/a.csv']),
    at('features', ['raw/a1.csv', 'raw/b.csv'], ['features/f.parquet']),
    at('train', ['features/f.parquet'], ['models/m.json']),
  ];

  it('answers where a file came from, recursively', () => {
    const { upstream } = traceLineage(events, 'features/f.parquet');
    expect(upstream.children.map((c) => c.dataset)).toEqual(['raw/a1.csv', 'raw/b.csv']);
    expect(upstream.children[0]?.children.map((c) => [c.dataset, c.job])).toEqual([['landing/a.csv', 'ingest']]);
  });

  it('answers what was built from a file, recursively', () => {
    const { downstream } = traceLineage(events, 'landing/a.csv');
    expect(downstream.children.map((c) => c.dataset)).toEqual(['raw/a1.csv', 'raw/a2.csv', 'archive/a.csv']);
    expect(downstream.children[0]?.children[0]?.children[0]).toMatchObject({
      dataset: 'models/m.json',
      md5: 'md5-models/m.json',
    });
  });

  it('is OpenLineage-shaped', () => {
    expect(events[0]).toMatchObject({
      eventType: 'COMPLETE',
      schemaURL: expect.stringContaining('openlineage.io/spec'),
      job: { namespace: 'recomart', name: 'ingest' },
      run: { runId: expect.stringMatching(/^[0-9a-f-]{36}$/), facets: { recomart_run: { codeVersion: 't' } } },
    });
  });
});

describe('SyntheticDataset', () => {
  const now = new Date('2026-11-21T00:00:00Z');
  const data = new SyntheticDataset({ users: 200, products: 100, days: 10, transactions: 3000, seed: 5, now });

  it('is the same bytes for the same seed', () => {
    const again = new SyntheticDataset({ users: 200, products: 100, days: 10, transactions: 3000, seed: 5, now });
    expect([...again.transactionLines()]).toEqual([...data.transactionLines()]);
    expect([...again.catalogLines()]).toEqual([...data.catalogLines()]);
  });

  it('has transactions that reference the catalog and customers, with popularity skew and ratings 1–5', () => {
    const products = new Set([...data.catalogLines()].slice(1).map((l) => l.split(',')[0]));
    const customers = new Set([...data.customerLines()].slice(1).map((l) => l.split(',')[0]));
    const stats = { bad: 0 };
    const rows = [...data.transactionLines(stats)].slice(1).map((l) => l.split(','));
    const good = rows.filter((r) => r.length === 7 && r[6] !== '' && r[6] !== 'last tuesday');
    expect(rows.length - good.length).toBe(stats.bad);
    for (const r of good) {
      expect(products.has(r[2])).toBe(true);
      expect(customers.has(r[1])).toBe(true);
      if (r[5] !== '') expect(Number(r[5])).toBeGreaterThanOrEqual(1);
    }
    const counts = new Map<string, number>();
    for (const r of good) counts.set(r[2] as string, (counts.get(r[2] as string) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(5 * (sorted[Math.floor(sorted.length / 2)] as number));
  });
});
