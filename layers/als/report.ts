/** Training results as one JSON-friendly object, and the model card (layers/als). */

import { barChartSvg } from '../quality/charts';
import type { AlsModel } from './als';
import type { Evaluation } from './evaluate';

export function summarize(model: AlsModel, e: Evaluation, ratings: number) {
  const r = (x: { precision: number; recall: number; ndcg: number; map: number; coverage: number }) => ({
    precisionAt10: x.precision,
    recallAt10: x.recall,
    ndcgAt10: x.ndcg,
    mapAt10: x.map,
    coverage: x.coverage,
  });
  return {
    implicit: model.params.implicit,
    rank: model.params.rank,
    iterations: model.params.iterations,
    lambda: model.params.lambda,
    alpha: model.params.alpha,
    seed: model.params.seed,
    rmse: e.rmse,
    mae: e.mae,
    ...r(e.ranking),
    trainSeconds: Number(model.trainSeconds.toFixed(3)),
    gflops: Number((model.flops / model.trainSeconds / 1e9).toFixed(2)),
    users: model.users,
    items: model.items,
    ratings,
    testRatings: e.testRatings,
    usersEvaluated: e.ranking.usersEvaluated,
    loss: model.loss.map((l) => Number(l.toFixed(5))),
    baseline: {
      name: 'popularity (ranking) / damped item mean (ratings)',
      rmse: e.baseline.rmse,
      mae: e.baseline.mae,
      ...r(e.baseline.ranking),
    },
  };
}

export async function modelCard(result: ReturnType<typeof summarize>): Promise<string> {
  const loss = await barChartSvg(
    'Training loss per iteration',
    result.loss.map((l, i) => ({ label: String(i + 1), count: l })),
    { x: 'iteration', y: 'objective per rating', color: '#54a24b' },
  );
  const row = (
    name: string,
    m: {
      rmse: number | null;
      mae: number | null;
      precisionAt10: number;
      recallAt10: number;
      ndcgAt10: number;
      mapAt10: number;
      coverage: number;
    },
  ) =>
    `<tr><td>${name}</td><td>${m.rmse ?? '—'}</td><td>${m.mae ?? '—'}</td><td>${m.precisionAt10}</td><td>${m.recallAt10}</td><td>${m.ndcgAt10}</td><td>${m.mapAt10}</td><td>${m.coverage}</td></tr>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Model card</title>
<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:900px;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body><h1>Model card: ${result.implicit ? 'implicit' : 'explicit'} ALS</h1>
<p>rank ${result.rank}, ${result.iterations} iterations, λ ${result.lambda}${result.implicit ? `, α ${result.alpha}` : ''}, seed ${result.seed};
${result.users} users × ${result.items} items, ${result.ratings} ratings (${result.testRatings} held out); trained in ${result.trainSeconds} s.</p>
<h2>Held-out metrics (k = 10)</h2>
<table><tr><th></th><th>RMSE</th><th>MAE</th><th>P@10</th><th>R@10</th><th>NDCG@10</th><th>MAP@10</th><th>coverage</th></tr>
${row('ALS', result)}
${row('popularity baseline', result.baseline)}
</table>
<h2>Training</h2><figure>${loss}</figure>
</body></html>
`;
}
