import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { dynamoDbDocumentClient, type Env, kinesisClient, s3Client, sfnClient } from '../../../layers/aws/clients';
import { putAllRecords } from '../../../layers/clickstream/producer';
import { scanSessions } from '../../../layers/feature-store/realtime-session';
import { listKeys, summarizeZone } from '../../../layers/lake/inventory';
import { LAKE_PREFIXES, lakeKeys } from '../../../layers/lake/keys';
import { getBytes } from '../../../layers/lake/s3-io';
import { isManifestKey } from '../../../layers/lake/zones';
import type { QualityStatus } from '../../../layers/quality/status';
import { CONSOLE_PATH, createConsole } from '../../console';
import { EventSourceMappings, LocalCloud, Schedules } from '../../local-cloud';
import { recomartProfile } from '../../local-profile';
import { Progress, positiveInt } from '../progress';
import type * as Eda from './eda';
import { featureBuildLine, runFeatureBuild, summaryOf } from './features';
import { type GeneratedFiles, generateDataset } from './generate';
import { fetchRecommendations } from './recommend';
import { runPipeline } from './run-pipeline';
import { uploadToLanding } from './upload';

interface DemoOptions {
  events: number;
  users: number;
  products: number;
  days: number;
  seed: number;
  state: string;
  json?: boolean;
  verbose?: boolean;
  keep?: boolean;
  port: number;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the pipeline end to end on the embedded local cloud (no Docker, no AWS account).')
    .option('--events <n>', 'clickstream events to stream', positiveInt('--events'), 5000)
    .option('--users <n>', 'synthetic users', positiveInt('--users'), 500)
    .option('--products <n>', 'synthetic products', positiveInt('--products'), 300)
    .option('--days <n>', 'days of transaction history', positiveInt('--days'), 7)
    .option('--seed <s>', 'random seed', positiveInt('--seed'), 42)
    .option('--state <dir>', 'state directory (emulator data, logs, reports); the demo starts it afresh', '.recomart')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--verbose', "show what synth and bundling print (the CDK's asset lines)")
    .option('--keep', 'keep the local cloud and its console running after the demo, until Ctrl-C')
    .option(
      '--port <p>',
      'gateway port (the console is at /console on it); default: a free port',
      positiveInt('--port'),
      0,
    )
    .action((opts: DemoOptions) => runDemo(opts));
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const progress = new Progress();
  const cloud = new LocalCloud({
    profile: recomartProfile(),
    stateDir: opts.state,
    fresh: true,
    verbose: opts.verbose === true,
    log: (line) => progress.step(`  ${line}`),
    ...(opts.port ? { port: opts.port } : {}),
  });
  progress.step('starting the local cloud');
  const info = await cloud.start();
  const localConsole = createConsole(cloud.sdkEnv(), info.outputs as Record<string, string>);
  cloud.mount(CONSOLE_PATH, localConsole.handler);
  progress.step(`console: ${info.endpoint}${CONSOLE_PATH} (follow the run there)`);
  try {
    const env = cloud.sdkEnv() as Env;
    const s3 = s3Client({ env });
    const bucket = info.outputs.LakeBucketName as string;
    const stream = info.outputs.ClickstreamStreamName as string;

    const datasetDir = path.join(cloud.stateDir, 'dataset');
    progress.step(`generating the synthetic dataset in ${datasetDir}`);
    const generated = await generateDataset(
      {
        out: datasetDir,
        users: opts.users,
        products: opts.products,
        days: opts.days,
        events: opts.events,
        seed: opts.seed,
      },
      (line) => progress.step(`  ${line}`),
    );
    const fileOf = (name: string) => generated.files.find((f) => f.dataset === name) as GeneratedFiles['files'][number];

    progress.step(`streaming ${opts.events} clickstream events to ${stream} (1% malformed on purpose)`);
    const records = fs
      .readFileSync(fileOf('clickstream').path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const userId = /"userId":"([^"]+)"/.exec(line)?.[1] ?? 'anonymous';
        return { partitionKey: userId, data: Buffer.from(line, 'utf8') };
      });
    const malformed = generated.malformedEvents;
    let lastShown = 0;
    await putAllRecords(kinesisClient({ env }), stream, records, {
      onProgress: (sent) => {
        if (sent - lastShown >= 2000 || sent === records.length) {
          lastShown = sent;
          progress.step(`  ${sent}/${records.length} events put`);
        }
      },
    });

    for (const dataset of ['catalog', 'customers', 'transactions'] as const) {
      const file = fileOf(dataset);
      const key = await uploadToLanding(s3, bucket, file.path, dataset);
      progress.step(`uploaded ${path.basename(file.path)} (${file.lines} rows) to ${key}`);
    }

    progress.step('pulling external product metadata from the mock API (the daily schedule, fired now)');
    const [pull] = await cloud.plugin(Schedules).fire(info.outputs.MetadataPullFunctionName as string);
    if (!pull?.ok) throw new Error(`metadata pull failed: ${pull ? JSON.stringify(pull.error) : 'no target'}`);
    progress.step(`  ${JSON.stringify(pull.payload)}`);

    progress.step('waiting for the stream consumer and the S3-triggered ingest to finish');
    await cloud.settle();
    const raw = await summarizeZone(s3, bucket, 'raw/');
    const quarantine = await summarizeZone(s3, bucket, 'quarantine/');
    const latestCatalog = await summarizeZone(s3, bucket, lakeKeys.masterLatestDir('catalog'));
    const latestCustomers = await summarizeZone(s3, bucket, lakeKeys.masterLatestDir('customers'));
    let exampleRaw: string | undefined;
    for await (const key of listKeys(s3, bucket, 'raw/transactions/')) {
      if (!isManifestKey(key)) {
        exampleRaw = key;
        break;
      }
    }
    for (const [name, d] of Object.entries(raw.datasets))
      progress.step(`  raw/${name}: ${d.records} records in ${d.files} files`);

    // Quality: every raw version was validated as it landed; bring the human reports next to the state.
    const reportsDir = path.join(cloud.stateDir, 'reports');
    const quality = { usable: 0, blocked: 0, reports: [] as string[] };
    for await (const key of listKeys(s3, bucket, LAKE_PREFIXES.qualityReports)) {
      if (key.startsWith(LAKE_PREFIXES.qualityStatus)) {
        const status = JSON.parse(Buffer.from(await getBytes(s3, bucket, key)).toString('utf8')) as QualityStatus;
        if (status.usable) quality.usable++;
        else quality.blocked++;
      } else if (/\.(html|pdf)$/.test(key)) {
        const target = path.join(reportsDir, 'quality', key.slice(LAKE_PREFIXES.qualityReports.length));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, await getBytes(s3, bucket, key));
        quality.reports.push(target);
      }
    }
    progress.step(
      `  quality: ${quality.usable + quality.blocked} raw versions validated, ${quality.usable} usable, ${quality.blocked} blocked; ${quality.reports.length} HTML/PDF reports in ${path.join(reportsDir, 'quality')}`,
    );
    progress.step('building batch features from the validated raw data (the feature build state machine)');
    const sfn = sfnClient({ env });
    const featureSummary = summaryOf(
      await runFeatureBuild(
        sfn,
        info.outputs.FeatureBuildStateMachineArn as string,
        `demo-features-${Date.now()}`,
        (name) => progress.step(`  → ${name}`),
        200,
      ),
    );
    progress.step(`  ${featureBuildLine(featureSummary)}; offline in ${featureSummary.offline.interactions}`);
    // The report renderers (Vega, PDFKit) load when the report is written, not at start.
    const { writeEda } = require('./eda') as typeof Eda;
    const eda = await writeEda(fileOf('transactions').path, {
      catalog: fileOf('catalog').path,
      out: path.join(reportsDir, 'eda'),
    });
    progress.step(`  exploratory analysis: ${eda.join(', ')}`);
    for (const [name, d] of Object.entries(quarantine.datasets))
      progress.step(`  quarantine/${name}: ${d.records} records`);
    const sessions = await scanSessions(dynamoDbDocumentClient({ env }), info.outputs.FeatureTableName as string);
    const busiest = [...sessions].sort((a, b) => b.recentEventIds.length - a.recentEventIds.length)[0];
    progress.step(`  feature store: real-time session features for ${sessions.length} users`);
    if (busiest) {
      const c = busiest.counters;
      progress.step(
        `    e.g. ${busiest.userId}: current session ${c.views} views, ${c.clicks} clicks, ${c.addToCarts} add-to-carts; ` +
          `last seen ${busiest.lastSeen}; recently viewed ${busiest.recentlyViewed
            .slice(0, 5)
            .map((v) => v.productId)
            .join(', ')}`,
      );
    }

    progress.step(`running the training-pipeline state machine on features v=${featureSummary.version}`);
    const stateMachineArn = info.outputs.TrainingStateMachineArn as string;
    const runId = `demo-${Date.now()}`;
    const execution = await runPipeline(
      sfn,
      stateMachineArn,
      { runId, featureVersion: featureSummary.version },
      (name) => progress.step(`  → ${name}`),
      200,
    );
    const status = execution.status ?? 'UNKNOWN';
    progress.step(`  execution ${status}${execution?.error ? `: ${execution.error} ${execution.cause ?? ''}` : ''}`);
    let model:
      | {
          precisionAt10: number;
          baseline: { precisionAt10: number };
          ratings: number;
          recommender?: { kind: string; weight?: number; reason: string };
        }
      | undefined;
    const served: { userId: string; bought: string[]; recommended: string[]; coldStart: boolean }[] = [];
    if (status === 'SUCCEEDED') {
      model = JSON.parse(Buffer.from(await getBytes(s3, bucket, `models/${runId}/metrics.json`)).toString('utf8'));
      // Recommendations for the three most active buyers, next to what they bought, and one unknown user.
      const bought = new Map<string, string[]>();
      for (const line of fs.readFileSync(fileOf('transactions').path, 'utf8').split('\n').slice(1)) {
        const [, customer, product] = line.split(',');
        if (customer && product) bought.set(customer, [...(bought.get(customer) ?? []), product]);
      }
      const users = [...bought.entries()]
        .sort((a, b) => b[1].length - a[1].length)
        .slice(0, 3)
        .map(([u]) => u);
      progress.step(`asking the recommendations API (${info.outputs.ApiEndpoint})`);
      for (const userId of [...users, 'new-visitor']) {
        const recs = await fetchRecommendations(info.outputs.ApiEndpoint as string, userId, 5, env);
        const items = recs.items.map((r) => r.itemId);
        served.push({
          userId,
          bought: [...new Set(bought.get(userId) ?? [])].slice(0, 5),
          recommended: items,
          coldStart: recs.coldStart,
        });
        progress.step(
          `  ${userId}: ${recs.coldStart ? 'cold start (popular items)' : `bought ${[...new Set(bought.get(userId))].slice(0, 4).join(', ')}…`} → recommended ${items.join(', ')}`,
        );
      }
    }

    const lakeDir = path.join(cloud.stateDir, 's3', bucket);
    const summary = {
      stateDir: cloud.stateDir,
      lakeDirectory: lakeDir,
      quality: {
        usable: quality.usable,
        blocked: quality.blocked,
        reports: quality.reports.length,
        directory: path.join(reportsDir, 'quality'),
      },
      eda,
      sent: {
        clickstreamEvents: records.length,
        malformedEvents: malformed,
        transactionRows: fileOf('transactions').lines,
        unplaceableTransactionRows: generated.badTransactionRows,
        catalogRows: fileOf('catalog').lines,
        customerRows: fileOf('customers').lines,
      },
      raw: raw.datasets,
      quarantine: quarantine.datasets,
      sessionFeatureUsers: sessions.length,
      deadLetterBatches: cloud
        .plugin(EventSourceMappings)
        .mappings.reduce((n, m) => n + m.stats.batchesToDestination, 0),
      execution: {
        name: runId,
        status,
        error: execution?.error,
        output: execution?.output ? JSON.parse(execution.output) : undefined,
      },
      model: model ? { metrics: model, modelCard: path.join(lakeDir, 'models', runId, 'model-card.html') } : undefined,
      recommendations: served,
      seconds: progress.elapsedSeconds(),
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const lines = [
        '',
        'RecoMart demo summary',
        `  clickstream: ${records.length} sent → ${raw.datasets.clickstream?.records ?? 0} in raw, ${quarantine.datasets.clickstream?.records ?? 0} quarantined`,
        `  session features: ${sessions.length} users in the online feature store`,
        `  transactions: ${fileOf('transactions').lines} rows → ${raw.datasets.transactions?.records ?? 0} in raw, ${quarantine.datasets.transactions?.records ?? 0} quarantined`,
        `  master data: catalog ${latestCatalog.records} rows, customers ${latestCustomers.records} rows (latest + dated snapshot)`,
        `  external metadata: ${raw.datasets.external_metadata?.records ?? 0} products`,
        `  features: v=${featureSummary.version}, ${featureSummary.users} users and ${featureSummary.items} items in the online store, ${featureSummary.interactions} interactions offline (npx recomart features get user u00007, with \`recomart local up\` running)`,
        `  data quality: ${quality.usable} raw versions usable, ${quality.blocked} blocked; reports in ${path.join(reportsDir, 'quality')} (HTML + PDF), EDA in ${path.join(reportsDir, 'eda')}`,
        `  lineage: npx recomart lineage ${exampleRaw ?? '<key>'} (with \`recomart local up --state ${opts.state}\` running)`,
        `  pipeline: ${status} (audit report: ${lakeKeys.audit(runId)})`,
        ...(model
          ? [
              `  model: ${model.recommender?.kind ?? 'ALS'} on ${model.ratings} interactions, chosen because ${model.recommender?.reason ?? 'it is the only kind'}; on the hold-out precision@10 ${model.precisionAt10} vs popularity ${model.baseline.precisionAt10} (${model.baseline.precisionAt10 > 0 ? (model.precisionAt10 / model.baseline.precisionAt10).toFixed(2) : '—'}×); passed the dev gate; published for ${summary.execution.output?.published?.users} users in ${summary.execution.output?.published?.shards} parallel shards; model card ${path.join(lakeDir, 'models', runId, 'model-card.html')}`,
              ...served.map(
                (r) => `    ${r.userId}${r.coldStart ? ' (cold start)' : ''} → ${r.recommended.join(', ')}`,
              ),
            ]
          : []),
        `  console: ${opts.keep ? `${info.endpoint}${CONSOLE_PATH} (stays up until Ctrl-C)` : 'stopped with the cloud; `npm start -- --keep` keeps it up to browse the run, the lake, the reports and the models'}`,
        `  lake on disk: ${lakeDir}`,
        `  logs: ${path.join(cloud.stateDir, 'logs')}`,
        `  done in ${summary.seconds.toFixed(1)} s`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (status !== 'SUCCEEDED') process.exitCode = 1;
    if (opts.keep) {
      process.stderr.write(
        `\nThe local cloud stays up: console ${info.endpoint}${CONSOLE_PATH}, endpoint ${info.endpoint}. Press Ctrl-C to stop.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
  } finally {
    progress.step('stopping the local cloud');
    localConsole.close();
    await cloud.stop();
  }
}
