import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The Parquet bytes DuckDB writes for a SELECT (snappy, as the feature build's UNLOAD asks). */
export async function parquetOf(select: string): Promise<Buffer> {
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-'));
  const file = path.join(dir, 'rows.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
    return fs.readFileSync(file);
  } finally {
    connection.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
