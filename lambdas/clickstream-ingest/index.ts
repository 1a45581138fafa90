import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import {
  compareSequenceNumbers,
  type PlannedFile,
  planBatch,
  planPartialFailure,
  type StreamRecord,
} from '../../layers/clickstream/batch';
import { eventsByUser, type SequencedEvent } from '../../layers/clickstream/session-features';
import { applySessionEvents } from '../../layers/feature-store/realtime-session';
import { putWithManifest } from '../../layers/lake/s3-io';
import { type DatasetRef, runEvent, writeRunEvent } from '../../layers/lineage/openlineage';
import { mapSettled } from '../../layers/util/concurrency';
import { codeVersionFromEnv, requireEnv, requirePositiveIntEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'clickstream-ingest' });
const s3 = s3Client();
const dynamo = dynamoDbDocumentClient();
const bucket = requireEnv('LAKE_BUCKET');
const featureTable = requireEnv('FEATURE_TABLE');
const sessionTtlSeconds = requirePositiveIntEnv('SESSION_TTL_SECONDS');

/**
 * Kinesis → raw/clickstream (JSON Lines + manifest per event-time partition) and quarantine/, then
 * the real-time session features of every event that landed in raw/ (speed layer).
 */
export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const byShard = new Map<string, StreamRecord[]>();
  for (const record of event.Records) {
    const shardId = record.eventID.split(':')[0] ?? 'shard-unknown';
    const list = byShard.get(shardId) ?? [];
    list.push(record.kinesis);
    byShard.set(shardId, list);
  }

  const batchItemFailures: { itemIdentifier: string }[] = [];
  const landed: SequencedEvent[] = [];
  const written: PlannedFile[] = [];
  const inputs: DatasetRef[] = [];
  for (const [shardId, records] of byShard) {
    const files = planBatch(records, shardId);
    const failed = await writeAll(files);
    inputs.push(streamInput(event, shardId, records));
    if (failed.size === 0) {
      logger.info('batch written', { shardId, records: records.length, files: files.length, ...countZones(files) });
      landed.push(...landedEvents(files, shardId, undefined));
      written.push(...files);
      continue;
    }
    const { rewrites, notPersisted } = planPartialFailure(files, failed, shardId);
    const rewriteFailures = await writeAll(rewrites);
    if (rewriteFailures.size > 0) {
      // Cannot make the partial result consistent: fail the whole batch; its retry overwrites every file.
      throw new Error(`${failed.size} object writes and ${rewriteFailures.size} rollbacks failed on ${shardId}`);
    }
    logger.warn('partial batch failure', { shardId, failedFiles: [...failed], notPersisted: notPersisted.length });
    for (const seq of notPersisted) batchItemFailures.push({ itemIdentifier: seq });
    const rewritten = new Map(rewrites.map((f) => [f.key, f]));
    written.push(...files.filter((f) => !failed.has(f.key)).map((f) => rewritten.get(f.key) ?? f));
    // Lambda redelivers everything from the lowest reported record on: features wait for that redelivery.
    landed.push(...landedEvents(files, shardId, notPersisted[0]));
  }

  if (landed.length > 0) {
    landed.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
    const summary = await applySessionEvents(dynamo, eventsByUser(landed), {
      tableName: featureTable,
      ttlSeconds: sessionTtlSeconds,
    });
    const { failed, ...counts } = summary;
    if (failed.length > 0) {
      for (const f of failed.slice(0, 5))
        logger.error('session feature update failed', { userId: f.userId, error: f.error });
      // Updates are idempotent (per-shard watermarks), so the whole-batch retry re-applies only what is missing.
      throw new Error(`session features of ${failed.length} of ${summary.users} users could not be updated`);
    }
    logger.info('session features updated', counts);
  }
  if (written.length > 0) await recordLineage(inputs, written);
  return { batchItemFailures };
};

/** The batch as a lineage input: the stream, the shard and the sequence-number range read. */
function streamInput(event: KinesisStreamEvent, shardId: string, records: readonly StreamRecord[]): DatasetRef {
  const arn = event.Records[0]?.eventSourceARN ?? 'arn:aws:kinesis:unknown:unknown:stream/unknown';
  const [, , , region, account, resource] = arn.split(':');
  const seqs = records.map((r) => r.sequenceNumber).sort(compareSequenceNumbers);
  return {
    namespace: `kinesis://${account}/${region}`,
    name: `${resource?.replace(/^stream\//, '')}/${shardId}/${seqs[0]}-${seqs[seqs.length - 1]}`,
    records: records.length,
  };
}

/** One OpenLineage run event per invocation: the shard ranges read → the objects written. */
async function recordLineage(inputs: DatasetRef[], files: readonly PlannedFile[]): Promise<void> {
  await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'clickstream-ingest',
      codeVersion: codeVersionFromEnv(),
      inputs,
      outputs: files.map((f) => ({
        namespace: `s3://${bucket}`,
        name: f.key,
        md5: f.manifest.md5,
        records: f.manifest.records,
      })),
    }),
  );
}

/** The validated events of the raw files that were written, below the redelivery point if there is one. */
function landedEvents(
  files: readonly PlannedFile[],
  shardId: string,
  redeliverFrom: string | undefined,
): SequencedEvent[] {
  const out: SequencedEvent[] = [];
  for (const file of files) {
    if (file.zone !== 'raw') continue;
    file.events.forEach((event, i) => {
      const sequenceNumber = file.sequenceNumbers[i] as string;
      if (redeliverFrom === undefined || compareSequenceNumbers(sequenceNumber, redeliverFrom) < 0) {
        out.push({ shardId, sequenceNumber, event });
      }
    });
  }
  return out;
}

async function writeAll(files: readonly PlannedFile[]): Promise<Set<string>> {
  const results = await mapSettled(files, 8, (file) => putWithManifest(s3, bucket, file.body, file.manifest));
  const failed = new Set<string>();
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      const key = files[i]?.key ?? '?';
      logger.error('object write failed', { key, error: result.reason as Error });
      failed.add(key);
    }
  });
  return failed;
}

function countZones(files: readonly PlannedFile[]): { raw: number; quarantined: number } {
  let raw = 0;
  let quarantined = 0;
  for (const file of files) {
    if (file.zone === 'raw') raw += file.manifest.records;
    else quarantined += file.manifest.records;
  }
  return { raw, quarantined };
}
