import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeModel } from '../../../layers/als/artifacts';
import { randomSplit } from '../../../layers/als/evaluate';
import {
  checkRatingsReport,
  RatingsBuilder,
  RatingsFormatError,
  readRatingsInto,
  type SkippedLine,
} from '../../../layers/als/ratings';
import { modelCard } from '../../../layers/als/report';
import { trainingRun } from '../../../layers/als/training';
import { DEFAULT_BUDGET_SECONDS } from '../../../layers/als/tuning';
import { CliError } from '../errors';
import { Progress, positiveInt } from '../progress';

interface TrainOptions {
  train: string;
  test?: string;
  rank?: number;
  iterations?: number;
  lambda?: number;
  implicit?: boolean;
  alpha?: number;
  seed: number;
  budget?: number;
  out?: string;
  json?: boolean;
}

const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`${name} must be a positive number, got "${value}".`, 2);
  return n;
};

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train a recommender on a ratings file: tune ALS (explicit, or implicit with --implicit) on a validation split, publish whichever of ALS, ALS + popularity, item-item or popularity wins there, evaluate it against the popularity baseline on the hold-out, and write the model.',
    )
    .requiredOption(
      '--train <file>',
      'ratings: CSV with a header (userId,itemId,rating[,timestamp] or MovieLens names) or tab/"::" separated lines',
    )
    .option('--test <file>', 'held-out ratings (default: a seeded random 20 % of --train)')
    .option('--rank <k>', 'latent factors (default: chosen on a validation split)', positiveInt('--rank'))
    .option(
      '--iterations <n>',
      'ALS sweeps (default: early stopping on the validation split)',
      positiveInt('--iterations'),
    )
    .option(
      '--lambda <l>',
      "regularisation (weighted by each row's count for explicit ALS; default: chosen on a validation split)",
      positiveNumber('--lambda'),
    )
    .option('--implicit', 'implicit feedback (confidence 1 + alpha · value, conjugate gradient)')
    .option(
      '--alpha <a>',
      'implicit confidence scale (default: chosen on a validation split)',
      positiveNumber('--alpha'),
    )
    .option(
      '--budget <seconds>',
      `seconds the hyper-parameter search may spend (default ${DEFAULT_BUDGET_SECONDS}); a flag that fixes a parameter skips its search`,
      positiveNumber('--budget'),
    )
    .option('--seed <s>', 'random seed (initial factors, split)', positiveInt('--seed'), 42)
    .option('--out <dir>', 'write model.bin, model.json, id maps, metrics.json and model-card.html there')
    .option('--json', 'print the metrics as one JSON object on stdout')
    .action(async (opts: TrainOptions) => {
      const result = await runTraining(opts, new Progress());
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const b = result.baseline;
        process.stdout.write(
          [
            `${result.recommender.kind}${result.recommender.weight !== undefined ? ` (weight ${result.recommender.weight})` : ''} over ${result.implicit ? 'implicit' : 'explicit'} ALS, rank ${result.rank}, λ ${result.lambda}${result.implicit ? `, α ${result.alpha}` : ''}, ${result.iterations} iterations: ${result.users} users × ${result.items} items, ${result.ratings} ratings, tuned and trained in ${result.trainSeconds} s`,
            `  why:        ${result.recommender.reason}`,
            `  model:      RMSE ${result.rmse ?? '—'}  MAE ${result.mae ?? '—'}  P@10 ${result.precisionAt10}  R@10 ${result.recallAt10}  NDCG@10 ${result.ndcgAt10}  coverage ${result.coverage}`,
            `  popularity: RMSE ${b.rmse ?? '—'}  MAE ${b.mae ?? '—'}  P@10 ${b.precisionAt10}  R@10 ${b.recallAt10}  NDCG@10 ${b.ndcgAt10}  coverage ${b.coverage}`,
            ...(opts.out ? [`  artifacts in ${opts.out}`] : []),
          ].join('\n') + '\n',
        );
      }
    });
}

export async function runTraining(opts: TrainOptions, progress = new Progress(false)) {
  const builder = new RatingsBuilder();
  const skippedLines: { file: string; skipped: number; firstSkipped: SkippedLine[] }[] = [];
  const read = async (file: string) => {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new CliError(`${file} is not a file.`, 2);
    try {
      const report = await readRatingsInto(builder, fs.createReadStream(file), { implicit: opts.implicit === true });
      checkRatingsReport(report);
      if (report.skipped > 0) {
        skippedLines.push({ file, skipped: report.skipped, firstSkipped: report.firstSkipped });
        const first = report.firstSkipped[0];
        progress.step(
          `${file}: skipped ${report.skipped} lines that are not ratings${first ? ` (first: line ${first.line}, ${first.reason})` : ''}`,
        );
      }
      return report.read;
    } catch (err) {
      if (err instanceof RatingsFormatError) throw new CliError(`${file}: ${err.message}.`, 2);
      throw err;
    }
  };
  progress.step(`reading ${opts.train}`);
  const trainCount = await read(opts.train);
  if (opts.test) await read(opts.test);
  const ratings = builder.build();
  let mask: Uint8Array;
  if (opts.test) {
    mask = new Uint8Array(ratings.length);
    mask.fill(1, 0, trainCount);
  } else {
    mask = randomSplit(ratings, 0.2, opts.seed);
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of ratings.values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const fixed = {
    ...(opts.rank ? { rank: opts.rank } : {}),
    ...(opts.iterations ? { iterations: opts.iterations } : {}),
    ...(opts.lambda ? { lambda: opts.lambda } : {}),
    ...(opts.alpha ? { alpha: opts.alpha } : {}),
  };
  const budget = opts.budget ?? DEFAULT_BUDGET_SECONDS;
  progress.step(
    `tuning ${opts.implicit ? 'implicit' : 'explicit'} ALS on ${ratings.userIds.length} users, ${ratings.itemIds.length} items, ${ratings.length} ratings (budget ${budget} s${
      Object.keys(fixed).length
        ? `; fixed: ${Object.entries(fixed)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
        : ''
    })`,
  );
  const run = await trainingRun(ratings, mask, {
    implicit: opts.implicit === true,
    seed: opts.seed,
    fixed,
    budgetSeconds: budget,
    ratingRange: [lo, hi],
    log: (message, details) => {
      if (message === 'trial' && details)
        progress.step(
          `  ${details.stage}: rank ${details.rank}, λ ${Number(details.lambda).toPrecision(3)}${opts.implicit ? `, α ${Number(details.alpha).toPrecision(3)}` : ''} → ${details.iterations} iterations, validation ${opts.implicit ? 'P@10' : 'RMSE'} ${details.score}`,
        );
    },
  });
  progress.step(`chose ${run.summary.recommender.kind}: ${run.summary.recommender.reason}`);
  const result = { ...run.summary, skippedLines };
  if (opts.out) {
    writeModel(opts.out, run.fitted, ratings.userIds, ratings.itemIds);
    fs.writeFileSync(path.join(opts.out, 'metrics.json'), `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(path.join(opts.out, 'model-card.html'), await modelCard(result));
  }
  return result;
}
