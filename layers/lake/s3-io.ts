import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Manifest, ManifestSchema } from './manifest';
import { manifestKeyFor } from './zones';

/**
 * Write a data object, then its manifest (the manifest is the completion signal, so it goes last).
 * Content-MD5 makes S3 reject an object damaged in transit.
 */
export async function putWithManifest(
  s3: S3Client,
  bucket: string,
  body: Uint8Array,
  manifest: Manifest,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifest.dataKey,
      Body: body,
      ContentType: manifest.contentType,
      ContentMD5: Buffer.from(manifest.md5, 'hex').toString('base64'),
    }),
  );
  await putJson(s3, bucket, manifestKeyFor(manifest.dataKey), manifest);
}

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(value, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** A JSON object's parsed body (the caller says what it holds). */
export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  return JSON.parse(Buffer.from(await getBytes(s3, bucket, key)).toString('utf8')) as T;
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return out.Body.transformToByteArray();
}

/** An object's body as a Node stream (read it to the end or destroy it). */
export async function getStream(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return out.Body as Readable;
}

export async function getManifest(s3: S3Client, bucket: string, manifestKey: string): Promise<Manifest> {
  const bytes = await getBytes(s3, bucket, manifestKey);
  return ManifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}

/** Files up to this size go up in one PutObject with Content-MD5; larger ones as a multipart upload. */
export const SINGLE_PUT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Upload a local (spooled) file, then its manifest. Small files are read whole and sent with
 * Content-MD5; large ones stream through a multipart upload (8 MiB parts, two in flight), so memory
 * stays bounded whatever the size.
 */
export async function uploadFileWithManifest(
  s3: S3Client,
  bucket: string,
  filePath: string,
  manifest: Manifest,
): Promise<void> {
  if (manifest.bytes <= SINGLE_PUT_MAX_BYTES) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: manifest.dataKey,
        Body: fs.readFileSync(filePath),
        ContentType: manifest.contentType,
        ContentMD5: Buffer.from(manifest.md5, 'hex').toString('base64'),
      }),
    );
  } else {
    await new Upload({
      client: s3,
      params: {
        Bucket: bucket,
        Key: manifest.dataKey,
        Body: fs.createReadStream(filePath, { highWaterMark: 1 << 20 }),
        ContentType: manifest.contentType,
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
    }).done();
  }
  await putJson(s3, bucket, manifestKeyFor(manifest.dataKey), manifest);
}

/** The `CopySource` of an object: bucket and URL-encoded key, and the version when one is named. */
export function copySourceOf(bucket: string, key: string, versionId?: string): string {
  const encoded = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${encoded}?versionId=${encodeURIComponent(versionId)}` : encoded;
}

export class SourceChangedError extends Error {
  override readonly name = 'SourceChangedError';
}

/**
 * Copy exactly one version of an object: the one with `versionId` when the bucket is versioned and
 * the event named it, else whatever the key holds only if its ETag is still `eTag`
 * (`CopySourceIfMatch`). Throws SourceChangedError when that version is no longer there.
 */
export async function copyVersion(
  s3: S3Client,
  bucket: string,
  from: { key: string; eTag: string; versionId?: string },
  to: string,
): Promise<void> {
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: to,
        CopySource: copySourceOf(bucket, from.key, from.versionId),
        ...(from.versionId ? {} : { CopySourceIfMatch: quoted(from.eTag) }),
      }),
    );
  } catch (err) {
    const name = (err as Error).name;
    if (
      name === 'PreconditionFailed' ||
      name === 'NoSuchVersion' ||
      httpStatus(err) === 412 ||
      (await isMissing(s3, bucket, from.key, err))
    )
      throw new SourceChangedError(`${from.key} no longer holds the version ${from.versionId ?? from.eTag}`);
    throw err;
  }
}

/**
 * Delete one version of an object and nothing newer: by `versionId` when known (a versioned bucket
 * keeps every other version), else with `If-Match: <eTag>` (S3's conditional delete). Returns
 * `changed` when the key now holds other bytes (they stay), `gone` when it holds nothing.
 */
export async function deleteVersion(
  s3: S3Client,
  bucket: string,
  object: { key: string; eTag: string; versionId?: string },
): Promise<'deleted' | 'changed' | 'gone'> {
  try {
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : { IfMatch: quoted(object.eTag) }),
      }),
    );
    return 'deleted';
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PreconditionFailed' || httpStatus(err) === 412) return 'changed';
    if (httpStatus(err) === 404 || (await isMissing(s3, bucket, object.key, err))) return 'gone';
    throw err;
  }
}

function quoted(eTag: string): string {
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Delete a data object and its manifest (manifest first: readers never see a manifest without data). */
export async function deleteWithManifest(s3: S3Client, bucket: string, dataKey: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKeyFor(dataKey) }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: dataKey }));
}

/** S3 says the key is not there (GetObject: NoSuchKey; HeadObject: NotFound). A missing bucket is not this. */
export function isMissingObject(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'AccessDenied' || e?.name === 'Forbidden' || e?.$metadata?.httpStatusCode === 403;
}

/**
 * Does this error of a read (or delete) of `key` mean the key is not there? S3 says 404 only to a
 * caller allowed `s3:ListBucket` on the whole bucket; our roles may list only their prefixes, so a
 * missing key can come back as 403. Then a listing of the key itself (which their grant allows) tells
 * a missing key from a real denial, which stays an error.
 */
export async function isMissing(s3: S3Client, bucket: string, key: string, err: unknown): Promise<boolean> {
  if (isMissingObject(err)) return true;
  if (!isAccessDenied(err)) return false;
  try {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    return out.Contents?.[0]?.Key !== key;
  } catch {
    return false;
  }
}

/**
 * `read(key)`, or undefined when the key is not there (see isMissing). A 403 for a key that a listing
 * then shows was written in between (a status or manifest landing while we read) is not a denial: the
 * read is tried once more.
 */
export async function readOrMissing<T>(
  s3: S3Client,
  bucket: string,
  key: string,
  read: (key: string) => Promise<T>,
): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read(key);
    } catch (err) {
      if (await isMissing(s3, bucket, key, err)) return undefined;
      if (!isAccessDenied(err) || attempt > 0) throw err;
    }
  }
}
