import { createHash, randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, kinesisClient, s3Client, sfnClient } from '../../layers/aws/clients';
import { putAllRecords } from '../../layers/clickstream/producer';
import { getUserFeatures } from '../../layers/feature-store/online';
import { versionName } from '../../layers/ingest/landing';
import { lakeKeys } from '../../layers/lake/keys';
import { getBytes } from '../../layers/lake/s3-io';
import { manifestKeyFor } from '../../layers/lake/zones';
import { readStatus } from '../../layers/quality/status';
import { runFeatureBuild } from '../../lib/cli/commands/features';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';
import { parquetSelect } from '../helpers/parquet';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** The feature build on the cloud: validated raw files → online + offline features, next to the session features. */
describe('feature store on the cloud', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let doc: DynamoDBDocumentClient;
  let bucket: string;
  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    doc = dynamoDbDocumentClient({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
  });

  it('builds user and item features from validated data without touching the real-time session features', async () => {
    const day = '2026-11-16';
    const csv = [HEADER, `ft1,fu1,p00001,2,10.00,4,${day}T09:00:00Z`, `ft2,fu1,p00002,1,5.50,,${day}T10:00:00Z`].join(
      '\n',
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/f-orders.csv', Body: csv }));
    const now = Date.now();
    const events = ['view', 'add_to_cart'].map((eventType, i) => ({
      partitionKey: 'fu1',
      data: Buffer.from(
        JSON.stringify({
          eventId: randomUUID(),
          eventType,
          userId: 'fu1',
          sessionId: 'fs1',
          productId: 'p00001',
          timestamp: new Date(now - 60_000 + i * 1000).toISOString(),
        }),
      ),
    }));
    await putAllRecords(kinesisClient({ env: cloud.env }), cloud.outputs.ClickstreamStreamName as string, events);

    const dataKey = lakeKeys.rawTransactions(day, versionName('landing/transactions/f-orders.csv', 1));
    await eventually(
      async () => ((await readStatus(s3, bucket, dataKey))?.usable ? true : undefined),
      90_000,
      'the transactions to be validated',
      1_000,
    );
    const session = await eventually(
      async () => (await getUserFeatures(doc, cloud.outputs.FeatureTableName as string, 'fu1'))['rt#session'],
      60_000,
      'the session features of fu1',
      500,
    );

    // The feature build's state machine: plan (λ), one Athena UNLOAD per set (DuckDB here), load (λ).
    const sfn = sfnClient({ env: cloud.env });
    const states: string[] = [];
    const execution = await runFeatureBuild(
      sfn,
      cloud.outputs.FeatureBuildStateMachineArn as string,
      `features-${randomUUID()}`,
      (state) => states.push(state),
      200,
    );
    sfn.destroy();
    expect([execution.status, execution.cause]).toEqual(['SUCCEEDED', undefined]);
    expect(states).toEqual([
      'SelectFeatureSources',
      'CurateSources',
      'CurateFiles',
      'UnloadFeatureSets',
      'UnloadFeatureSet',
      'DescribeFeatureFiles',
      'LoadOnlineFeatures',
      'LoadOnlineFiles',
      'RegisterFeatures',
    ]);
    const summary = JSON.parse(execution.output ?? '{}');
    expect(summary.sources.skipped.first.some((s: { key: string }) => s.key === dataKey)).toBe(false);

    const features = await getUserFeatures(doc, cloud.outputs.FeatureTableName as string, 'fu1');
    expect(features['rt#session']).toEqual(session); // the batch build did not touch it
    expect(features['fs#user_features']).toMatchObject({
      featureSetVersion: summary.version,
      features: { purchaseCount: 2, totalSpend: 25.5, avgRatingGiven: 4 },
    });
    expect(
      (features['fs#user_features']?.features as { eventCounts: { view: number } }).eventCounts.view,
    ).toBeGreaterThanOrEqual(1);

    // Offline store: the same features as Parquet files under the version's folder, each named in the
    // registry entry with its MD5 and rows (read back here with DuckDB, not with the pipeline's reader).
    const folder = summary.offline.user_features as string;
    expect(folder).toBe(`features/user_features/v=${summary.version}/`);
    const registry = JSON.parse(Buffer.from(await getBytes(s3, bucket, summary.registry.user_features)).toString());
    expect(registry).toMatchObject({
      name: 'user_features',
      version: summary.version,
      data: { format: 'parquet', key: folder },
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string).filter((k) => !/\/[_.][^/]*$/.test(k));
    expect(registry.data.files.map((f: { key: string }) => f.key).sort()).toEqual(keys.sort());
    let rows = 0;
    for (const file of registry.data.files as { key: string; md5: string; records: number }[]) {
      const bytes = Buffer.from(await getBytes(s3, bucket, file.key));
      expect(createHash('md5').update(bytes).digest('hex')).toBe(file.md5);
      const users = await parquetSelect(bytes, 'SELECT user_id, purchase_count FROM rows');
      expect(users).toHaveLength(file.records);
      rows += users.length;
      const fu1 = users.find((u) => u.user_id === 'fu1');
      if (fu1) expect(Number(fu1.purchase_count)).toBe(2);
    }
    expect(rows).toBe(registry.records);
    expect(rows).toBe(summary.users);
    expect(registry.sources).toEqual(expect.arrayContaining([expect.objectContaining({ key: dataKey })]));

    // The statements read the curated zone: the day's transactions as one typed Parquet file, its rows
    // those of the CSV (counted from its text, read back with DuckDB), with a manifest naming the version.
    const curatedTx = (registry.curated as string[]).filter((k) => k.startsWith(`curated/transactions/dt=${day}/`));
    expect(curatedTx).toHaveLength(1);
    const txBytes = Buffer.from(await getBytes(s3, bucket, curatedTx[0] as string));
    const txRows = await parquetSelect(txBytes, 'SELECT transaction_id, quantity FROM rows ORDER BY 1');
    expect(txRows.map((r) => [r.transaction_id, Number(r.quantity)])).toEqual(
      csv
        .split('\n')
        .slice(1)
        .map((line) => [line.split(',')[0], Number(line.split(',')[3])]),
    );
    const curatedManifest = JSON.parse(
      Buffer.from(await getBytes(s3, bucket, manifestKeyFor(curatedTx[0] as string))).toString(),
    );
    expect(curatedManifest.source.members.map((m: { key: string }) => m.key)).toEqual([dataKey]);
  });
});
