/** Training results as one JSON-friendly object, and the model card (layers/als). */

import { barChartSvg } from '../quality/charts';
import type { AlsModel } from './als';
import type { Evaluation } from './evaluate';
import type { RecommenderKind } from './recommenders';
import type { TuneResult } from './tuning';

const ranking = (x: { precision: number; recall: number; ndcg: number; map: number; coverage: number }) => ({
  precisionAt10: x.precision,
  recallAt10: x.recall,
  ndcgAt10: x.ndcg,
  mapAt10: x.map,
  coverage: x.coverage,
});

export interface SummaryInput {
  /** The ALS model of the run (every run trains one; it is served only for the ALS kinds). */
  readonly model: AlsModel;
  /** The published recommender's evaluation on the hold-out (RMSE from the ALS model). */
  readonly evaluation: Evaluation;
  /** The ALS model alone on the same hold-out, when something else is published. */
  readonly alsEvaluation?: Evaluation;
  readonly ratings: number;
  readonly recommender: { readonly kind: RecommenderKind; readonly weight?: number; readonly reason: string };
  readonly tuning?: TuneResult;
  readonly trainSeconds: number;
}

export function summarize(input: SummaryInput) {
  const { model, evaluation: e, tuning } = input;
  return {
    implicit: model.params.implicit,
    recommender: input.recommender,
    rank: model.params.rank,
    iterations: model.params.iterations,
    lambda: Number(model.params.lambda.toPrecision(4)),
    alpha: Number(model.params.alpha.toPrecision(4)),
    seed: model.params.seed,
    rmse: e.rmse,
    mae: e.mae,
    ...ranking(e.ranking),
    ...(input.alsEvaluation ? { als: ranking(input.alsEvaluation.ranking) } : {}),
    trainSeconds: Number(input.trainSeconds.toFixed(3)),
    gflops: Number((model.flops / Math.max(1e-9, model.trainSeconds) / 1e9).toFixed(2)),
    users: model.users,
    items: model.items,
    ratings: input.ratings,
    testRatings: e.testRatings,
    usersEvaluated: e.ranking.usersEvaluated,
    loss: model.loss.map((l) => Number(l.toFixed(5))),
    baseline: {
      name: 'popularity (ranking) / damped item mean (ratings)',
      rmse: e.baseline.rmse,
      mae: e.baseline.mae,
      ...ranking(e.baseline.ranking),
    },
    ...(tuning
      ? {
          tuning: {
            searched: tuning.searched,
            metric: tuning.metric,
            validation: tuning.validation,
            seconds: tuning.seconds,
            budgetSeconds: tuning.budgetSeconds,
            trace: tuning.trace,
            candidates: tuning.candidates,
          },
        }
      : {}),
  };
}

export type TrainingSummary = ReturnType<typeof summarize>;

/** What the card says about the run beyond the metrics: where it comes from and what it replaces. */
export interface CardContext {
  readonly runId?: string;
  readonly codeVersion?: string;
  readonly data?: { featureSet: string; version: string; key: string; window?: { from: string; to: string } | null };
  readonly rows?: { read: number; skipped: number };
  /** The stage's gate thresholds and the verdict the trainer expects (the gate step decides). */
  readonly gate?: { thresholds: Record<string, unknown>; pass: boolean; reasons: string[] };
  readonly production?: { runId: string; precisionAt10: number; kind?: string } | null;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export async function modelCard(result: TrainingSummary, ctx: CardContext = {}): Promise<string> {
  const loss = await barChartSvg(
    'Training loss per iteration',
    result.loss.map((l, i) => ({ label: String(i + 1), count: l })),
    { x: 'iteration', y: 'objective per rating', color: '#54a24b' },
  );
  const cell = (v: unknown) => `<td>${v ?? '—'}</td>`;
  const row = (
    name: string,
    m: {
      rmse?: number | null;
      mae?: number | null;
      precisionAt10: number;
      recallAt10: number;
      ndcgAt10: number;
      mapAt10: number;
      coverage: number;
    },
  ) =>
    `<tr><td>${esc(name)}</td>${[m.rmse, m.mae, m.precisionAt10, m.recallAt10, m.ndcgAt10, m.mapAt10, m.coverage].map(cell).join('')}</tr>`;
  const rec = result.recommender;
  const ratio =
    result.baseline.precisionAt10 > 0 ? (result.precisionAt10 / result.baseline.precisionAt10).toFixed(2) : '—';
  const tuning = result.tuning;
  const trace = tuning
    ? `<h2>Tuning</h2><p>Searched ${tuning.searched.join(', ') || 'nothing (all fixed)'} in ${tuning.seconds} s (budget ${tuning.budgetSeconds} s) on ${esc(tuning.validation.split)}: ${tuning.validation.ratings} validation ratings, ${tuning.validation.users} users; metric ${tuning.metric === 'rmse' ? 'RMSE' : 'precision@10'}.</p>
<table><tr><th>stage</th><th>rank</th><th>λ</th><th>α</th><th>iterations</th><th>validation</th><th>seconds</th></tr>
${tuning.trace.map((t) => `<tr><td>${esc(t.stage)}</td>${[t.rank, t.lambda.toPrecision(3), t.alpha.toPrecision(3), t.iterations, t.score, t.seconds].map(cell).join('')}</tr>`).join('\n')}
</table>
<h3>Recommenders on validation</h3><table><tr><th>kind</th><th>weight</th><th>P@10</th><th>NDCG@10</th></tr>
${tuning.candidates.map((c) => `<tr><td>${esc(c.kind)}</td>${[c.beta, c.precisionAt10, c.ndcgAt10].map(cell).join('')}</tr>`).join('\n')}
</table>`
    : '';
  const gate = ctx.gate
    ? `<h2>Quality gate</h2><p>${ctx.gate.pass ? 'Expected to pass' : 'Expected to fail'} with the stage's thresholds ${esc(JSON.stringify(ctx.gate.thresholds))}${ctx.gate.reasons.length ? `: ${esc(ctx.gate.reasons.join('; '))}` : ''}. The gate step decides and records its verdict in the registry.</p>`
    : '';
  const production =
    ctx.production === undefined
      ? ''
      : ctx.production === null
        ? '<p>No model is in production: this one would be the first.</p>'
        : `<p>It would replace ${esc(ctx.production.runId)}${ctx.production.kind ? ` (${esc(ctx.production.kind)})` : ''} with precision@10 ${ctx.production.precisionAt10} (this run: ${result.precisionAt10}).</p>`;
  const origin = [
    ctx.runId ? `run <code>${esc(ctx.runId)}</code>` : '',
    ctx.codeVersion ? `code ${esc(ctx.codeVersion)}` : '',
    ctx.data
      ? `feature set ${esc(ctx.data.featureSet)} v=${esc(ctx.data.version)}${ctx.data.window ? ` (data from ${esc(ctx.data.window.from)} to ${esc(ctx.data.window.to)})` : ''}`
      : '',
    ctx.rows ? `${ctx.rows.read} rows read, ${ctx.rows.skipped} skipped` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Model card</title>
<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:900px;color:#222}table{border-collapse:collapse;margin-bottom:1rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body><h1>Model card: ${esc(rec.kind)}</h1>
${origin ? `<p>${origin}.</p>` : ''}
<p><strong>Published recommender: ${esc(rec.kind)}${rec.weight !== undefined ? ` (weight ${rec.weight})` : ''}</strong>, because ${esc(rec.reason)}. On the hold-out its precision@10 is ${result.precisionAt10}, ${ratio}× the popularity baseline's ${result.baseline.precisionAt10}.</p>
<p>${result.implicit ? 'Implicit' : 'Explicit'} ALS: rank ${result.rank}, ${result.iterations} iterations, λ ${result.lambda}${result.implicit ? `, α ${result.alpha}` : ''}, seed ${result.seed};
${result.users} users × ${result.items} items, ${result.ratings} ratings (${result.testRatings} held out); trained and tuned in ${result.trainSeconds} s.</p>
${production}
${gate}
<h2>Held-out metrics (k = 10)</h2>
<table><tr><th></th><th>RMSE</th><th>MAE</th><th>P@10</th><th>R@10</th><th>NDCG@10</th><th>MAP@10</th><th>coverage</th></tr>
${row(`${rec.kind} (published)`, result)}
${result.als ? row('ALS alone', { ...result.als, rmse: result.rmse, mae: result.mae }) : ''}
${row('popularity baseline', result.baseline)}
</table>
${trace}
<h2>Training</h2><figure>${loss}</figure>
</body></html>
`;
}
