/**
 * Reading objects that a listing found, while ingestion may retire them.
 *
 * A changed re-upload retires the raw objects of the version it replaces, manifest first and data
 * second (`deleteWithManifest`). A reader that listed the lake before the retirement and reads after
 * it finds the key gone. That version was superseded, not lost: readers skip it and say so, and the
 * next run reads the new version. A data object that is missing while its manifest is still there
 * cannot come from a retirement, so it stays an error.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from './manifest';
import { getManifest, readOrMissing } from './s3-io';
import { manifestKeyFor } from './zones';

/** Why a reader skipped a version it had listed. */
export const SUPERSEDED = 'superseded: a newer version retired it after the listing';

export class LostDataError extends Error {
  override readonly name = 'LostDataError';
}

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const head = await readOrMissing(s3, bucket, key, (k) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k })));
  return head !== undefined;
}

/** A listed manifest, or undefined when it was retired after the listing. */
export async function getListedManifest(
  s3: S3Client,
  bucket: string,
  manifestKey: string,
): Promise<Manifest | undefined> {
  return readOrMissing(s3, bucket, manifestKey, (key) => getManifest(s3, bucket, key));
}

/**
 * `read(dataKey)` for the data object of a listed manifest, or undefined when the version was retired
 * after the listing (data and manifest both gone). Throws LostDataError when only the data is gone.
 */
export async function readListed<T>(
  s3: S3Client,
  bucket: string,
  dataKey: string,
  read: (key: string) => Promise<T>,
): Promise<T | undefined> {
  const found = await readOrMissing(s3, bucket, dataKey, async (key) => ({ value: await read(key) }));
  if (found) return found.value;
  const manifestKey = manifestKeyFor(dataKey);
  if (await objectExists(s3, bucket, manifestKey)) {
    throw new LostDataError(
      `s3://${bucket}/${dataKey} is missing but its manifest ${manifestKey} is still there: the data was lost, not superseded.`,
    );
  }
  return undefined;
}
