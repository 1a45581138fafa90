import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, kinesisClient, s3Client, sfnClient } from '../../layers/aws/clients';
import { signedFetch } from '../../layers/aws/signed-fetch';
import { putAllRecords } from '../../layers/clickstream/producer';
import { simulateClickstream } from '../../layers/clickstream/simulate';
import { versionName } from '../../layers/ingest/landing';
import { auditManifest, listKeys } from '../../layers/lake/inventory';
import { md5Hex } from '../../layers/lake/manifest';
import { getBytes } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';
import { productionVersion, recommendationsFor } from '../../layers/publish/serving';
import { readStatus } from '../../layers/quality/status';
import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { runPipeline } from '../../lib/cli/commands/run-pipeline';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';

const run = promisify(execFile);
const bin = path.join(__dirname, '../../bin/recomart.cjs');

import { lakeKeys } from '../../layers/lake/keys';
import { accountFor } from '../helpers/lake-accounting';

/** The thin slice end to end, over real AWS APIs: stream → lake, S3 drop → lake, state machine → report. */
describe('pipeline slice on the cloud', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
  });

  it('lands every streamed event in raw or quarantine exactly once, with matching manifests', async () => {
    const now = new Date('2025-03-03T12:00:00Z'); // a day of its own in the shared lake
    const records = [...simulateClickstream({ count: 1500, malformedShare: 0.02, seed: 11, hours: 2, now })];
    const malformed = records.filter((r) => !r.valid).length;
    expect(malformed).toBeGreaterThan(0);
    await putAllRecords(kinesisClient({ env: cloud.env }), cloud.outputs.ClickstreamStreamName as string, records);

    const landed = await eventually(
      async () => {
        const account = await accountFor(s3, bucket, records, 'raw/clickstream/dt=2025-03-03/');
        return account.raw + account.quarantined >= records.length ? account : undefined;
      },
      90_000,
      'all events to land',
      1_000,
    );
    expect(landed).toEqual({ raw: records.length - malformed, quarantined: malformed, duplicates: 0, misplaced: 0 });

    for await (const key of listKeys(s3, bucket, 'raw/clickstream/dt=2025-03-03/')) {
      if (!isManifestKey(key)) continue;
      const audit = await auditManifest(s3, bucket, key);
      expect(audit).toMatchObject({ ok: true, problems: [] });
    }
  });

  it('partitions a dropped transactions CSV, quarantines unplaceable rows and archives the source', async () => {
    const tx = sampleTransactionsCsv({ rows: 800, badShare: 0.05, seed: 5 });
    const key = 'landing/transactions/it-orders.csv';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: tx.csv }));

    const archived = await eventually(
      async () => {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'archive/transactions/' }));
        return out.Contents?.find((o) => o.Key?.endsWith(`/${versionName(key, 1)}.csv`))?.Key;
      },
      60_000,
      'the source to be archived',
    );
    expect(Buffer.from(await getBytes(s3, bucket, archived)).toString()).toBe(tx.csv);
    // The version is archived first and cleared from landing once it is ingested.
    await eventually(
      () =>
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
          () => undefined,
          (err: Error) => (err.name === 'NotFound' ? true : undefined),
        ),
      60_000,
      'the source to leave landing/',
    );

    let raw = 0;
    for await (const k of listKeys(s3, bucket, 'raw/transactions/')) {
      if (!k.endsWith(`_ingested_${versionName(key, 1)}.csv.manifest.json`)) continue;
      const audit = await auditManifest(s3, bucket, k);
      expect(audit.ok).toBe(true);
      raw += audit.records;
    }
    const quarantineKey = (
      await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'quarantine/transactions/' }))
    ).Contents?.find((o) => o.Key?.endsWith(`/${versionName(key, 1)}.jsonl`))?.Key as string;
    const quarantined = Buffer.from(await getBytes(s3, bucket, quarantineKey))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(raw).toBe(tx.goodRows);
    expect(quarantined).toHaveLength(tx.badRows);
    for (const row of quarantined) expect(row.reason).toMatch(/timestamp|columns/);
  });

  /** Start an execution and follow it to its end (the CLI's runPipeline), with the states it entered in order. */
  const finish = async (input: Record<string, unknown>) => {
    const states: string[] = [];
    const sfn = sfnClient({ env: cloud.env });
    try {
      const done = await runPipeline(
        sfn,
        cloud.outputs.TrainingStateMachineArn as string,
        input,
        (name) => states.push(name),
        500,
      );
      return { ...done, states };
    } finally {
      sfn.destroy();
    }
  };

  it('runs the state machine: inputs, audit, features, ALS in the container, gate, publish', async () => {
    const runId = `it-${Date.now()}`;
    const done = await finish({ runId, k: 7, weights: { view: 1, click: 2, add_to_cart: 4, purchase: 9 } });
    expect({ status: done.status, error: done.error, cause: done.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    expect(JSON.parse(done.output ?? '{}').audit.Containers[0].ExitCode).toBe(0);
    const report = JSON.parse(Buffer.from(await getBytes(s3, bucket, `reports/audit/${runId}.json`)).toString());
    expect(report.failures).toEqual([]);
    expect(report.objects).toBeGreaterThan(0);

    const output = JSON.parse(done.output ?? '{}');
    expect(output.training.Containers[0].ExitCode).toBe(0);
    const metrics = JSON.parse(Buffer.from(await getBytes(s3, bucket, `models/${runId}/metrics.json`)).toString());
    expect(metrics).toMatchObject({
      implicit: true,
      ratings: expect.any(Number),
      baseline: { precisionAt10: expect.any(Number) },
    });
    const header = JSON.parse(Buffer.from(await getBytes(s3, bucket, `models/${runId}/model.json`)).toString());
    expect(header.format).toBe('recomart-model/2');
    // The model serves what the run chose on validation, and says so in the registry and metrics.
    expect(header.kind).toBe(metrics.recommender.kind);
    expect(metrics.tuning.trace.length).toBeGreaterThan(0);
    const record = await dynamoDbDocumentClient({ env: cloud.env }).send(
      new GetCommand({ TableName: cloud.outputs.ModelRegistryTableName, Key: { pk: 'model#als', sk: runId } }),
    );
    expect(record.Item).toMatchObject({
      status: 'PRODUCTION',
      data: { featureSet: 'interactions', version: output.features.version },
      artifacts: `s3://${bucket}/models/${runId}/`,
    });

    // Published shard by shard (a Map over user shards), then the pointer switched to this run: every
    // user of the model has an item under the run's version.
    expect(output.gate.pass).toBe(true);
    const userIds = JSON.parse(
      Buffer.from(await getBytes(s3, bucket, `models/${runId}/user_ids.json`)).toString(),
    ) as string[];
    expect(output.publishPlan.users).toBe(userIds.length);
    expect(output.publishPlan.shards.length).toBe(Math.ceil(userIds.length / 25));
    expect(output.publishPlan.shards.length).toBeGreaterThan(1);
    expect(output.publishShards.reduce((sum: number, r: { written: number }) => sum + r.written, 0)).toBe(
      userIds.length,
    );
    expect(output.published).toMatchObject({ users: userIds.length, shards: output.publishPlan.shards.length });
    // The run's weights reached the feature build (the stage's purchase weight is 8)…
    const featureRegistry = JSON.parse(
      Buffer.from(
        await getBytes(s3, bucket, `features/_registry/interactions/v=${output.features.version}.json`),
      ).toString(),
    );
    expect(featureRegistry.weights).toEqual({ view: 1, click: 2, add_to_cart: 4, purchase: 9 });
    // …and it asked for k = 7 recommendations per user (the stage's default is 20).
    expect(output.publishPlan.topN).toBe(7);
    const stored = await dynamoDbDocumentClient({ env: cloud.env }).send(
      new GetCommand({
        TableName: cloud.outputs.RecommendationsTableName,
        Key: { pk: `user#${userIds[0]}`, sk: `model#${runId}` },
      }),
    );
    expect(stored.Item?.items).toHaveLength(7);
    const written = await countVersionItems(
      dynamoDbDocumentClient({ env: cloud.env }),
      cloud.outputs.RecommendationsTableName as string,
      runId,
    );
    expect(written).toBe(userIds.length);

    // A known user gets personal items (none already seen), an unknown one the cold-start list, flagged.
    const doc = dynamoDbDocumentClient({ env: cloud.env });
    const table = cloud.outputs.RecommendationsTableName as string;
    const user = String(
      JSON.parse(Buffer.from(await getBytes(s3, bucket, `models/${runId}/user_ids.json`)).toString())[0],
    );
    const mine = await recommendationsFor(doc, table, user, 5);
    expect(mine).toMatchObject({ modelVersion: runId, coldStart: false });
    expect(mine.items.length).toBeGreaterThan(0);
    const cold = await recommendationsFor(doc, table, 'nobody-knows-me', 5);
    expect(cold).toMatchObject({ modelVersion: runId, coldStart: true });
    expect(cold.items.length).toBeGreaterThan(0);

    // …and the same through the HTTP API.
    const api = cloud.outputs.ApiEndpoint as string;
    const known = await signedFetch(`${api}/users/${encodeURIComponent(user)}/recommendations?k=5`, {
      env: cloud.env,
    });
    expect(known.status).toBe(200);
    const knownBody = (await known.json()) as {
      modelVersion: string;
      coldStart: boolean;
      items: { itemId: string; source: string }[];
    };
    expect(knownBody).toMatchObject({ modelVersion: runId, coldStart: false });
    expect(knownBody.items.filter((i) => i.source === 'model').map((i) => i.itemId)).toEqual(
      mine.items.map((i) => i.itemId).slice(0, knownBody.items.filter((i) => i.source === 'model').length),
    );
    const unknown = (await (
      await signedFetch(`${api}/users/nobody-knows-me/recommendations?k=3`, { env: cloud.env })
    ).json()) as {
      coldStart: boolean;
      items: unknown[];
    };
    expect(unknown.coldStart).toBe(true);
    expect(unknown.items).toHaveLength(3);
  }, 180_000);

  it('keeps serving the production model when a new one fails the gate, and records failed runs with their cause', async () => {
    const doc = dynamoDbDocumentClient({ env: cloud.env });
    const table = cloud.outputs.RecommendationsTableName as string;
    const before = await productionVersion(doc, table);
    expect(before).toBeDefined(); // the previous test published one

    // A run that tightens the gate beyond what any model reaches is rejected, and nothing is published.
    const strict = `it-strict-${Date.now()}`;
    const rejected = await finish({ runId: strict, minPrecisionAt10: 0.99 });
    expect(rejected.status).toBe('FAILED');
    expect(rejected.error).toBe('ModelRejected');
    expect(rejected.cause).toMatch(/precision@10 .* is below the threshold 0.99/);
    expect(rejected.states.slice(-3)).toEqual(['EvaluateModel', 'PassesGate', 'ModelRejected']);
    expect(await productionVersion(doc, table)).toBe(before);
    const registry = cloud.outputs.ModelRegistryTableName as string;
    const strictRecord = await doc.send(new GetCommand({ TableName: registry, Key: { pk: 'model#als', sk: strict } }));
    expect(strictRecord.Item).toMatchObject({ status: 'REJECTED', gate: { pass: false } });

    // A run with parameters out of range fails at its first step; the failure path records it.
    const bad = `it-badparams-${Date.now()}`;
    const failedRun = await finish({ runId: bad, params: { rank: 0 } });
    expect(failedRun).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(failedRun.cause).toMatch(/params.rank/);
    const failedRecord = await doc.send(new GetCommand({ TableName: registry, Key: { pk: 'model#als', sk: bad } }));
    expect(failedRecord.Item).toMatchObject({
      status: 'FAILED',
      error: 'InvalidInputError',
      cause: expect.stringMatching(/params.rank/),
    });
    expect(await productionVersion(doc, table)).toBe(before);
  }, 300_000);

  it('lists, compares, promotes (refusing a rejected model without --force) and rolls back through `recomart models`', async () => {
    const doc = dynamoDbDocumentClient({ env: cloud.env });
    const table = cloud.outputs.RecommendationsTableName as string;
    const registry = cloud.outputs.ModelRegistryTableName as string;
    const production = (await productionVersion(doc, table)) as string;
    const rejected = (
      (await doc.send(new ScanCommand({ TableName: registry }))).Items as { sk: string; status: string }[]
    ).find((m) => m.status === 'REJECTED')?.sk as string;
    expect(rejected).toBeDefined(); // the previous test's strict run
    // The CLI as a user runs it, finding the stack through the SDK configuration.
    const env = { ...cloud.env, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const cli = async (...args: string[]) => {
      try {
        const out = await run(process.execPath, [bin, 'models', ...args], { env, timeout: 120_000 });
        return { code: 0, stdout: out.stdout, stderr: out.stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };

    const list = JSON.parse((await cli('list', '--json')).stdout) as {
      production: string;
      models: { runId: string; status: string; gate: string }[];
    };
    expect(list.production).toBe(production);
    expect(list.models.find((m) => m.runId === rejected)).toMatchObject({ status: 'REJECTED', gate: 'failed' });
    expect(list.models.find((m) => m.runId === production)).toMatchObject({ status: 'PRODUCTION', gate: 'passed' });

    const compared = JSON.parse((await cli('compare', production, rejected, '--json')).stdout) as {
      fields: { name: string; a: unknown; b: unknown }[];
    };
    expect(compared.fields.find((f) => f.name === 'gate')).toMatchObject({ a: 'passed', b: 'failed' });

    // A model that failed the gate is not promoted without --force, and production does not move.
    const refused = await cli('promote', rejected);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^recomart: Model ${rejected} is REJECTED: .*below the threshold 0.99.*Promote it anyway with --force\\.$`,
      ),
    );
    expect(await productionVersion(doc, table)).toBe(production);

    // With --force it is published and served, and the registry records the override.
    const forced = await cli('promote', rejected, '--force', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ runId: rejected, previous: production, forced: true });
    expect(await productionVersion(doc, table)).toBe(rejected);
    const record = await doc.send(new GetCommand({ TableName: registry, Key: { pk: 'model#als', sk: rejected } }));
    expect(record.Item).toMatchObject({ status: 'PRODUCTION', forcedPromotion: { previousStatus: 'REJECTED' } });
    const user = String(
      JSON.parse(Buffer.from(await getBytes(s3, bucket, `models/${rejected}/user_ids.json`)).toString())[0],
    );
    expect(await recommendationsFor(doc, table, user, 3)).toMatchObject({ modelVersion: rejected, coldStart: false });

    // Rollback puts back the model it replaced.
    const rolledBack = await cli('rollback', '--json');
    expect(rolledBack.code).toBe(0);
    expect(JSON.parse(rolledBack.stdout)).toMatchObject({ runId: production, previous: rejected });
    expect(await productionVersion(doc, table)).toBe(production);
    const old = await doc.send(new GetCommand({ TableName: registry, Key: { pk: 'model#als', sk: rejected } }));
    expect(old.Item?.status).toBe('RETIRED');
  }, 300_000);

  it('takes the failure path when the training container exits non-zero: nothing published, production still served', async () => {
    const doc = dynamoDbDocumentClient({ env: cloud.env });
    const table = cloud.outputs.RecommendationsTableName as string;
    const registry = cloud.outputs.ModelRegistryTableName as string;
    const before = await productionVersion(doc, table);
    expect(before).toBeDefined();
    // A feature version of its own (an old timestamp, so never the newest) with too few interactions
    // for ALS: the container trains on it because the run pins it, and exits 1.
    const version = '20000101T000000Z';
    const body = `${['x1', 'x2', 'x3'].map((u) => JSON.stringify({ userId: u, itemId: 'p00001', rating: null, confidence: 1 })).join('\n')}\n`;
    const dataKey = `features/interactions/v=${version}/part-00000.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: dataKey, Body: body }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `features/_registry/interactions/v=${version}.json`,
        Body: JSON.stringify({ name: 'interactions', version, records: 3, data: { key: dataKey, md5: md5Hex(body) } }),
      }),
    );
    const runId = `it-trainfail-${Date.now()}`;
    const run = await finish({ runId, featureVersion: version });
    // As on AWS, the task itself succeeds when it stops: the definition checks the exit code.
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'ContainerFailed' });
    expect(run.states).toEqual([
      'CheckInputs',
      'AuditLake',
      'AuditLakeExited0',
      'FeaturesPinned',
      'UsePinnedFeatures',
      'TrainModel',
      'TrainModelExited0',
      'TrainModelContainerFailed',
      'RecordFailure',
      'PipelineFailed',
    ]);
    const record = await doc.send(new GetCommand({ TableName: registry, Key: { pk: 'model#als', sk: runId } }));
    expect(record.Item).toMatchObject({
      status: 'FAILED',
      error: 'ContainerFailed',
      cause: expect.stringMatching(/als-train exited with code 1/),
    });
    expect(await productionVersion(doc, table)).toBe(before);
    expect(await countVersionItems(doc, table, runId)).toBe(0);
    expect((await recommendationsFor(doc, table, 'nobody-knows-me', 3)).modelVersion).toBe(before);
  }, 180_000);

  it('refuses a run pinned to a raw version that failed validation, before building anything', async () => {
    const doc = dynamoDbDocumentClient({ env: cloud.env });
    const table = cloud.outputs.RecommendationsTableName as string;
    const before = await productionVersion(doc, table);
    const day = '2025-02-02';
    const csv = [
      'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp',
      `vb1,u1,p00001,1,9.99,9,${day}T10:00:00Z`,
      `vb2,u2,p00002,1,5.00,7,${day}T11:00:00Z`,
    ].join('\n');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/it-blocked.csv', Body: csv }));
    const dataKey = lakeKeys.rawTransactions(day, versionName('landing/transactions/it-blocked.csv', 1));
    const status = await eventually(
      () => readStatus(s3, bucket, dataKey),
      90_000,
      'the blocked file to be validated',
      1_000,
    );
    expect(status.usable).toBe(false);

    const runId = `it-blocked-${Date.now()}`;
    const run = await finish({ runId, dataKeys: [dataKey] });
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'InputBlockedError' });
    expect(run.cause).toContain(`${dataKey} failed its critical quality checks (`);
    expect(run.cause).toContain('rating_1_5');
    expect(run.cause).toContain(status.report);
    expect(run.states).toEqual(['CheckInputs', 'RecordFailure', 'PipelineFailed']);
    const record = await doc.send(
      new GetCommand({ TableName: cloud.outputs.ModelRegistryTableName, Key: { pk: 'model#als', sk: runId } }),
    );
    expect(record.Item).toMatchObject({ status: 'FAILED', error: 'InputBlockedError' });
    expect(await productionVersion(doc, table)).toBe(before);
  }, 180_000);

  it('fails the execution with a clear cause when the input is invalid', async () => {
    const sfn = sfnClient({ env: cloud.env });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: cloud.outputs.TrainingStateMachineArn,
        input: JSON.stringify({ runId: 'bad id!' }),
      }),
    );
    const done = await eventually(async () => {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING' ? undefined : out;
    });
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('InvalidInputError');
    expect(done.cause).toMatch(/Run input is invalid/);
  });
});

/** Items of one model version written for users (not the cold-start lists), by a paginated Scan. */
async function countVersionItems(doc: DynamoDBDocumentClient, table: string, runId: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :sk AND begins_with(pk, :user)',
        ExpressionAttributeValues: { ':sk': `model#${runId}`, ':user': 'user#' },
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}
