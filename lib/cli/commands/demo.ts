import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { dynamoDbDocumentClient, type Env, kinesisClient, s3Client, sfnClient } from '../../../layers/aws/clients';
import { putAllRecords } from '../../../layers/clickstream/producer';
import { simulateClickstream } from '../../../layers/clickstream/simulate';
import { scanSessions } from '../../../layers/feature-store/realtime-session';
import { summarizeZone } from '../../../layers/lake/inventory';
import { sampleTransactionsCsv } from '../../../layers/transactions/sample';
import { LocalCloud } from '../../local-cloud';
import { Progress, positiveInt } from '../progress';

interface DemoOptions {
  events: number;
  users: number;
  products: number;
  days: number;
  seed: number;
  state: string;
  json?: boolean;
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
    .action((opts: DemoOptions) => runDemo(opts));
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const progress = new Progress();
  const cloud = new LocalCloud({ stateDir: opts.state, fresh: true, log: (line) => progress.step(`  ${line}`) });
  progress.step('starting the local cloud');
  const info = await cloud.start();
  try {
    const env = cloud.sdkEnv() as Env;
    const s3 = s3Client({ env });
    const bucket = info.outputs.LakeBucketName as string;
    const stream = info.outputs.ClickstreamStreamName as string;

    progress.step(`streaming ${opts.events} clickstream events to ${stream} (1% malformed on purpose)`);
    const records = [
      ...simulateClickstream({ count: opts.events, users: opts.users, products: opts.products, seed: opts.seed }),
    ];
    const malformed = records.filter((r) => !r.valid).length;
    let lastShown = 0;
    await putAllRecords(kinesisClient({ env }), stream, records, {
      onProgress: (sent) => {
        if (sent - lastShown >= 2000 || sent === records.length) {
          lastShown = sent;
          progress.step(`  ${sent}/${records.length} events put`);
        }
      },
    });

    const tx = sampleTransactionsCsv({
      rows: 2000,
      users: opts.users,
      products: opts.products,
      days: opts.days,
      seed: opts.seed,
    });
    const landingKey = 'landing/transactions/orders-export.csv';
    progress.step(`dropping ${landingKey} (${tx.goodRows} good rows, ${tx.badRows} unplaceable)`);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: landingKey, Body: tx.csv, ContentType: 'text/csv' }));

    progress.step('waiting for the stream consumer and the S3-triggered ingest to finish');
    await cloud.settle();
    const raw = await summarizeZone(s3, bucket, 'raw/');
    const quarantine = await summarizeZone(s3, bucket, 'quarantine/');
    for (const [name, d] of Object.entries(raw.datasets))
      progress.step(`  raw/${name}: ${d.records} records in ${d.files} files`);
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

    progress.step('running the training-pipeline state machine');
    const sfn = sfnClient({ env });
    const stateMachineArn = info.outputs.TrainingStateMachineArn as string;
    const runId = `demo-${Date.now()}`;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ runId }) }),
    );
    let status = 'RUNNING';
    let seen = 0;
    let execution: DescribeExecutionCommandOutput | undefined;
    while (status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 200));
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      for (const ev of (history.events ?? []).slice(seen)) {
        if (ev.type?.endsWith('StateEntered')) progress.step(`  → ${ev.stateEnteredEventDetails?.name}`);
      }
      seen = history.events?.length ?? seen;
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      status = execution.status ?? 'UNKNOWN';
    }
    progress.step(`  execution ${status}${execution?.error ? `: ${execution.error} ${execution.cause ?? ''}` : ''}`);

    const lakeDir = path.join(cloud.stateDir, 's3', bucket);
    const summary = {
      stateDir: cloud.stateDir,
      lakeDirectory: lakeDir,
      sent: {
        clickstreamEvents: records.length,
        malformedEvents: malformed,
        transactionRows: tx.goodRows + tx.badRows,
      },
      raw: raw.datasets,
      quarantine: quarantine.datasets,
      sessionFeatureUsers: sessions.length,
      deadLetterBatches: cloud.kinesisMappings.reduce((n, m) => n + m.stats.batchesToDestination, 0),
      execution: {
        name: runId,
        status,
        error: execution?.error,
        output: execution?.output ? JSON.parse(execution.output) : undefined,
      },
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
        `  transactions: ${tx.goodRows + tx.badRows} rows → ${raw.datasets.transactions?.records ?? 0} in raw, ${quarantine.datasets.transactions?.records ?? 0} quarantined`,
        `  pipeline: ${status} (audit report: reports/audit/${runId}.json)`,
        `  lake on disk: ${lakeDir}`,
        `  logs: ${path.join(cloud.stateDir, 'logs')}`,
        `  done in ${summary.seconds.toFixed(1)} s`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (status !== 'SUCCEEDED') process.exitCode = 1;
  } finally {
    progress.step('stopping the local cloud');
    await cloud.stop();
  }
}
