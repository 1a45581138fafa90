/**
 * One feature build in its own process, so its time and peak RSS are its own: `typescript` streams the
 * lake files through the builders as the features-build function does (layers/features/build.ts),
 * `sql` runs the SQL feature sets on the local cloud's Athena engine (DuckDB) over the same files and
 * writes the raw tables as Parquet (what a curated zone would hold) to measure its size. Prints one
 * JSON object.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseClickEvent } from '../layers/clickstream/schema';
import { addCatalogRow, FeatureBuilder, type ItemContext, transactionInput } from '../layers/features/builders';
import { csvTableRows } from '../layers/util/csv-records';
import { nonEmptyLines } from '../layers/util/lines';
import type { GlueTable } from '../lib/local-cloud/plugins/glue';
import { featureSqlCounts } from './feature-sql-counts';

interface Job {
  readonly mode: 'typescript' | 'sql';
  readonly lakeDir: string;
  readonly bucket: string;
  readonly tables: GlueTable[];
  readonly nowMs: number;
  readonly files: { transactions: string; clickstream: string; catalog: string };
  readonly parquetDir: string;
}

const SUFFIX = '._S3rver_object';

async function typescript(job: Job) {
  const open = (key: string) => fs.createReadStream(path.join(job.lakeDir, job.bucket, `${key}${SUFFIX}`));
  const items = new Map<string, ItemContext>();
  const ignore = () => undefined;
  for await (const row of csvTableRows(open(job.files.catalog), ignore)) addCatalogRow(items, row);
  const builder = new FeatureBuilder(items, undefined, new Date(job.nowMs));
  for await (const row of csvTableRows(open(job.files.transactions), ignore)) {
    const input = transactionInput(row);
    if (input) builder.addTransaction(input);
  }
  for await (const line of nonEmptyLines(open(job.files.clickstream))) {
    const parsed = parseClickEvent(Buffer.from(line, 'utf8'));
    if (parsed.ok) builder.addEvent(parsed.event);
  }
  let users = 0;
  let items_ = 0;
  let interactions = 0;
  for (const _ of builder.userFeatures()) users++;
  for (const _ of builder.itemFeatures()) items_++;
  for (const _ of builder.interactions()) interactions++;
  return { users, items: items_, interactions };
}

function sql(job: Job) {
  const lake = { directoryOf: (b: string) => path.join(job.lakeDir, b), objectSuffix: SUFFIX };
  return featureSqlCounts(job.tables, lake, new Date(job.nowMs));
}

/** The raw tables' rows as zstd Parquet with typed columns: the size a curated zone would have. */
async function parquetBytes(job: Job): Promise<number> {
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const file = (key: string) => `'${path.join(job.lakeDir, job.bucket, `${key}${SUFFIX}`)}'`;
  const out = (name: string) => `'${path.join(job.parquetDir, `${name}.parquet`)}'`;
  try {
    await connection.run(
      `COPY (SELECT * FROM read_csv(${file(job.files.transactions)}, header = true, columns = {'transaction_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'product_id': 'VARCHAR', 'quantity': 'BIGINT', 'unit_price': 'DOUBLE', 'rating': 'TINYINT', 'timestamp': 'VARCHAR'})) TO ${out('transactions')} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await connection.run(
      `COPY (SELECT * FROM read_json(${file(job.files.clickstream)}, format = 'newline_delimited')) TO ${out('clickstream')} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return ['transactions', 'clickstream'].reduce(
    (n, f) => n + fs.statSync(path.join(job.parquetDir, `${f}.parquet`)).size,
    0,
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(fs.readFileSync(process.argv[2] as string, 'utf8')) as Job;
  const t0 = performance.now();
  const counts = job.mode === 'typescript' ? await typescript(job) : await sql(job);
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const parquet = job.mode === 'sql' ? { parquetBytes: await parquetBytes(job) } : {};
  process.stdout.write(`${JSON.stringify({ ...counts, seconds, peakRssMiB, ...parquet })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
