import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/validate/index';
import { buildManifest } from '../../../layers/lake/manifest';
import { exploreTransactions } from '../../../layers/quality/eda';
import * as report from '../../../layers/quality/report';
import { validateRawVersion } from '../../../layers/quality/validate-version';
import { lambdaContext } from '../../helpers/lambda';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';
const dataKey = 'raw/transactions/dt=2026-11-20/ingested_x.csv';
const body = `${HEADER}\nt1,u1,p1,1,9.99,5,2026-11-20T10:00:00Z\nt2,u1,p1,1,9.99,9,2026-11-20T11:00:00Z\n`;
const manifest = buildManifest({
  dataset: 'transactions',
  dataKey,
  contentType: 'text/csv',
  body: Buffer.from(body),
  records: 2,
  schemaVersion: '1',
});

/** The use case with its dependencies (no module state): verdicts and log lines are kept for the test. */
function run(manifestKey: string) {
  const verdicts: [string, boolean][] = [];
  const logged: string[] = [];
  const done = validateRawVersion(
    {
      s3: new S3Client({ region: 'us-east-1' }),
      bucket: 'test-lake',
      codeVersion: 'test',
      now: () => new Date('2026-11-21T00:00:00Z'),
      logger: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
      report,
      publishVerdict: (dataset, failed) => verdicts.push([dataset, failed]),
    },
    manifestKey,
  );
  return { done, verdicts, logged };
}

/** An S3 notification as AWS sends it (the handler's parser checks the shape). */
const s3Event = (key: string) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3' as const,
      awsRegion: 'us-east-1',
      eventTime: '2026-11-20T10:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: {
        'x-amz-request-id': 'C3D13FE58DE4C810',
        'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'validate',
        bucket: {
          name: 'test-lake',
          ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
          arn: 'arn:aws:s3:::test-lake',
        },
        object: { key, size: 1, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5' },
      },
    },
  ],
});
// What the SDK returns in Node: a Readable that can also be collected whole.
const stream = (text: string) => ({
  Body: Object.assign(Readable.from([Buffer.from(text)]), {
    transformToByteArray: async () => new Uint8Array(Buffer.from(text)),
  }) as never,
});

describe('validating a raw version', () => {
  beforeEach(() => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand, { Key: 'raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json' }).callsFake(() =>
      stream(JSON.stringify(manifest)),
    );
    s3.on(GetObjectCommand, { Key: dataKey }).callsFake(() => stream(body));
  });

  it('writes the reports, quarantines failing rows and marks the version not usable; missing references are skipped', async () => {
    s3.on(GetObjectCommand, { Key: 'raw/master/catalog/latest/catalog.csv' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: {} }),
    );
    s3.on(GetObjectCommand, { Key: 'raw/master/customers/latest/customers.csv' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: {} }),
    );
    const { done, verdicts } = run('raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json');
    await done;
    expect(verdicts).toEqual([['transactions', true]]);
    const puts = Object.fromEntries(
      s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input]),
    );
    const base = 'reports/quality/transactions/dt=2026-11-20/ingested_x';
    expect(Object.keys(puts)).toEqual(
      expect.arrayContaining([
        `${base}.json`,
        `${base}.html`,
        `${base}.pdf`,
        'quarantine/quality/transactions/dt=2026-11-20/ingested_x.jsonl',
      ]),
    );
    expect(
      String(puts[`${base}.pdf`]?.Body instanceof Buffer ? (puts[`${base}.pdf`]?.Body as Buffer).subarray(0, 5) : ''),
    ).toBe('%PDF-');
    const status = JSON.parse(String(puts[`reports/quality/_status/${dataKey}.json`]?.Body));
    expect(status).toMatchObject({
      dataKey,
      md5: manifest.md5,
      usable: false,
      failedCritical: ['types', 'rating_1_5'],
      report: `${base}.html`,
    });
    const result = JSON.parse(String(puts[`${base}.json`]?.Body));
    expect(result.checks.find((c: { id: string }) => c.id === 'product_exists').threshold).toMatch(/not evaluated/);
  });

  it('reads a reference written between its GET (403: missing, no ListBucket) and the listing, and checks against it', async () => {
    // What AWS answers a role that may list only prefixes: 403 for a missing key. The catalog lands
    // right after: the listing finds it, and the read is tried again.
    const denied = () =>
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const catalog = 'raw/master/catalog/latest/catalog.csv';
    let catalogReads = 0;
    s3.on(GetObjectCommand, { Key: catalog }).callsFake(() => {
      catalogReads++;
      if (catalogReads === 1) throw denied();
      return stream('product_id,title,category,brand,price,created_at\np1,Lamp,home,Acme,9.99,2025-01-01\n');
    });
    s3.on(GetObjectCommand, { Key: 'raw/master/customers/latest/customers.csv' }).rejects(denied());
    s3.on(ListObjectsV2Command, { Prefix: catalog }).resolves({ Contents: [{ Key: catalog }] });
    s3.on(ListObjectsV2Command, { Prefix: 'raw/master/customers/latest/customers.csv' }).resolves({ Contents: [] });
    await run('raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json').done;
    expect(catalogReads).toBe(2);
    const puts = Object.fromEntries(
      s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input]),
    );
    const result = JSON.parse(String(puts['reports/quality/transactions/dt=2026-11-20/ingested_x.json']?.Body));
    const productExists = result.checks.find((c: { id: string }) => c.id === 'product_exists');
    expect(productExists.threshold).not.toMatch(/not evaluated/);
    expect(productExists.failures).toBe(0);
    // The customers reference is really missing: its checks are skipped, not failed.
    expect(result.checks.find((c: { id: string }) => c.id === 'customer_exists').threshold).toMatch(/not evaluated/);
  });

  it('fails the invocation (for the retry) when the data object cannot be read', async () => {
    s3.on(GetObjectCommand, { Key: dataKey }).rejects(new Error('SlowDown'));
    s3.on(GetObjectCommand, { Key: 'raw/master/catalog/latest/catalog.csv' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: {} }),
    );
    s3.on(GetObjectCommand, { Key: 'raw/master/customers/latest/customers.csv' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: {} }),
    );
    await expect(run('raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json').done).rejects.toThrow('SlowDown');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('does nothing for a version a re-upload retired before its validation ran', async () => {
    s3.on(GetObjectCommand, { Key: 'raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: {} }),
    );
    const { done, verdicts, logged } = run('raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json');
    await done;
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(verdicts).toEqual([]);
    expect(logged).toEqual(['version retired before validation: nothing to validate']);
  });
});

describe('validate handler', () => {
  beforeEach(() => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no', $metadata: {} }));
  });

  it('takes an S3 notification as AWS sends it, with the key URL-encoded', async () => {
    await handler(s3Event('raw/transactions/dt%3D2026-11-20/_ingested_x.csv.manifest.json'), lambdaContext);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input.Key).toBe(
      'raw/transactions/dt=2026-11-20/_ingested_x.csv.manifest.json',
    );
  });

  it('ignores the latest/ copy of master data (its dated snapshot is validated)', async () => {
    await handler(s3Event('raw/master/catalog/latest/_catalog.csv.manifest.json'), lambdaContext);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('refuses an event that is not an S3 notification', async () => {
    await expect(handler({ Records: [{ s3: { object: { key: 'x' } } }] } as never, lambdaContext)).rejects.toThrow();
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});

describe('exploreTransactions', () => {
  it('counts the long tail, ratings, days and categories', async () => {
    const csv = `${HEADER}\nt1,u1,p1,1,1,5,2026-11-20T10:00:00Z\nt2,u1,p2,1,1,4,2026-11-21T10:00:00Z\nt3,u2,p1,1,1,,1795000000\n`;
    const eda = await exploreTransactions(Readable.from([csv]), 'x', new Map([['p1', 'home']]));
    expect(eda).toMatchObject({ rows: 3, users: 2, items: 2 });
    const chart = (id: string) => eda.charts.find((c) => c.id === id)?.bars;
    expect(chart('per_user')?.slice(0, 2)).toEqual([
      { label: '1', count: 1 },
      { label: '2', count: 1 },
    ]);
    expect(chart('rating')).toEqual([
      { label: '4', count: 1 },
      { label: '5', count: 1 },
    ]);
    expect(chart('categories')).toEqual([{ label: 'home', count: 2 }]);
    expect(chart('per_item')).toEqual([
      { label: '1', count: 2 },
      { label: '2', count: 1 },
    ]);
  });
});
