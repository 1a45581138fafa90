import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { s3Client } from '../../layers/aws/clients';
import { listKeys } from '../../layers/lake/inventory';
import { isManifestKey } from '../../layers/lake/zones';
import { readStatus } from '../../layers/quality/status';
import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { CONSOLE_PATH, createConsole, type LocalConsole } from '../../lib/console';
import type { LocalCloud } from '../../lib/local-cloud';
import type { LocalCloudInfo } from '../../lib/local-cloud/endpoint-file';
import { launchChromium } from '../helpers/browser';
import { eventually } from '../helpers/cloud';
import { ownCloud } from '../helpers/own-cloud';

/**
 * The console in a real browser, as a user drives it: start a run from the pipeline page and watch it
 * succeed, read a failed run's failing state and cause, browse the lake to a quarantined row's
 * reason, open the quality roll-up and a model card, and ask the API for a user. On a local cloud of
 * its own (a lake no other test writes to: its runs do not compete with theirs for production), with
 * the console mounted on its gateway as `recomart local up` mounts it.
 */
describe('local console in a browser', () => {
  let cloud: LocalCloud;
  let s3: S3Client;
  let bucket: string;
  let localConsole: LocalConsole;
  let base: string;
  let browser: Browser;
  let page: Page;
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-console-'));
  const runId = `console-it-${Date.now()}`;
  let dataKeys: string[] = [];

  beforeAll(async () => {
    ({ cloud } = await ownCloud('console'));
    const info = cloud.info as LocalCloudInfo;
    s3 = s3Client({ env: cloud.sdkEnv() });
    bucket = info.outputs.LakeBucketName as string;
    localConsole = createConsole(cloud.sdkEnv(), info.outputs);
    cloud.mount(CONSOLE_PATH, localConsole.handler);
    base = `${info.endpoint}${CONSOLE_PATH}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

    // A transactions export with rows that cannot be placed (quarantined).
    const tx = sampleTransactionsCsv({
      rows: 600,
      badShare: 0.05,
      seed: 23,
      now: new Date('2025-05-20T12:00:00Z'),
      days: 3,
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/console-it.csv', Body: tx.csv }));
    dataKeys = await eventually(
      async () => {
        const keys: string[] = [];
        for await (const key of listKeys(s3, bucket, 'raw/transactions/'))
          if (!isManifestKey(key) && key.includes('console-it') && key >= 'raw/transactions/dt=2025-05-1')
            keys.push(key);
        if (keys.length === 0) return undefined;
        const statuses = await Promise.all(keys.map((k) => readStatus(s3, bucket, k)));
        if (statuses.some((s) => s === undefined)) return undefined;
        const blocked = statuses.filter((s) => !s?.usable);
        if (blocked.length > 0)
          throw new Error(
            `validation blocked ${blocked.map((s) => `${s?.dataKey} (${s?.failedCritical.join(', ')})`).join('; ')}`,
          );
        return keys;
      },
      90_000,
      'the export to be ingested and validated',
      500,
    );
  });

  afterAll(async () => {
    await browser?.close();
    localConsole?.close();
    s3?.destroy();
    await cloud?.stop();
    if (!process.env.RECOMART_KEEP_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
    else process.stderr.write(`console screenshots in ${shots}\n`);
  });

  const startFromConsole = async (input: Record<string, unknown>) => {
    await page.goto(`${base}/pipeline`);
    await page.fill('textarea[name=input]', JSON.stringify(input, null, 2));
    await Promise.all([page.waitForURL(/\/console\/pipeline\/execution\?arn=/), page.click('button[type=submit]')]);
  };

  it('starts an execution from the pipeline page and watches it succeed, state by state', async () => {
    await startFromConsole({ runId, k: 5, dataKeys });
    // The page refreshes itself every 2 s while the execution runs: wait for it to end, however it ends.
    await page.waitForSelector('main > p > .status:not(.RUNNING)', { timeout: 170_000 });
    const status = await page.textContent('main > p > .status');
    if (status !== 'SUCCEEDED')
      throw new Error(`The run ended ${status}: ${await page.locator('main').innerText()}`.slice(0, 4000));
    await page.screenshot({ path: path.join(shots, 'execution.png'), fullPage: true });
    expect(await page.getAttribute('svg [data-state="Done"]', 'data-status')).toBe('succeeded');
    expect(await page.getAttribute('svg [data-state="BuildFeatures"]', 'data-status')).toBe('succeeded');
    // The Map's item processor ran once per shard, each shown with its output.
    expect(await page.textContent('body')).toContain('PublishShard');
    expect(await page.getAttribute('svg [data-state="UsePinnedFeatures"]', 'data-status')).toBe('none');
    await page.goto(`${base}/pipeline`);
    expect(await page.textContent(`a:text("${runId}")`)).toBe(runId);
  }, 200_000);

  it('refuses an input CheckInputs would refuse, before starting anything', async () => {
    await page.goto(`${base}/pipeline`);
    await page.fill('textarea[name=input]', JSON.stringify({ runId: 'has spaces' }));
    await page.click('button[type=submit]');
    expect(await page.textContent('#input-problem')).toMatch(/^Run input is invalid at runId: runId must be/);
    await page.fill('textarea[name=input]', '{not json');
    await page.click('button[type=submit]');
    expect(await page.textContent('#input-problem')).toMatch(/^The input is not JSON/);
  });

  it('shows a failed execution: the failing state, its error and cause', async () => {
    await startFromConsole({ runId: `${runId}-fails`, featureVersion: '20000101T000000Z' });
    await page.waitForSelector('main > p > .status:not(.RUNNING)', { timeout: 60_000 });
    expect(await page.textContent('main > p > .status')).toBe('FAILED');
    await page.screenshot({ path: path.join(shots, 'failed.png'), fullPage: true });
    const checkInputs = await page.getAttribute('svg [data-state="CheckInputs"]', 'data-status');
    if (checkInputs !== 'failed' && checkInputs !== 'caught') {
      const history = await page.locator('table').last().innerText();
      throw new Error(`CheckInputs is shown ${checkInputs}; the event history:\n${history}`);
    }
    expect(await page.getAttribute('svg [data-state="PipelineFailed"]', 'data-status')).toBe('failed');
    const details = await page.textContent('#state-CheckInputs');
    expect(details).toContain('InvalidInputError');
    expect(details).toContain('Feature version 20000101T000000Z does not exist');
    expect(await page.textContent('#execution-error')).toBeTruthy();
  });

  it('browses the lake to a quarantined row and its reason, and checks an object against its manifest', async () => {
    await page.goto(`${base}/lake`);
    await page.click('a:text-is("quarantine/")');
    await page.click('a:text-is("transactions/")');
    const quarantineFile = await eventually(
      async () => {
        for await (const key of listKeys(s3, bucket, 'quarantine/transactions/'))
          if (key.includes('console-it') && !isManifestKey(key)) return key;
        return undefined;
      },
      30_000,
      'the quarantine file',
    );
    const folder = quarantineFile.split('/').slice(2, -1).join('/');
    if (folder) await page.click(`a:text-is("${folder}/")`);
    await page.click(`a:text-is("${quarantineFile}")`);
    await page.screenshot({ path: path.join(shots, 'quarantine.png'), fullPage: true });
    const headers = await page.$$eval('table th', (ths) => ths.map((th) => th.textContent));
    expect(headers).toContain('reason');
    expect(await page.textContent('table tbody')).toMatch(/timestamp|columns/);
    expect(await page.textContent('#md5-check')).toMatch(/matches the manifest/);
    // its lineage: it came from the landed export
    expect(await page.textContent('body')).toMatch(/Came from[\s\S]*console-it/);
  });

  it('rolls quality reports up per dataset and opens a report', async () => {
    await page.goto(`${base}/quality?dataset=transactions`);
    const rollup = await page.textContent('table');
    expect(rollup).toContain('transactions');
    const report = page.locator(`tr:has(a:text-matches("console-it")) a:text-is("HTML")`).first();
    const [popup] = await Promise.all([
      page.waitForEvent('response', (r) => r.url().includes('.html')),
      report.click(),
    ]);
    expect(popup.status()).toBe(200);
    expect(await page.title()).toMatch(/Quality report — transactions/);
  });

  it('opens the registry and the run’s model card, and asks the API for one of its users', async () => {
    await page.goto(`${base}/models`);
    await page.click(`a:text-is("${runId}")`);
    await page.screenshot({ path: path.join(shots, 'model.png'), fullPage: true });
    const card = page.frameLocator('iframe[title="model card"]');
    await expect(card.locator('h1').textContent()).resolves.toMatch(/^Model card/);
    const user = 'u00001';
    await page.goto(`${base}/serving?user=${user}&k=5`);
    const recommended = await page.$$eval('table', (tables) => tables.at(-1)?.querySelectorAll('tbody tr').length ?? 0);
    expect(recommended).toBe(5);
    expect(await page.textContent('body')).toMatch(/model\s+\S+/);
  });
});
