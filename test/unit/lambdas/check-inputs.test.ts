import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/check-inputs/index';
import { lakeKeys } from '../../../layers/lake/keys';
import { buildManifest } from '../../../layers/lake/manifest';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { checkRunInputs, MAX_BLOCKED_LISTED } from '../../../layers/pipeline/check-inputs';
import { invoke } from '../../helpers/lambda';
import { type AfterHook, memoryBucket } from '../../helpers/memory-bucket';

const s3 = mockClient(S3Client);
const dataKey = 'raw/transactions/dt=2026-11-20/ingested_x.csv';
const body = Buffer.from('transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp\n');
const manifest = buildManifest({
  dataset: 'transactions',
  dataKey,
  contentType: 'text/csv',
  body,
  records: 0,
  schemaVersion: '1',
});
/** The bucket's objects, as text. */
const objects = {
  set: (key: string, text: string) => bucket.objects.set(key, Buffer.from(text)),
  get: (key: string) => bucket.objects.get(key)?.toString(),
  clear: () => bucket.objects.clear(),
};
let bucket: { objects: Map<string, Buffer>; setAfter: (hook: AfterHook | undefined) => void };

beforeEach(() => {
  bucket = memoryBucket(s3);
  objects.set(manifestKeyFor(dataKey), JSON.stringify(manifest));
});
afterEach(() => s3.reset());

const status = (usable: boolean, md5 = manifest.md5) =>
  objects.set(
    lakeKeys.qualityStatus(dataKey),
    JSON.stringify({ dataKey, md5, usable, failedCritical: usable ? [] : ['rating_1_5'], report: 'reports/x.html' }),
  );

/** The use case with its dependencies in hand (no module state). */
const warned: string[] = [];
const check = (event: unknown) =>
  checkRunInputs(
    {
      s3: new S3Client({ region: 'us-east-1' }),
      bucket: 'test-lake',
      now: () => new Date('2026-11-21T08:09:10.123Z'),
      logger: { info: () => undefined, warn: (m) => warned.push(m) },
    },
    event,
  );

describe('the handler', () => {
  it('runs the check for the state machine, with a Lambda context', async () => {
    status(true);
    const out = await invoke(handler, { document: { runId: 'run-abc' }, executionName: 'exec-1' });
    expect(out).toMatchObject({ runId: 'run-abc', bucket: 'test-lake' });
  });
});

describe('checking the inputs of a run', () => {
  it('passes pins through, null when absent (the state machine reads them with JSONPath)', async () => {
    status(true);
    expect(await check({ runId: 'r1' })).toMatchObject({
      runId: 'r1',
      featureVersion: null,
      dataKeys: null,
      k: null,
    });
    expect(await check({ runId: 'r1', k: 5 })).toMatchObject({ k: 5, weights: null });
    const weights = { view: 1, click: 1, add_to_cart: 3, purchase: 10 };
    expect(await check({ runId: 'r1', weights })).toMatchObject({ weights });
    await expect(check({ weights: { ...weights, view: -1 } })).rejects.toThrow(/at weights.view/);
    await expect(check({ k: 0 })).rejects.toThrow(/Run input is invalid at k/);
    // Parameters the run gives are fixed for the trainer, with the search's time budget.
    const params = { rank: 12, budgetSeconds: 30 };
    expect(await check({ runId: 'r1', params })).toMatchObject({ alsParams: JSON.stringify(params) });
    await expect(check({ params: { budgetSeconds: 0 } })).rejects.toThrow(/at params.budgetSeconds/);
    expect(await check({ runId: 'r1', dataKeys: [dataKey] })).toMatchObject({ dataKeys: [dataKey] });
    objects.set('features/_registry/interactions/v=20261120T000000Z.json', '{}');
    expect(await check({ runId: 'r1', featureVersion: '20261120T000000Z' })).toMatchObject({
      featureVersion: '20261120T000000Z',
    });
  });

  it('rejects a pinned raw version that failed validation, or was not validated, naming why', async () => {
    status(false);
    await expect(check({ dataKeys: [dataKey] })).rejects.toMatchObject({
      name: 'InputBlockedError',
      message: `${dataKey} failed its critical quality checks (rating_1_5); see reports/x.html.`,
    });
    status(true, 'f'.repeat(32)); // validated, but another version of the bytes
    await expect(check({ dataKeys: [dataKey] })).rejects.toMatchObject({
      name: 'InputBlockedError',
      message: expect.stringContaining('has not been validated yet'),
    });
  });

  it('rejects pins that do not exist, are malformed, or are given together', async () => {
    status(true);
    await expect(check({ dataKeys: ['raw/transactions/dt=2026-01-01/nope.csv'] })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('is not in s3://'),
    });
    await expect(check({ featureVersion: '20261120T000000Z' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('Feature version 20261120T000000Z does not exist'),
    });
    await expect(check({ featureVersion: 'latest' })).rejects.toThrow(/featureVersion must look like/);
    await expect(check({ dataKeys: ['landing/x.csv'] })).rejects.toThrow(/dataKeys must be raw/);
    await expect(check({ featureVersion: '20261120T000000Z', dataKeys: [dataKey] })).rejects.toThrow(/not both/);
  });

  it('keys the run by the execution name when the input names no runId (scheduled runs)', async () => {
    status(true);
    const scheduled = { document: {}, executionName: 'a1b2c3d4-e5f6-47a8-99b0-c1d2e3f4a5b6' };
    expect(await check(scheduled)).toMatchObject({ runId: scheduled.executionName });
    expect(await check({ ...scheduled, document: { runId: 'mine' } })).toMatchObject({ runId: 'mine' });
  });

  it('reads thousands of versions in parallel and keeps its result small, the full blocked list on S3', async () => {
    // 2,000 versions (a day of clickstream micro-batches), 1,500 of them blocked.
    objects.clear();
    const total = 2000;
    for (let i = 0; i < total; i++) {
      const key = `raw/clickstream/dt=2026-11-20/hour=${String(i % 24).padStart(2, '0')}/batch-${i}.jsonl`;
      const m = buildManifest({
        dataset: 'clickstream',
        dataKey: key,
        contentType: 'application/x-ndjson',
        body: Buffer.from(`${i}\n`),
        records: 1,
        schemaVersion: '1',
      });
      objects.set(manifestKeyFor(key), JSON.stringify(m));
      const usable = i % 4 === 0;
      objects.set(
        lakeKeys.qualityStatus(key),
        JSON.stringify({
          dataKey: key,
          md5: m.md5,
          usable,
          failedCritical: usable ? [] : ['event_time_valid'],
          report: `reports/${i}.html`,
        }),
      );
    }
    let inFlight = 0;
    let most = 0;
    bucket.setAfter(async (command) => {
      if (command !== 'GetObject') return;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    });
    const result = await check({ document: {}, executionName: 'sched-1' });
    expect(result).toMatchObject({
      runId: 'sched-1',
      blockedCount: 1500,
      blockedReport: 'reports/pipeline/sched-1/blocked.json',
    });
    expect(result.blocked).toHaveLength(MAX_BLOCKED_LISTED);
    expect(result.datasets).toEqual({ clickstream: { manifests: 500, blocked: 1500 } });
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(16 * 1024);
    const report = JSON.parse(objects.get('reports/pipeline/sched-1/blocked.json') ?? '[]') as unknown[];
    expect(report).toHaveLength(1500);
    expect(most).toBeGreaterThan(1);
  });
});
