import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { withMetadataMock } from '../helpers/cloud';

const run = promisify(execFile);
const bin = path.join(__dirname, '../../bin/recomart.cjs');
const cloudInfo = JSON.parse(process.env.RECOMART_TEST_CLOUD ?? '{"external":true}') as {
  external: boolean;
  stateDir?: string;
};

/** The CLI finds a running local cloud through its state directory, as a user's shell would. */
(cloudInfo.external ? describe.skip : describe)('the CLI against the local cloud', () => {
  // A clean environment: no AWS_ENDPOINT_URL, so the command must find the cloud through --state.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning',
  };
  const cli = async (args: string[]) => {
    try {
      const out = await run(process.execPath, [bin, ...args], { env, timeout: 120_000 });
      return { code: 0, stdout: out.stdout, stderr: out.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('follows a failing execution state by state and exits 1 with its cause', async () => {
    const out = await cli([
      'run-pipeline',
      '--state',
      cloudInfo.stateDir as string,
      '--input',
      '{"runId":"bad id!"}',
      '--json',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/→ CheckInputs/);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
  });

  it('refuses an input that is not a JSON object with exit code 2', async () => {
    const out = await cli(['run-pipeline', '--state', cloudInfo.stateDir as string, '--input', '[1]']);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n').at(-1)).toBe('recomart: --input must be a JSON object.');
  });

  it('uploads with --wait and reports the ingestion: raw rows, quarantined rows and why, the ledger state, the validation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-cli-'));
    try {
      const file = path.join(dir, 'cli-wait-orders.csv');
      const tx = sampleTransactionsCsv({
        rows: 300,
        badShare: 0.1,
        seed: 31,
        now: new Date('2025-06-10T00:00:00Z'),
        days: 2,
      });
      fs.writeFileSync(file, tx.csv);
      // the oracle: the export's own rows, counted from its text
      const rows = tx.csv.trim().split('\n').length - 1;
      const out = await cli([
        'upload',
        file,
        '--dataset',
        'transactions',
        '--wait',
        '--json',
        '--state',
        cloudInfo.stateDir as string,
      ]);
      expect(out.code).toBe(0);
      const outcome = JSON.parse(out.stdout);
      expect(outcome).toMatchObject({
        sourceKey: 'landing/transactions/cli-wait-orders.csv',
        state: 'DONE',
        version: 1,
      });
      expect(outcome.raw.rows + outcome.quarantine.rows).toBe(rows);
      expect(outcome.quarantine.rows).toBe(tx.badRows);
      expect(
        outcome.quarantine.topReasons.reduce((n: number, r: { rows: number }) => n + r.rows, 0),
      ).toBeLessThanOrEqual(tx.badRows);
      expect(outcome.quarantine.topReasons[0].reason).toMatch(/timestamp|columns/);
      expect(outcome.validation).toMatchObject({ validated: outcome.raw.objects, pending: 0 });
      // a second export under the same name: the next version of that landing key
      fs.writeFileSync(
        file,
        sampleTransactionsCsv({ rows: 120, badShare: 0.1, seed: 32, now: new Date('2025-06-10T00:00:00Z'), days: 2 })
          .csv,
      );
      const text = await cli([
        'upload',
        file,
        '--dataset',
        'transactions',
        '--wait',
        '--state',
        cloudInfo.stateDir as string,
      ]);
      expect(text.stdout).toMatch(
        /version 2: DONE\n {2}raw: {8}\d+ rows in \d+ objects?\n {2}quarantine: \d+ rows, commonest reasons:/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the schedules and fires one now, as EventBridge would', async () => {
    const list = await cli(['schedule', 'list', '--json', '--state', cloudInfo.stateDir as string]);
    expect(list.code).toBe(0);
    const schedules = JSON.parse(list.stdout) as { logicalId: string; targets: string[] }[];
    const pull = schedules.find((s) => s.targets.some((t) => t.includes('ExternalMetadataPull')));
    expect(pull).toBeDefined();
    // The pull calls the shared metadata mock, whose injected failures another test file may have armed.
    const fired = await withMetadataMock(() =>
      cli(['schedule', 'fire', pull?.logicalId as string, '--json', '--state', cloudInfo.stateDir as string]),
    );
    expect(fired.code).toBe(0);
    expect(JSON.parse(fired.stdout)).toMatchObject({
      schedule: pull?.logicalId,
      results: [{ ok: true, answer: { key: expect.stringMatching(/^raw\/external_metadata\//) } }],
    });
    const unknown = await cli(['schedule', 'fire', 'no-such-schedule', '--state', cloudInfo.stateDir as string]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No schedule no-such-schedule; schedules: /);
  });

  it('runs the feature build state machine and prints its summary', async () => {
    const built = await cli(['features', 'build', '--json', '--state', cloudInfo.stateDir as string]);
    expect([built.code, built.code === 0 ? '' : built.stderr]).toEqual([0, '']);
    const summary = JSON.parse(built.stdout.trim().split('\n').at(-1) as string);
    expect(summary.version).toMatch(/^\d{8}T\d{6}Z$/);
    // Each set's version is a folder of Parquet files; a set with rows has a registry entry for it.
    for (const set of ['interactions', 'item_features', 'user_features'])
      expect(summary.offline[set]).toBe(`features/${set}/v=${summary.version}/`);
    if (summary.interactions > 0)
      expect(summary.registry.interactions).toBe(`features/_registry/interactions/v=${summary.version}.json`);
    expect(built.stderr).toMatch(
      /→ SelectFeatureSources[\s\S]*→ CurateSources[\s\S]*→ UnloadFeatureSets[\s\S]*→ RegisterFeatures/,
    );
    // The transactions the build read are a table of the curated zone, typed: SQL answers over it.
    if (summary.transactions > 0) {
      const curated = await cli([
        'query',
        'SELECT count(*) AS n, min(quantity) AS q, count(DISTINCT "$path") AS files FROM curated_transactions',
        '--json',
        '--state',
        cloudInfo.stateDir as string,
      ]);
      expect([curated.code, curated.code === 0 ? '' : curated.stderr]).toEqual([0, '']);
      const [answer] = curated.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(Number(answer.n)).toBeGreaterThan(0);
      expect(Number(answer.q)).toBeGreaterThanOrEqual(1);
      expect(Number(answer.files)).toBeGreaterThan(0);
    }
  });

  it('lists the Glue tables and answers SQL over the lake through Athena’s API (DuckDB locally)', async () => {
    const state = cloudInfo.stateDir as string;
    const catalog = await cli(['catalog', '--json', '--state', state]);
    expect(catalog.code).toBe(0);
    const { tables } = JSON.parse(catalog.stdout) as {
      tables: {
        Name: string;
        PartitionKeys?: { Name: string }[];
        StorageDescriptor: { Columns: { Name: string }[] };
      }[];
    };
    const transactions = tables.find((t) => t.Name === 'transactions');
    const bucketOf = (list: typeof tables) =>
      /^s3:\/\/([^/]+)\//.exec(
        (list.find((t) => t.Name === 'transactions')?.StorageDescriptor as { Location?: string } | undefined)
          ?.Location ?? '',
      )?.[1];
    expect(transactions?.PartitionKeys?.map((k) => k.Name)).toEqual(['dt']);
    expect(transactions?.StorageDescriptor.Columns.map((c) => c.Name)).toContain('customer_id');
    // The same tables as Athena DDL: one CREATE EXTERNAL TABLE each, from the Glue definitions read.
    const ddl = await cli(['catalog', '--ddl', '--state', state]);
    expect(ddl.code).toBe(0);
    expect(ddl.stdout.match(/^CREATE EXTERNAL TABLE IF NOT EXISTS /gm)).toHaveLength(tables.length);
    expect(ddl.stdout).toMatch(
      /`user_features` \([^;]*STORED AS INPUTFORMAT 'org\.apache\.hadoop\.hive\.ql\.io\.parquet/,
    );

    // Orders of days no other test writes; the oracle counts the export's rows from its text.
    const window = "dt BETWEEN '2024-02-19' AND '2024-02-21'";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-sql-'));
    try {
      const file = path.join(dir, 'sql-orders.csv');
      const tx = sampleTransactionsCsv({
        rows: 240,
        badShare: 0.05,
        seed: 41,
        now: new Date('2024-02-21T00:00:00Z'),
        days: 2,
      });
      fs.writeFileSync(file, tx.csv);
      const rows = tx.csv.trim().split('\n').length - 1;
      const upload = await cli(['upload', file, '--dataset', 'transactions', '--wait', '--json', '--state', state]);
      expect(upload.code).toBe(0);
      const counted = await cli([
        'query',
        `SELECT count(*) AS n, count(DISTINCT dt) AS days FROM transactions WHERE ${window}`,
        '--json',
        '--state',
        state,
      ]);
      // On failure, say why (the query's error is on stderr).
      expect([counted.code, counted.code === 0 ? '' : counted.stderr]).toEqual([0, '']);
      const [answer] = counted.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(Number(answer.n)).toBe(rows - tx.badRows);
      expect(Number(answer.days)).toBeGreaterThanOrEqual(2);
      const csv = await cli([
        'query',
        `SELECT dt, count(*) AS n FROM transactions WHERE ${window} GROUP BY dt ORDER BY dt`,
        '--csv',
        '--state',
        state,
      ]);
      expect([csv.code, csv.code === 0 ? '' : csv.stderr]).toEqual([0, '']);
      const lines = csv.stdout.trim().split('\n');
      expect(lines[0]).toBe('dt,n');
      expect(lines.slice(1).reduce((n, l) => n + Number(l.split(',')[1]), 0)).toBe(rows - tx.badRows);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // UNLOAD writes where it is told, once: a second UNLOAD to the same place is refused, as on Athena.
    const target = `s3://${bucketOf(tables)}/reports/athena-unload/${Date.now()}/`;
    const unload = `UNLOAD (SELECT dt, count(*) AS n FROM transactions WHERE ${window} GROUP BY dt) TO '${target}' WITH (format = 'JSON')`;
    const first = await cli(['query', unload, '--state', state]);
    expect([first.code, first.code === 0 ? '' : first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/^wrote [1-9]\d* rows \(query [0-9a-f-]+\)$/m);
    const again = await cli(['query', unload, '--state', state]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HIVE_PATH_ALREADY_EXISTS/);
    const failed = await cli(['query', 'SELECT no_such_column FROM transactions', '--state', state]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^recomart: Query [0-9a-f-]+ FAILED: .*no_such_column/m);
  });
});
