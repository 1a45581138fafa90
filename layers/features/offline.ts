import type { S3Client } from '@aws-sdk/client-s3';
import { lakeKeys } from '../lake/keys';
import { md5Hex } from '../lake/manifest';
import { parquetRows } from '../lake/parquet';
import { getBytes, getJson, readOrMissing } from '../lake/s3-io';
import { bytesStream, jsonLines } from '../util/lines';
import { FEATURE_ROWS, type FeatureSetName } from './sql';

/** One data file of a feature set's version. */
export interface FeatureFile {
  readonly key: string;
  readonly md5: string;
  readonly bytes: number;
  readonly records: number;
}

/** The `data` of a registry entry: Parquet files (SQL build), or one JSON Lines file (earlier builds). */
export type FeatureData =
  | { readonly format: 'parquet'; readonly key: string; readonly files: readonly FeatureFile[] }
  | { readonly format?: undefined; readonly key: string; readonly md5: string };

export interface FeatureRegistryEntry {
  readonly name: string;
  readonly version: string;
  readonly data: FeatureData;
  readonly sources?: readonly { key: string }[];
  readonly [field: string]: unknown;
}

/** A file's name hides it from readers of the version (a manifest, a marker). */
export const isHiddenFile = (key: string) => /^[_.]/.test(key.slice(key.lastIndexOf('/') + 1));

/** A row of a feature set's file as its record, checked against the set's row schema. */
export function recordOfRow(set: FeatureSetName, row: Record<string, unknown>, where: string): unknown {
  const { schema, toRecord } = FEATURE_ROWS[set];
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: a ${set} row does not match its schema: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return (toRecord as (r: unknown) => unknown)(parsed.data);
}

/** The data files of a registry entry, with their MD5s. */
export function featureFiles(entry: FeatureRegistryEntry): readonly { key: string; md5: string }[] {
  const data = entry.data;
  return data.format === 'parquet' ? data.files : [{ key: data.key, md5: data.md5 }];
}

/**
 * The records of a feature set's version, as the registry entry describes them; each file's bytes must
 * have the MD5 the registry recorded (refusing data that is not what the build wrote).
 */
export async function* featureRecords<T>(s3: S3Client, bucket: string, entry: FeatureRegistryEntry): AsyncGenerator<T> {
  const data = entry.data;
  const files = featureFiles(entry);
  for (const file of files) {
    const bytes = await getBytes(s3, bucket, file.key);
    const md5 = md5Hex(bytes);
    if (md5 !== file.md5)
      throw new Error(
        `Feature set ${entry.name} v=${entry.version}: ${file.key} has MD5 ${md5}, the registry recorded ${file.md5}; refusing to read it.`,
      );
    if (data.format === 'parquet') {
      for await (const rows of parquetRows(bytes))
        for (const row of rows) yield recordOfRow(entry.name as FeatureSetName, row, file.key) as T;
    } else {
      yield* jsonLines<T>(bytesStream(bytes));
    }
  }
}

/** A feature set's registry entry for a version, or undefined when that version has none. */
export async function readFeatureRegistry(
  s3: S3Client,
  bucket: string,
  set: string,
  version: string,
): Promise<FeatureRegistryEntry | undefined> {
  return readOrMissing(s3, bucket, lakeKeys.featureRegistry(set, version), (key) =>
    getJson<FeatureRegistryEntry>(s3, bucket, key),
  );
}
