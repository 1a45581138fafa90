import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

/** Runs after a command on a key or prefix (to change the bucket at an exact moment of a reader's work). */
export type AfterHook = (command: string, key: string) => Promise<void>;

/**
 * An in-memory bucket behind an S3 client mock: Put, Delete, Head, Get (with a streaming body) and
 * List by prefix, in key order, in one page. `after` runs after a Get or a List.
 */
export function memoryBucket(
  // biome-ignore lint/suspicious/noExplicitAny: the mock's input and output types vary by command
  s3: AwsStub<any, any, S3Client['config']>,
): { objects: Map<string, Buffer>; setAfter: (hook: AfterHook | undefined) => void } {
  const objects = new Map<string, Buffer>();
  let after: AfterHook | undefined;
  const hook = async (command: string, key: string) => {
    const fn = after;
    if (fn) await fn(command, key);
  };
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string | Uint8Array }) => {
    objects.set(input.Key, Buffer.from(input.Body));
    return {};
  });
  s3.on(DeleteObjectCommand).callsFake(async (input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => {
    if (!objects.has(input.Key)) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: objects.get(input.Key)?.length };
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (!body) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    await hook('GetObject', input.Key);
    const stream = Readable.from([body]) as Readable & { transformToByteArray: () => Promise<Uint8Array> };
    stream.transformToByteArray = async () => new Uint8Array(body);
    return { Body: stream };
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort();
    await hook('ListObjectsV2', input.Prefix);
    return { Contents: keys.map((Key) => ({ Key })), IsTruncated: false };
  });
  return {
    objects,
    setAfter: (fn) => {
      after = fn;
    },
  };
}
