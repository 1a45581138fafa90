import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Table } from '@aws-sdk/client-glue';
import { Template } from 'aws-cdk-lib/assertions';
import { parseClickEvent } from '../../layers/clickstream/schema';
import { simulateClickstream } from '../../layers/clickstream/simulate';
import { curatedFile, membersDigest } from '../../layers/curated/curate';
import {
  addCatalogRow,
  addMetadataRow,
  FeatureBuilder,
  type Interaction,
  type ItemContext,
  type ItemFeatures,
  transactionInput,
  type UserFeatures,
} from '../../layers/features/builders';
import { recordOfRow } from '../../layers/features/offline';
import { type FeatureSetName, featureSql, unloadStatement } from '../../layers/features/sql';
import { lakeKeys } from '../../layers/lake/keys';
import { parquetRows } from '../../layers/lake/parquet';
import { createTableDdl } from '../../layers/sql/ddl';
import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { runQuery } from '../../lib/local-cloud/athena-duckdb';
import { GlueCatalog } from '../../lib/local-cloud/plugins/glue';
import type { ProvisionContext } from '../../lib/local-cloud/plugins/plugin';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { parquetColumns } from '../helpers/parquet';
import { appWithoutBundling } from '../helpers/synth';

const SUFFIX = '._S3rver_object';
/** The catalog's tables, by name. */
const TABLES = [
  'catalog',
  'catalog_snapshots',
  'clickstream',
  'curated_clickstream',
  'curated_transactions',
  'customers',
  'external_metadata',
  'feature_build_sources',
  'interactions',
  'item_features',
  'transactions',
  'user_features',
];
/** The feature build whose selection the statements read. */
const BUILD = '20250110T000000Z';
/** The stack's template, synthesized once for both suites. */
const template = Template.fromStack(appWithoutBundling({ stage: 'dev' }).stack).toJSON() as CfnTemplate;

/**
 * The Glue tables the stack declares, read by the local cloud's Athena engine over files our ingest
 * writes: what a query answers is counted again from the files' text.
 */
describe('the stack’s Glue tables, queried on the local cloud', () => {
  const resolver = new TemplateResolver('RecoMart-dev', template);
  const glue = new GlueCatalog();
  let root: string;
  let bucket: string;
  const put = (key: string, text: string) => {
    const file = path.join(root, bucket, `${key}${SUFFIX}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const query = (sql: string) =>
    runQuery(
      sql,
      'recomart_dev',
      glue.tables(),
      { directoryOf: (b) => path.join(root, b), objectSuffix: SUFFIX },
      new Date('2025-01-10T00:00:00Z'),
    );

  beforeAll(async () => {
    await glue.provision({ resolver } as unknown as ProvisionContext);
    const location = glue.tables('recomart_dev').find((t) => t.Name === 'transactions')?.StorageDescriptor?.Location;
    bucket = /^s3:\/\/([^/]+)\//.exec(location ?? '')?.[1] ?? '';
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('declares every raw dataset and feature set, with the JSON keys named for readers that match them exactly', () => {
    expect(
      glue
        .tables('recomart_dev')
        .map((t) => t.Name)
        .sort(),
    ).toEqual(TABLES);
    const clickstream = glue.tables('recomart_dev').find((t) => t.Name === 'clickstream');
    expect(clickstream?.StorageDescriptor?.SerdeInfo?.Parameters).toMatchObject({
      'mapping.eventid': 'eventId',
      'mapping.productid': 'productId',
    });
  });

  it('reads the transactions our ingest writes: every row, every quantity', async () => {
    const tx = sampleTransactionsCsv({
      rows: 300,
      badShare: 0,
      seed: 7,
      now: new Date('2025-01-09T12:00:00Z'),
      days: 1,
    });
    put('raw/transactions/dt=2025-01-09/orders-1a2b3c4d.v1.csv', tx.csv);
    put('raw/transactions/dt=2025-01-09/_orders-1a2b3c4d.v1.csv.manifest.json', '{"records":300}');
    const [header = '', ...lines] = tx.csv.trim().split('\n');
    const quantity = header.split(',').indexOf('quantity');
    const out = await query('SELECT count(*) AS n, sum(quantity) AS q, min(dt) AS dt FROM transactions');
    expect(out.rows).toEqual([
      [String(lines.length), String(lines.reduce((n, l) => n + Number(l.split(',')[quantity]), 0)), '2025-01-09'],
    ]);
  });

  it('reads the clickstream our ingest writes, camelCase keys and all', async () => {
    const now = new Date('2025-01-09T12:00:00Z');
    const events = [...simulateClickstream({ count: 400, malformedShare: 0, seed: 3, hours: 1, now })].map((r) =>
      r.data.toString('utf8'),
    );
    put('raw/clickstream/dt=2025-01-09/hour=11/shardId-000000000000-1.jsonl', `${events.join('\n')}\n`);
    const parsed = events.map((e) => JSON.parse(e) as { productId?: string; sessionId: string });
    const out = await query(
      'SELECT count(*) AS n, count(productid) AS with_product, count(DISTINCT sessionid) AS sessions FROM clickstream',
    );
    expect(out.rows).toEqual([
      [
        String(events.length),
        String(parsed.filter((e) => e.productId !== undefined).length),
        String(new Set(parsed.map((e) => e.sessionId)).size),
      ],
    ]);
  });
});

const NOW = new Date('2025-01-10T00:00:00Z');
const WEIGHTS = { view: 1, click: 2.5, add_to_cart: 4, purchase: 8 };

/** Naive CSV rows of a fixture we wrote ourselves (no quoted commas in it). */
const rowsOf = (csv: string) => {
  const [header = '', ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i] ?? `c${i}`, v])));
};

/**
 * The feature sets as SQL (layers/features/sql.ts), run by the local cloud's Athena engine over the
 * stack's own Glue tables, against the TypeScript builders fed the same rows: equal, set by set.
 */
describe('the feature build in SQL and in TypeScript', () => {
  const glue = new GlueCatalog();
  let root: string;
  let builder: FeatureBuilder;
  // The versions the build selected (validated); another version lies in the lake beside them.
  let sql: ReturnType<typeof featureSql>;
  let everything: ReturnType<typeof featureSql>;
  /** The curated transactions files the build selected, and one of a version it did not. */
  let selectedFiles: string[];
  let unvalidatedFile: string;
  let clickFile: string;
  let curatedBucket: string;
  const query = (statement: string) =>
    runQuery(
      statement,
      'recomart_dev',
      glue.tables(),
      { directoryOf: (b) => path.join(root, b), objectSuffix: SUFFIX },
      NOW,
    );

  beforeAll(async () => {
    await glue.provision({ resolver: new TemplateResolver('RecoMart-dev', template) } as unknown as ProvisionContext);
    const location = glue.tables('recomart_dev').find((t) => t.Name === 'transactions')?.StorageDescriptor?.Location;
    const bucket = /^s3:\/\/([^/]+)\//.exec(location ?? '')?.[1] ?? '';
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-sql-'));
    const put = (key: string, text: string | Uint8Array) => {
      const file = path.join(root, bucket, `${key}${SUFFIX}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    };

    // Transactions: ISO and epoch-second timestamps, blank and given ratings, over three days.
    const tx = sampleTransactionsCsv({ rows: 1500, users: 120, products: 80, badShare: 0, seed: 9, now: NOW, days: 3 });
    put('raw/transactions/dt=2025-01-08/orders-0a1b2c3d.v1.csv', tx.csv);
    // A second version of another export: rows of users and items the clickstream never sees, one out of range.
    const extra =
      'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp\n' +
      'x1,u09001,p09001,2,10.50,5,2025-01-09T08:00:00Z\nx2,u09001,p00001,1,3.25,,1736409600\n' +
      'x3,u09002,p00002,1,4.00,9,2025-01-09T09:30+01:00\n';
    put('raw/transactions/dt=2025-01-09/extra-1a2b3c4d.v2.csv', extra);
    // Clickstream: sessions over two hours, every event type.
    const events = [
      ...simulateClickstream({ count: 1200, users: 120, products: 80, malformedShare: 0, seed: 4, hours: 2, now: NOW }),
    ].map((r) => r.data.toString('utf8'));
    put('raw/clickstream/dt=2025-01-09/hour=22/shardId-000000000000-1.jsonl', `${events.slice(0, 600).join('\n')}\n`);
    put('raw/clickstream/dt=2025-01-09/hour=23/shardId-000000000000-2.jsonl', `${events.slice(600).join('\n')}\n`);
    // A version that has not passed validation: in the lake, not in the build.
    put(
      'raw/transactions/dt=2025-01-09/unvalidated-9f8e7d6c.v1.csv',
      'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp\ny1,u09999,p00001,1,1.00,,2025-01-09T10:00:00Z\n',
    );
    // The curated zone, as the build's curation step writes it: one file per partition of the
    // versions it selected (layers/curated/curate.ts). Beside one of them, a file of the version that
    // has not passed validation (another build's set of versions): in the zone, not in this build.
    const curate = async (dataset: 'transactions' | 'clickstream', partition: string, keys: string[]) => {
      const versions = keys.map((key) => {
        const bytes = fs.readFileSync(path.join(root, bucket, `${key}${SUFFIX}`));
        const records = bytes.toString('utf8').trim().split('\n').length - (dataset === 'transactions' ? 1 : 0);
        return { key, md5: '-', records, bytes };
      });
      const { body } = await curatedFile(dataset, versions);
      const key = lakeKeys.curatedFile(dataset, partition, membersDigest(versions));
      put(key, body);
      return key;
    };
    const curated = {
      orders: await curate('transactions', 'dt=2025-01-08', ['raw/transactions/dt=2025-01-08/orders-0a1b2c3d.v1.csv']),
      extra: await curate('transactions', 'dt=2025-01-09', ['raw/transactions/dt=2025-01-09/extra-1a2b3c4d.v2.csv']),
      hour22: await curate('clickstream', 'dt=2025-01-09/hour=22', [
        'raw/clickstream/dt=2025-01-09/hour=22/shardId-000000000000-1.jsonl',
      ]),
      hour23: await curate('clickstream', 'dt=2025-01-09/hour=23', [
        'raw/clickstream/dt=2025-01-09/hour=23/shardId-000000000000-2.jsonl',
      ]),
    };
    unvalidatedFile = await curate('transactions', 'dt=2025-01-09', [
      'raw/transactions/dt=2025-01-09/unvalidated-9f8e7d6c.v1.csv',
    ]);
    selectedFiles = [curated.orders, curated.extra];
    clickFile = curated.hour22;
    curatedBucket = bucket;
    // The build's selection, as the plan writes it: the catalog's feature_build_sources table.
    const uri = (key: string) => `s3://${bucket}/${key}`;
    const selected = [
      ['transactions', curated.orders],
      ['transactions', curated.extra],
      ['clickstream', curated.hour22],
      ['clickstream', curated.hour23],
      ['catalog', 'raw/master/catalog/dt=2025-01-09/catalog.csv'],
      ['external_metadata', 'raw/external_metadata/dt=2025-01-09/external_metadata.csv'],
    ];
    put(
      lakeKeys.featureBuildSources(BUILD),
      `dataset,uri\n${selected.map(([dataset, key]) => `${dataset},${uri(key as string)}`).join('\n')}\n`,
    );
    sql = featureSql({
      weights: WEIGHTS,
      now: NOW,
      sources: {
        version: BUILD,
        days: {
          transactions: ['2025-01-08', '2025-01-09'],
          clickstream: ['2025-01-09', '2025-01-09'],
          catalog: '2025-01-09',
        },
      },
    });
    everything = featureSql({ weights: WEIGHTS, now: NOW });
    // Catalog: most products, one with no category, some missing.
    const categories = ['books', 'garden', 'kitchen', 'outdoor', 'sports', 'toys'];
    const catalogCsv = [
      'product_id,title,category',
      ...Array.from(
        { length: 70 },
        (_, i) => `p${String(i + 1).padStart(5, '0')},Item ${i + 1},${i === 4 ? '' : categories[i % 6]}`,
      ),
    ].join('\n');
    // The build reads the snapshot it selected; `latest/` repeats the newest upload (here one that did not
    // pass validation, whose categories must not reach the features), and an older snapshot lies beside it.
    put('raw/master/catalog/dt=2025-01-09/catalog.csv', `${catalogCsv}\n`);
    put('raw/master/catalog/dt=2025-01-08/catalog.csv', `${catalogCsv.replace(/,books$/gm, ',old-books')}\n`);
    put('raw/master/catalog/latest/catalog.csv', `${catalogCsv.replace(/,toys$/gm, ',unvalidated')}\n`);
    // External metadata: an older day the build must not read, and the latest.
    const metaHeader =
      'product_id,external_rating_average,external_rating_count,popularity_views_7d,popularity_trend,sentiment_score,sentiment_label,tags,updated_at';
    const metaRow = (i: number, day: number) =>
      `p${String(i).padStart(5, '0')},4.1,12,${100 * i + day},${(i % 7) / 10 - 0.2},${(i % 5) / 5},${i % 3 === 0 ? '' : 'positive'},a|b,2025-01-0${day}T00:00:00Z`;
    put(
      'raw/external_metadata/dt=2025-01-08/external_metadata.csv',
      `${metaHeader}\n${[1, 2, 3].map((i) => metaRow(i, 8)).join('\n')}\n`,
    );
    const latestMeta = `${metaHeader}\n${Array.from({ length: 40 }, (_, i) => metaRow(i + 1, 9)).join('\n')}\n`;
    put('raw/external_metadata/dt=2025-01-09/external_metadata.csv', latestMeta);

    // The TypeScript build, fed the same rows the way layers/features/build.ts feeds it.
    const items = new Map<string, ItemContext>();
    for (const row of rowsOf(catalogCsv)) addCatalogRow(items, row);
    for (const row of rowsOf(latestMeta)) addMetadataRow(items, row);
    builder = new FeatureBuilder(items, WEIGHTS, NOW);
    for (const row of [...rowsOf(tx.csv), ...rowsOf(extra)]) {
      const input = transactionInput(row);
      if (input) builder.addTransaction(input);
    }
    for (const line of events) {
      const parsed = parseClickEvent(Buffer.from(line, 'utf8'));
      if (parsed.ok) builder.addEvent(parsed.event);
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const n = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
  const table = async (statement: string) => {
    const out = await query(statement);
    const names = out.columns.map((c) => c.name);
    return out.rows.map((r) => Object.fromEntries(names.map((name, i) => [name, r[i] ?? null])));
  };

  it('builds the same interactions', async () => {
    const rows = await table(sql.interactions);
    const fromSql = rows.map((r) => ({
      userId: r.user_id,
      itemId: r.item_id,
      rating: n(r.rating),
      confidence: n(r.confidence),
      lastAt: new Date(Number(r.last_at_ms)).toISOString(),
    }));
    const fromTs = [...builder.interactions()];
    expect(fromTs.length).toBeGreaterThan(1000);
    const key = (x: { userId?: string | null; itemId?: string | null }) => `${x.userId}/${x.itemId}`;
    expect(byKey(fromSql, key)).toEqual(byKey(fromTs, key));
  });

  it('builds the same item features', async () => {
    const rows = await table(sql.itemFeatures);
    const fromSql = rows.map((r) => ({
      itemId: r.item_id,
      category: r.category,
      popularity: n(r.popularity),
      ratingCount: n(r.rating_count),
      ratingMean: n(r.rating_mean),
      views: n(r.views),
      purchases: n(r.purchases),
      viewToPurchase: n(r.view_to_purchase),
      externalPopularity: n(r.external_popularity),
      externalTrend: n(r.external_trend),
      sentimentScore: n(r.sentiment_score),
      sentimentLabel: r.sentiment_label,
    }));
    const fromTs = [...builder.itemFeatures()];
    expect(fromTs.length).toBeGreaterThan(50);
    expect(byKey(fromSql, (x) => String(x.itemId))).toEqual(byKey(fromTs, (x) => x.itemId));
  });

  it('builds the same user features', async () => {
    const rows = await table(`SELECT *, array_join(top_categories, '|') AS top FROM (${sql.userFeatures}) u`);
    const fromSql = rows.map((r) => ({
      userId: r.user_id,
      eventCounts: {
        view: n(r.views),
        click: n(r.clicks),
        add_to_cart: n(r.add_to_carts),
        remove_from_cart: n(r.remove_from_carts),
        search: n(r.searches),
        purchase: n(r.purchase_events),
      },
      purchaseCount: n(r.purchase_count),
      totalSpend: n(r.total_spend),
      avgRatingGiven: n(r.avg_rating_given),
      recencyDays: n(r.recency_days),
      topCategories: r.top ? String(r.top).split('|') : [],
      sessions: n(r.sessions),
      avgSessionMinutes: n(r.avg_session_minutes),
      lastActivity: new Date(Number(r.last_activity_ms)).toISOString(),
    }));
    const fromTs = [...builder.userFeatures()];
    expect(fromTs.length).toBeGreaterThan(100);
    expect(byKey(fromSql, (x) => String(x.userId))).toEqual(byKey(fromTs, (x) => x.userId));
  });

  it('reads only the selected versions, by Athena’s "$path"', async () => {
    const users = async (statement: string) => (await table(statement)).map((r) => r.user_id);
    expect(await users(sql.userFeatures)).not.toContain('u09999');
    expect(await users(everything.userFeatures)).toContain('u09999');
    const paths = await table(`SELECT DISTINCT "$path" AS p FROM curated_transactions ORDER BY 1`);
    expect(paths.map((r) => String(r.p).replace(/^s3:\/\/[^/]+\//, ''))).toEqual(
      [...selectedFiles, unvalidatedFile].sort(),
    );
    expect((await query('SELECT * FROM transactions LIMIT 1')).columns.map((c) => c.name)).not.toContain('$path');
  });

  /** One feature set's version as the pipeline writes it: the plan's UNLOAD, run by the local engine, under the table's location. */
  const unloadVersion = async (set: FeatureSetName, version: string) => {
    const location = glue.tables('recomart_dev').find((t) => t.Name === set)?.StorageDescriptor?.Location ?? '';
    const [, bucket = '', prefix = ''] = /^s3:\/\/([^/]+)\/(.*)$/.exec(location) ?? [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unload-'));
    const answer = await runQuery(
      unloadStatement(set, sql, `${location}v=${version}/`),
      'recomart_dev',
      glue.tables(),
      { directoryOf: (b) => path.join(root, b), objectSuffix: SUFFIX },
      NOW,
      dir,
    );
    const [written] = answer.unloaded?.files ?? [];
    const bytes = fs.readFileSync(written as string);
    fs.rmSync(dir, { recursive: true, force: true });
    const file = path.join(root, bucket, `${prefix}v=${version}/q_data_00000.parquet${SUFFIX}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return bytes;
  };
  const recordsOf = async (set: FeatureSetName, bytes: Buffer) => {
    const out: unknown[] = [];
    for await (const rows of parquetRows(bytes)) for (const row of rows) out.push(recordOfRow(set, row, set));
    return out;
  };

  it('writes each feature set as Parquet whose records are the builders’, value for value', async () => {
    const version = '20250110T000000Z';
    const pairKey = (x: unknown) => `${(x as Interaction).userId}/${(x as Interaction).itemId}`;
    const interactions = await recordsOf('interactions', await unloadVersion('interactions', version));
    expect(byKey(interactions, pairKey)).toEqual(byKey([...builder.interactions()], pairKey));
    const items = await recordsOf('item_features', await unloadVersion('item_features', version));
    const itemKey = (x: unknown) => (x as ItemFeatures).itemId;
    expect(byKey(items, itemKey)).toEqual(byKey([...builder.itemFeatures()], itemKey));
    const users = await recordsOf('user_features', await unloadVersion('user_features', version));
    const userKey = (x: unknown) => (x as UserFeatures).userId;
    expect(byKey(users, userKey)).toEqual(byKey([...builder.userFeatures()], userKey));
  });

  it('generates each table’s Athena DDL from its Glue definition, and a feature set’s DDL describes the files its UNLOAD writes', async () => {
    const tables = glue.tables('recomart_dev');
    expect(tables.map((t) => t.Name).sort()).toEqual(TABLES);
    for (const t of tables) {
      const ddl = createTableDdl('recomart_dev', t as unknown as Table);
      expect(ddl.startsWith(`CREATE EXTERNAL TABLE IF NOT EXISTS \`recomart_dev\`.\`${t.Name}\` (`)).toBe(true);
      for (const c of t.StorageDescriptor?.Columns ?? []) expect(ddl).toContain(`\`${c.Name}\` ${c.Type}`);
      expect(ddl).toContain(`LOCATION '${t.StorageDescriptor?.Location}'`);
      expect(ddl).toContain(`ROW FORMAT SERDE '${t.StorageDescriptor?.SerdeInfo?.SerializationLibrary}'`);
      for (const [k, v] of Object.entries(t.Parameters ?? {})) expect(ddl).toContain(`'${k}'='${v}'`);
      if (t.PartitionKeys?.length)
        expect(ddl).toContain(
          `PARTITIONED BY (\n${t.PartitionKeys.map((k) => `  \`${k.Name}\` ${k.Type}`).join(',\n')}\n)`,
        );
    }
    // The Parquet a feature set's UNLOAD writes has the DDL's columns, in its order, of its types.
    const hiveType = (duck: string) =>
      ({ BIGINT: 'bigint', DOUBLE: 'double', VARCHAR: 'string', 'VARCHAR[]': 'array<string>' })[duck] ?? duck;
    // So has the Parquet the curation writes, for each curated table.
    const written = async (table: string) => {
      const bytes = ['interactions', 'item_features', 'user_features'].includes(table)
        ? await unloadVersion(table as FeatureSetName, '20250112T000000Z')
        : fs.readFileSync(
            path.join(
              root,
              curatedBucket,
              `${table === 'curated_transactions' ? selectedFiles[0] : clickFile}${SUFFIX}`,
            ),
          );
      return (await parquetColumns(bytes)).map((c) => `\`${c.name}\` ${hiveType(c.type)}`);
    };
    for (const set of [
      'interactions',
      'item_features',
      'user_features',
      'curated_transactions',
      'curated_clickstream',
    ]) {
      const ddl = createTableDdl('recomart_dev', tables.find((t) => t.Name === set) as unknown as Table);
      const declared = ddl
        .slice(ddl.indexOf('(\n') + 2, ddl.indexOf('\n)'))
        .split(',\n')
        .map((l) => l.trim());
      expect(declared).toEqual(await written(set));
    }
  });

  it('serves a feature set’s offline version as a table: one version by v, arrays as Athena shows them', async () => {
    const version = '20250111T000000Z';
    await unloadVersion('user_features', version);
    await unloadVersion('user_features', '20250101T000000Z');
    // A version an earlier build wrote as JSON Lines: Athena reads only the partitions a query names.
    const location = glue.tables('recomart_dev').find((t) => t.Name === 'user_features')?.StorageDescriptor?.Location;
    const [, bucket = '', prefix = ''] = /^s3:\/\/([^/]+)\/(.*)$/.exec(location ?? '') ?? [];
    const legacy = path.join(root, bucket, `${prefix}v=20241231T000000Z/part-00000.jsonl${SUFFIX}`);
    fs.mkdirSync(path.dirname(legacy), { recursive: true });
    fs.writeFileSync(legacy, '{"userId":"u1"}\n');
    const users = [...builder.userFeatures()];
    const out = await table(
      `SELECT count(*) AS n, sum(purchase_count) AS purchases, sum(views) AS views FROM user_features WHERE v = '${version}'`,
    );
    expect(out).toEqual([
      {
        n: String(users.length),
        purchases: String(users.reduce((n, u) => n + u.purchaseCount, 0)),
        views: String(users.reduce((n, u) => n + u.eventCounts.view, 0)),
      },
    ]);
    const one = users.find((u) => u.topCategories.length > 1);
    const [row] = await table(
      `SELECT top_categories AS top FROM user_features WHERE v = '${version}' AND user_id = '${one?.userId}'`,
    );
    expect(row?.top).toBe(`[${one?.topCategories.join(', ')}]`);
    await expect(query('SELECT count(*) FROM user_features')).rejects.toThrow(/CONSTRAINT_VIOLATION: .* v,/);
    await expect(query("SELECT count(*) FROM user_features WHERE v = '20241231T000000Z'")).rejects.toThrow(/parquet/i);
    const both = await table(
      `SELECT v, count(*) AS n FROM user_features WHERE v IN ('${version}', '20250101T000000Z') GROUP BY v ORDER BY v`,
    );
    expect(both).toEqual([
      { v: '20250101T000000Z', n: String(users.length) },
      { v: version, n: String(users.length) },
    ]);
  });
});
