import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { handler } from '../../../lambdas/clickstream-ingest/index';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { clickEvent } from '../../helpers/fixtures';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [] } });
  ddb.on(PutCommand).resolves({});
});
afterEach(() => {
  s3.reset();
  ddb.reset();
});

let seq = 1_000_000_000_000n;
function kinesisEvent(payloads: readonly string[]): KinesisStreamEvent {
  return {
    Records: payloads.map((p) => {
      seq += 1n;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'k',
          sequenceNumber: seq.toString(),
          data: Buffer.from(p).toString('base64'),
          approximateArrivalTimestamp: 1_795_000_000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::1:role/r',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:1:stream/s',
      };
    }),
  };
}
const view = (timestamp: string) => JSON.stringify(clickEvent(timestamp));

describe('clickstream-ingest handler', () => {
  it('writes each partition then its manifest and reports no failures', async () => {
    s3.on(PutObjectCommand).resolves({});
    const result = await handler(kinesisEvent([view('2026-11-21T01:00:00Z'), view('2026-11-21T02:00:00Z'), 'bad']));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 7); // 3 objects, 3 manifests, 1 lineage event
    const lineage = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.startsWith('lineage/'));
    expect(lineage?.args[0].input.Key).toMatch(
      /^lineage\/clickstream-ingest\/dt=\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.json$/,
    );
    const runEvent = JSON.parse(String(lineage?.args[0].input.Body));
    expect(runEvent.inputs).toEqual([
      expect.objectContaining({
        namespace: 'kinesis://1/us-east-1',
        name: expect.stringMatching(/^s\/shardId-000000000000\//),
      }),
    ]);
    expect(runEvent.outputs).toHaveLength(3);
    const keys = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input.Key as string)
      .filter((k) => !k.startsWith('lineage/'));
    for (const dataKey of keys.filter((k) => !k.endsWith('.manifest.json'))) {
      expect(keys.indexOf(manifestKeyFor(dataKey))).toBeGreaterThan(keys.indexOf(dataKey));
    }
    const data = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.includes('hour=01/'));
    expect(data?.args[0].input).toMatchObject({ Bucket: 'test-lake', ContentType: 'application/x-ndjson' });
    expect(data?.args[0].input.ContentMD5).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('reports exactly the records of the partition whose write failed', async () => {
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('hour=02/')) throw new Error('SlowDown');
      return {};
    });
    const event = kinesisEvent([
      view('2026-11-21T01:00:00Z'),
      view('2026-11-21T02:00:00Z'),
      view('2026-11-21T02:10:00Z'),
    ]);
    const result = await handler(event);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: event.Records[1]?.kinesis.sequenceNumber },
      { itemIdentifier: event.Records[2]?.kinesis.sequenceNumber },
    ]);
    // Only the event before the redelivery point counts towards the session features now.
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input.Item).toMatchObject({
      pk: 'user#u1',
      sk: 'rt#session',
      views: 1,
      version: 1,
      watermarks: { 'shardId-000000000000': event.Records[0]?.kinesis.sequenceNumber },
    });
    expect(puts[0]?.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('updates session features with a TTL and skips them entirely when the batch was applied before', async () => {
    s3.on(PutObjectCommand).resolves({});
    const event = kinesisEvent([view('2026-11-21T01:00:00Z'), view('2026-11-21T01:01:00Z')]);
    const before = Math.floor(Date.now() / 1000);
    await handler(event);
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    // Both records carry the fixture's event id: the second is a producer duplicate and changes nothing.
    expect(item).toMatchObject({ views: 1, featureSet: 'realtime_session', lastSeen: '2026-11-21T01:00:00.000Z' });
    expect(item.expiresAt).toBeGreaterThanOrEqual(before + 172_800);

    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [item] } });
    await handler(event);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('re-reads and retries when another writer won the version race', async () => {
    s3.on(PutObjectCommand).resolves({});
    const event = kinesisEvent([view('2026-11-21T01:00:00Z')]);
    await handler(event);
    const stored = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [] } });
    ddb
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'conditional check failed', $metadata: {} }))
      .resolves({});
    ddb.on(GetCommand).resolves({ Item: stored });
    const next = kinesisEvent([JSON.stringify(clickEvent('2026-11-21T01:05:00Z', { eventId: randomUUID() }))]);
    await handler(next);
    const retried = ddb.commandCalls(PutCommand)[1]?.args[0].input;
    expect(retried?.ConditionExpression).toBe('#version = :expected');
    expect(retried?.ExpressionAttributeValues).toEqual({ ':expected': 1 });
    expect(retried?.Item).toMatchObject({ views: 2, version: 2 });
  });

  it('fails the whole batch when session features cannot be written (the retry is idempotent)', async () => {
    s3.on(PutObjectCommand).resolves({});
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(handler(kinesisEvent([view('2026-11-21T01:00:00Z')]))).rejects.toThrow(
      /session features of 1 of 1 users could not be updated/,
    );
  });

  it('fails the whole batch when it cannot roll back a straddling file', async () => {
    let hour01Writes = 0;
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('hour=02/')) throw new Error('InternalError');
      if (input.Key.includes('hour=01/') && !input.Key.endsWith('.manifest.json') && ++hour01Writes > 1) {
        throw new Error('InternalError');
      }
      return {};
    });
    const event = kinesisEvent([
      view('2026-11-21T01:00:00Z'),
      view('2026-11-21T02:00:00Z'),
      view('2026-11-21T01:30:00Z'),
    ]);
    await expect(handler(event)).rejects.toThrow(/1 object writes and 1 rollbacks failed/);
  });

  it('never throws and accounts for every record when S3 works, whatever the payloads (property)', async () => {
    s3.on(PutObjectCommand).resolves({});
    const validEvent = fc
      .record({
        uuid: fc.uuid({ version: 4 }),
        user: fc.constantFrom('u1', 'u2'),
        minute: fc.integer({ min: 0, max: 59 }),
      })
      .map(({ uuid, user, minute }) =>
        JSON.stringify(
          clickEvent(`2026-11-21T03:${String(minute).padStart(2, '0')}:00Z`, { eventId: uuid, userId: user }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string(), fc.json(), validEvent), { minLength: 1, maxLength: 30 }),
        async (payloads) => {
          s3.resetHistory();
          const result = await handler(kinesisEvent(payloads));
          expect(result.batchItemFailures).toEqual([]);
          const manifests = s3
            .commandCalls(PutObjectCommand)
            .filter((c) => c.args[0].input.Key?.endsWith('.manifest.json'))
            .map((c) => JSON.parse(String(c.args[0].input.Body)) as { records: number });
          expect(manifests.reduce((n, m) => n + m.records, 0)).toBe(payloads.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
