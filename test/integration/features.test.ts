import { randomUUID } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, kinesisClient, s3Client } from '../../layers/aws/clients';
import { lambdaClient } from '../../layers/aws/control-plane-clients';
import { putAllRecords } from '../../layers/clickstream/producer';
import { getUserFeatures } from '../../layers/feature-store/online';
import { versionName } from '../../layers/ingest/landing';
import { lakeKeys } from '../../layers/lake/keys';
import { getBytes, getManifest } from '../../layers/lake/s3-io';
import { manifestKeyFor } from '../../layers/lake/zones';
import { readStatus } from '../../layers/quality/status';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';

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

    const out = await lambdaClient({ env: cloud.env }).send(
      new InvokeCommand({ FunctionName: cloud.outputs.FeaturesBuildFunctionName, Payload: '{}' }),
    );
    const summary = JSON.parse(Buffer.from(out.Payload ?? []).toString());
    expect(out.FunctionError).toBeUndefined();
    expect(summary.sources.skipped.some((s: { key: string }) => s.key === dataKey)).toBe(false);

    const features = await getUserFeatures(doc, cloud.outputs.FeatureTableName as string, 'fu1');
    expect(features['rt#session']).toEqual(session); // the batch build did not touch it
    expect(features['fs#user_features']).toMatchObject({
      featureSetVersion: summary.version,
      features: { purchaseCount: 2, totalSpend: 25.5, avgRatingGiven: 4 },
    });
    expect(
      (features['fs#user_features']?.features as { eventCounts: { view: number } }).eventCounts.view,
    ).toBeGreaterThanOrEqual(1);

    // Offline store: the same features as files, with a manifest and a registry entry naming its sources.
    const usersKey = summary.offline.user_features as string;
    expect(usersKey).toBe(`features/user_features/v=${summary.version}/part-00000.jsonl`);
    const manifest = await getManifest(s3, bucket, manifestKeyFor(usersKey));
    const lines = Buffer.from(await getBytes(s3, bucket, usersKey))
      .toString()
      .trim()
      .split('\n');
    expect(lines).toHaveLength(manifest.records);
    expect(lines.map((l) => JSON.parse(l)).find((u: { userId: string }) => u.userId === 'fu1')).toMatchObject({
      purchaseCount: 2,
    });
    const registry = JSON.parse(Buffer.from(await getBytes(s3, bucket, summary.registry.user_features)).toString());
    expect(registry).toMatchObject({
      name: 'user_features',
      version: summary.version,
      data: { key: usersKey, md5: manifest.md5 },
    });
    expect(registry.sources).toEqual(expect.arrayContaining([expect.objectContaining({ key: dataKey })]));
  });
});
