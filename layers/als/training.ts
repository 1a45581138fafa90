/**
 * One training run as `recomart train` and the training task both do it: tune on a validation split
 * of the training entries, fit the chosen recommender on all of them, and evaluate it, the ALS model
 * and the popularity baseline on the same hold-out.
 */
import type { AlsParams } from './als';
import { evaluate } from './evaluate';
import type { Ratings } from './ratings';
import { summarize } from './report';
import { fitChosen, type Tunable, type TuneOptions, tune } from './tuning';

export interface TrainingRunOptions {
  readonly implicit: boolean;
  readonly seed: number;
  /** Parameters given explicitly: fixed, not searched. */
  readonly fixed?: Partial<Pick<AlsParams, Tunable>>;
  readonly budgetSeconds?: number;
  readonly itemCategories?: TuneOptions['itemCategories'];
  readonly ratingRange?: [number, number];
  readonly threads?: number;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
  readonly onIteration?: (iteration: number, loss: number) => void;
}

export async function trainingRun(r: Ratings, trainMask: Uint8Array, opts: TrainingRunOptions) {
  const t0 = performance.now();
  const tuned = await tune(r, trainMask, {
    implicit: opts.implicit,
    seed: opts.seed,
    ...(opts.fixed ? { fixed: opts.fixed } : {}),
    ...(opts.budgetSeconds !== undefined ? { budgetSeconds: opts.budgetSeconds } : {}),
    ...(opts.itemCategories ? { itemCategories: opts.itemCategories } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const fitted = await fitChosen(r, trainMask, tuned, {
    ...(opts.itemCategories ? { itemCategories: opts.itemCategories } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.onIteration ? { onIteration: opts.onIteration } : {}),
  });
  // Tuning and training end here; the hold-out evaluation below is not part of trainSeconds.
  const trainSeconds = (performance.now() - t0) / 1000;
  const range = opts.ratingRange ? { ratingRange: opts.ratingRange } : {};
  const evaluation = evaluate(fitted.model, r, trainMask, { ...range, recommender: fitted.recommender });
  const alsEvaluation = fitted.kind === 'als' ? undefined : evaluate(fitted.model, r, trainMask, range);
  const summary = {
    ...summarize({
      model: fitted.model,
      evaluation,
      ...(alsEvaluation ? { alsEvaluation } : {}),
      ratings: r.length,
      recommender: {
        kind: fitted.kind,
        ...(fitted.beta !== undefined ? { weight: fitted.beta } : {}),
        reason: tuned.reason,
      },
      tuning: tuned,
      trainSeconds,
    }),
    threads: fitted.threads,
  };
  return { tuned, fitted, evaluation, summary };
}
