/** The SQL feature build on the local cloud's Athena engine, as the benchmarks run it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { curatedFile, curationGroups } from '../layers/curated/curate';
import type { CuratedDataset } from '../layers/curated/schema';
import { featureSql } from '../layers/features/sql';
import { type LakeFiles, runQuery } from '../lib/local-cloud/athena-duckdb';
import type { GlueTable } from '../lib/local-cloud/plugins/glue';

/**
 * Run the three feature-set statements over `tables` and count their rows. Every column of every row
 * is computed (the row as text), as writing the result would.
 */
export async function featureSqlCounts(
  tables: readonly GlueTable[],
  lake: LakeFiles,
  now: Date,
): Promise<{ users: number; items: number; interactions: number }> {
  const statements = featureSql({ now });
  const count = async (statement: string) => {
    const out = await runQuery(
      `SELECT count(*) AS n, sum(length(CAST(s AS VARCHAR))) AS width FROM (${statement}) s`,
      tables[0]?.DatabaseName,
      tables,
      lake,
      now,
    );
    return Number(out.rows[0]?.[0]);
  };
  return {
    users: await count(statements.userFeatures),
    items: await count(statements.itemFeatures),
    interactions: await count(statements.interactions),
  };
}

/**
 * The curated zone the SQL build reads, as the build's curation step writes it: each raw object's
 * partition as one Parquet file (layers/curated/curate.ts), under the lake directory. Returns the time
 * it took and the files' total size.
 */
export async function curateForBench(
  lake: LakeFiles,
  bucket: string,
  raw: readonly { dataset: CuratedDataset; key: string; records: number }[],
): Promise<{ seconds: number; bytes: number; files: number }> {
  const t0 = performance.now();
  let bytes = 0;
  for (const { dataset, key, records } of raw) {
    const file = path.join(lake.directoryOf(bucket), `${key}${lake.objectSuffix}`);
    const member = { key, md5: '-', records };
    const [group] = curationGroups(dataset, [member]);
    if (!group) throw new Error(`${key}: no partition`);
    const { body } = await curatedFile(dataset, [{ ...member, bytes: fs.readFileSync(file) }]);
    const out = path.join(lake.directoryOf(bucket), `${group.key}${lake.objectSuffix}`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, body);
    bytes += body.byteLength;
  }
  return { seconds: (performance.now() - t0) / 1000, bytes, files: raw.length };
}
