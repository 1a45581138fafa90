import { isDeepStrictEqual } from 'node:util';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient, kinesisClient, s3Client } from '../../layers/aws/clients';
import { lambdaClient } from '../../layers/aws/control-plane-clients';
import { compareSequenceNumbers } from '../../layers/clickstream/batch';
import { putAllRecords } from '../../layers/clickstream/producer';
import { parseClickEvent } from '../../layers/clickstream/schema';
import { eventsByUser, foldSessionEvents, type SequencedEvent } from '../../layers/clickstream/session-features';
import { type SimulatedRecord, simulateClickstream } from '../../layers/clickstream/simulate';
import { readSessions } from '../../layers/feature-store/realtime-session';
import { auditManifest, listKeys, summarizeZone } from '../../layers/lake/inventory';
import { getBytes, getManifest } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';
import { accountFor } from '../helpers/lake-accounting';

/**
 * The clickstream speed layer over real APIs: 20k simulated events with 1%
 * malformed through Kinesis → Lambda → lake + feature store, then a batch delivered again.
 */
describe('clickstream speed layer on the cloud', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let kinesis: KinesisClient;
  let doc: DynamoDBDocumentClient;
  let bucket: string;
  let table: string;

  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    kinesis = kinesisClient({ env: cloud.env });
    doc = dynamoDbDocumentClient({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
    table = cloud.outputs.FeatureTableName as string;
  });

  const RAW_PREFIX = 'raw/clickstream/dt=2025-03-04/';

  it('accounts for all 20k events, with valid manifests and exact session features', async () => {
    const stream = cloud.outputs.ClickstreamStreamName as string;
    // Event times on a day of their own, users of their own: the lake and table are shared with other tests.
    const records = [
      ...simulateClickstream({
        count: 20_000,
        malformedShare: 0.01,
        seed: 303,
        users: 400,
        userPrefix: 'c1-',
        hours: 6,
        now: new Date('2025-03-04T18:00:00Z'),
      }),
    ];
    const malformed = records.filter((r) => !r.valid).length;
    expect(malformed).toBeGreaterThan(150);
    await putAllRecords(kinesis, stream, records);

    // Wait on the manifests of our (exclusive) raw partitions, then account for every record once.
    const valid = records.length - malformed;
    await eventually(
      async () =>
        (await summarizeZone(s3, bucket, RAW_PREFIX)).datasets.clickstream?.records === valid ? true : undefined,
      150_000,
      'all valid events to land in raw',
      1_000,
    );
    const landed = await eventually(
      async () => {
        const account = await accountFor(s3, bucket, records, RAW_PREFIX);
        return account.raw + account.quarantined >= records.length ? account : undefined;
      },
      30_000,
      'the malformed events to land in quarantine',
      1_000,
    );
    expect(landed).toEqual({ raw: valid, quarantined: malformed, duplicates: 0, misplaced: 0 });

    let manifests = 0;
    for await (const key of listKeys(s3, bucket, RAW_PREFIX)) {
      if (!isManifestKey(key)) continue;
      manifests++;
      expect(await auditManifest(s3, bucket, key)).toMatchObject({ ok: true, problems: [] });
    }
    expect(manifests).toBeGreaterThan(0);

    // Session features: exactly what folding each user's events in stream order gives.
    const delivered = await ourEventsOnStream(kinesis, stream, records);
    const expected = new Map(
      [...eventsByUser(delivered)].map(([userId, events]) => [
        userId,
        foldSessionEvents(userId, undefined, events).state,
      ]),
    );
    expect(expected.size).toBeGreaterThan(100);
    await eventually(
      async () => {
        const stored = await readSessions(doc, table, [...expected.keys()]);
        for (const [userId, state] of expected) {
          if (!isDeepStrictEqual(stored.get(userId)?.state, state)) return undefined;
        }
        return true;
      },
      30_000,
      'session features to match the stream',
    );
    // 20k events through Kinesis, the consumer and the lake take ~70 s alone on 2 cores; on a loaded machine the
    // polls above (each with its own deadline and message) must be what fails, not Jest's generic timeout.
  }, 300_000);

  it('changes nothing when a batch is delivered again, whole or bisected', async () => {
    const functionName = cloud.outputs.ClickstreamFunctionName as string;
    const records = [
      ...simulateClickstream({
        count: 400,
        malformedShare: 0.03,
        seed: 404,
        users: 30,
        userPrefix: 'c2-',
        hours: 3,
        now: new Date('2025-03-05T12:00:00Z'),
      }),
    ];
    const batch = kinesisBatch(records, 'shardId-redelivery-0001');
    const users = [...new Set(records.filter((r) => r.valid).map((r) => r.partitionKey))];
    const invoke = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
      const out = await lambdaClient({ env: cloud.env }).send(
        new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(event) }),
      );
      const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
      if (out.FunctionError) throw new Error(`function error: ${JSON.stringify(payload)}`);
      return payload as KinesisStreamBatchResponse;
    };
    const snapshot = async () => ({
      lake: await lakeSnapshot(s3, bucket, ['raw/clickstream/dt=2025-03-05/', 'quarantine/clickstream/'], 'redelivery'),
      features: JSON.stringify([...(await readSessions(doc, table, users))].sort()),
    });

    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    const first = await snapshot();
    expect(Object.keys(first.lake).length).toBeGreaterThan(2);

    // Lambda retries a whole batch after a function error: every object is rewritten byte for byte.
    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    expect(await snapshot()).toEqual(first);

    // With bisect-on-error it then delivers the halves: still every record once, features untouched.
    const half = Math.floor(batch.Records.length / 2);
    await invoke({ Records: batch.Records.slice(0, half) });
    await invoke({ Records: batch.Records.slice(half) });
    expect(await accountFor(s3, bucket, records, 'raw/clickstream/dt=2025-03-05/')).toEqual({
      raw: records.filter((r) => r.valid).length,
      quarantined: records.filter((r) => !r.valid).length,
      duplicates: 0,
      misplaced: 0,
    });
    expect((await snapshot()).features).toEqual(first.features);
  });
});

/** A Kinesis event as Lambda delivers it, for records on one (made-up) shard. */
function kinesisBatch(records: readonly SimulatedRecord[], shardId: string): KinesisStreamEvent {
  let seq = 49_660_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  return {
    Records: records.map((r) => {
      seq += 1_000n;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.partitionKey,
          sequenceNumber: seq.toString(),
          data: r.data.toString('base64'),
          approximateArrivalTimestamp: Date.parse('2025-03-05T12:00:00Z') / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test',
      };
    }),
  };
}

/** Key → data MD5 (objects) or manifest minus its write time, for keys under `prefixes` (quarantine: only `marker` keys). */
async function lakeSnapshot(
  s3: S3Client,
  bucket: string,
  prefixes: readonly string[],
  marker: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const prefix of prefixes) {
    for await (const key of listKeys(s3, bucket, prefix)) {
      if (prefix.startsWith('quarantine/') && !key.includes(marker)) continue;
      if (isManifestKey(key)) {
        const { writtenAt: _ignored, ...manifest } = await getManifest(s3, bucket, key);
        out[key] = manifest;
      } else {
        out[key] = Buffer.from(await getBytes(s3, bucket, key)).toString('base64');
      }
    }
  }
  return out;
}

/** Our valid events as the stream holds them (shard, sequence number), read from the start of every shard. */
async function ourEventsOnStream(
  kinesis: KinesisClient,
  stream: string,
  sent: readonly SimulatedRecord[],
): Promise<SequencedEvent[]> {
  const ours = new Set(sent.filter((r) => r.valid).map((r) => r.data.toString('base64')));
  const events: SequencedEvent[] = [];
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  for (const shard of shards) {
    const shardId = shard.ShardId as string;
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    for (let calls = 0; iterator && calls < 500; calls++) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of out.Records ?? []) {
        const data = Buffer.from(record.Data ?? []);
        if (!ours.has(data.toString('base64'))) continue;
        const parsed = parseClickEvent(data);
        if (parsed.ok) events.push({ shardId, sequenceNumber: record.SequenceNumber as string, event: parsed.event });
      }
      if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  events.sort(
    (a, b) => a.shardId.localeCompare(b.shardId) || compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber),
  );
  expect(events).toHaveLength(ours.size);
  return events;
}
