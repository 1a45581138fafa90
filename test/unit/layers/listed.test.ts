import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { SelectionChangedError } from '../../../layers/curated/curate';
import {
  CuratedFileReplacedError,
  describeFeatureFiles,
  loadOnlineFiles,
  RETIRED_DURING_BUILD,
  registerFeatureSets,
} from '../../../layers/features/load';
import { curatePlanned, curationWork, planFeatureBuild, selectFeatureSources } from '../../../layers/features/select';
import { auditManifest } from '../../../layers/lake/inventory';
import { lakeKeys } from '../../../layers/lake/keys';
import { LostDataError, readListed, SUPERSEDED } from '../../../layers/lake/listed';
import { buildManifest } from '../../../layers/lake/manifest';
import { deleteWithManifest, getBytes } from '../../../layers/lake/s3-io';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { type AfterHook, memoryBucket } from '../../helpers/memory-bucket';
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

/** The bucket, and a hook that runs after a command (to retire a version at an exact moment). */
let objects: Map<string, Buffer>;
let setAfter: (hook: AfterHook | undefined) => void;

function installBucket(): void {
  ({ objects, setAfter } = memoryBucket(s3));
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
/** The plan, then the curation of the partitions it names, as the state machine runs them. */
const plan = async () => {
  const planned = await planFeatureBuild({ s3: client, bucket: BUCKET, now: NOW });
  for (const item of curationWork(planned.plan))
    await curatePlanned({ s3: client, bucket: BUCKET, codeVersion: 'test' }, planned.planKey, item);
  return planned;
};
/** The steps after the statements, as the state machine runs them: describe, each online file, register. */
const load = async (planKey: string) => {
  const common = { s3: client, bucket: BUCKET };
  const { descriptionKey, online } = await describeFeatureFiles({ ...common, planKey });
  const { version, createdAt } = JSON.parse(objects.get(planKey)?.toString() ?? '{}');
  for (const run of online)
    await loadOnlineFiles({
      ...common,
      doc,
      tableName: 'features',
      ttlDays: 30,
      version,
      createdAt,
      descriptionKey,
      ...run,
    });
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
    setAfter(async (command, key) => {
      if (command === 'GetObject' && key === manifestKeyFor(dataKey)) await deleteWithManifest(client, BUCKET, dataKey);
    });
    expect(await auditManifest(client, BUCKET, manifestKeyFor(dataKey))).toMatchObject({
      ok: true,
      superseded: true,
      problems: [],
    });
    setAfter(undefined);
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
    setAfter(async (command, prefix) => {
      if (command === 'ListObjectsV2' && prefix === 'raw/transactions/') {
        setAfter(undefined);
        await deleteWithManifest(client, BUCKET, retired);
      }
    });
    const { plan: planned } = await plan();
    expect(planned.sources.transactions.map((s) => s.key)).toEqual([kept]);
    expect(planned.sources.skipped).toContainEqual({ key: manifestKeyFor(retired), reason: SUPERSEDED });
    // The statements read the selection's table, which names only the curated file of the version kept.
    const [group] = planned.curation.groups;
    expect(planned.curation.groups.map((g) => g.members.map((m) => m.key))).toEqual([[kept]]);
    const selection = objects.get(planned.sourcesKey)?.toString() ?? '';
    expect(selection.trim().split('\n')).toEqual(['dataset,uri', `transactions,s3://${BUCKET}/${group?.key}`]);
    expect(objects.has(group?.key ?? '')).toBe(true);
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

describe('the feature build’s curated files', () => {
  const day19 = ['t1,u1,p1,2,10.00,4,2026-11-19T09:00:00Z'];

  it('fails the curation, to be run again, when a selected version is retired before its partition is curated', async () => {
    const retired = landDay('2026-11-19', day19);
    const { plan: planned, planKey } = await planFeatureBuild({ s3: client, bucket: BUCKET, now: NOW });
    await deleteWithManifest(client, BUCKET, retired);
    const [item] = curationWork(planned);
    const attempt = curatePlanned(
      { s3: client, bucket: BUCKET, codeVersion: 'test' },
      planKey,
      item ?? { from: 0, to: 0 },
    );
    await expect(attempt).rejects.toThrow(SelectionChangedError);
    await expect(attempt).rejects.toThrow(/retired by a re-upload after the feature build selected it/);
  });

  it('fails the registration when a curated file the statements read was replaced while they ran', async () => {
    landDay('2026-11-19', day19);
    const { plan: planned, planKey } = await plan();
    objects.set(`${lakeKeys.featureVersionDir('interactions', planned.version)}q_data_00000.parquet`, INTERACTIONS);
    // Another build curated the partition for other versions, removing this build's file.
    await deleteWithManifest(client, BUCKET, planned.curation.groups[0]?.key as string);
    await expect(load(planKey)).rejects.toThrow(CuratedFileReplacedError);
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
