/**
 * Splits and metrics for recommender evaluation (SPEC C7): RMSE and MAE on held-out ratings, and
 * precision@k, recall@k, NDCG@k, MAP@k and catalog coverage of the top-k lists (excluding items seen in
 * training), for the model and for a popularity baseline on the same split.
 */
import { Rng } from '../util/random';
import { type AlsModel, predict } from './als';
import type { Ratings } from './ratings';

/** 1 = train, 0 = test. */
export function randomSplit(r: Ratings, testShare: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const mask = new Uint8Array(r.length);
  for (let j = 0; j < r.length; j++) mask[j] = rng.next() < testShare ? 0 : 1;
  return mask;
}

/** Each user's latest `testShare` of ratings (by timestamp) is held out. */
export function timeSplit(r: Ratings, testShare: number): Uint8Array {
  const byUser = new Map<number, number[]>();
  for (let j = 0; j < r.length; j++) {
    const list = byUser.get(r.users[j] as number);
    if (list) list.push(j);
    else byUser.set(r.users[j] as number, [j]);
  }
  const mask = new Uint8Array(r.length).fill(1);
  for (const list of byUser.values()) {
    list.sort((a, b) => (r.times[a] as number) - (r.times[b] as number));
    const hold = Math.floor(list.length * testShare);
    for (const j of list.slice(list.length - hold)) mask[j] = 0;
  }
  return mask;
}

export interface RankingMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly map: number;
  readonly coverage: number;
  readonly usersEvaluated: number;
}

export interface Evaluation {
  readonly rmse: number | null;
  readonly mae: number | null;
  readonly ranking: RankingMetrics;
  readonly baseline: { rmse: number | null; mae: number | null; ranking: RankingMetrics };
  readonly testRatings: number;
  readonly k: number;
}

/** Precision, recall, NDCG and AP at k of one ranked list against a relevant set. */
export function rankMetrics(ranked: readonly number[], relevant: ReadonlySet<number>, k: number) {
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  for (let pos = 0; pos < Math.min(k, ranked.length); pos++) {
    if (relevant.has(ranked[pos] as number)) {
      hits++;
      dcg += 1 / Math.log2(pos + 2);
      apSum += hits / (pos + 1);
    }
  }
  let idcg = 0;
  for (let pos = 0; pos < Math.min(k, relevant.size); pos++) idcg += 1 / Math.log2(pos + 2);
  return {
    precision: hits / k,
    recall: relevant.size === 0 ? 0 : hits / relevant.size,
    ndcg: idcg === 0 ? 0 : dcg / idcg,
    ap: relevant.size === 0 ? 0 : apSum / Math.min(k, relevant.size),
  };
}

export interface EvaluateOptions {
  readonly k?: number;
  /** Test ratings at or above this count as relevant for ranking (explicit); implicit: any. */
  readonly relevantAtLeast?: number;
  /** Users scored for ranking metrics, at most (a seeded sample beyond that). @default 2000 */
  readonly maxUsers?: number;
  readonly ratingRange?: [number, number];
}

export function evaluate(
  model: AlsModel,
  r: Ratings,
  trainMask: Uint8Array,
  options: EvaluateOptions = {},
): Evaluation {
  const k = options.k ?? 10;
  const threshold = model.params.implicit ? Number.NEGATIVE_INFINITY : (options.relevantAtLeast ?? 4);
  const nI = model.items;
  // Training sets, popularity, item means (damped) for the baseline.
  const seen = new Map<number, Set<number>>();
  const popularity = new Float64Array(nI);
  const itemSum = new Float64Array(nI);
  const itemCount = new Float64Array(nI);
  let total = 0;
  let n = 0;
  const [lo, hi] = options.ratingRange ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let j = 0; j < r.length; j++) {
    if (!trainMask[j]) continue;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    let set = seen.get(u);
    if (!set) {
      set = new Set();
      seen.set(u, set);
    }
    set.add(i);
    popularity[i] = (popularity[i] as number) + 1;
    itemSum[i] = (itemSum[i] as number) + (r.values[j] as number);
    itemCount[i] = (itemCount[i] as number) + 1;
    total += r.values[j] as number;
    n++;
  }
  const mu = n === 0 ? 0 : total / n;
  const damp = 5;
  const baselinePredict = (i: number) => ((itemSum[i] as number) + damp * mu) / ((itemCount[i] as number) + damp);

  // Rating errors on the test entries.
  let se = 0;
  let ae = 0;
  let bse = 0;
  let bae = 0;
  let tests = 0;
  const relevantOf = new Map<number, Set<number>>();
  for (let j = 0; j < r.length; j++) {
    if (trainMask[j]) continue;
    tests++;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    const truth = r.values[j] as number;
    if (!model.params.implicit) {
      const p = Math.min(hi, Math.max(lo, predict(model, u, i)));
      se += (truth - p) ** 2;
      ae += Math.abs(truth - p);
      const b = baselinePredict(i);
      bse += (truth - b) ** 2;
      bae += Math.abs(truth - b);
    }
    if (truth >= threshold && !seen.get(u)?.has(i)) {
      let set = relevantOf.get(u);
      if (!set) {
        set = new Set();
        relevantOf.set(u, set);
      }
      set.add(i);
    }
  }

  // Ranking: top-k of unseen items for (a sample of) the users with relevant test items.
  let users = [...relevantOf.keys()].filter((u) => seen.has(u));
  const max = options.maxUsers ?? 2000;
  if (users.length > max) {
    const rng = new Rng(7);
    users = users
      .map((u) => [rng.next(), u] as const)
      .sort((a, b) => a[0] - b[0])
      .slice(0, max)
      .map(([, u]) => u);
  }
  const popularOrder = [...popularity.keys()].sort((a, b) => (popularity[b] as number) - (popularity[a] as number));
  const sum = { m: { p: 0, r: 0, n: 0, ap: 0 }, b: { p: 0, r: 0, n: 0, ap: 0 } };
  const covered = { m: new Set<number>(), b: new Set<number>() };
  const scores = new Float64Array(nI);
  const kk = model.params.rank;
  for (const u of users) {
    const exclude = seen.get(u) ?? new Set<number>();
    const relevant = relevantOf.get(u) as Set<number>;
    for (let i = 0; i < nI; i++) {
      let s = model.params.implicit ? 0 : (model.itemBias[i] as number);
      for (let a = 0; a < kk; a++)
        s += (model.userFactors[u * kk + a] as number) * (model.itemFactors[i * kk + a] as number);
      scores[i] = exclude.has(i) ? Number.NEGATIVE_INFINITY : s;
    }
    const top = topK(scores, k);
    const m = rankMetrics(top, relevant, k);
    sum.m.p += m.precision;
    sum.m.r += m.recall;
    sum.m.n += m.ndcg;
    sum.m.ap += m.ap;
    for (const i of top) covered.m.add(i);
    const baseTop: number[] = [];
    for (const i of popularOrder) {
      if (baseTop.length === k) break;
      if (!exclude.has(i)) baseTop.push(i);
    }
    const b = rankMetrics(baseTop, relevant, k);
    sum.b.p += b.precision;
    sum.b.r += b.recall;
    sum.b.n += b.ndcg;
    sum.b.ap += b.ap;
    for (const i of baseTop) covered.b.add(i);
  }
  const avg = (s: { p: number; r: number; n: number; ap: number }, cov: Set<number>): RankingMetrics => ({
    precision: round(s.p / Math.max(1, users.length)),
    recall: round(s.r / Math.max(1, users.length)),
    ndcg: round(s.n / Math.max(1, users.length)),
    map: round(s.ap / Math.max(1, users.length)),
    coverage: round(cov.size / Math.max(1, nI)),
    usersEvaluated: users.length,
  });
  const explicit = !model.params.implicit && tests > 0;
  return {
    rmse: explicit ? round(Math.sqrt(se / tests)) : null,
    mae: explicit ? round(ae / tests) : null,
    ranking: avg(sum.m, covered.m),
    baseline: {
      rmse: explicit ? round(Math.sqrt(bse / tests)) : null,
      mae: explicit ? round(bae / tests) : null,
      ranking: avg(sum.b, covered.b),
    },
    testRatings: tests,
    k,
  };
}

/** Indexes of the k largest scores, best first. */
export function topK(scores: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (s === Number.NEGATIVE_INFINITY) continue;
    if (best.length < k) {
      best.push(i);
      best.sort((a, b) => (scores[b] as number) - (scores[a] as number));
    } else if (s > (scores[best[k - 1] as number] as number)) {
      best[k - 1] = i;
      for (
        let p = k - 1;
        p > 0 && (scores[best[p] as number] as number) > (scores[best[p - 1] as number] as number);
        p--
      ) {
        const t = best[p] as number;
        best[p] = best[p - 1] as number;
        best[p - 1] = t;
      }
    }
  }
  return best;
}

const round = (x: number) => Number(x.toFixed(5));
