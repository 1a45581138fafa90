import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseUnload, QueryError, referencedTables, runQuery } from '../../../lib/local-cloud/athena-duckdb';
import type { GlueTable } from '../../../lib/local-cloud/plugins/glue';

const SUFFIX = '._S3rver_object';
const NOW = new Date('2024-03-10T12:00:00Z');

describe('the local Athena engine (DuckDB over the lake files)', () => {
  let root: string;
  const lake = () => ({ directoryOf: (bucket: string) => path.join(root, bucket), objectSuffix: SUFFIX });
  const put = (key: string, text: string | Buffer) => {
    const file = path.join(root, 'lake', `${key}${SUFFIX}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const csvTable: GlueTable = {
    Name: 'orders',
    DatabaseName: 'db',
    Parameters: {
      'skip.header.line.count': '1',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW',
    },
    PartitionKeys: [{ Name: 'dt', Type: 'string' }],
    StorageDescriptor: {
      Location: 's3://lake/raw/orders/',
      Columns: [
        { Name: 'id', Type: 'string' },
        { Name: 'qty', Type: 'bigint' },
        { Name: 'note', Type: 'string' },
      ],
      SerdeInfo: {
        SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        Parameters: { separatorChar: ',' },
      },
    },
  };
  const jsonTable: GlueTable = {
    Name: 'events',
    DatabaseName: 'db',
    Parameters: {
      'projection.enabled': 'true',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
    },
    PartitionKeys: [{ Name: 'hour', Type: 'string' }],
    StorageDescriptor: {
      Location: 's3://lake/raw/events/',
      Columns: [
        { Name: 'eventid', Type: 'string' },
        { Name: 'price', Type: 'double' },
        { Name: 'searchterm', Type: 'string' },
      ],
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
    },
  };
  const query = (sql: string, tables: GlueTable[] = [csvTable, jsonTable]) => runQuery(sql, 'db', tables, lake(), NOW);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-duckdb-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads CSV as Athena’s OpenCSV SerDe does: by position, a header per file, quoted commas and line breaks, empty as empty', async () => {
    const a = 'ID,Quantity,Note\n1,2,"a, b"\n2,0,"two\nlines"\n3,4,\n';
    const b = 'id,qty,note\n4,5,plain\n';
    put('raw/orders/dt=2024-03-01/a.csv', a);
    put('raw/orders/dt=2024-03-02/b.csv', b);
    // Hidden by name (manifests), outside the projection's range, or not a date: never read.
    put('raw/orders/dt=2024-03-01/_a.csv.manifest.json', '{"rows":3}');
    put('raw/orders/dt=2019-12-31/old.csv', 'id,qty,note\n9,9,old\n');
    put('raw/orders/dt=2024-03-11/future.csv', 'id,qty,note\n8,8,tomorrow\n');
    put('raw/orders/dt=latest/x.csv', 'id,qty,note\n7,7,x\n');
    put('raw/orders/_tmp/dt=2024-03-01/y.csv', 'id,qty,note\n6,6,y\n');
    const out = await query('SELECT id, qty, note, dt FROM orders ORDER BY id');
    expect(out.columns).toEqual([
      { name: 'id', type: 'varchar' },
      { name: 'qty', type: 'bigint' },
      { name: 'note', type: 'varchar' },
      { name: 'dt', type: 'varchar' },
    ]);
    expect(out.rows).toEqual([
      ['1', '2', 'a, b', '2024-03-01'],
      ['2', '0', 'two\nlines', '2024-03-01'],
      ['3', '4', '', '2024-03-01'],
      ['4', '5', 'plain', '2024-03-02'],
    ]);
    // the oracle: the data lines of the two visible files, counted from their text
    const dataRows = a.split('\n').filter((l) => /^\d+,/.test(l)).length + 1;
    expect((await query('SELECT count(*) FROM orders')).rows).toEqual([[String(dataRows)]]);
    expect(out.scannedBytes).toBe(Buffer.byteLength(a) + Buffer.byteLength(b));
  });

  it('reads JSON Lines as the OpenX SerDe does: keys matched case-insensitively, absent keys null, a malformed line a row of nulls', async () => {
    put('raw/events/hour=00/a.jsonl', '{"eventId":"e1","Price":1.5}\n{"eventId":"e2","searchTerm":"tent"}\nnot json\n');
    put('raw/events/hour=7/skipped.jsonl', '{"eventId":"wrong digits"}\n');
    put('raw/events/hour=24/skipped.jsonl', '{"eventId":"out of range"}\n');
    const out = await query('SELECT eventid, price, searchterm, hour FROM events ORDER BY eventid NULLS LAST');
    expect(out.rows).toEqual([
      ['e1', '1.5', null, '00'],
      ['e2', null, 'tent', '00'],
      [null, null, null, '00'],
    ]);
  });

  it('fails a query that reads an empty or non-numeric value of a bigint column, as Athena’s HIVE_BAD_DATA does', async () => {
    put('raw/orders/dt=2024-03-01/a.csv', 'id,qty,note\n1,,x\n');
    await expect(query('SELECT sum(qty) FROM orders')).rejects.toThrow(QueryError);
  });

  it('gives a table with no files its columns and no rows', async () => {
    const out = await query('SELECT * FROM orders');
    expect(out.columns.map((c) => c.name)).toEqual(['id', 'qty', 'note', 'dt']);
    expect(out.rows).toEqual([]);
  });

  it('refuses statements that would write, and reports SQL errors as query failures', async () => {
    for (const sql of [
      'DROP TABLE orders',
      'CREATE TABLE x AS SELECT 1',
      "COPY orders TO '/tmp/x.csv'",
      "ATTACH 'x.db'",
    ])
      await expect(query(sql)).rejects.toThrow(QueryError);
    await expect(query('SELECT missing FROM orders')).rejects.toThrow(/missing/);
    expect((await query('WITH t AS (SELECT 1 AS one) SELECT one FROM t;')).rows).toEqual([['1']]);
  });

  it('fails a query that reads a file that is not UTF-8, rather than dropping its rows', async () => {
    put('raw/orders/dt=2024-03-05/latin1.csv', Buffer.from('id,qty,note\n1,1,caf\xe9\n2,2,ok\n', 'latin1'));
    await expect(query('SELECT * FROM orders')).rejects.toThrow(/not utf-8 encoded.*latin1\.csv/s);
    // Reading only the bad column, DuckDB 1.5 fails with an internal error instead: still a failure.
    await expect(query('SELECT note FROM orders')).rejects.toThrow(QueryError);
  });

  it('takes an UNLOAD apart: the query in its balanced parentheses, the location, format and compression', () => {
    expect(parseUnload(`UNLOAD (SELECT ')(' AS "a)", (1) AS b) TO 's3://lake/out' WITH (format = 'json');`)).toEqual({
      query: `SELECT ')(' AS "a)", (1) AS b`,
      location: 's3://lake/out/',
      format: 'JSON',
      compression: 'GZIP',
    });
    expect(parseUnload('SELECT 1')).toBeUndefined();
    expect(() => parseUnload("UNLOAD (SELECT 1) TO 's3://lake/out/'")).toThrow(QueryError);
    expect(() => parseUnload("UNLOAD (SELECT 1) TO 's3://lake/out/' WITH (format = 'ORC')")).toThrow(/ORC/);
    expect(() =>
      parseUnload("UNLOAD (SELECT 1) TO 's3://lake/out/' WITH (format = 'JSON', partitioned_by = 'x')"),
    ).toThrow(/partitioned_by/);
  });

  it('writes an UNLOAD’s rows as gzipped JSON Lines, every row, and refuses it where no one uploads the files', async () => {
    put('raw/orders/dt=2024-03-01/a.csv', 'id,qty,note\n1,2,a\n2,3,"b, c"\n3,4,\n');
    const dir = path.join(root, 'unload');
    fs.mkdirSync(dir);
    const sql = "UNLOAD (SELECT id, qty, note FROM orders ORDER BY id) TO 's3://lake/out/' WITH (format = 'JSON')";
    const out = await runQuery(sql, 'db', [csvTable, jsonTable], lake(), NOW, dir);
    expect(out.unloaded).toMatchObject({ location: 's3://lake/out/', rows: 3 });
    const [file] = out.unloaded?.files ?? [];
    const lines = zlib
      .gunzipSync(fs.readFileSync(file as string))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { id: '1', qty: 2, note: 'a' },
      { id: '2', qty: 3, note: 'b, c' },
      { id: '3', qty: 4, note: '' },
    ]);
    await expect(query(sql)).rejects.toThrow(/"UNLOAD" statements are not emulated/);
  });
});

describe('the tables a statement reads', () => {
  it('are the names after FROM (comma lists too) and JOIN, not columns, aliases, literals or comments of the same name', () => {
    const statement = `
      WITH t AS (SELECT transactions, count(*) AS clickstream FROM "recomart_dev"."curated_transactions" x, catalog c
                 LEFT JOIN recomart_dev.item_features i ON i.item_id = c.product_id
                 WHERE "$path" IN (SELECT uri FROM feature_build_sources WHERE dataset = 'transactions'))
      SELECT t.transactions AS external_metadata FROM t -- FROM user_features
      CROSS JOIN (SELECT 1) one`;
    expect([...referencedTables(statement)].sort()).toEqual(
      ['catalog', 'curated_transactions', 'feature_build_sources', 'item_features', 't'].sort(),
    );
    expect([...referencedTables("SELECT count(*) FROM clickstream WHERE dt = '2026-01-01'")]).toEqual(['clickstream']);
  });
});
