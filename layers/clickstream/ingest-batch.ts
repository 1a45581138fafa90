/**
 * Land one Kinesis batch (docs/decisions/014-clickstream-raw-or-dlq.md): raw/clickstream (JSON Lines +
 * manifest per event-time partition) and quarantine/, then the real-time session features of every
 * event that landed in raw/ (speed layer). Every record ends in exactly one place: when a write, a
 * session-feature update or the lineage record fails, the lake is cut back to the records before the
 * first one affected, and those from it on are reported for redelivery (and, if Lambda gives up, the
 * DLQ).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { applySessionEvents } from '../feature-store/realtime-session';
import { deleteWithManifest, putWithManifest } from '../lake/s3-io';
import { type DatasetRef, runEvent, writeRunEvent } from '../lineage/openlineage';
import { mapSettled } from '../util/concurrency';
import type { YearRange } from '../util/timestamps';
import type { UseCaseLogger } from '../util/use-case-logger';
import {
  afterCutback,
  compareSequenceNumbers,
  type PlannedFile,
  planBatch,
  planCutback,
  planPartialFailure,
  type StreamRecord,
} from './batch';
import { eventsByUser, type SequencedEvent } from './session-features';

/** What the use case is given. */
export interface ClickstreamIngestDeps {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly featureTable: string;
  readonly sessionTtlSeconds: number;
  readonly years: YearRange;
  readonly codeVersion: string;
  readonly now: () => Date;
  readonly logger: UseCaseLogger;
}

export async function ingestKinesisBatch(
  deps: ClickstreamIngestDeps,
  event: KinesisStreamEvent,
): Promise<KinesisStreamBatchResponse> {
  const { s3, doc: dynamo, bucket, featureTable, sessionTtlSeconds, years, logger } = deps;

  /** Land one shard's records; returns the sequence number from which they must be redelivered, if any. */
  async function landShard(
    event: KinesisStreamEvent,
    shardId: string,
    records: readonly StreamRecord[],
  ): Promise<string | undefined> {
    const files = planBatch(records, shardId, deps.now(), years);
    const failedWrites = await writeAll(files);
    let persisted = files.filter((f) => !failedWrites.has(f.key));
    let cut: string | undefined;
    const cutTo = async (at: string, why: string) => {
      cut = cut === undefined || compareSequenceNumbers(at, cut) < 0 ? at : cut;
      persisted = await cutBack(persisted, at, shardId, why);
    };
    if (failedWrites.size > 0) {
      const plan = planPartialFailure(files, failedWrites, shardId);
      logger.warn('partial batch failure', { shardId, failedFiles: [...failedWrites], cut: plan.cut });
      await cutTo(plan.cut as string, 'object writes failed');
    }

    const landed = landedEvents(persisted, shardId);
    if (landed.length > 0) {
      let summary: Awaited<ReturnType<typeof applySessionEvents>>;
      try {
        summary = await applySessionEvents(dynamo, eventsByUser(landed), {
          tableName: featureTable,
          ttlSeconds: sessionTtlSeconds,
        });
      } catch (err) {
        // The table could not be read at all: every landed event's features are missing.
        const users = eventsByUser(landed);
        summary = {
          users: users.size,
          written: 0,
          applied: 0,
          redelivered: 0,
          duplicates: 0,
          conflicts: 0,
          failed: [...users.keys()].map((userId) => ({ userId, error: err as Error })),
        };
      }
      const { failed, ...counts } = summary;
      if (failed.length > 0) {
        for (const f of failed.slice(0, 5))
          logger.error('session feature update failed', { userId: f.userId, error: f.error });
        // Their events (and every later one) go back for redelivery; updates are idempotent per shard
        // watermark, so what did apply is not applied twice.
        const users = new Set(failed.map((f) => f.userId));
        const first = landed.find((e) => users.has(e.event.userId));
        if (first) await cutTo(first.sequenceNumber, 'session features failed');
      } else {
        logger.info('session features updated', counts);
      }
    }

    if (persisted.length > 0) {
      try {
        await recordLineage([streamInput(event, shardId, records)], persisted);
      } catch (err) {
        logger.error('lineage record failed: the batch goes back for redelivery', { shardId, error: err as Error });
        const first = [...records].sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber))[0];
        if (first) await cutTo(first.sequenceNumber, 'lineage record failed');
      }
    }
    const { raw, quarantined } = countZones(persisted);
    logger.info('batch landed', {
      shardId,
      records: records.length,
      raw,
      quarantined,
      ...(cut ? { redeliverFrom: cut } : {}),
    });
    return cut;
  }

  /**
   * Take every record from `cut` on out of the written files (rewrite or remove them). If that fails,
   * the lake cannot be made consistent: fail the whole invocation, whose retry rewrites the same keys.
   */
  async function cutBack(
    written: readonly PlannedFile[],
    cut: string,
    shardId: string,
    why: string,
  ): Promise<PlannedFile[]> {
    const plan = planCutback(written, cut, shardId);
    const rewriteFailures = await writeAll(plan.rewrites);
    const removals = await mapSettled(plan.removals, 8, (f) => deleteWithManifest(s3, bucket, f.key));
    const removalFailures = removals.filter((r) => r.status === 'rejected').length;
    if (rewriteFailures.size > 0 || removalFailures > 0) {
      throw new Error(
        `${why} on ${shardId}, and ${rewriteFailures.size} rewrites and ${removalFailures} removals of the cut-back failed`,
      );
    }
    logger.warn('lake cut back for redelivery', {
      shardId,
      why,
      cut,
      rewritten: plan.rewrites.length,
      removed: plan.removals.length,
    });
    return afterCutback(written, plan);
  }

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
        codeVersion: deps.codeVersion,
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

  /** The validated events of the raw files that were written, in sequence order. */
  function landedEvents(files: readonly PlannedFile[], shardId: string): SequencedEvent[] {
    const out: SequencedEvent[] = [];
    for (const file of files) {
      if (file.zone !== 'raw') continue;
      file.events.forEach((event, i) => {
        out.push({ shardId, sequenceNumber: file.sequenceNumbers[i] as string, event });
      });
    }
    return out.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
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

  const byShard = new Map<string, StreamRecord[]>();
  for (const record of event.Records) {
    const shardId = record.eventID.split(':')[0] ?? 'shard-unknown';
    const list = byShard.get(shardId) ?? [];
    list.push(record.kinesis);
    byShard.set(shardId, list);
  }

  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const [shardId, records] of byShard) {
    const cut = await landShard(event, shardId, records);
    if (cut === undefined) continue;
    const failed = records
      .map((r) => r.sequenceNumber)
      .filter((seq) => compareSequenceNumbers(seq, cut) >= 0)
      .sort(compareSequenceNumbers);
    for (const seq of failed) batchItemFailures.push({ itemIdentifier: seq });
  }
  return { batchItemFailures };
}
