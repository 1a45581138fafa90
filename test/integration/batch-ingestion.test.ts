import { InvokeCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { lambdaClient } from '../../layers/aws/control-plane-clients';
import { sourceTag } from '../../layers/ingest/landing';
import { Ledger } from '../../layers/ingest/ledger';
import { auditManifest, listKeys } from '../../layers/lake/inventory';
import { getBytes, getManifest } from '../../layers/lake/s3-io';
import { isManifestKey, manifestKeyFor } from '../../layers/lake/zones';
import { readRunEvents, traceLineage } from '../../layers/lineage/openlineage';
import { eventually, type TestCloud, testCloud, withMetadataMock } from '../helpers/cloud';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** Batch layer over real APIs: S3 drops, the ledger, master data, metadata pull. */
describe('batch ingestion on the cloud', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;

  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
    ledger = new Ledger(dynamoDbDocumentClient({ env: cloud.env }), cloud.outputs.LedgerTableName as string);
  });

  /** key → MD5 of every object under `prefix` whose key contains `marker`. */
  async function snapshot(prefix: string, marker: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for await (const key of listKeys(s3, bucket, prefix)) {
      if (!key.includes(marker)) continue;
      out[key] = isManifestKey(key)
        ? JSON.stringify(await getManifest(s3, bucket, key))
        : Buffer.from(await getBytes(s3, bucket, key)).toString('base64');
    }
    return out;
  }

  /** Does landing still hold the key? */
  async function landingHolds(key: string): Promise<boolean> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  }

  async function doneVersion(key: string, version: number, timeoutMs = 60_000) {
    return eventually(
      async () => (await ledger.versions(key)).find((v) => v.version === version && v.status === 'DONE'),
      timeoutMs,
      `version ${version} of ${key} to be ingested`,
    );
  }

  async function rowsIn(prefix: string, marker: string): Promise<{ raw: string[]; quarantined: string[] }> {
    const raw: string[] = [];
    const quarantined: string[] = [];
    for await (const key of listKeys(s3, bucket, prefix)) {
      if (!key.includes(marker) || !isManifestKey(key)) continue;
      expect(await auditManifest(s3, bucket, key)).toMatchObject({ ok: true });
    }
    for await (const key of listKeys(s3, bucket, 'raw/transactions/')) {
      if (!key.includes(marker) || isManifestKey(key)) continue;
      raw.push(
        ...Buffer.from(await getBytes(s3, bucket, key))
          .toString()
          .trim()
          .split('\n')
          .slice(1),
      );
    }
    for await (const key of listKeys(s3, bucket, 'quarantine/transactions/')) {
      if (!key.includes(marker) || !key.endsWith('.jsonl')) continue;
      quarantined.push(
        ...Buffer.from(await getBytes(s3, bucket, key))
          .toString()
          .trim()
          .split('\n'),
      );
    }
    return { raw, quarantined };
  }

  const sourceKey = 'landing/transactions/bi-orders.csv';
  const good = [
    'bi1,u1,p1,1,9.99,5,2026-11-18T10:00:00Z',
    'bi2,u2,p2,2,5.00,,1795176000',
    'bi3,u3,p1,1,9.99,4,2026-11-19T23:59:59+00:00',
    'bi4,u1,"p,odd",3,1.25,3,2026-11-19T08:00:00Z',
  ];
  const bad = [
    'bi5,u4,p1,1,9.99,4,', // no timestamp
    'bi6,u4,p1,1,9.99,4,next week', // not a timestamp
    'bi7,u4,p1,1,9.99', // wrong column count
    'bi8,"u4,p1,1,9.99,4,2026-11-19T08:00:00Z', // unbalanced quote
  ];
  const csv = `${[HEADER, ...good, ...bad].join('\n')}\n`;

  it('puts every row in exactly one of raw or quarantine, with manifests, lineage and the source archived', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sourceKey, Body: csv }));
    const entry = await eventually(
      async () => (await ledger.versions(sourceKey)).find((v) => v.status === 'DONE') ?? undefined,
      60_000,
      'the ledger to record the ingest',
    );
    expect(entry.version).toBe(1);
    const { raw, quarantined } = await rowsIn('raw/transactions/', 'bi-orders');
    expect(raw.sort()).toEqual([...good].sort());
    expect(quarantined).toHaveLength(bad.length);
    const reasons = quarantined.map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons.join('\n')).toMatch(/timestamp is missing/);
    expect(reasons.join('\n')).toMatch(/quoted field opened on this line is never closed/);
    // Each rejected row keeps its line number and exact text.
    expect(quarantined.map((l) => (JSON.parse(l) as { line: number; raw: string }).raw).sort()).toEqual(
      [...bad].sort(),
    );
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: sourceKey }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    const name = `${sourceTag(sourceKey)}.v1`;
    expect((entry.outputs ?? []).filter((k) => k.startsWith('raw/transactions/dt=')).sort()).toEqual([
      `raw/transactions/dt=2026-11-18/ingested_${name}.csv`,
      `raw/transactions/dt=2026-11-19/ingested_${name}.csv`,
      `raw/transactions/dt=2026-11-20/ingested_${name}.csv`, // 1795176000 is 2026-11-20T09:20Z
    ]);
    expect(entry.archiveKey).toMatch(new RegExp(`^archive/transactions/.+/${name}\\.csv$`));
    expect(Buffer.from(await getBytes(s3, bucket, entry.archiveKey as string)).toString()).toBe(csv);

    // Lineage: the raw partition came from the landing file; the landing file produced raw, quarantine, archive.
    const events = await readRunEvents(s3, bucket);
    const rawKey = `raw/transactions/dt=2026-11-19/ingested_${name}.csv`;
    const { upstream } = traceLineage(events, rawKey);
    expect(upstream.children.map((c) => c.dataset)).toEqual([sourceKey]);
    const { downstream } = traceLineage(events, sourceKey);
    const built = downstream.children.map((c) => c.dataset);
    expect(built).toEqual(expect.arrayContaining([rawKey, entry.archiveKey]));
  });

  it('treats a duplicate drop of the same bytes as a no-op, appends a changed file, and replaces only when told', async () => {
    const before = await snapshot('raw/transactions/', 'bi-orders');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sourceKey, Body: csv }));
    await eventually(
      async () => ((await landingHolds(sourceKey)) ? undefined : true),
      60_000,
      'the duplicate to leave landing/',
    );
    expect(await snapshot('raw/transactions/', 'bi-orders')).toEqual(before);
    expect(await ledger.versions(sourceKey)).toHaveLength(1);

    // Version 2 (new bytes under the same name, as a daily export does) is a new batch: appended.
    const day2 = `${[HEADER, 'bi9,u9,p9,1,2.50,,2026-11-21T09:00:00Z'].join('\n')}\n`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sourceKey, Body: day2 }));
    await doneVersion(sourceKey, 2);
    const appended = await rowsIn('raw/transactions/', 'bi-orders');
    expect(appended.raw.sort()).toEqual([...good, 'bi9,u9,p9,1,2.50,,2026-11-21T09:00:00Z'].sort());

    // Version 3 says it replaces: the earlier versions' raw data is retired, their ledger entries say so.
    const corrected = `${[HEADER, ...good.slice(1)].join('\n')}\n`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: sourceKey,
        Body: corrected,
        Metadata: { 'recomart-mode': 'replace' },
      }),
    );
    await doneVersion(sourceKey, 3);
    const replaced = await rowsIn('raw/transactions/', 'bi-orders');
    expect(replaced.raw.sort()).toEqual([...good.slice(1)].sort());
    const versions = await ledger.versions(sourceKey);
    expect(versions.map((v) => [v.version, v.status, v.mode]).sort()).toEqual([
      [1, 'RETIRED', 'append'],
      [2, 'RETIRED', 'append'],
      [3, 'DONE', 'replace'],
    ]);
    const manifestKey = Object.keys(await snapshot('raw/transactions/dt=2026-11-19/', 'bi-orders')).find(isManifestKey);
    expect((await getManifest(s3, bucket, manifestKey as string)).source).toMatchObject({
      key: sourceKey,
      ledgerVersion: 3,
    });
  });

  it('never re-triggers on objects written outside the landing prefixes', async () => {
    const planted = [
      'raw/transactions/dt=2026-01-01/planted.csv',
      'archive/transactions/2026-01-01/planted.csv',
      'quarantine/transactions/dt=2026-01-01/planted.csv',
      'lineage/planted.csv',
      'landing/elsewhere/planted.csv',
    ];
    for (const key of planted) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));
    // A control drop that must trigger, so the wait below is not just a sleep.
    const control = 'landing/transactions/bi-control.csv';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: control, Body: csv.replace(/bi(\d)/g, 'bc$1') }));
    await eventually(
      async () => ((await ledger.versions(control)).some((v) => v.status === 'DONE') ? true : undefined),
      60_000,
      'the control drop to be ingested',
    );
    for (const key of planted) {
      expect(await ledger.versions(key)).toEqual([]);
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).resolves.toBeDefined();
    }
  });

  it('syncs catalog and customers to latest + a dated snapshot, quarantining bad rows', async () => {
    const catalog = [
      'product_id,title,category,brand,price,created_at',
      'p00001,Trail shoe,shoes,Acme,89.90,2025-01-02',
      'p00002,Kettle,kitchen,Brewco,34.00,2025-02-03T10:00:00Z',
      'p00002,Kettle again,kitchen,Brewco,35.00,2025-02-03', // duplicate key
      'p00003,Lamp,home,Lux,-4,2025-03-04', // negative price
    ].join('\n');
    const customers = [
      'customer_id,signup_date,region,segment',
      'u1,2024-05-01,eu-west,loyal',
      'u2,not-a-date,us,new',
    ].join('\n');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'landing/master/catalog/catalog-export.csv', Body: catalog }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'landing/master/customers/customers.csv', Body: customers }),
    );
    for (const entity of ['catalog', 'customers']) {
      const latest = `raw/master/${entity}/latest/${entity}.csv`;
      await eventually(
        async () => {
          try {
            await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: manifestKeyFor(latest) }));
            return true;
          } catch {
            return undefined;
          }
        },
        60_000,
        `${entity} to land`,
      );
      expect(await auditManifest(s3, bucket, manifestKeyFor(latest))).toMatchObject({ ok: true });
      const dated = (await snapshot(`raw/master/${entity}/dt=`, `${entity}.csv`)) as Record<string, string>;
      expect(Object.keys(dated).some((k) => !isManifestKey(k))).toBe(true);
    }
    const latestCatalog = Buffer.from(await getBytes(s3, bucket, 'raw/master/catalog/latest/catalog.csv')).toString();
    expect(latestCatalog.trim().split('\n')).toEqual([
      'product_id,title,category,brand,price,created_at',
      'p00001,Trail shoe,shoes,Acme,89.90,2025-01-02',
      'p00002,Kettle,kitchen,Brewco,34.00,2025-02-03T10:00:00Z',
    ]);
    const q: string[] = [];
    for await (const key of listKeys(s3, bucket, 'quarantine/master/catalog/')) {
      if (key.includes('catalog-export') && key.endsWith('.jsonl'))
        q.push(
          ...Buffer.from(await getBytes(s3, bucket, key))
            .toString()
            .trim()
            .split('\n'),
        );
    }
    expect(q.map((l) => (JSON.parse(l) as { line: number; reason: string }).reason)).toEqual([
      'duplicate product_id "p00002" (first on line 3)',
      'price: must be a non-negative number',
    ]);
  });

  (cloud_external() ? describe.skip : describe)('metadata pull', () => {
    const control = async (behaviour: Record<string, number>) => {
      const res = await fetch(`${cloud.metadataApi}/_control`, { method: 'POST', body: JSON.stringify(behaviour) });
      expect(res.ok).toBe(true);
    };
    const pull = async () => {
      const out = await lambdaClient({ env: cloud.env }).send(
        new InvokeCommand({
          FunctionName: cloud.outputs.MetadataPullFunctionName,
          Payload: JSON.stringify({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
        }),
      );
      return { error: out.FunctionError, payload: JSON.parse(Buffer.from(out.Payload ?? []).toString() || 'null') };
    };
    const today = () => new Date().toISOString().slice(0, 10);

    it('survives two injected failures and writes the flattened file', async () => {
      const result = await withMetadataMock(async () => {
        await control({ failNext: 1, malformedNext: 1 });
        return pull();
      });
      expect(result.error).toBeUndefined();
      expect(result.payload).toMatchObject({ products: 300, attempts: 3 });
      const key = `raw/external_metadata/dt=${today()}/external_metadata.csv`;
      expect(await auditManifest(s3, bucket, manifestKeyFor(key))).toMatchObject({ ok: true, records: 300 });
      const [header, first] = Buffer.from(await getBytes(s3, bucket, key))
        .toString()
        .split('\n');
      expect(header).toBe(
        'product_id,external_rating_average,external_rating_count,popularity_views_7d,popularity_trend,sentiment_score,sentiment_label,tags,updated_at',
      );
      expect(first).toMatch(/^p00001,/);
    });

    it('gives up cleanly after three failed attempts and leaves the last good file alone', async () => {
      const manifestKey = manifestKeyFor(`raw/external_metadata/dt=${today()}/external_metadata.csv`);
      const before = await getManifest(s3, bucket, manifestKey);
      const result = await withMetadataMock(async () => {
        await control({ failNext: 2, stallNext: 1 });
        return pull();
      });
      expect(result.error).toBe('Unhandled');
      // The mock stalls first, then fails: one timeout and two 503s, then the pull gives up.
      expect(result.payload.errorMessage).toMatch(
        /failed 3 times: attempt 1: no response within 10000 ms; attempt 2: HTTP 503.*attempt 3: HTTP 503/,
      );
      expect(await getManifest(s3, bucket, manifestKey)).toEqual(before);
    });
  });

  function cloud_external(): boolean {
    return JSON.parse(process.env.RECOMART_TEST_CLOUD ?? '{"external":true}').external === true;
  }
});
