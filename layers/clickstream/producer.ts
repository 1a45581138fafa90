import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { again, done, retrying } from '../util/retry';

/** PutRecords limits: 500 records and 5 MiB per call; 1 MiB per record (data + partition key). */
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface ProducerRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Split records into PutRecords calls that respect the count and size limits. */
export function chunkForPutRecords<T extends ProducerRecord>(records: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.data.byteLength + Buffer.byteLength(record.partitionKey);
    if (size > MAX_RECORD_BYTES) throw new Error(`A record of ${size} bytes exceeds the 1 MiB Kinesis record limit.`);
    if (current.length === MAX_RECORDS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Put records onto a stream, retrying the records a call reports as failed (throttling, internal
 * errors) with exponential backoff. Throws if some still fail after `maxAttempts`.
 */
export async function putAllRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly ProducerRecord[],
  options: { maxAttempts?: number; onProgress?: (sent: number) => void } = {},
): Promise<{ calls: number; retriedRecords: number }> {
  const maxAttempts = options.maxAttempts ?? 8;
  let calls = 0;
  let retriedRecords = 0;
  let sent = 0;
  const policy = { attempts: maxAttempts, baseDelayMs: 100 };
  for (const chunk of chunkForPutRecords(records)) {
    let pending: ProducerRecord[] = chunk;
    await retrying(
      policy,
      {
        giveUp: () =>
          new Error(`${pending.length} records were still rejected by Kinesis after ${maxAttempts} attempts.`),
      },
      async () => {
        const entries: PutRecordsRequestEntry[] = pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data }));
        calls++;
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
        const failed = (out.Records ?? []).flatMap((r, i) => (r.ErrorCode ? [pending[i] as ProducerRecord] : []));
        sent += pending.length - failed.length;
        options.onProgress?.(sent);
        if (failed.length === 0) return done(undefined);
        pending = failed;
        retriedRecords += failed.length;
        return again(`${failed.length} records rejected`);
      },
    );
  }
  return { calls, retriedRecords };
}

export interface PacedPutOptions {
  /** Records per second; undefined = as fast as the stream accepts. */
  readonly rate?: number;
  readonly maxAttempts?: number;
  /** Called after every call with the records accepted so far. */
  readonly onProgress?: (sent: number) => void;
  readonly clock?: { now(): number; sleep(ms: number): Promise<void> };
}

const realClock = { now: () => performance.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/**
 * Put a (possibly endless, lazily generated) sequence of records at a target rate: records go out in
 * calls of about a tenth of a second's worth (at most 500), each call released when the schedule
 * `sent / rate` says so. Every call goes through putAllRecords, so limits and retries hold.
 */
export async function putAtRate(
  kinesis: KinesisClient,
  streamName: string,
  records: Iterable<ProducerRecord>,
  options: PacedPutOptions = {},
): Promise<{ sent: number; calls: number; retriedRecords: number; seconds: number }> {
  const clock = options.clock ?? realClock;
  const rate = options.rate;
  if (rate !== undefined && !(rate > 0)) throw new Error(`rate must be positive, got ${rate}`);
  const perCall =
    rate === undefined ? MAX_RECORDS_PER_CALL : Math.max(1, Math.min(MAX_RECORDS_PER_CALL, Math.ceil(rate / 10)));
  const t0 = clock.now();
  let sent = 0;
  let calls = 0;
  let retriedRecords = 0;
  let chunk: ProducerRecord[] = [];
  const flush = async () => {
    if (rate !== undefined) {
      const due = t0 + (sent / rate) * 1000;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait);
    }
    const base = sent;
    const out = await putAllRecords(kinesis, streamName, chunk, {
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      onProgress: (n) => options.onProgress?.(base + n),
    });
    sent += chunk.length;
    calls += out.calls;
    retriedRecords += out.retriedRecords;
    chunk = [];
  };
  for (const record of records) {
    chunk.push(record);
    if (chunk.length === perCall) await flush();
  }
  if (chunk.length > 0) await flush();
  return { sent, calls, retriedRecords, seconds: (clock.now() - t0) / 1000 };
}
