/**
 * One step of a feature build in its own process, so its time and peak RSS are its own: `typescript`
 * streams the raw lake files through the builders (as the features-build function did before the SQL
 * build), `curate` writes the curated zone from them as the build's curation step does (a Parquet file
 * per raw partition), `sql` runs the SQL feature sets on the local cloud's Athena engine (DuckDB) over
 * the curated files. Prints one JSON object.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseClickEvent } from '../layers/clickstream/schema';
import { addCatalogRow, FeatureBuilder, type ItemContext, transactionInput } from '../layers/features/builders';
import { csvTableRows } from '../layers/util/csv-records';
import { nonEmptyLines } from '../layers/util/lines';
import type { GlueTable } from '../lib/local-cloud/plugins/glue';
import { curateForBench, featureSqlCounts } from './feature-sql-counts';

interface Job {
  readonly mode: 'typescript' | 'curate' | 'sql';
  readonly lakeDir: string;
  readonly bucket: string;
  readonly tables: GlueTable[];
  readonly nowMs: number;
  readonly files: { transactions: string; clickstream: string; catalog: string };
  /** Rows of the raw transactions and clickstream objects (their manifests' counts). */
  readonly records: { transactions: number; clickstream: number };
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

const lakeOf = (job: Job) => ({ directoryOf: (b: string) => path.join(job.lakeDir, b), objectSuffix: SUFFIX });

function sql(job: Job) {
  return featureSqlCounts(job.tables, lakeOf(job), new Date(job.nowMs));
}

async function curate(job: Job) {
  const { bytes, files } = await curateForBench(lakeOf(job), job.bucket, [
    { dataset: 'transactions', key: job.files.transactions, records: job.records.transactions },
    { dataset: 'clickstream', key: job.files.clickstream, records: job.records.clickstream },
  ]);
  return { curatedBytes: bytes, curatedFiles: files };
}

async function main(): Promise<void> {
  const job = JSON.parse(fs.readFileSync(process.argv[2] as string, 'utf8')) as Job;
  const t0 = performance.now();
  const out =
    job.mode === 'typescript' ? await typescript(job) : job.mode === 'curate' ? await curate(job) : await sql(job);
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ...out, seconds, peakRssMiB })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
