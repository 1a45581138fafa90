import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  describeFeatureFiles,
  loadOnlineFile,
  RETIRED_DURING_BUILD,
  registerFeatureSets,
} from '../../../layers/features/load';
import { planFeatureBuild, selectFeatureSources } from '../../../layers/features/select';
import { auditManifest } from '../../../layers/lake/inventory';
import { lakeKeys } from '../../../layers/lake/keys';
import { LostDataError, readListed, SUPERSEDED } from '../../../layers/lake/listed';
import { buildManifest } from '../../../layers/lake/manifest';
import { deleteWithManifest, getBytes } from '../../../layers/lake/s3-io';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { parquetOf } from '../../helpers/parquet';

/**
 * A re-upload retires the previous version's raw objects (manifest, then data) while a reader that
 * listed the lake before is still reading. These tests retire a version at each point of a reader's
 * work, on an in-memory bucket, and check that the version is skipped as superseded, never read as
 * lost data, and that real data loss (data gone, manifest still there) stays an error.
 */
const BUCKET = 'lake';
const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const client = new S3Client({ region: 'us-east-1' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

/** The bucket, and hooks that run after a command (to retire a version at an exact moment). */
let objects: Map<string, Buffer>;
let after: ((command: string, key: string) => Promise<void>) | undefined;

function installBucket(): void {
  objects = new Map();
  after = undefined;
  const hook = async (command: string, key: string) => {
    const fn = after;
    if (fn) await fn(command, key);
  };
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string | Uint8Array }) => {
    objects.set(input.Key, Buffer.from(input.Body));
    return {};
  });
  s3.on(DeleteObjectCommand).callsFake(async (input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => {
    if (!objects.has(input.Key)) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: objects.get(input.Key)?.length };
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (!body) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    await hook('GetObject', input.Key);
    const stream = Readable.from([body]) as Readable & { transformToByteArray: () => Promise<Uint8Array> };
    stream.transformToByteArray = async () => new Uint8Array(body);
    return { Body: stream };
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort();
    await hook('ListObjectsV2', input.Prefix);
    return { Contents: keys.map((Key) => ({ Key })), IsTruncated: false };
  });
  ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
}

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** A validated (usable) raw transactions version for one day. */
function landDay(day: string, rows: string[]): string {
  const dataKey = `raw/transactions/dt=${day}/ingested_orders.csv`;
  const body = Buffer.from([HEADER, ...rows].join('\n'));
  const manifest = buildManifest({
    dataset: 'transactions',
    dataKey,
    contentType: 'text/csv',
    body,
    records: rows.length,
    schemaVersion: '1',
  });
  objects.set(dataKey, body);
  objects.set(manifestKeyFor(dataKey), Buffer.from(JSON.stringify(manifest)));
  objects.set(
    lakeKeys.qualityStatus(dataKey),
    Buffer.from(
      JSON.stringify({ dataKey, md5: manifest.md5, dataset: 'transactions', usable: true, failedCritical: [] }),
    ),
  );
  return dataKey;
}

const NOW = new Date('2026-11-21T00:00:00Z');
/** An interactions version of two rows, as the build's UNLOAD writes it. */
let INTERACTIONS: Buffer;
beforeAll(async () => {
  INTERACTIONS = await parquetOf(
    `SELECT * FROM (VALUES ('u1', 'p1', 4.0, 16.0, 1763542800000), ('u1', 'p2', NULL, 8.0, 1763629200000)) ` +
      't(user_id, item_id, rating, confidence, last_at_ms)',
  );
});
const plan = () => planFeatureBuild({ s3: client, bucket: BUCKET, now: NOW });
/** The steps after the statements, as the state machine runs them: describe, each online file, register. */
const load = async (planKey: string) => {
  const common = { s3: client, bucket: BUCKET };
  const { descriptionKey, online } = await describeFeatureFiles({ ...common, planKey });
  const { version, createdAt } = JSON.parse(objects.get(planKey)?.toString() ?? '{}');
  for (const file of online)
    await loadOnlineFile({ ...common, doc, tableName: 'features', ttlDays: 30, version, createdAt, file });
  return registerFeatureSets({ ...common, descriptionKey, tableName: 'features', ttlDays: 30, codeVersion: 'test' });
};

beforeEach(installBucket);
afterEach(() => {
  s3.reset();
  ddb.reset();
});

describe('readListed', () => {
  it('returns undefined when data and manifest are both gone (retired), and reads normally otherwise', async () => {
    const kept = landDay('2026-11-19', ['t1,u1,p1,1,1.00,,2026-11-19T10:00:00Z']);
    const retired = landDay('2026-11-20', ['t2,u1,p2,1,1.00,,2026-11-20T10:00:00Z']);
    await deleteWithManifest(client, BUCKET, retired);
    const read = (key: string) => getBytes(client, BUCKET, key);
    expect(await readListed(client, BUCKET, retired, read)).toBeUndefined();
    expect(Buffer.from((await readListed(client, BUCKET, kept, read)) ?? []).toString()).toContain('t1,u1');
  });

  it('throws LostDataError when only the data is gone: that is not a retirement', async () => {
    const dataKey = landDay('2026-11-19', ['t1,u1,p1,1,1.00,,2026-11-19T10:00:00Z']);
    objects.delete(dataKey);
    const attempt = readListed(client, BUCKET, dataKey, (key) => getBytes(client, BUCKET, key));
    await expect(attempt).rejects.toThrow(LostDataError);
    await expect(attempt).rejects.toThrow(/is missing but its manifest .* is still there/);
  });

  it('passes a real denial through: the key is there, but this role may not read it', async () => {
    const dataKey = landDay('2026-11-18', ['t1,u1,p1,1,1.00,,2026-11-18T10:00:00Z']);
    const boom = Object.assign(new Error('denied'), { name: 'AccessDenied' });
    await expect(readListed(client, BUCKET, dataKey, () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('reads a 403 for a key that is not there as missing (S3 says 404 only to roles that may list the bucket)', async () => {
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      readListed(client, BUCKET, 'raw/never-written.csv', () => Promise.reject(denied)),
    ).resolves.toBeUndefined();
  });
});

describe('auditManifest', () => {
  it('reports a version retired after the listing as superseded, not as a failure', async () => {
    const dataKey = landDay('2026-11-19', ['t1,u1,p1,1,1.00,,2026-11-19T10:00:00Z']);
    // Retired between reading the manifest and reading the data.
    after = async (command, key) => {
      if (command === 'GetObject' && key === manifestKeyFor(dataKey)) await deleteWithManifest(client, BUCKET, dataKey);
    };
    expect(await auditManifest(client, BUCKET, manifestKeyFor(dataKey))).toMatchObject({
      ok: true,
      superseded: true,
      problems: [],
    });
    after = undefined;
    // Retired before the manifest was read.
    const other = landDay('2026-11-20', ['t2,u1,p2,1,1.00,,2026-11-20T10:00:00Z']);
    await deleteWithManifest(client, BUCKET, other);
    expect(await auditManifest(client, BUCKET, manifestKeyFor(other))).toMatchObject({ ok: true, superseded: true });
  });

  it('still fails a data object that is gone while its manifest stays', async () => {
    const dataKey = landDay('2026-11-19', ['t1,u1,p1,1,1.00,,2026-11-19T10:00:00Z']);
    objects.delete(dataKey);
    const entry = await auditManifest(client, BUCKET, manifestKeyFor(dataKey));
    expect(entry.ok).toBe(false);
    expect(entry.superseded).toBeUndefined();
    expect(entry.problems[0]).toMatch(/LostDataError/);
  });
});

describe('the feature build while a re-upload retires a version', () => {
  const day19 = ['t1,u1,p1,2,10.00,4,2026-11-19T09:00:00Z'];
  const day20 = ['t2,u1,p2,1,5.00,,2026-11-20T09:00:00Z', 't3,u2,p2,1,5.00,,2026-11-20T10:00:00Z'];

  it('skips a version retired right after the listing (its manifest is gone)', async () => {
    const kept = landDay('2026-11-19', day19);
    const retired = landDay('2026-11-20', day20);
    after = async (command, prefix) => {
      if (command === 'ListObjectsV2' && prefix === 'raw/transactions/') {
        after = undefined;
        await deleteWithManifest(client, BUCKET, retired);
      }
    };
    const { plan: planned } = await plan();
    expect(planned.sources.transactions.map((s) => s.key)).toEqual([kept]);
    expect(planned.sources.skipped).toContainEqual({ key: manifestKeyFor(retired), reason: SUPERSEDED });
    // The statements read the selection's table, which names only the version kept.
    const selection = objects.get(planned.sourcesKey)?.toString() ?? '';
    expect(selection.trim().split('\n')).toEqual(['dataset,uri', `transactions,s3://${BUCKET}/${kept}`]);
    for (const q of planned.queries)
      expect(q.query).toContain(`FROM feature_build_sources WHERE v = '${planned.version}'`);
  });

  it('lists a version retired after it was selected as retired during the build, in every registry entry', async () => {
    const kept = landDay('2026-11-19', day19);
    const retired = landDay('2026-11-20', day20);
    const { plan: planned, planKey } = await plan();
    expect(planned.sources.transactions.map((s) => s.key)).toEqual([kept, retired]);
    // The statements ran; then a re-upload retired the version.
    objects.set(`${lakeKeys.featureVersionDir('interactions', planned.version)}q_data_00000.parquet`, INTERACTIONS);
    await deleteWithManifest(client, BUCKET, retired);
    const summary = await load(planKey);
    expect(summary.sources.used).toBe(2);
    expect(summary.sources.skipped).toEqual([{ key: retired, reason: RETIRED_DURING_BUILD }]);
    const entry = JSON.parse(objects.get(summary.registry.interactions as string)?.toString() ?? '{}');
    expect(entry.skipped).toEqual([{ key: retired, reason: RETIRED_DURING_BUILD }]);
    expect(entry.records).toBe(2);
  });

  it('fails with LostDataError when a selected data object is gone but its manifest is not', async () => {
    landDay('2026-11-19', day19);
    const lost = landDay('2026-11-20', day20);
    const { planKey } = await plan();
    objects.delete(lost);
    await expect(load(planKey)).rejects.toThrow(LostDataError);
  });
});

describe('the feature build with pinned dataKeys', () => {
  it('selects only the pinned raw objects (and still skips a pinned one that is not usable)', async () => {
    const a = landDay('2026-11-18', ['t1,u1,p1,1,1.00,,2026-11-18T09:00:00Z']);
    landDay('2026-11-19', ['t2,u2,p1,1,1.00,,2026-11-19T09:00:00Z']);
    const c = landDay('2026-11-20', ['t3,u3,p2,1,1.00,,2026-11-20T09:00:00Z']);
    objects.set(lakeKeys.qualityStatus(c), Buffer.from(JSON.stringify({ dataKey: c, md5: 'x', usable: true })));
    const sources = await selectFeatureSources(client, BUCKET, [a, c]);
    expect(sources.transactions.map((s) => s.key)).toEqual([a]);
    expect(sources.skipped).toEqual([{ key: c, reason: 'validated bytes differ from the current version' }]);
  });
});

describe('the feature build’s load', () => {
  it('reads every file the statements wrote for a version, skips hidden ones, and records each with its MD5 and rows', async () => {
    landDay('2026-11-19', ['t1,u1,p1,2,10.00,4,2026-11-19T09:00:00Z']);
    const { plan: planned, planKey } = await plan();
    // Athena may write a set's version as several files; a manifest beside them is hidden.
    const users = (from: number, count: number) =>
      parquetOf(
        `SELECT 'u' || i AS user_id, 1::BIGINT AS views, 0::BIGINT AS clicks, 0::BIGINT AS add_to_carts, ` +
          `0::BIGINT AS remove_from_carts, 0::BIGINT AS searches, 0::BIGINT AS purchase_events, 2::BIGINT AS purchase_count, ` +
          `20.0 AS total_spend, NULL::DOUBLE AS avg_rating_given, 1.5 AS recency_days, ['books'] AS top_categories, ` +
          `1::BIGINT AS sessions, 3.25 AS avg_session_minutes, 1763542800000::BIGINT AS last_activity_ms ` +
          `FROM range(${from}, ${from + count}) t(i)`,
      );
    const dir = lakeKeys.featureVersionDir('user_features', planned.version);
    const files = {
      [`${dir}q_data_00000.parquet`]: await users(0, 30),
      [`${dir}q_data_00001.parquet`]: await users(30, 12),
    };
    for (const [key, bytes] of Object.entries(files)) objects.set(key, bytes);
    objects.set(`${dir}_q_data_00000.parquet.manifest.json`, Buffer.from('{}'));
    const written: Record<string, unknown>[] = [];
    ddb
      .on(BatchWriteCommand)
      .callsFake(
        async (input: { RequestItems: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> }) => {
          for (const requests of Object.values(input.RequestItems))
            written.push(...requests.map((r) => r.PutRequest.Item));
          return { UnprocessedItems: {} };
        },
      );
    const summary = await load(planKey);
    expect(summary.users).toBe(42);
    const entry = JSON.parse(objects.get(summary.registry.user_features as string)?.toString() ?? '{}');
    expect(entry.data.files).toEqual(
      Object.entries(files).map(([key, bytes]) => ({
        key,
        md5: createHash('md5').update(bytes).digest('hex'),
        bytes: bytes.length,
        records: key.endsWith('00000.parquet') ? 30 : 12,
      })),
    );
    expect(entry.records).toBe(42);
    // The online items are the records the builders make, keyed by user, with the version.
    expect(written).toHaveLength(42);
    expect(written.find((i) => i.pk === 'user#u31')).toMatchObject({
      sk: 'fs#user_features',
      featureSetVersion: planned.version,
      eventTime: new Date(1763542800000).toISOString(),
      features: {
        eventCounts: { view: 1, click: 0, add_to_cart: 0, remove_from_cart: 0, search: 0, purchase: 0 },
        purchaseCount: 2,
        totalSpend: 20,
        avgRatingGiven: null,
        topCategories: ['books'],
      },
    });
    // No rows for the other sets: no registry entry for them, as before.
    expect(summary.registry.item_features).toBeUndefined();
  });
});
