import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { handler } from '../../../lambdas/clickstream-ingest/index';
import { ingestKinesisBatch } from '../../../layers/clickstream/ingest-batch';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { DEFAULT_YEARS } from '../../../layers/util/timestamps';
import { clickEvent } from '../../helpers/fixtures';
import { invoke } from '../../helpers/lambda';

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

/** The use case with its dependencies in hand (no module state). */
const ingest = (event: KinesisStreamEvent) =>
  ingestKinesisBatch(
    {
      s3: new S3Client({ region: 'us-east-1' }),
      doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      bucket: 'test-lake',
      featureTable: 'test-features',
      sessionTtlSeconds: 172_800,
      years: DEFAULT_YEARS,
      codeVersion: 'test',
      now: () => new Date(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    },
    event,
  );

describe('the handler', () => {
  it('lands a batch from the event source mapping', async () => {
    s3.on(PutObjectCommand).resolves({});
    const out = await invoke(handler, kinesisEvent([view('2025-06-07T08:00:00Z')]));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand).length).toBeGreaterThanOrEqual(2);
  });
});

describe('landing a Kinesis batch', () => {
  it('writes each partition then its manifest and reports no failures', async () => {
    s3.on(PutObjectCommand).resolves({});
    const result = await ingest(kinesisEvent([view('2026-11-21T01:00:00Z'), view('2026-11-21T02:00:00Z'), 'bad']));
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
    const result = await ingest(event);
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
    await ingest(event);
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    // Both records carry the fixture's event id: the second is a producer duplicate and changes nothing.
    expect(item).toMatchObject({ views: 1, featureSet: 'realtime_session', lastSeen: '2026-11-21T01:00:00.000Z' });
    expect(item.expiresAt).toBeGreaterThanOrEqual(before + 172_800);

    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [item] } });
    await ingest(event);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('re-reads and retries when another writer won the version race', async () => {
    s3.on(PutObjectCommand).resolves({});
    const event = kinesisEvent([view('2026-11-21T01:00:00Z')]);
    await ingest(event);
    const stored = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [] } });
    ddb
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'conditional check failed', $metadata: {} }))
      .resolves({});
    ddb.on(GetCommand).resolves({ Item: stored });
    const next = kinesisEvent([JSON.stringify(clickEvent('2026-11-21T01:05:00Z', { eventId: randomUUID() }))]);
    await ingest(next);
    const retried = ddb.commandCalls(PutCommand)[1]?.args[0].input;
    expect(retried?.ConditionExpression).toBe('#version = :expected');
    expect(retried?.ExpressionAttributeValues).toEqual({ ':expected': 1 });
    expect(retried?.Item).toMatchObject({ views: 2, version: 2 });
  });

  it('takes a batch back out of the lake and reports it when its session features cannot be written', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const event = kinesisEvent([view('2026-11-21T01:00:00Z')]);
    const result = await ingest(event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.kinesis.sequenceNumber }]);
    const data = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input.Key as string)
      .find((k) => k.startsWith('raw/') && !k.endsWith('.manifest.json')) as string;
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([manifestKeyFor(data), data]);
    expect(s3.commandCalls(PutObjectCommand).some((c) => c.args[0].input.Key?.startsWith('lineage/'))).toBe(false);
  });

  it('reports every record and removes its objects when the lineage record cannot be written', async () => {
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.startsWith('lineage/')) throw new Error('SlowDown');
      return {};
    });
    s3.on(DeleteObjectCommand).resolves({});
    const event = kinesisEvent([view('2026-11-21T01:00:00Z'), 'not json']);
    const result = await ingest(event);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      event.Records.map((r) => r.kinesis.sequenceNumber),
    );
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(4); // raw and quarantine, each with its manifest
  });

  it('fails the whole batch when it cannot cut back a straddling file', async () => {
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
    await expect(ingest(event)).rejects.toThrow(/1 rewrites and 0 removals of the cut-back failed/);
  });

  it('leaves every record in exactly one of the lake or the redelivery, whatever fails (property)', async () => {
    // A fake S3 that keeps what it holds, failing chosen writes, and a feature table failing chosen users.
    const validEvent = fc
      .record({
        uuid: fc.uuid({ version: 4 }),
        user: fc.constantFrom('u1', 'u2', 'u3'),
        hour: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ uuid, user, hour }) =>
        JSON.stringify(clickEvent(`2026-11-21T0${hour}:00:00Z`, { eventId: uuid, userId: user })),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(validEvent, validEvent, fc.string()), { minLength: 1, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.subarray(['u1', 'u2', 'u3']),
        async (payloads, failPut, failingUsers) => {
          s3.reset();
          ddb.reset();
          const lake = new Map<string, string>();
          let put = 0;
          s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: unknown }) => {
            if (failPut[put++ % failPut.length] && !input.Key.endsWith('.manifest.json')) throw new Error('SlowDown');
            lake.set(input.Key, Buffer.from(input.Body as Uint8Array).toString());
            return {};
          });
          s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
            lake.delete(input.Key);
            return {};
          });
          ddb.on(BatchGetCommand).resolves({ Responses: { 'test-features': [] } });
          ddb.on(PutCommand).callsFake((input: { Item: { pk: string } }) => {
            if (failingUsers.some((u) => input.Item.pk === `user#${u}`)) throw new Error('Throttled');
            return {};
          });
          const event = kinesisEvent(payloads);
          let result: Awaited<ReturnType<typeof handler>>;
          try {
            result = await ingest(event);
          } catch {
            return; // the whole batch is retried from its start: the same keys are written again
          }
          const redelivered = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
          // Where each record is, read from the fake lake's data objects (not from the handler's counts).
          const inLake = new Map<string, number>();
          const bySeq = new Map(event.Records.map((r) => [r.kinesis.data, r.kinesis.sequenceNumber]));
          const eventIdToSeq = new Map<string, string>();
          for (const r of event.Records) {
            try {
              const id = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).eventId;
              if (typeof id === 'string') eventIdToSeq.set(id, r.kinesis.sequenceNumber);
            } catch {}
          }
          for (const [key, body] of lake) {
            if (key.endsWith('.manifest.json') || key.startsWith('lineage/')) continue;
            for (const line of body.split('\n').filter(Boolean)) {
              const obj = JSON.parse(line);
              const seq = key.startsWith('raw/') ? eventIdToSeq.get(obj.eventId) : obj.sequenceNumber;
              if (seq) inLake.set(seq, (inLake.get(seq) ?? 0) + 1);
            }
          }
          for (const r of event.Records) {
            const seq = r.kinesis.sequenceNumber;
            const here = (inLake.get(seq) ?? 0) + (redelivered.has(seq) ? 1 : 0);
            // Producer duplicates share an event id; count each record of a distinct payload once.
            if (payloads.filter((p) => Buffer.from(p).toString('base64') === r.kinesis.data).length === 1)
              expect(here).toBe(1);
          }
          expect(bySeq.size).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
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
          const result = await ingest(kinesisEvent(payloads));
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
