import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeResult } from './lambda-runtime';

/** An `AWS::Lambda::EventSourceMapping` on a Kinesis stream, as read from the template. */
export interface KinesisMappingConfig {
  readonly logicalId: string;
  readonly streamName: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly reportBatchItemFailures: boolean;
  readonly bisectOnError: boolean;
  /** -1 = retry until the record expires. */
  readonly maxRetryAttempts: number;
  /** -1 = no limit. */
  readonly maxRecordAgeSeconds: number;
  /** Queue URL of the on-failure destination. */
  readonly onFailureQueueUrl?: string;
  readonly region: string;
  /**
   * Where the mapping keeps each shard's position (the last sequence number it finished with), so a
   * restarted local cloud goes on where it stopped, as Lambda's mapping does. @default - not kept
   */
  readonly checkpointFile?: string;
}

export interface MappingStats {
  invocations: number;
  recordsDelivered: number;
  functionErrors: number;
  partialFailures: number;
  bisections: number;
  batchesToDestination: number;
  recordsToDestination: number;
}

type Invoke = (event: unknown) => Promise<InvokeResult>;

export interface EventRecordShape {
  readonly kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    data: string;
    approximateArrivalTimestamp: number;
  };
  readonly eventSource: 'aws:kinesis';
  readonly eventVersion: '1.0';
  readonly eventID: string;
  readonly eventName: 'aws:kinesis:record';
  readonly invokeIdentityArn: string;
  readonly awsRegion: string;
  readonly eventSourceARN: string;
}

/** The exact record shape Lambda delivers for Kinesis. */
export function toEventRecord(record: KinesisRecord, shardId: string, config: KinesisMappingConfig): EventRecordShape {
  const arrival = record.ApproximateArrivalTimestamp ?? new Date();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber ?? '',
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrival.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::000000000000:role/local-esm-${config.logicalId}`,
    awsRegion: config.region,
    eventSourceARN: config.streamArn,
  };
}

/**
 * What to do after one invocation on a batch, per Lambda's documented semantics:
 * - success with no (or empty) batchItemFailures → done;
 * - batchItemFailures (when ReportBatchItemFailures is on) → retry from the lowest failed sequence
 *   number; an identifier that is not in the batch fails the whole batch;
 * - a function error → bisect (if on and the batch has more than one record) or retry the batch.
 */
export type Outcome = { kind: 'done' } | { kind: 'retryFrom'; index: number } | { kind: 'error' };

export function outcomeOf(result: InvokeResult, batch: readonly EventRecordShape[], reportFailures: boolean): Outcome {
  if (!result.ok) return { kind: 'error' };
  if (!reportFailures) return { kind: 'done' };
  const payload = result.payload as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null;
  const failures = payload?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return { kind: 'done' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? batch.findIndex((r) => r.kinesis.sequenceNumber === id) : -1;
    if (index < 0) return { kind: 'retryFrom', index: 0 };
    lowest = Math.min(lowest, index);
  }
  return { kind: 'retryFrom', index: lowest };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The longest wait between two polls of an idle shard. Lambda reads an idle shard about once a
 * second; here a put wakes the poller (poke), so the pace only bounds how late a record written
 * around the gateway (straight to the emulator) is read. Every poll costs the emulator about 2 % of
 * a core per read per second.
 */
const IDLE_POLL_MAX_MS = 5_000;

/** Polls every shard of a stream and invokes the function like Lambda's event source mapping does. */
export class KinesisEventSourceMapping {
  readonly stats: MappingStats = {
    invocations: 0,
    recordsDelivered: 0,
    functionErrors: 0,
    partialFailures: 0,
    bisections: 0,
    batchesToDestination: 0,
    recordsToDestination: 0,
  };
  private stopped = false;
  private readonly loops = new Map<string, Promise<void>>();
  private readonly busy = new Set<string>();
  private readonly lastEmptyPoll = new Map<string, number>();
  /** Consecutive empty polls per shard (the idle back-off). */
  private readonly idlePolls = new Map<string, number>();
  /** Wakes the shards' idle waits (poke). */
  private readonly wakers = new Set<() => void>();
  /** Pokes so far: a poke that comes while a poll is in flight is not lost. */
  private pokes = 0;
  private refresher?: NodeJS.Timeout;
  private readonly checkpoints: Record<string, string>;

  constructor(
    readonly config: KinesisMappingConfig,
    private readonly kinesis: KinesisClient,
    private readonly sqs: SQSClient,
    private readonly invoke: Invoke,
    private readonly log: (message: string) => void,
    /** Base delay between retries of a failing batch. */
    private readonly retryDelayMs = 200,
  ) {
    this.checkpoints = readCheckpoints(config.checkpointFile);
  }

  /** Record that every record of `shardId` up to `sequenceNumber` is done with. */
  private checkpoint(shardId: string, sequenceNumber: string | undefined): void {
    if (!sequenceNumber || !this.config.checkpointFile) return;
    this.checkpoints[shardId] = sequenceNumber;
    fs.mkdirSync(path.dirname(this.config.checkpointFile), { recursive: true });
    const tmp = `${this.config.checkpointFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.checkpoints));
    fs.renameSync(tmp, this.config.checkpointFile);
  }

  /** An iterator at the shard's checkpoint, or at the configured starting position. */
  private async firstIterator(shardId: string): Promise<string | undefined> {
    const { config } = this;
    const after = this.checkpoints[shardId];
    if (after) {
      try {
        const out = await this.kinesis.send(
          new GetShardIteratorCommand({
            StreamName: config.streamName,
            ShardId: shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: after,
          }),
        );
        return out.ShardIterator;
      } catch (err) {
        this.log(
          `${config.logicalId}: checkpoint ${after} of ${shardId} is not on the stream (${err}); starting at ${config.startingPosition}`,
        );
      }
    }
    const out = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: config.streamName,
        ShardId: shardId,
        ShardIteratorType: config.startingPosition,
      }),
    );
    return out.ShardIterator;
  }

  async start(): Promise<void> {
    await this.discoverShards();
    // New shards come from resharding, which nothing here does often: look for them twice a minute.
    this.refresher = setInterval(() => {
      this.discoverShards().catch((err) => this.log(`listing shards of ${this.config.streamName} failed: ${err}`));
    }, 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refresher) clearInterval(this.refresher);
    // Pollers waiting out an idle back-off end now.
    this.poke();
    await Promise.allSettled(this.loops.values());
  }

  /** Poll every shard now, and fast again (a caller that waits for the stream to be read, or just wrote to it). */
  poke(): void {
    this.pokes++;
    this.idlePolls.clear();
    for (const wake of [...this.wakers]) wake();
  }

  private idleSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** True when every shard has been read to its end after `since` and no batch is in flight. */
  caughtUpSince(since: number): boolean {
    if (this.busy.size > 0) return false;
    for (const shardId of this.loops.keys()) if ((this.lastEmptyPoll.get(shardId) ?? 0) <= since) return false;
    return true;
  }

  private async discoverShards(): Promise<void> {
    let token: string | undefined;
    do {
      const out = await this.kinesis.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.config.streamName }),
      );
      for (const shard of out.Shards ?? []) {
        const shardId = shard.ShardId;
        if (!shardId || this.loops.has(shardId) || this.stopped) continue;
        this.loops.set(
          shardId,
          this.pollShard(shardId).catch((err) => this.log(`shard ${shardId} poller stopped: ${err}`)),
        );
      }
      token = out.NextToken;
    } while (token);
  }

  private async pollShard(shardId: string): Promise<void> {
    const { config } = this;
    let iterator = await this.firstIterator(shardId);
    let buffer: KinesisRecord[] = [];
    let firstBufferedAt = 0;
    while (!this.stopped && iterator) {
      let out: GetRecordsCommandOutput;
      const pollStartedAt = Date.now();
      const pokesBefore = this.pokes;
      try {
        out = await this.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, config.batchSize - buffer.length) }),
        );
      } catch (err) {
        if ((err as Error).name === 'ProvisionedThroughputExceededException') {
          await sleep(500);
          continue;
        }
        if ((err as Error).name === 'ExpiredIteratorException') {
          const last = buffer.at(-1)?.SequenceNumber;
          iterator = (
            await this.kinesis.send(
              new GetShardIteratorCommand({
                StreamName: config.streamName,
                ShardId: shardId,
                ...(last
                  ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }
                  : { ShardIteratorType: 'LATEST' }),
              }),
            )
          ).ShardIterator;
          continue;
        }
        throw err;
      }
      iterator = out.NextShardIterator;
      const records = out.Records ?? [];
      if (records.length > 0 && buffer.length === 0) firstBufferedAt = Date.now();
      buffer = buffer.concat(records);
      if (buffer.length === 0) {
        this.lastEmptyPoll.set(shardId, pollStartedAt);
        // Polls back off while a shard stays empty (100, 200, 400 ms … up to IDLE_POLL_MAX_MS) and
        // return to fast polling when records arrive; a put through the gateway wakes them at once
        // (poke), so an idle local cloud stays quiet without delaying new records.
        const idle = this.idlePolls.get(shardId) ?? 0;
        this.idlePolls.set(shardId, idle + 1);
        if (this.pokes === pokesBefore) await this.idleSleep(Math.min(IDLE_POLL_MAX_MS, 100 * 2 ** Math.min(idle, 6)));
        continue;
      }
      this.idlePolls.set(shardId, 0);
      const windowOpen = Date.now() - firstBufferedAt < config.maxBatchingWindowMs;
      if (buffer.length < config.batchSize && windowOpen && iterator) {
        await sleep(Math.min(50, config.maxBatchingWindowMs));
        continue;
      }
      const batch = buffer.slice(0, config.batchSize);
      buffer = buffer.slice(config.batchSize);
      if (buffer.length > 0) firstBufferedAt = Date.now();
      this.busy.add(shardId);
      try {
        const done = await this.deliver(
          batch.map((r) => toEventRecord(r, shardId, config)),
          shardId,
        );
        if (done) this.checkpoint(shardId, batch.at(-1)?.SequenceNumber);
      } finally {
        this.busy.delete(shardId);
      }
    }
  }

  /**
   * Deliver one batch until it succeeds or is given up on (then to the on-failure destination).
   * Returns false when the mapping stopped first (the batch is delivered again after a restart).
   */
  private async deliver(initial: EventRecordShape[], shardId: string): Promise<boolean> {
    const { config } = this;
    const queue: { records: EventRecordShape[]; attempts: number }[] = [{ records: initial, attempts: 0 }];
    while (queue.length > 0) {
      if (this.stopped) return false;
      const item = queue.shift() as { records: EventRecordShape[]; attempts: number };
      let { records, attempts } = item;
      for (;;) {
        if (this.stopped) return false;
        const oldest = records[0]?.kinesis.approximateArrivalTimestamp ?? Date.now() / 1000;
        if (config.maxRecordAgeSeconds >= 0 && Date.now() / 1000 - oldest > config.maxRecordAgeSeconds) {
          await this.toDestination(records, shardId, 'RecordAgeExceeded', attempts);
          break;
        }
        this.stats.invocations++;
        this.stats.recordsDelivered += records.length;
        const result = await this.invoke({ Records: records });
        const outcome = outcomeOf(result, records, config.reportBatchItemFailures);
        if (outcome.kind === 'done') break;
        if (outcome.kind === 'error') {
          this.stats.functionErrors++;
          if (!result.ok)
            this.log(`${config.logicalId}: function error ${result.error.errorType}: ${result.error.errorMessage}`);
          if (config.bisectOnError && records.length > 1) {
            this.stats.bisections++;
            const half = Math.ceil(records.length / 2);
            queue.unshift(
              { records: records.slice(0, half), attempts: attempts + 1 },
              { records: records.slice(half), attempts: attempts + 1 },
            );
            break;
          }
        } else {
          this.stats.partialFailures++;
          records = records.slice(outcome.index);
        }
        attempts++;
        if (config.maxRetryAttempts >= 0 && attempts > config.maxRetryAttempts) {
          await this.toDestination(records, shardId, 'RetryAttemptsExhausted', attempts);
          break;
        }
        await sleep(Math.min(5_000, this.retryDelayMs * 2 ** Math.min(attempts - 1, 5)));
      }
    }
    return !this.stopped;
  }

  /** Send the batch's description to the on-failure destination, in the shape Lambda uses. */
  private async toDestination(records: EventRecordShape[], shardId: string, condition: string, attempts: number) {
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) return;
    this.stats.batchesToDestination++;
    this.stats.recordsToDestination += records.length;
    const body = {
      requestContext: {
        requestId: `local-${Date.now()}`,
        functionArn: this.config.functionArn,
        condition,
        approximateInvokeCount: attempts + 1,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.kinesis.sequenceNumber,
        endSequenceNumber: last.kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        batchSize: records.length,
        streamArn: this.config.streamArn,
      },
    };
    if (!this.config.onFailureQueueUrl) {
      this.log(
        `${this.config.logicalId}: ${records.length} records discarded after ${condition} (no on-failure destination)`,
      );
      return;
    }
    // The batch's only record is this message: keep trying until it is delivered (or the mapping stops).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sqs.send(
          new SendMessageCommand({ QueueUrl: this.config.onFailureQueueUrl, MessageBody: JSON.stringify(body) }),
        );
        break;
      } catch (err) {
        this.log(`${this.config.logicalId}: sending to the on-failure destination failed (attempt ${attempt}): ${err}`);
        if (this.stopped) throw err;
        await sleep(Math.min(5_000, this.retryDelayMs * 2 ** Math.min(attempt, 5)));
      }
    }
    this.log(`${this.config.logicalId}: ${records.length} records sent to the on-failure destination (${condition})`);
  }
}

function readCheckpoints(file: string | undefined): Record<string, string> {
  if (!file || !fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
