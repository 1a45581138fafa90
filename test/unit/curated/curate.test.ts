import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { curatedFile, curateGroup, curationGroups } from '../../../layers/curated/curate';
import { curatePlanned, curationWork, planFeatureBuild } from '../../../layers/features/select';
import { auditManifest } from '../../../layers/lake/inventory';
import { lakeKeys } from '../../../layers/lake/keys';
import { buildManifest } from '../../../layers/lake/manifest';
import { manifestKeyFor } from '../../../layers/lake/zones';
import { SUITES } from '../../../layers/quality/suites';
import { validateStream } from '../../../layers/quality/validate';
import { memoryBucket } from '../../helpers/memory-bucket';
import { parquetColumns, parquetSelect } from '../../helpers/parquet';

const BUCKET = 'lake';
const s3 = mockClient(S3Client);
mockClient(DynamoDBDocumentClient);
const client = new S3Client({ region: 'us-east-1' });
const opts = { s3: client, bucket: BUCKET, codeVersion: 'test' };
let objects: Map<string, Buffer>;
beforeEach(() => {
  ({ objects } = memoryBucket(s3));
});
afterEach(() => s3.reset());

/** A validated raw version: its bytes, its manifest (records counted from the lines given) and a usable status. */
function land(dataset: 'transactions' | 'clickstream', dataKey: string, body: Buffer, records: number) {
  const manifest = buildManifest({ dataset, dataKey, contentType: 'text/plain', body, records, schemaVersion: '1' });
  objects.set(dataKey, body);
  objects.set(manifestKeyFor(dataKey), Buffer.from(JSON.stringify(manifest)));
  objects.set(
    lakeKeys.qualityStatus(dataKey),
    Buffer.from(JSON.stringify({ dataKey, md5: manifest.md5, dataset, usable: true, failedCritical: [] })),
  );
  return { key: dataKey, md5: manifest.md5, records };
}

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';
const GOOD = [
  't1,c1,p1,2,10.50,4,2026-11-19T09:00:00Z',
  't2,c1,p2,1,0,,1763546400',
  '"t3","c2","p1",3,"7.25",5," 2026-11-19T11:00:00+01:00 "',
];
// Rows the ingest placed (a timestamp) that the schema refuses: the features must not see them.
const REFUSED = [
  't4,c2,p1,1.5,1.00,,2026-11-19T12:00:00Z', // quantity not whole
  't5,,p1,1,1.00,,2026-11-19T12:00:00Z', // no customer
  't6,c3,p1,1,1.00,7,2026-11-19T12:00:00Z', // rating out of range
  't7,c3,p1,1,-2,,2026-11-19T12:00:00Z', // negative price
  't8,c3,p1,1,"1.00,,2026-11-19T12:00:00Z', // a broken quote swallows the fields
];

describe('curating transactions', () => {
  it('writes the rows the schema accepts as typed Parquet, counts the others, and holds them to the manifest', async () => {
    const body = Buffer.from([HEADER, ...GOOD, ...REFUSED].join('\n'));
    const member = land(
      'transactions',
      'raw/transactions/dt=2026-11-19/ingested_a.csv',
      body,
      GOOD.length + REFUSED.length,
    );
    const [group] = curationGroups('transactions', [member]);
    if (!group) throw new Error('no group');
    expect(group.key).toMatch(/^curated\/transactions\/dt=2026-11-19\/part-[0-9a-f]{20}\.parquet$/);
    const result = await curateGroup(opts, group);
    expect(result).toMatchObject({ written: true, records: GOOD.length, removed: [] });

    const bytes = objects.get(group.key) as Buffer;
    // DuckDB reads the file: the oracle is not our reader.
    expect(await parquetColumns(bytes)).toEqual([
      { name: 'transaction_id', type: 'VARCHAR' },
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'product_id', type: 'VARCHAR' },
      { name: 'quantity', type: 'BIGINT' },
      { name: 'unit_price', type: 'DOUBLE' },
      { name: 'rating', type: 'BIGINT' },
      { name: 'timestamp', type: 'VARCHAR' },
      { name: 'at_ms', type: 'BIGINT' },
    ]);
    const rows = await parquetSelect(bytes, 'SELECT * FROM rows ORDER BY transaction_id');
    expect(rows.map((r) => r.transaction_id)).toEqual(['t1', 't2', 't3']);
    expect(rows[0]).toMatchObject({
      quantity: 2n,
      unit_price: 10.5,
      rating: 4n,
      at_ms: BigInt(Date.UTC(2026, 10, 19, 9)),
    });
    expect(rows[1]).toMatchObject({ rating: null, at_ms: 1763546400000n });
    expect(rows[2]).toMatchObject({ customer_id: 'c2', at_ms: BigInt(Date.UTC(2026, 10, 19, 10)) });

    const manifest = JSON.parse(objects.get(manifestKeyFor(group.key))?.toString() ?? '{}');
    expect(manifest).toMatchObject({ dataset: 'curated_transactions', records: GOOD.length });
    const [curated] = manifest.source.members;
    expect(curated).toMatchObject({ key: member.key, curated: GOOD.length, excluded: REFUSED.length });
    expect(curated.reasons).toHaveLength(REFUSED.length);
    // The lake audit checks a curated file against its manifest as any other: rows from the footer.
    expect(await auditManifest(client, BUCKET, manifestKeyFor(group.key))).toMatchObject({ ok: true, problems: [] });
    objects.set(manifestKeyFor(group.key), Buffer.from(JSON.stringify({ ...manifest, records: GOOD.length + 1 })));
    expect((await auditManifest(client, BUCKET, manifestKeyFor(group.key))).problems).toEqual([
      expect.stringMatching(/record/i),
    ]);
    // Lineage: the raw version in, the curated file out.
    const lineage = [...objects.keys()].filter((k) => k.startsWith('lineage/curate/'));
    expect(lineage).toHaveLength(1);
    const event = JSON.parse(objects.get(lineage[0] as string)?.toString() ?? '{}');
    expect(event.inputs.map((i: { name: string }) => i.name)).toEqual([member.key]);
    expect(event.outputs.map((o: { name: string }) => o.name)).toEqual([group.key]);
  });

  it('refuses exactly rows the validation quarantined: every raw row is curated or in the quality quarantine', async () => {
    const body = Buffer.from([HEADER, ...GOOD, ...REFUSED].join('\n'));
    const quarantined: number[] = [];
    await validateStream(Readable.from([body]), SUITES.transactions, {
      source: 'test',
      expectedRows: GOOD.length + REFUSED.length,
      onBadRow: (row) => quarantined.push(row),
    });
    const { members } = await curatedFile('transactions', [
      { key: 'raw/transactions/dt=2026-11-19/a.csv', md5: '-', records: GOOD.length + REFUSED.length, bytes: body },
    ]);
    // The validation's bad rows (1-based, in file order) are the refused ones, which follow the good ones.
    expect(quarantined).toEqual(REFUSED.map((_, i) => GOOD.length + i + 1));
    expect(members[0]).toMatchObject({ curated: GOOD.length, excluded: quarantined.length });
  });

  it('writes a large partition a row group at a time, and a version the schema refuses whole as an empty file', async () => {
    const rows = 2_101;
    // Ids longer than the 16 bytes the writer keeps of a string's min and max: a reader that skips row
    // groups by those statistics must still find every id.
    const id = (i: number) => `order-2026-11-19-${String(i).padStart(6, '0')}`;
    const lines = Array.from(
      { length: rows },
      (_, i) => `${id(i)},c${i % 977},p${i % 89},1,2.50,,2026-11-19T09:00:00Z`,
    );
    const { body, members } = await curatedFile(
      'transactions',
      [
        {
          key: 'raw/transactions/dt=2026-11-19/big.csv',
          md5: '-',
          records: rows,
          bytes: Buffer.from([HEADER, ...lines].join('\n')),
        },
      ],
      1_000,
    );
    expect(members[0]).toMatchObject({ curated: rows, excluded: 0 });
    const [counted] = await parquetSelect(
      Buffer.from(body),
      'SELECT count(*) AS n, count(DISTINCT transaction_id) AS ids FROM rows',
    );
    expect(counted).toEqual({ n: BigInt(rows), ids: BigInt(rows) });
    const probes = [0, 999, 1000, 1999, 2000, rows - 1].map((i) => `'${id(i)}'`);
    const found = await parquetSelect(
      Buffer.from(body),
      `SELECT count(*) AS n FROM rows WHERE transaction_id IN (${probes.join(', ')})`,
    );
    expect(found).toEqual([{ n: BigInt(probes.length) }]);
    const { parquetMetadata } = require('hyparquet') as typeof import('hyparquet', { with: {
      'resolution-mode': 'import',
    }});
    const groups = parquetMetadata(
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    ).row_groups;
    expect(groups.map((g) => Number(g.num_rows))).toEqual([1_000, 1_000, 101]);

    const empty = await curatedFile('transactions', [
      {
        key: 'raw/transactions/dt=2026-11-19/bad.csv',
        md5: '-',
        records: REFUSED.length,
        bytes: Buffer.from([HEADER, ...REFUSED].join('\n')),
      },
    ]);
    expect(empty.members[0]).toMatchObject({ curated: 0, excluded: REFUSED.length });
    expect(await parquetSelect(Buffer.from(empty.body), 'SELECT count(*) AS n FROM rows')).toEqual([{ n: 0n }]);
  });

  it('refuses a version whose rows do not add up to its manifest', async () => {
    const body = Buffer.from([HEADER, ...GOOD].join('\n'));
    const member = land('transactions', 'raw/transactions/dt=2026-11-19/ingested_a.csv', body, GOOD.length + 1);
    const [group] = curationGroups('transactions', [member]);
    await expect(curateGroup(opts, group as never)).rejects.toThrow(
      /3 rows curated and 0 refused, its manifest says 4/,
    );
    expect(objects.has((group as { key: string }).key)).toBe(false);
  });
});

const event = (i: number, hour: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventType: i % 3 === 0 ? 'search' : 'view',
    userId: `u${i % 4}`,
    sessionId: `s${i % 2}`,
    ...(i % 3 === 0 ? { searchTerm: 'red shoes' } : { productId: `p${i % 5}` }),
    timestamp: `2026-11-20T${hour}:0${i % 6}:00.000Z`,
    ...extra,
  });

/** A micro-batch of click events in one hour, as the ingest writes it. */
function batch(name: string, hour: string, ids: number[], extra?: Record<string, unknown>) {
  const lines = ids.map((i) => event(i, hour, extra));
  return land(
    'clickstream',
    `raw/clickstream/dt=2026-11-20/hour=${hour}/${name}.jsonl`,
    Buffer.from(`${lines.join('\n')}\n`),
    lines.length,
  );
}

describe('curating click events', () => {
  it("compacts an hour's micro-batches into one file and keeps the fields the contract does not name", async () => {
    batch('b1', '09', [1, 2, 3]);
    batch('b2', '09', [4, 5], { campaign: 'winter', ab: { arm: 2 } });
    batch('b3', '10', [6]);
    const { plan, planKey } = await planFeatureBuild({
      s3: client,
      bucket: BUCKET,
      now: new Date('2026-11-21T00:00:00Z'),
    });
    expect(plan.curation.groups.map((g) => [g.partition, g.members.length])).toEqual([
      ['dt=2026-11-20/hour=09', 2],
      ['dt=2026-11-20/hour=10', 1],
    ]);
    expect(plan.curation.missing).toEqual([0, 1]);
    for (const item of curationWork(plan)) await curatePlanned(opts, planKey, item);

    const curated = [...objects.keys()].filter((k) => k.startsWith('curated/') && k.endsWith('.parquet'));
    expect(curated.sort()).toEqual(plan.curation.groups.map((g) => g.key).sort());
    const nine = objects.get(plan.curation.groups[0]?.key as string) as Buffer;
    const rows = await parquetSelect(
      nine,
      'SELECT eventid, eventtype, productid, searchterm, at_ms, extra FROM rows ORDER BY eventid',
    );
    expect(rows).toHaveLength(5);
    expect(rows[2]).toMatchObject({ eventtype: 'search', productid: null, searchterm: 'red shoes', extra: null });
    expect(JSON.parse(String(rows[3]?.extra))).toEqual({ campaign: 'winter', ab: { arm: 2 } });
    expect(rows[0]?.at_ms).toBe(BigInt(Date.parse('2026-11-20T09:01:00.000Z')));
  });

  it('reads a version of many megabytes whole, multi-byte characters across its chunks intact', async () => {
    const term = 'grüne Äpfel € 😀 '.repeat(12);
    const lines = Array.from({ length: 6_000 }, (_, i) =>
      JSON.stringify({
        eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        eventType: 'search',
        userId: `u${i}`,
        sessionId: `s${i}`,
        searchTerm: `${i} ${term}`,
        timestamp: '2026-11-20T09:00:00.000Z',
      }),
    );
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    expect(bytes.byteLength).toBeGreaterThan(2 << 20);
    const { body, members } = await curatedFile('clickstream', [
      { key: 'raw/clickstream/dt=2026-11-20/hour=09/big.jsonl', md5: '-', records: lines.length, bytes },
    ]);
    expect(members[0]).toMatchObject({ curated: lines.length, excluded: 0 });
    const terms = await parquetSelect(Buffer.from(body), 'SELECT searchterm FROM rows');
    expect(terms.map((r) => r.searchterm).sort()).toEqual(lines.map((l) => JSON.parse(l).searchTerm).sort());
  });

  it('refuses, never alters, an event that is not valid UTF-8, a blank-looking line or a lone carriage return', async () => {
    const good = [event(1, '09'), event(2, '09', { note: 'grün' })];
    // Records as the manifest counts them: every line with a byte other than a carriage return.
    const hostile = [
      Buffer.concat([
        Buffer.from(event(3, '09').slice(0, 60)),
        Buffer.from([0xc3]),
        Buffer.from(event(3, '09').slice(61)),
      ]),
      Buffer.from('   '),
      Buffer.from(`${event(4, '09')}\r${event(5, '09')}`),
    ];
    const bytes = Buffer.concat(
      [...good.map((l) => Buffer.from(l)), ...hostile].flatMap((line) => [line, Buffer.from('\r\n')]),
    );
    const records = good.length + hostile.length;
    const { body, members } = await curatedFile('clickstream', [
      { key: 'raw/clickstream/dt=2026-11-20/hour=09/h.jsonl', md5: '-', records, bytes },
    ]);
    expect(members[0]).toMatchObject({ curated: good.length, excluded: hostile.length });
    expect(members[0]?.reasons[0]).toBe('the event is not valid UTF-8');
    const rows = await parquetSelect(Buffer.from(body), 'SELECT eventid, extra FROM rows ORDER BY eventid');
    expect(rows.map((r) => r.eventid)).toEqual(good.map((l) => JSON.parse(l).eventId));
    expect(JSON.parse(String(rows[1]?.extra))).toEqual({ note: 'grün' });
  });

  it('rewrites only the hour a late batch lands in, and removes the file it replaces', async () => {
    batch('b1', '09', [1, 2]);
    batch('b3', '10', [6]);
    const now = new Date('2026-11-21T00:00:00Z');
    const first = await planFeatureBuild({ s3: client, bucket: BUCKET, now });
    for (const item of curationWork(first.plan)) await curatePlanned(opts, first.planKey, item);
    const before = first.plan.curation.groups.map((g) => g.key);

    batch('b4', '09', [7]); // late events for 09:00
    const second = await planFeatureBuild({ s3: client, bucket: BUCKET, now: new Date('2026-11-21T01:00:00Z') });
    // The 10:00 partition holds its file and nothing else: not written again.
    expect(second.plan.curation.missing).toEqual([0]);
    const summary = await curatePlanned(opts, second.planKey, curationWork(second.plan)[0] ?? { from: 0, to: 0 });
    expect(summary).toEqual({ written: 1, records: 3, removed: 1 });
    const after = [...objects.keys()].filter((k) => k.startsWith('curated/'));
    const nine = second.plan.curation.groups[0]?.key as string;
    expect(after.sort()).toEqual([nine, manifestKeyFor(nine), before[1], manifestKeyFor(before[1] as string)].sort());
    expect(nine).not.toBe(before[0]);
  });
});
