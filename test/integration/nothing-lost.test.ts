import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ingestLandingObject, type LandingIngest, sourceTag } from '../../layers/ingest/landing';
import { Ledger, type LedgerEntry } from '../../layers/ingest/ledger';
import { listKeys } from '../../layers/lake/inventory';
import { copyVersion, deleteVersion, getBytes, SourceChangedError } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** `n` rows with ids `<marker>-<i>`, on `day`. */
function rows(marker: string, n: number, day = '2026-10-05'): string[] {
  return Array.from({ length: n }, (_, i) => `${marker}-${i},u${i % 97},p${i % 31},1,9.99,,${day}T10:00:00Z`);
}
const file = (lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;

/**
 * The conservation promise for landing files, counted from the lake: every row sent is found exactly
 * once in raw/ or quarantine/, whatever the file's name, folder, timing or bytes.
 */
describe('nothing lost: landing files', () => {
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

  /** Transaction id → times found, over the raw rows of every version of `sourceKey`. */
  async function rawIds(sourceKey: string): Promise<Map<string, number>> {
    const tag = `ingested_${sourceTag(sourceKey)}.v`;
    const ids = new Map<string, number>();
    for await (const key of listKeys(s3, bucket, 'raw/transactions/')) {
      if (isManifestKey(key) || !key.includes(tag)) continue;
      const lines = Buffer.from(await getBytes(s3, bucket, key))
        .toString('utf8')
        .split('\n')
        .slice(1);
      for (const line of lines) {
        if (line === '') continue;
        const id = line.slice(0, line.indexOf(','));
        ids.set(id, (ids.get(id) ?? 0) + 1);
      }
    }
    return ids;
  }

  /** The quarantine records of every version of `sourceKey`. */
  async function quarantined(
    sourceKey: string,
  ): Promise<{ line: number; reason: string; raw: string; rawBase64?: string }[]> {
    const tag = sourceTag(sourceKey);
    const out: { line: number; reason: string; raw: string; rawBase64?: string }[] = [];
    for await (const key of listKeys(s3, bucket, 'quarantine/transactions/')) {
      if (!key.includes(`/${tag}.v`) || !key.endsWith('.jsonl') || isManifestKey(key)) continue;
      const text = Buffer.from(await getBytes(s3, bucket, key))
        .toString('utf8')
        .trim();
      out.push(...text.split('\n').map((l) => JSON.parse(l)));
    }
    return out;
  }

  async function allDone(sourceKey: string, versions: number, timeoutMs = 90_000): Promise<LedgerEntry[]> {
    return eventually(
      async () => {
        const all = await ledger.versions(sourceKey);
        return all.length === versions && all.every((v) => v.status === 'DONE') ? all : undefined;
      },
      timeoutMs,
      `${versions} versions of ${sourceKey} to be ingested`,
      100,
    );
  }

  async function inLanding(key: string): Promise<boolean> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  }

  /** The ingest marks a version DONE in its ledger, then deletes the landing file: wait for the delete. */
  const leavesLanding = (key: string) =>
    eventually(async () => ((await inLanding(key)) ? undefined : true), 30_000, `${key} to leave landing`, 100);

  const put = (key: string, body: string | Buffer, extra: Record<string, unknown> = {}) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));

  it('keeps two files with the same name in different folders apart: 100 + 40 rows in raw, both archived', async () => {
    const a = 'landing/transactions/nl-storeA/daily.csv';
    const b = 'landing/transactions/nl-storeB/daily.csv';
    const rowsA = rows('nlA', 100);
    const rowsB = rows('nlB', 40);
    await put(a, file(rowsA));
    await put(b, file(rowsB));
    const [va] = await allDone(a, 1);
    const [vb] = await allDone(b, 1);
    expect([...(await rawIds(a)).keys()].sort()).toEqual(rowsA.map((r) => r.split(',')[0]).sort());
    expect([...(await rawIds(b)).keys()].sort()).toEqual(rowsB.map((r) => r.split(',')[0]).sort());
    expect(va?.archiveKey).not.toBe(vb?.archiveKey);
    expect(Buffer.from(await getBytes(s3, bucket, va?.archiveKey as string)).toString()).toBe(file(rowsA));
    expect(Buffer.from(await getBytes(s3, bucket, vb?.archiveKey as string)).toString()).toBe(file(rowsB));
  });

  it('appends a fixed-name daily export: both days are in raw', async () => {
    const key = 'landing/transactions/nl-erp/transactions.csv';
    const day1 = rows('nlD1', 30, '2026-10-01');
    const day2 = rows('nlD2', 25, '2026-10-02');
    await put(key, file(day1));
    await allDone(key, 1);
    await put(key, file(day2));
    await allDone(key, 2);
    const ids = await rawIds(key);
    expect(ids.size).toBe(55);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
  });

  it.each([
    ['a small change lands while a big version is being ingested', 90_000, 60_000],
    ['a big change lands while a small version is being ingested', 60_000, 90_000],
  ])(
    'loses nothing when %s: both versions appended, in order',
    async (_name, first, second) => {
      const key = `landing/transactions/nl-race-${first}.csv`;
      const v1 = rows(`nlR${first}a`, first);
      const v2 = rows(`nlR${first}b`, second);
      await put(key, file(v1));
      // Upload v2 once v1 is archived (its bytes are safe) but, with these sizes, still being ingested.
      await eventually(
        async () => (await ledger.versions(key)).find((v) => v.status === 'IN_PROGRESS' || v.status === 'DONE'),
        60_000,
        'version 1 to be claimed',
        20,
      );
      await eventually(
        async () => {
          for await (const k of listKeys(s3, bucket, 'archive/transactions/'))
            if (k.includes(`/${sourceTag(key)}.v1`)) return true;
          return undefined;
        },
        60_000,
        'version 1 to be archived',
        20,
      );
      await put(key, file(v2));
      const versions = await allDone(key, 2, 120_000);
      expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
      const ids = await rawIds(key);
      expect(ids.size).toBe(first + second);
      expect([...ids.values()].every((n) => n === 1)).toBe(true);
      expect(await leavesLanding(key)).toBe(true);
    },
    240_000,
  );

  it('ingests keys with any legal characters end to end', async () => {
    const key = 'landing/transactions/nl odd/a+b&c:d;e=f@g,h$i?j#k%l ü €.csv';
    await put(key, file(rows('nlK', 7)));
    await allDone(key, 1);
    expect((await rawIds(key)).size).toBe(7);
    expect(await leavesLanding(key)).toBe(true);
  });

  it('keeps the rest of a file after a stray quote and an unclosed one, quarantining just those lines', async () => {
    const key = 'landing/transactions/nl-hostile.csv';
    const lines = rows('nlH', 1000);
    lines[10] = 'nlH-10,u1,"27" monitor",1,9.99,,2026-10-05T10:00:00Z';
    lines[500] = 'nlH-500,u1,"unclosed,1,9.99,,2026-10-05T10:00:00Z';
    await put(key, file(lines));
    await allDone(key, 1);
    const ids = await rawIds(key);
    expect(ids.size).toBe(998);
    const q = await quarantined(key);
    expect(q.map((r) => [r.line, r.raw]).sort()).toEqual([
      [12, lines[10]],
      [502, lines[500]],
    ]);
  });

  it('quarantines latin-1 bytes with their exact bytes, and reads them when the charset is declared', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}\nnlL-1,u1,p1,1,9.99,,2026-10-05T10:00:00Z\nnlL-2,u1,Caf`),
      Buffer.from([0xe9]),
      Buffer.from(',1,9.99,,2026-10-05T10:00:00Z\n'),
    ]);
    const undeclared = 'landing/transactions/nl-latin1.csv';
    await put(undeclared, latin1, { ContentType: 'text/csv' });
    await allDone(undeclared, 1);
    expect([...(await rawIds(undeclared)).keys()]).toEqual(['nlL-1']);
    const [q] = await quarantined(undeclared);
    expect(q?.reason).toMatch(/not valid UTF-8/);
    expect(Buffer.from(q?.rawBase64 ?? '', 'base64').equals(latin1.subarray(latin1.indexOf('nlL-2'), -1))).toBe(true);

    const declared = 'landing/transactions/nl-latin1-declared.csv';
    await put(declared, latin1, { ContentType: 'text/csv; charset=iso-8859-1' });
    await allDone(declared, 1);
    const tag = `ingested_${sourceTag(declared)}.v1`;
    let text = '';
    for await (const k of listKeys(s3, bucket, 'raw/transactions/'))
      if (k.includes(tag) && !isManifestKey(k)) text += Buffer.from(await getBytes(s3, bucket, k)).toString('utf8');
    expect(text).toContain('nlL-2,u1,Café,');
  });
});

/**
 * The two orders of a changed re-upload, driven directly (not through S3 events), on a prefix that
 * triggers nothing: the local bucket is not versioned, so a version overwritten before it was archived
 * cannot be read any more; it is recorded as superseded, never half-ingested.
 */
describe('nothing lost: versions of one key, in either order (local S3, unversioned)', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let bucket: string;
  let ingest: LandingIngest;
  let ledger: Ledger;
  const seen: string[] = [];
  /** A step reading `first` waits here: the test uploads the next version while it holds the key. */
  let gate: Promise<void> = Promise.resolve();
  let entered: () => void = () => undefined;

  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
    ledger = new Ledger(dynamoDbDocumentClient({ env: cloud.env }), cloud.outputs.LedgerTableName as string);
    ingest = {
      s3,
      bucket,
      ledger,
      job: 'nl-order-test',
      dataset: 'nl-order',
      codeVersion: 'test',
      log: () => undefined,
      archiveKey: (name) => `archive/nl-order/${name}.csv`,
      quarantineDir: () => 'quarantine/nl-order',
      step: async (body) => {
        let text = '';
        for await (const chunk of body) text += chunk.toString();
        if (text === 'first') {
          entered();
          await gate;
        }
        seen.push(text);
        return { outputs: [] };
      },
    };
  });

  it('checks conditions as S3 does: a stale ETag neither copies nor deletes', async () => {
    const key = 'landing/nl-order/cond.csv';
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'two' }));
    await expect(copyVersion(s3, bucket, { key, eTag: v1.ETag as string }, 'archive/nl-order/x')).rejects.toThrow(
      SourceChangedError,
    );
    expect(await deleteVersion(s3, bucket, { key, eTag: v1.ETag as string })).toBe('changed');
    expect(Buffer.from(await getBytes(s3, bucket, key)).toString()).toBe('two');
    expect(await deleteVersion(s3, bucket, { key, eTag: v2.ETag as string })).toBe('deleted');
    expect(await deleteVersion(s3, bucket, { key, eTag: v2.ETag as string })).toBe('gone');
  });

  it('ingests the newer version and records the overwritten one as superseded when the newer event comes first', async () => {
    const key = 'landing/nl-order/late.csv';
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'version one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'version two' }));
    seen.length = 0;
    expect(await ingestLandingObject(ingest, { key, eTag: v2.ETag as string, sequencer: '02' })).toMatchObject({
      outcome: 'ingested',
      version: 1,
    });
    expect(await ingestLandingObject(ingest, { key, eTag: v1.ETag as string, sequencer: '01' })).toMatchObject({
      outcome: 'superseded',
    });
    expect(seen).toEqual(['version two']);
    const versions = await ledger.versions(key);
    expect(versions.map((v) => [v.eTag.replace(/"/g, ''), v.status]).sort()).toEqual(
      [
        [(v1.ETag as string).replace(/"/g, ''), 'SUPERSEDED'],
        [(v2.ETag as string).replace(/"/g, ''), 'DONE'],
      ].sort(),
    );
  });

  it('ingests both, in order, when a newer version is uploaded while the older one is being ingested', async () => {
    const key = 'landing/nl-order/inorder.csv';
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const inStep = new Promise<void>((resolve) => {
      entered = resolve;
    });
    seen.length = 0;
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first' }));
    const first = ingestLandingObject(ingest, { key, eTag: v1.ETag as string, sequencer: '01' });
    await inStep; // version 1 is archived and being read; it holds the key
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second' }));
    const second = ingestLandingObject(
      ingest,
      { key, eTag: v2.ETag as string, sequencer: '02' },
      { waitUntil: Date.now() + 60_000 },
    );
    open();
    expect((await Promise.all([first, second])).map((o) => o.outcome)).toEqual(['ingested', 'ingested']);
    expect(seen).toEqual(['first', 'second']);
    // Version 1 removed only its own bytes from landing; version 2 removed its own.
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
      name: 'NotFound',
    });
  });
});
