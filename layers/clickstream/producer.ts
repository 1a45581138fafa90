import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

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
  for (const chunk of chunkForPutRecords(records)) {
    let pending: ProducerRecord[] = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const entries: PutRecordsRequestEntry[] = pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data }));
      calls++;
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
      const failed = (out.Records ?? []).flatMap((r, i) => (r.ErrorCode ? [pending[i] as ProducerRecord] : []));
      sent += pending.length - failed.length;
      options.onProgress?.(sent);
      if (failed.length === 0) break;
      if (attempt >= maxAttempts) {
        throw new Error(`${failed.length} records were still rejected by Kinesis after ${maxAttempts} attempts.`);
      }
      retriedRecords += failed.length;
      pending = failed;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
    }
  }
  return { calls, retriedRecords };
}
