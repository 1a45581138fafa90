import { randomUUID } from 'node:crypto';
import { type KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, type Env, kinesisClient, s3Client, sqsClient } from '../../layers/aws/clients';
import { lambdaClient } from '../../layers/aws/control-plane-clients';
import { putAllRecords } from '../../layers/clickstream/producer';
import { parseDlqRecord, readRange } from '../../layers/clickstream/replay';
import { replayDlq } from '../../lib/cli/commands/dlq';
import { EventSourceMappings, type LocalCloud } from '../../lib/local-cloud';
import { clickEvent } from '../helpers/fixtures';
import { accountFor, type SentRecord } from '../helpers/lake-accounting';
import { ownCloud } from '../helpers/own-cloud';

/**
 * Every clickstream record ends in exactly one of raw, quarantine or the DLQ, also when the feature
 * table fails for some users after the raw writes succeeded; a DLQ replay then lands the rest once.
 * On a cloud of its own: a poisoned batch must not hold up other tests' records on the shared stream.
 */
describe('clickstream: raw or DLQ, never both', () => {
  let cloud: LocalCloud;
  let env: Env;
  let s3: S3Client;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let doc: DynamoDBDocumentClient;
  let outputs: Record<string, string>;

  beforeAll(async () => {
    ({ cloud } = await ownCloud('dlq'));
    env = cloud.sdkEnv();
    outputs = cloud.info?.outputs ?? {};
    s3 = s3Client({ env });
    sqs = sqsClient({ env });
    kinesis = kinesisClient({ env });
    doc = dynamoDbDocumentClient({ env });
  }, 120_000);

  afterAll(async () => {
    for (const c of [s3, sqs, kinesis, doc]) c?.destroy();
    await cloud?.stop();
  });

  const bucket = () => outputs.LakeBucketName as string;
  const table = () => outputs.FeatureTableName as string;

  /** The sent records an on-failure record's range holds (read back from the stream), by exact bytes. */
  async function onDlq(sent: readonly SentRecord[]): Promise<{ count: number; messages: number }> {
    const wanted = new Set(sent.map((r) => Buffer.from(r.data).toString('base64')));
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: outputs.ClickstreamDlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    let count = 0;
    for (const message of out.Messages ?? []) {
      const parsed = parseDlqRecord(message.Body ?? '');
      if (!parsed.ok) continue;
      for (const r of await readRange(kinesis, parsed.record.KinesisBatchInfo))
        if (wanted.has(Buffer.from(r.Data ?? []).toString('base64'))) count++;
    }
    return { count, messages: out.Messages?.length ?? 0 };
  }

  it('keeps a batch whose session features fail out of raw until a DLQ replay lands it, once', async () => {
    // A session item no run could have written: every update of this user's features fails.
    await doc.send(
      new PutCommand({
        TableName: table(),
        Item: { pk: 'user#dlq-poison', sk: 'rt#session', userId: 'dlq-poison', version: 'not a number' },
      }),
    );
    const event = (userId: string, minute: number) =>
      JSON.stringify(
        clickEvent(`2025-05-06T10:${String(minute).padStart(2, '0')}:00Z`, { eventId: randomUUID(), userId }),
      );
    const sent: SentRecord[] = [];
    for (let i = 0; i < 30; i++) {
      const userId = i === 12 ? 'dlq-poison' : `dlq-u${i % 4}`;
      const data = i === 20 ? Buffer.from('{"not": "an event"') : Buffer.from(event(userId, i));
      sent.push({ partitionKey: 'one-shard', data, valid: i !== 20 });
    }
    await putAllRecords(kinesis, outputs.ClickstreamStreamName as string, sent);
    await cloud.settle(120_000);

    // Every record is in exactly one place, counted from the lake and from the stream ranges on the DLQ.
    const before = await accountFor(s3, bucket(), sent, 'raw/clickstream/dt=2025-05-06/');
    const dlq = await onDlq(sent);
    expect(before.duplicates).toBe(0);
    expect(before.misplaced).toBe(0);
    expect(dlq.count).toBeGreaterThan(0); // the poisoned event and what followed it in its batch
    expect(before.raw + before.quarantined + dlq.count).toBe(sent.length);

    // Fixed table, then the replay: all of it lands, once; replaying again finds nothing to do.
    await doc.send(new DeleteCommand({ TableName: table(), Key: { pk: 'user#dlq-poison', sk: 'rt#session' } }));
    const clients = { sqs, kinesis, lambda: lambdaClient({ env }) };
    const summary = await replayDlq(clients, {
      queueUrl: outputs.ClickstreamDlqUrl as string,
      functionName: outputs.ClickstreamFunctionName as string,
    });
    expect(summary).toMatchObject({ failing: 0, narrowed: 0, unknown: 0, expired: 0 });
    expect(summary.replayed).toBeGreaterThan(0);
    const after = await accountFor(s3, bucket(), sent, 'raw/clickstream/dt=2025-05-06/');
    expect(after).toEqual({ raw: 29, quarantined: 1, duplicates: 0, misplaced: 0 });
    expect((await onDlq(sent)).messages).toBe(0);
    expect(
      (
        await replayDlq(clients, {
          queueUrl: outputs.ClickstreamDlqUrl as string,
          functionName: outputs.ClickstreamFunctionName as string,
        })
      ).messages,
    ).toBe(0);
    clients.lambda.destroy();
  }, 180_000);

  it('lands a valid event spread over two lines with a 100k-deep extra field, without a failed invocation', async () => {
    const errorsBefore = cloud.plugin(EventSourceMappings).mappings.reduce((n, m) => n + m.stats.functionErrors, 0);
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = JSON.stringify(
      clickEvent('2025-05-07T09:00:00Z', { eventId: randomUUID(), userId: 'deep-u' }),
    ).replace(/}$/, `,\n"nested":${deep}}`);
    const record: SentRecord = { partitionKey: 'deep', data: Buffer.from(text), valid: true };
    await kinesis.send(
      new PutRecordCommand({ StreamName: outputs.ClickstreamStreamName, PartitionKey: 'deep', Data: record.data }),
    );
    await cloud.settle(60_000);
    expect(await accountFor(s3, bucket(), [record], 'raw/clickstream/dt=2025-05-07/')).toEqual({
      raw: 1,
      quarantined: 0,
      duplicates: 0,
      misplaced: 0,
    });
    expect(cloud.plugin(EventSourceMappings).mappings.reduce((n, m) => n + m.stats.functionErrors, 0)).toBe(
      errorsBefore,
    );
    expect((await onDlq([record])).count).toBe(0);
  }, 120_000);
});
