import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { KinesisEventSourceMapping, type KinesisMappingConfig, outcomeOf } from '../../../lib/local-cloud/kinesis-esm';
import type { InvokeResult } from '../../../lib/local-cloud/lambda-runtime';

const kinesis = mockClient(KinesisClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  kinesis.reset();
  sqs.reset();
});

const config: KinesisMappingConfig = {
  logicalId: 'Esm',
  streamName: 'clicks',
  streamArn: 'arn:aws:kinesis:us-east-1:0:stream/clicks',
  functionArn: 'arn:aws:lambda:us-east-1:0:function:f',
  batchSize: 4,
  maxBatchingWindowMs: 0,
  startingPosition: 'TRIM_HORIZON',
  reportBatchItemFailures: true,
  bisectOnError: true,
  maxRetryAttempts: 1,
  maxRecordAgeSeconds: 3600,
  onFailureQueueUrl: 'http://sqs/0/dlq',
  region: 'us-east-1',
};

const records = ['1', '2', '3', '4'].map((n) => ({
  SequenceNumber: n,
  PartitionKey: 'k',
  Data: Buffer.from(n),
  ApproximateArrivalTimestamp: new Date(),
}));
const batch = records.map((r) => ({ kinesis: { sequenceNumber: r.SequenceNumber } })) as never;

function streamOf(): void {
  kinesis
    .on(ListShardsCommand)
    .resolves({ Shards: [{ ShardId: 'shardId-0', HashKeyRange: undefined, SequenceNumberRange: undefined }] });
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
  kinesis
    .on(GetRecordsCommand, { ShardIterator: 'it-0' })
    .resolves({ Records: records, NextShardIterator: 'it-1', MillisBehindLatest: 0 });
  kinesis
    .on(GetRecordsCommand, { ShardIterator: 'it-1' })
    .resolves({ Records: [], NextShardIterator: 'it-1', MillisBehindLatest: 0 });
}

async function runUntilCaughtUp(mapping: KinesisEventSourceMapping): Promise<void> {
  const since = Date.now();
  await mapping.start();
  const deadline = Date.now() + 10_000;
  while (!mapping.caughtUpSince(since) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await mapping.stop();
}

describe('outcomeOf (Lambda semantics for a Kinesis batch)', () => {
  it('is done on success without failures', () => {
    expect(outcomeOf({ ok: true, payload: { batchItemFailures: [] } }, batch, true)).toEqual({ kind: 'done' });
    expect(outcomeOf({ ok: true, payload: null }, batch, true)).toEqual({ kind: 'done' });
  });
  it('retries from the lowest reported sequence number', () => {
    const payload = { batchItemFailures: [{ itemIdentifier: '4' }, { itemIdentifier: '2' }] };
    expect(outcomeOf({ ok: true, payload }, batch, true)).toEqual({ kind: 'retryFrom', index: 1 });
  });
  it('retries the whole batch when an identifier is empty or unknown', () => {
    expect(outcomeOf({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '' }] } }, batch, true)).toEqual({
      kind: 'retryFrom',
      index: 0,
    });
    expect(outcomeOf({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '9' }] } }, batch, true)).toEqual({
      kind: 'retryFrom',
      index: 0,
    });
  });
  it('ignores batchItemFailures unless ReportBatchItemFailures is on', () => {
    expect(outcomeOf({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '2' }] } }, batch, false)).toEqual({
      kind: 'done',
    });
  });
});

describe('KinesisEventSourceMapping', () => {
  it('bisects a failing batch until the poison record is alone, then sends only it to the destination', async () => {
    streamOf();
    sqs.on(SendMessageCommand).resolves({});
    const seen: string[][] = [];
    const invoke = async (event: unknown): Promise<InvokeResult> => {
      const seqs = (event as { Records: { kinesis: { sequenceNumber: string } }[] }).Records.map(
        (r) => r.kinesis.sequenceNumber,
      );
      seen.push(seqs);
      return seqs.includes('3')
        ? { ok: false, error: { errorType: 'Error', errorMessage: 'poison' } }
        : { ok: true, payload: {} };
    };
    const mapping = new KinesisEventSourceMapping(config, kinesis as never, sqs as never, invoke, () => undefined, 1);
    await runUntilCaughtUp(mapping);

    expect(seen[0]).toEqual(['1', '2', '3', '4']);
    expect(seen).toContainEqual(['1', '2']);
    expect(seen).toContainEqual(['4']);
    expect(mapping.stats.batchesToDestination).toBe(1);
    const body = JSON.parse(String(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody));
    expect(body.KinesisBatchInfo).toMatchObject({
      shardId: 'shardId-0',
      startSequenceNumber: '3',
      endSequenceNumber: '3',
      batchSize: 1,
    });
    expect(body.requestContext.condition).toBe('RetryAttemptsExhausted');
  });

  it('redelivers from the lowest failed record on a partial batch response', async () => {
    streamOf();
    const seen: string[][] = [];
    let first = true;
    const invoke = async (event: unknown): Promise<InvokeResult> => {
      const seqs = (event as { Records: { kinesis: { sequenceNumber: string } }[] }).Records.map(
        (r) => r.kinesis.sequenceNumber,
      );
      seen.push(seqs);
      if (first) {
        first = false;
        return { ok: true, payload: { batchItemFailures: [{ itemIdentifier: '3' }] } };
      }
      return { ok: true, payload: { batchItemFailures: [] } };
    };
    const mapping = new KinesisEventSourceMapping(config, kinesis as never, sqs as never, invoke, () => undefined, 1);
    await runUntilCaughtUp(mapping);
    expect(seen).toEqual([
      ['1', '2', '3', '4'],
      ['3', '4'],
    ]);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });
});

describe('an idle shard', () => {
  it('is polled less and less often while it stays empty, and at once after a poke', async () => {
    kinesis
      .on(ListShardsCommand)
      .resolves({ Shards: [{ ShardId: 'shardId-0', HashKeyRange: undefined, SequenceNumberRange: undefined }] });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesis.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'it-0', MillisBehindLatest: 0 });
    const invoke = async (): Promise<InvokeResult> => ({ ok: true, payload: null });
    const mapping = new KinesisEventSourceMapping(config, kinesis as never, sqs as never, invoke, () => undefined, 1);
    const polls = () => kinesis.commandCalls(GetRecordsCommand).length;
    await mapping.start();
    try {
      // Back-off 100, 200, 400, 800, 1600 ms: at most 6 polls in 2.5 s (a busy machine makes fewer).
      await new Promise((r) => setTimeout(r, 2_500));
      const idle = polls();
      expect(idle).toBeGreaterThan(0);
      expect(idle).toBeLessThanOrEqual(6);
      // A poke wakes the poller and resets the back-off: three polls within 100 + 200 + 400 ms of
      // waits, where the idle pace would take 1.6 + 3.2 + 5 s (the bound leaves a loaded machine 4 s).
      const poked = Date.now();
      mapping.poke();
      while (polls() < idle + 3 && Date.now() - poked < 10_000) await new Promise((r) => setTimeout(r, 20));
      expect(polls()).toBeGreaterThanOrEqual(idle + 3);
      expect(Date.now() - poked).toBeLessThan(4_000);
    } finally {
      await mapping.stop();
    }
  });
});
