/** The SQL feature build on the local cloud's Athena engine, as the benchmarks run it. */
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
