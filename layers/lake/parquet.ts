/**
 * Reading Parquet objects of the lake (the curated zone, the feature sets): their rows from the footer,
 * their records a row group at a time.
 */

/** The content type of a Parquet object (its manifest's `contentType`). */
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

// hyparquet ships ES modules only; this project is CommonJS (its bundles, jest, tsx), which Node 20.19+
// and esbuild load with require. Loaded on first use: most functions that import the lake's helpers
// never read Parquet, and pay nothing for it at a cold start.
type Hyparquet = typeof import('hyparquet', { with: { 'resolution-mode': 'import' }});
let loaded: Hyparquet | undefined;
const hyparquet = (): Hyparquet => {
  loaded ??= require('hyparquet') as Hyparquet;
  return loaded;
};

const arrayBufferOf = (bytes: Uint8Array) =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Rows of a Parquet object, from its footer. */
export function countParquetRows(bytes: Uint8Array): number {
  return Number(hyparquet().parquetMetadata(arrayBufferOf(bytes)).num_rows);
}

/** A Parquet object's rows, a row group at a time, with BIGINT values as numbers. */
export async function* parquetRows(bytes: Uint8Array): AsyncGenerator<Record<string, unknown>[]> {
  const { parquetMetadata, parquetReadObjects } = hyparquet();
  const file = arrayBufferOf(bytes);
  const metadata = parquetMetadata(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (const row of rows)
      for (const [name, value] of Object.entries(row)) if (typeof value === 'bigint') row[name] = Number(value);
    yield rows;
    rowStart = rowEnd;
  }
}
