import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

/** `fn` with an in-memory DuckDB and a scratch directory, both gone after. */
async function withDuckDb<T>(fn: (connection: DuckDBConnection, dir: string) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await fn(connection, dir);
  } finally {
    connection.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The Parquet bytes DuckDB writes for a SELECT (snappy, as the feature build's UNLOAD asks). */
export function parquetOf(select: string): Promise<Buffer> {
  return withDuckDb(async (connection, dir) => {
    const file = path.join(dir, 'rows.parquet');
    await connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
    return fs.readFileSync(file);
  });
}

/** Rows of a SELECT over Parquet bytes (the table is `rows`), read by DuckDB: an oracle independent of our reader. */
export function parquetSelect(bytes: Buffer, select: string): Promise<Record<string, unknown>[]> {
  return withDuckDb(async (connection, dir) => {
    const file = path.join(dir, 'rows.parquet');
    fs.writeFileSync(file, bytes);
    await connection.run(`CREATE VIEW rows AS SELECT * FROM read_parquet('${file}')`);
    return (await connection.runAndReadAll(select)).getRowObjectsJS() as Record<string, unknown>[];
  });
}

/** The columns of Parquet bytes as DuckDB reads them: name and DuckDB type, in file order. */
export async function parquetColumns(bytes: Buffer): Promise<{ name: string; type: string }[]> {
  const rows = await parquetSelect(bytes, 'DESCRIBE SELECT * FROM rows');
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}
