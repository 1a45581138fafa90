import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { s3Client } from '../../layers/aws/clients';
import { type PlannedFile, planBatch, planPartialFailure, type StreamRecord } from '../../layers/clickstream/batch';
import { putWithManifest } from '../../layers/lake/s3-io';
import { mapSettled } from '../../layers/util/concurrency';
import { requireEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'clickstream-ingest' });
const s3 = s3Client();
const bucket = requireEnv('LAKE_BUCKET');

/** Kinesis → raw/clickstream (JSON Lines + manifest per event-time partition) and quarantine/. */
export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const byShard = new Map<string, StreamRecord[]>();
  for (const record of event.Records) {
    const shardId = record.eventID.split(':')[0] ?? 'shard-unknown';
    const list = byShard.get(shardId) ?? [];
    list.push(record.kinesis);
    byShard.set(shardId, list);
  }

  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const [shardId, records] of byShard) {
    const files = planBatch(records, shardId);
    const failed = await writeAll(files);
    if (failed.size === 0) {
      logger.info('batch written', { shardId, records: records.length, files: files.length, ...countZones(files) });
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
  }
  return { batchItemFailures };
};

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
