/**
 * Replaying the clickstream DLQ (docs/decisions/014-clickstream-raw-or-dlq.md). Lambda's on-failure
 * record names a shard and a sequence-number range, not the data: a replay reads that range back from
 * the stream and hands it to the ingest function as one batch, exactly as the event source mapping
 * did. The function's object keys depend only on the shard and the records, so replaying the same
 * range twice overwrites instead of duplicating; what it lands is no longer described on the DLQ.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { compareSequenceNumbers } from './batch';

/** The part of Lambda's on-failure record for a Kinesis batch that a replay needs. */
export const KinesisBatchInfoSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: z.string().regex(/^\d+$/),
  endSequenceNumber: z.string().regex(/^\d+$/),
  batchSize: z.number().int().nonnegative().optional(),
  streamArn: z.string().startsWith('arn:'),
});
export type KinesisBatchInfo = z.infer<typeof KinesisBatchInfoSchema>;

const DlqRecordSchema = z.looseObject({
  requestContext: z.looseObject({ functionArn: z.string().optional(), condition: z.string().optional() }).optional(),
  KinesisBatchInfo: KinesisBatchInfoSchema,
});
export type DlqRecord = z.infer<typeof DlqRecordSchema>;

/** Read a DLQ message body; one sentence when it is not an on-failure record of a Kinesis batch. */
export function parseDlqRecord(body: string): { ok: true; record: DlqRecord } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the message is not JSON' };
  }
  const parsed = DlqRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'the message is not an on-failure record of a Kinesis batch' };
  return { ok: true, record: parsed.data };
}

/** The same record, describing only the records from `startSequenceNumber` on (what is still missing). */
export function narrowedRecord(record: DlqRecord, startSequenceNumber: string, batchSize: number): DlqRecord {
  return { ...record, KinesisBatchInfo: { ...record.KinesisBatchInfo, startSequenceNumber, batchSize } };
}

export function streamNameOf(streamArn: string): string {
  return streamArn.slice(streamArn.lastIndexOf('/') + 1);
}

/**
 * The records of the range, read back from the stream. Fewer than `batchSize` means the stream no
 * longer holds some of them (its retention has passed): those cannot be replayed.
 */
export async function readRange(
  kinesis: KinesisClient,
  info: KinesisBatchInfo,
  maxCalls = 1_000,
): Promise<KinesisRecord[]> {
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamNameOf(info.streamArn),
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    )
  ).ShardIterator;
  const out: KinesisRecord[] = [];
  for (let call = 0; iterator && call < maxCalls; call++) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) {
      const seq = r.SequenceNumber ?? '';
      if (compareSequenceNumbers(seq, info.endSequenceNumber) > 0) return out;
      if (compareSequenceNumbers(seq, info.startSequenceNumber) >= 0) out.push(r);
    }
    if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) return out;
    iterator = page.NextShardIterator;
  }
  return out;
}

/** The batch as the event source mapping delivers it. */
export function toKinesisEvent(records: readonly KinesisRecord[], info: KinesisBatchInfo): KinesisStreamEvent {
  const region = info.streamArn.split(':')[3] ?? 'us-east-1';
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey ?? '',
        sequenceNumber: r.SequenceNumber ?? '',
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${info.shardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/recomart-dlq-replay',
      awsRegion: region,
      eventSourceARN: info.streamArn,
    })),
  };
}
