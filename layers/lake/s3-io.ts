import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

export async function getManifest(s3: S3Client, bucket: string, manifestKey: string): Promise<Manifest> {
  const bytes = await getBytes(s3, bucket, manifestKey);
  return ManifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}
