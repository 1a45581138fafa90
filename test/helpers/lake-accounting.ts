import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../../layers/lake/inventory';
import { getBytes } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';

export interface SentRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly valid: boolean;
}

export interface Accounting {
  /** Sent valid events found in raw/ (each counted once per occurrence). */
  readonly raw: number;
  /** Sent records found in quarantine/ (by partition key and exact bytes). */
  readonly quarantined: number;
  /** Occurrences beyond the first of any sent record. */
  readonly duplicates: number;
  /** Sent valid events that were quarantined, or sent invalid ones that reached raw/. */
  readonly misplaced: number;
}

/**
 * Where the records one test sent ended up, ignoring everything else in the shared lake: raw lines
 * are matched by event id, quarantine lines by partition key plus the exact base64 of the record
 * (garbage repeats, so those are counted as a multiset).
 */
export async function accountFor(
  s3: S3Client,
  bucket: string,
  sent: readonly SentRecord[],
  rawPrefix = 'raw/clickstream/',
): Promise<Accounting> {
  const validById = new Map<string, number>();
  const expected = new Map<string, { valid: boolean; sent: number; seen: number }>();
  const keyOf = (partitionKey: string, b64: string) => `${partitionKey}\n${b64}`;
  for (const record of sent) {
    const key = keyOf(record.partitionKey, Buffer.from(record.data).toString('base64'));
    const entry = expected.get(key) ?? { valid: record.valid, sent: 0, seen: 0 };
    entry.sent++;
    expected.set(key, entry);
    if (record.valid) validById.set(JSON.parse(Buffer.from(record.data).toString('utf8')).eventId as string, 0);
  }
  let raw = 0;
  let quarantined = 0;
  let duplicates = 0;
  let misplaced = 0;
  for await (const line of linesUnder(s3, bucket, rawPrefix)) {
    const id = (JSON.parse(line) as { eventId?: string }).eventId ?? '';
    const seen = validById.get(id);
    if (seen === undefined) continue;
    validById.set(id, seen + 1);
    if (seen === 0) raw++;
    else duplicates++;
  }
  for await (const line of linesUnder(s3, bucket, 'quarantine/clickstream/')) {
    const { partitionKey, dataBase64 } = JSON.parse(line) as { partitionKey?: string; dataBase64?: string };
    const entry = expected.get(keyOf(partitionKey ?? '', dataBase64 ?? ''));
    if (!entry) continue;
    entry.seen++;
    if (entry.valid) misplaced++;
    else if (entry.seen <= entry.sent) quarantined++;
    else duplicates++;
  }
  return { raw, quarantined, duplicates, misplaced };
}

async function* linesUnder(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  for await (const key of listKeys(s3, bucket, prefix)) {
    if (isManifestKey(key)) continue;
    const text = Buffer.from(await getBytes(s3, bucket, key)).toString('utf8');
    for (const line of text.split('\n')) if (line !== '') yield line;
  }
}
