import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { simulateClickstream } from '../../layers/clickstream/simulate';
import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { runQuery } from '../../lib/local-cloud/athena-duckdb';
import { GlueCatalog } from '../../lib/local-cloud/plugins/glue';
import type { ProvisionContext } from '../../lib/local-cloud/plugins/plugin';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { appWithoutBundling } from '../helpers/synth';

const SUFFIX = '._S3rver_object';

/**
 * The Glue tables the stack declares, read by the local cloud's Athena engine over files our ingest
 * writes: what a query answers is counted again from the files' text.
 */
describe('the stack’s Glue tables, queried on the local cloud', () => {
  const template = Template.fromStack(appWithoutBundling({ stage: 'dev' }).stack).toJSON() as CfnTemplate;
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

  it('declares every raw dataset, with the JSON keys named for readers that match them exactly', () => {
    expect(
      glue
        .tables('recomart_dev')
        .map((t) => t.Name)
        .sort(),
    ).toEqual(['catalog', 'clickstream', 'customers', 'external_metadata', 'transactions']);
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
