/**
 * Splits and metrics for recommender evaluation: RMSE and MAE on held-out ratings, and
 * precision@k, recall@k, NDCG@k, MAP@k and catalog coverage of the top-k lists (excluding items seen in
 * training), for the model and for a popularity baseline on the same split.
 */
import { Rng } from '../util/random';
import { type AlsModel, predict } from './als';
import type { Ratings } from './ratings';
import { alsRecommender, popularityRecommender, type Recommender } from './recommenders';

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
  /** The test entries (1 = test); default every entry the train mask leaves out. */
  readonly testMask?: Uint8Array;
  /** What the ranking metrics score; default the ALS model itself. */
  readonly recommender?: Recommender;
}

/** What a ranking evaluation needs from a split: who saw what in training, and what is relevant in test. */
export interface HoldOut {
  /** Each user's training items, sorted. */
  readonly seen: Map<number, Int32Array>;
  /** Each evaluated user's relevant test items (unseen in training). */
  readonly relevant: Map<number, Set<number>>;
  /** The users scored: those with training items and relevant test items (a seeded sample of at most maxUsers). */
  readonly users: number[];
  /** Training users per item. */
  readonly popularity: Float64Array;
  readonly items: number;
}

export function holdOut(
  r: Ratings,
  trainMask: Uint8Array,
  items: number,
  options: { testMask?: Uint8Array; relevantAtLeast?: number; maxUsers?: number } = {},
): HoldOut {
  const threshold = options.relevantAtLeast ?? Number.NEGATIVE_INFINITY;
  const lists = new Map<number, number[]>();
  const popularity = new Float64Array(items);
  const pairs = new Set<number>();
  for (let j = 0; j < r.length; j++) {
    if (!trainMask[j]) continue;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    const key = u * items + i;
    if (pairs.has(key)) continue;
    pairs.add(key);
    const list = lists.get(u);
    if (list) list.push(i);
    else lists.set(u, [i]);
    popularity[i] = (popularity[i] as number) + 1;
  }
  const seen = new Map<number, Int32Array>();
  for (const [u, list] of lists) seen.set(u, Int32Array.from(list).sort());
  const relevant = new Map<number, Set<number>>();
  for (let j = 0; j < r.length; j++) {
    if (options.testMask ? !options.testMask[j] : trainMask[j]) continue;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    if ((r.values[j] as number) < threshold || pairs.has(u * items + i) || !seen.has(u)) continue;
    let set = relevant.get(u);
    if (!set) {
      set = new Set();
      relevant.set(u, set);
    }
    set.add(i);
  }
  let users = [...relevant.keys()].sort((a, b) => a - b);
  const max = options.maxUsers ?? 2000;
  if (users.length > max) {
    const rng = new Rng(7);
    users = users
      .map((u) => [rng.next(), u] as const)
      .sort((a, b) => a[0] - b[0])
      .slice(0, max)
      .map(([, u]) => u)
      .sort((a, b) => a - b);
  }
  return { seen, relevant, users, popularity, items };
}

/** Mean precision, recall, NDCG and MAP at k over the hold-out's users, and catalog coverage. */
export function rankingMetrics(rec: Recommender, h: HoldOut, k = 10, perUser?: Float64Array): RankingMetrics {
  return rankingMetricsOfAll([rec], h, k, perUser ? [perUser] : undefined)[0] as RankingMetrics;
}

/**
 * The same for several recommenders, user by user (each user's history looked up once, and
 * recommenders that share work for a user, such as ALS and its blends, can reuse it).
 */
export function rankingMetricsOfAll(
  recs: readonly Recommender[],
  h: HoldOut,
  k = 10,
  perUser?: Float64Array[],
): RankingMetrics[] {
  const scores = new Float64Array(h.items);
  const sums = recs.map(() => ({ p: 0, r: 0, n: 0, ap: 0 }));
  const covered = recs.map(() => new Set<number>());
  for (let n = 0; n < h.users.length; n++) {
    const u = h.users[n] as number;
    const history = h.seen.get(u) as Int32Array;
    const relevant = h.relevant.get(u) as Set<number>;
    for (let c = 0; c < recs.length; c++) {
      (recs[c] as Recommender).scores(u, history, scores);
      for (const i of history) scores[i] = Number.NEGATIVE_INFINITY;
      const top = topK(scores, k);
      const m = rankMetrics(top, relevant, k);
      const sum = sums[c] as { p: number; r: number; n: number; ap: number };
      sum.p += m.precision;
      sum.r += m.recall;
      sum.n += m.ndcg;
      sum.ap += m.ap;
      const own = perUser?.[c];
      if (own) own[n] = m.precision;
      for (const i of top) (covered[c] as Set<number>).add(i);
    }
  }
  const n = Math.max(1, h.users.length);
  return sums.map((sum, c) => ({
    precision: round(sum.p / n),
    recall: round(sum.r / n),
    ndcg: round(sum.n / n),
    map: round(sum.ap / n),
    coverage: round((covered[c] as Set<number>).size / Math.max(1, h.items)),
    usersEvaluated: h.users.length,
  }));
}

/** RMSE of the ALS model and of the damped item-mean baseline on the test entries (explicit ratings). */
export function ratingErrors(
  model: AlsModel,
  r: Ratings,
  trainMask: Uint8Array,
  options: { testMask?: Uint8Array; ratingRange?: [number, number] } = {},
) {
  const nI = model.items;
  const itemSum = new Float64Array(nI);
  const itemCount = new Float64Array(nI);
  let total = 0;
  let n = 0;
  for (let j = 0; j < r.length; j++) {
    if (!trainMask[j]) continue;
    const i = r.items[j] as number;
    itemSum[i] = (itemSum[i] as number) + (r.values[j] as number);
    itemCount[i] = (itemCount[i] as number) + 1;
    total += r.values[j] as number;
    n++;
  }
  const mu = n === 0 ? 0 : total / n;
  const damp = 5;
  const [lo, hi] = options.ratingRange ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  let se = 0;
  let ae = 0;
  let bse = 0;
  let bae = 0;
  let tests = 0;
  for (let j = 0; j < r.length; j++) {
    if (options.testMask ? !options.testMask[j] : trainMask[j]) continue;
    tests++;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    const truth = r.values[j] as number;
    const p = Math.min(hi, Math.max(lo, predict(model, u, i)));
    se += (truth - p) ** 2;
    ae += Math.abs(truth - p);
    const b = ((itemSum[i] as number) + damp * mu) / ((itemCount[i] as number) + damp);
    bse += (truth - b) ** 2;
    bae += Math.abs(truth - b);
  }
  const t = Math.max(1, tests);
  return {
    tests,
    rmse: Math.sqrt(se / t),
    mae: ae / t,
    baseline: { rmse: Math.sqrt(bse / t), mae: bae / t },
  };
}

export function evaluate(
  model: AlsModel,
  r: Ratings,
  trainMask: Uint8Array,
  options: EvaluateOptions = {},
): Evaluation {
  const k = options.k ?? 10;
  const h = holdOut(r, trainMask, model.items, {
    ...(options.testMask ? { testMask: options.testMask } : {}),
    relevantAtLeast: model.params.implicit ? Number.NEGATIVE_INFINITY : (options.relevantAtLeast ?? 4),
    ...(options.maxUsers !== undefined ? { maxUsers: options.maxUsers } : {}),
  });
  const ranking = rankingMetrics(options.recommender ?? alsRecommender(model), h, k);
  const baseline = rankingMetrics(popularityRecommender(h.popularity), h, k);
  let tests = 0;
  for (let j = 0; j < r.length; j++) if (options.testMask ? options.testMask[j] : !trainMask[j]) tests++;
  const errors =
    !model.params.implicit && tests > 0
      ? ratingErrors(model, r, trainMask, {
          ...(options.testMask ? { testMask: options.testMask } : {}),
          ...(options.ratingRange ? { ratingRange: options.ratingRange } : {}),
        })
      : undefined;
  return {
    rmse: errors ? round(errors.rmse) : null,
    mae: errors ? round(errors.mae) : null,
    ranking,
    baseline: {
      rmse: errors ? round(errors.baseline.rmse) : null,
      mae: errors ? round(errors.baseline.mae) : null,
      ranking: baseline,
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
