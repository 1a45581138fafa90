import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
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

/** Move an object within the bucket (copy, then delete the source). */
export async function moveObject(s3: S3Client, bucket: string, from: string, to: string): Promise<void> {
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: to,
      CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
}

/** Delete a data object and its manifest (manifest first: readers never see a manifest without data). */
export async function deleteWithManifest(s3: S3Client, bucket: string, dataKey: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKeyFor(dataKey) }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: dataKey }));
}
