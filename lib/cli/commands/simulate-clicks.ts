import type { Command } from 'commander';
import { kinesisClient } from '../../../layers/aws/clients';
import { putAtRate } from '../../../layers/clickstream/producer';
import { simulateClickstream } from '../../../layers/clickstream/simulate';
import { Progress, positiveInt } from '../progress';
import { resolveTarget } from '../target';

interface SimulateOptions {
  rate?: number;
  count: number;
  stream?: string;
  users: number;
  products: number;
  malformed: number;
  seed: number;
  hours: number;
  state: string;
  stage: string;
  json?: boolean;
}

export function registerSimulateClicks(program: Command): void {
  program
    .command('simulate-clicks')
    .description(
      'Put realistic shopping sessions onto the clickstream (AWS, LocalStack via AWS_ENDPOINT_URL, or a running local cloud).',
    )
    .option('--rate <r>', 'events per second (default: as fast as the stream takes them)', positiveInt('--rate'))
    .option('--count <n>', 'events to put', positiveInt('--count'), 1000)
    .option('--stream <name>', 'stream name (default: the stack output ClickstreamStreamName)')
    .option('--users <n>', 'distinct users', positiveInt('--users'), 500)
    .option('--products <n>', 'distinct products', positiveInt('--products'), 300)
    .option('--malformed <share>', 'share of deliberately malformed records, 0..1', share, 0.01)
    .option('--seed <s>', 'random seed', positiveInt('--seed'), 42)
    .option('--hours <h>', 'event times spread over this many hours before now', positiveInt('--hours'), 1)
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the stream', 'dev')
    .option('--json', 'print a machine-readable summary on stdout')
    .action((opts: SimulateOptions) => simulateClicks(opts));
}

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`--malformed must be a number between 0 and 1, got "${value}".`);
  return n;
}

async function simulateClicks(opts: SimulateOptions): Promise<void> {
  const progress = new Progress();
  const target = resolveTarget({ state: opts.state, stage: opts.stage });
  const stream = opts.stream ?? (await target.output('ClickstreamStreamName'));
  const pace = opts.rate ? `${opts.rate}/s` : 'full speed';
  progress.step(`putting ${opts.count} events onto ${stream} via ${target.description} at ${pace}`);
  let valid = 0;
  let malformed = 0;
  const records = (function* () {
    for (const record of simulateClickstream({
      count: opts.count,
      users: opts.users,
      products: opts.products,
      malformedShare: opts.malformed,
      seed: opts.seed,
      hours: opts.hours,
    })) {
      if (record.valid) valid++;
      else malformed++;
      yield record;
    }
  })();
  const kinesis = kinesisClient({ env: target.env });
  let lastShown = 0;
  try {
    const result = await putAtRate(kinesis, stream, records, {
      ...(opts.rate ? { rate: opts.rate } : {}),
      onProgress: (sent) => {
        const now = Date.now();
        if (now - lastShown >= 1000 || sent === opts.count) {
          lastShown = now;
          progress.step(`  ${sent}/${opts.count} events put`);
        }
      },
    });
    const summary = {
      stream,
      target: target.description,
      sent: result.sent,
      valid,
      malformed,
      calls: result.calls,
      retriedRecords: result.retriedRecords,
      seconds: Number(result.seconds.toFixed(2)),
      eventsPerSecond: Math.round(result.sent / Math.max(result.seconds, 1e-3)),
    };
    progress.step(
      `done: ${summary.sent} events (${malformed} malformed on purpose) in ${summary.calls} PutRecords calls, ` +
        `${summary.retriedRecords} records retried, ${summary.eventsPerSecond} events/s`,
    );
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    kinesis.destroy();
  }
}
