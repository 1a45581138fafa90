import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { simulateClickstream } from '../../../layers/clickstream/simulate';
import { SyntheticDataset } from '../../../layers/synthetic/dataset';
import { Progress, positiveInt } from '../progress';

export interface GenerateOptions {
  out: string;
  users: number;
  products: number;
  days: number;
  transactions?: number;
  events: number;
  seed: number;
  json?: boolean;
}

export interface GeneratedFiles {
  readonly dir: string;
  readonly files: { readonly dataset: string; readonly path: string; readonly lines: number }[];
  readonly badTransactionRows: number;
  readonly malformedEvents: number;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Write a seeded synthetic RecoMart dataset: catalog, customers, transactions and clickstream.')
    .requiredOption('--out <dir>', 'output directory (created if missing)')
    .option('--users <n>', 'customers', positiveInt('--users'), 500)
    .option('--products <n>', 'products', positiveInt('--products'), 300)
    .option('--days <n>', 'days of transaction history', positiveInt('--days'), 30)
    .option('--transactions <n>', 'transaction rows (default: 8 per customer)', positiveInt('--transactions'))
    .option('--events <n>', 'clickstream events', positiveInt('--events'), 5000)
    .option('--seed <s>', 'random seed', positiveInt('--seed'), 42)
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (opts: GenerateOptions) => {
      const progress = new Progress();
      const result = await generateDataset(opts, (line) => progress.step(line));
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}

/** Write the dataset files under `opts.out`; used by the command and by `recomart demo`. */
export async function generateDataset(
  opts: GenerateOptions,
  log: (line: string) => void = () => undefined,
): Promise<GeneratedFiles> {
  const dir = path.resolve(opts.out);
  fs.mkdirSync(dir, { recursive: true });
  const dataset = new SyntheticDataset({
    users: opts.users,
    products: opts.products,
    days: opts.days,
    seed: opts.seed,
    ...(opts.transactions ? { transactions: opts.transactions } : {}),
  });
  const stats = { bad: 0 };
  let malformed = 0;
  const clicks = (function* () {
    for (const r of simulateClickstream({
      count: opts.events,
      users: opts.users,
      products: opts.products,
      seed: opts.seed,
      hours: 24,
      sessionProducts: dataset.sessionProducts(),
    })) {
      if (!r.valid) malformed++;
      yield r.data.toString('utf8').replace(/\r?\n/g, ' ');
    }
  })();
  const files = [];
  for (const [name, file, lines, header] of [
    ['catalog', 'catalog.csv', dataset.catalogLines(), true],
    ['customers', 'customers.csv', dataset.customerLines(), true],
    ['transactions', 'transactions.csv', dataset.transactionLines(stats), true],
    ['clickstream', 'clickstream.jsonl', clicks, false],
  ] as const) {
    const target = path.join(dir, file);
    const count = await writeLines(target, lines);
    files.push({ dataset: name, path: target, lines: header ? count - 1 : count });
    const planted =
      name === 'transactions'
        ? `, ${stats.bad} of them bad on purpose (missing or unreadable timestamp, a column short): ingestion quarantines them`
        : name === 'clickstream'
          ? `, ${malformed} of them malformed on purpose: the stream quarantines them`
          : '';
    log(`wrote ${target} (${header ? count - 1 : count} ${name === 'clickstream' ? 'events' : 'rows'}${planted})`);
  }
  return { dir, files, badTransactionRows: stats.bad, malformedEvents: malformed };
}

/** Stream lines to a file with backpressure; returns the number of lines. */
export async function writeLines(file: string, lines: Iterable<string>): Promise<number> {
  const out = fs.createWriteStream(file);
  let count = 0;
  let chunk: string[] = [];
  for (const line of lines) {
    chunk.push(line);
    count++;
    if (chunk.length === 2000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(`${chunk.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  return count;
}
