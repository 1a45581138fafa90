/**
 * Self-tuning training (docs/decisions/017-self-tuning-training.md): choose rank, λ, α (implicit)
 * and the number of iterations on a validation split carved from the training data only, then pick
 * what to publish (ALS, ALS blended with a popularity prior, item-item co-occurrence, or popularity)
 * by the same validation, so a run never publishes something the obvious baseline beats.
 *
 * The search is a coordinate search over a log grid, each setting trained with early stopping on
 * the validation metric, inside a time budget; ranks are refined by geometric bisection and the
 * smallest rank within a tolerance of the best is kept.
 */
import { Rng } from '../util/random';
import {
  type AlsModel,
  type AlsParams,
  AlsTrainer,
  DEFAULT_EXPLICIT,
  DEFAULT_IMPLICIT,
  inlineSweeper,
  type Sweeper,
} from './als';
import { type HoldOut, holdOut, rankingMetrics, rankingMetricsOfAll } from './evaluate';
import { defaultThreads, WorkerSweeper, workersAvailable } from './parallel';
import type { Ratings } from './ratings';
import {
  alsRecommender,
  alsScoreMemo,
  blendRecommender,
  categoryRecommender,
  type ItemNeighbors,
  itemItemRecommender,
  itemNeighbors,
  itemPopularity,
  popularityPrior,
  popularityRecommender,
  type Recommender,
  type RecommenderKind,
} from './recommenders';

/** Seconds the search may spend by default: 100k ratings tune and train in about 10 s on 2 cores. */
export const DEFAULT_BUDGET_SECONDS = 6.5;

export type Tunable = 'rank' | 'lambda' | 'alpha' | 'iterations';

export interface TuneOptions {
  readonly implicit: boolean;
  /** Parameters the user fixed: they are not searched. */
  readonly fixed?: Partial<Pick<AlsParams, Tunable>>;
  readonly seed?: number;
  readonly budgetSeconds?: number;
  readonly threads?: number;
  /** Recommenders that may be published (default all). */
  readonly kinds?: readonly RecommenderKind[];
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
  /** Item categories (index per item, -1 unknown), for the category-aware candidate. */
  readonly itemCategories?: { readonly categories: Int32Array; readonly count: number };
}

export interface Trial {
  readonly stage: string;
  readonly rank: number;
  readonly lambda: number;
  readonly alpha: number;
  /** The iteration count with the best validation score. */
  readonly iterations: number;
  /** Validation RMSE (explicit) or precision@10 (implicit). */
  readonly score: number;
  readonly ndcgAt10?: number;
  readonly seconds: number;
}

export interface Candidate {
  readonly kind: RecommenderKind;
  /** The weight of the popularity prior (als+popularity) or of the category share (category+popularity). */
  readonly beta?: number;
  readonly precisionAt10: number;
  readonly ndcgAt10: number;
}

export interface TuneResult {
  /** The chosen ALS parameters (iterations = the early-stopped count of the last step of `schedule`). */
  readonly params: AlsParams;
  /**
   * How the chosen model was trained: warm starts along the search (a λ path, another rank) and
   * the chosen setting last. The final fit replays it on all of the training data.
   */
  readonly schedule: WarmStep[];
  readonly metric: 'rmse' | 'precisionAt10';
  readonly kind: RecommenderKind;
  readonly beta?: number;
  /** Why this recommender, in one sentence. */
  readonly reason: string;
  readonly trace: Trial[];
  readonly candidates: Candidate[];
  readonly searched: Tunable[];
  readonly validation: { ratings: number; users: number; split: string };
  readonly seconds: number;
  readonly budgetSeconds: number;
  readonly threads: number;
}

/** 1 = inner training, in `validation` 1 = validation; both subsets of `trainMask`. */
export function validationSplit(
  r: Ratings,
  trainMask: Uint8Array,
  implicit: boolean,
  seed: number,
  share = 0.2,
): { inner: Uint8Array; validation: Uint8Array; split: string } {
  const inner = Uint8Array.from(trainMask);
  const validation = new Uint8Array(r.length);
  const rng = new Rng(seed ^ 0x5bd1e995);
  let timed = true;
  for (let j = 0; j < r.length && timed; j++) if (trainMask[j] && !Number.isFinite(r.times[j] as number)) timed = false;
  if (!implicit) {
    for (let j = 0; j < r.length; j++) {
      if (trainMask[j] && rng.next() < share) {
        inner[j] = 0;
        validation[j] = 1;
      }
    }
    return { inner, validation, split: `random ${Math.round(share * 100)} % of the training ratings` };
  }
  // Per user: the latest share (by time when every rating has one, else a seeded random share).
  const byUser = new Map<number, number[]>();
  for (let j = 0; j < r.length; j++) {
    if (!trainMask[j]) continue;
    const u = r.users[j] as number;
    const list = byUser.get(u);
    if (list) list.push(j);
    else byUser.set(u, [j]);
  }
  for (const list of byUser.values()) {
    if (list.length < 2) continue;
    if (timed) list.sort((a, b) => (r.times[a] as number) - (r.times[b] as number) || a - b);
    else
      for (let p = list.length - 1; p > 0; p--) {
        const q = rng.int(p + 1);
        [list[p], list[q]] = [list[q] as number, list[p] as number];
      }
    const hold = Math.max(1, Math.floor(list.length * share));
    for (const j of list.slice(list.length - hold)) {
      inner[j] = 0;
      validation[j] = 1;
    }
  }
  return {
    inner,
    validation,
    split: `each user's ${timed ? 'latest' : 'random'} ${Math.round(share * 100)} % of training interactions`,
  };
}

/** A sweeper on all cores (worker threads over shared arrays) or this thread. */
export function openSweeper(threads?: number): { sweeper: Sweeper; shared: boolean; threads: number } {
  const n = Math.max(1, threads ?? defaultThreads());
  if (n === 1 || !workersAvailable()) return { sweeper: inlineSweeper, shared: false, threads: 1 };
  return { sweeper: new WorkerSweeper(n), shared: true, threads: n };
}

interface Setting {
  readonly rank: number;
  readonly lambda: number;
  readonly alpha: number;
}

/** One stage of a warm-started training: a setting and the iterations it ran. */
export interface WarmStep extends Setting {
  readonly iterations: number;
}

const key = (s: Setting) => `${s.rank}/${s.lambda.toPrecision(4)}/${s.alpha.toPrecision(4)}`;

/** Search ALS settings and choose the recommender to publish, on a validation split of `trainMask`. */
export async function tune(r: Ratings, trainMask: Uint8Array, options: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const implicit = options.implicit;
  const seed = options.seed ?? 42;
  const budget = options.budgetSeconds ?? DEFAULT_BUDGET_SECONDS;
  const fixed = options.fixed ?? {};
  const log = options.log ?? (() => undefined);
  const defaults = implicit ? DEFAULT_IMPLICIT : DEFAULT_EXPLICIT;
  const split = validationSplit(r, trainMask, implicit, seed);
  const nI = r.itemIds.length;
  const val: HoldOut = holdOut(r, split.inner, nI, {
    testMask: split.validation,
    relevantAtLeast: implicit ? Number.NEGATIVE_INFINITY : 4,
    maxUsers: 300,
  });
  // The choice of what to publish is made once, on every validation user (up to 5,000): less noise.
  const valAll: HoldOut = holdOut(r, split.inner, nI, {
    testMask: split.validation,
    relevantAtLeast: implicit ? Number.NEGATIVE_INFINITY : 4,
    maxUsers: 5_000,
  });
  let validationRatings = 0;
  for (const v of split.validation) validationRatings += v;

  // Confidence values set α's scale: the grid is α · median(value) ∈ {1, 4, 16, 64}.
  const values: number[] = [];
  for (let j = 0; j < r.length; j += Math.max(1, Math.floor(r.length / 2000))) values.push(r.values[j] as number);
  values.sort((a, b) => a - b);
  const medianValue = Math.max(1e-6, values[Math.floor(values.length / 2)] ?? 1);

  const { sweeper, shared, threads } = openSweeper(options.threads);
  const trace: Trial[] = [];
  const maxIterations = fixed.iterations ?? (implicit ? 12 : 20);
  const checkEvery = implicit ? 2 : 1;
  // Early iterations can overshoot (explicit ALS from random factors): no stopping before these.
  const minIterations = Math.min(maxIterations, implicit ? 4 : 8);
  const patience = implicit ? 2 : 3;
  const better = (a: number, b: number) => (implicit ? a > b : a < b);
  /** Validation score: RMSE (lower is better) or precision@10 with NDCG@10 breaking ties. */
  const score = (model: AlsModel): { value: number; ndcg?: number } => {
    if (!implicit) return { value: validationRmse(model, r, split.validation) };
    const m = rankingMetrics(alsRecommender(model), val);
    return { value: m.precision + m.ndcg * 1e-3, ndcg: m.ndcg };
  };
  // Seconds per iteration grow with the rank: explicit solves are k² per rating plus k³ per row,
  // implicit conjugate-gradient steps k² per row and k per rating, evaluation k per item.
  const costExponent = implicit ? 1.5 : 2.2;
  /** Seconds per iteration at rank 1, from the last run. */
  let perIterationAtRank1: number | undefined;
  const affordable = (rank: number, iterations: number) =>
    perIterationAtRank1 === undefined || elapsed() + perIterationAtRank1 * rank ** costExponent * iterations <= budget;

  interface Run {
    readonly setting: Setting;
    readonly trainer: AlsTrainer;
    best?: { value: number; ndcg?: number; it: number; model: AlsModel };
    stale: number;
    stopped: boolean;
    seconds: number;
    /** No early stop before this many iterations (fewer for a warm start). */
    readonly minIterations: number;
    /** The warm starts before this run: each setting and the iterations it ran. */
    readonly path: WarmStep[];
  }
  const runs = new Map<string, Run>();
  const stages = new Map<string, string>();
  /** Train a run further (warm start) up to `until` iterations, evaluating at checkpoints, stopping early. */
  const advance = async (run: Run, until: number, checkpoints = true) => {
    const started = performance.now();
    while (!run.stopped && run.trainer.iterations < Math.min(until, maxIterations)) {
      await run.trainer.step(sweeper);
      const it = run.trainer.iterations;
      const last = it === maxIterations;
      const checkpoint = checkpoints ? it % checkEvery === 0 : false;
      if (fixed.iterations !== undefined ? !last : !checkpoint && !last && it !== until) continue;
      const model = run.trainer.model();
      const m = score(model);
      // An improvement counts when it is real: any for precision, 0.05 % for RMSE.
      const improved =
        !run.best || (implicit ? m.value > run.best.value + 1e-9 : m.value < run.best.value * (1 - 5e-4));
      if (improved) {
        run.best = { ...m, it, model };
        run.stale = 0;
      } else if (++run.stale >= patience && it >= run.minIterations) run.stopped = true;
      if (last) run.stopped = true;
    }
    const spent = (performance.now() - started) / 1000;
    run.seconds += spent;
    if (run.trainer.iterations > 0)
      perIterationAtRank1 = run.seconds / run.trainer.iterations / run.setting.rank ** costExponent;
  };
  const open = (s: Setting, stage: string, warm?: Run): Run => {
    const existing = runs.get(key(s));
    if (existing) return existing;
    const params: AlsParams = { ...defaults, ...s, iterations: maxIterations, implicit, seed };
    const run: Run = {
      setting: s,
      trainer: new AlsTrainer(r, params, split.inner, shared, warm?.trainer),
      stale: 0,
      stopped: false,
      seconds: 0,
      minIterations: warm ? Math.min(minIterations, 3) : minIterations,
      path: warm ? [...warm.path, { ...warm.setting, iterations: warm.trainer.iterations }] : [],
    };
    runs.set(key(s), run);
    stages.set(key(s), stage);
    return run;
  };
  const record = (run: Run) => {
    const b = run.best;
    if (!b) return;
    const trial: Trial = {
      stage: stages.get(key(run.setting)) ?? '',
      ...run.setting,
      iterations: b.it,
      score: Number((b.ndcg !== undefined ? b.value - b.ndcg * 1e-3 : b.value).toFixed(5)),
      ...(b.ndcg !== undefined ? { ndcgAt10: Number(b.ndcg.toFixed(5)) } : {}),
      seconds: Number(run.seconds.toFixed(3)),
    };
    const at = trace.findIndex((t) => key(t) === key(run.setting));
    if (at >= 0) trace[at] = trial;
    else trace.push(trial);
    log('trial', { ...trial });
  };
  /** Iterations a run takes to stop, on average so far (10 before any has). */
  const typicalIterations = () => {
    const done = [...runs.values()].filter((run) => run.stopped);
    return done.length === 0 ? 10 : done.reduce((n, run) => n + run.trainer.iterations, 0) / done.length;
  };
  /** A run trained to convergence (early stopping), warm-started from `warm`, if the budget allows it. */
  const full = async (s: Setting, stage: string, warm?: Run): Promise<Run | undefined> => {
    const run = runs.get(key(s));
    if (run?.stopped) return run;
    if (trace.length > 0 && !affordable(s.rank, typicalIterations())) return undefined;
    const r0 = open(s, stage, warm);
    await advance(r0, maxIterations);
    record(r0);
    return r0;
  };
  const value = (run: Run) => (run.best as NonNullable<Run['best']>).value;
  const searched: Tunable[] = [];
  const startRank = fixed.rank ?? 8;

  // 1. λ along a descending path at a small rank, each point warm-started from the one before (the
  //    regularisation path converges in a few iterations per point), until it stops improving; then
  //    α (implicit) at the best λ. Explicit λ is weighted by each row's count, implicit λ is not.
  const lambdas =
    fixed.lambda !== undefined
      ? [fixed.lambda]
      : implicit
        ? [30, 10, 3, 1, 0.3, 0.1]
        : [0.5, 0.25, 0.12, 0.06, 0.03, 0.015, 0.008];
  const alpha0 = implicit ? (fixed.alpha ?? 1 / medianValue) : 0;
  if (fixed.lambda === undefined) searched.push('lambda');
  let best: Run | undefined;
  let previous: Run | undefined;
  let misses = 0;
  for (const lambda of lambdas) {
    const run = await full({ rank: startRank, lambda, alpha: alpha0 }, 'λ path', previous);
    if (!run) break;
    previous = run;
    if (!best || better(value(run), value(best))) {
      best = run;
      misses = 0;
    } else if (++misses >= 2) break;
  }
  if (!best) throw new Error('the search could not train a single setting');
  let current: Setting = best.setting;
  const line = async (name: 'lambda' | 'alpha' | 'rank', values: number[], stage: string) => {
    for (const v of values) {
      const run = await full({ ...current, [name]: v }, stage, best);
      if (run && better(value(run), value(best as Run))) {
        best = run;
        current = run.setting;
      }
    }
  };
  // 2. Rank up the grid while it helps (warm-started from the best so far), geometric bisection
  //    around the best, and the smallest rank within a tolerance of the best; λ around the choice;
  //    α (implicit), then λ again around it, and α around the choice. The order differs by kind
  //    (below); the budget may end the search at any point.
  // Every run trains on the inner split, and warm starts share its CSR views: read them from one.
  const inner = { byUser: best.trainer.state.byUser, byItem: best.trainer.state.byItem };
  const rankLimit = () => {
    // No more factors than a typical user has training ratings (nor than half the users or items).
    const counts = inner.byUser.indptr;
    const perUser: number[] = [];
    for (let u = 0; u < r.userIds.length; u++) perUser.push((counts[u + 1] as number) - (counts[u] as number));
    perUser.sort((x, y) => x - y);
    const median = perUser[Math.floor(perUser.length / 2)] ?? 4;
    return Math.max(4, Math.min(128, median, Math.floor(Math.min(r.userIds.length, nI) / 2)));
  };
  const grid = [4, 8, 16, 32, 64, 128].filter((k) => k <= rankLimit());
  const rankGrid = async () => {
    let misses = 0;
    let top = value(best as Run);
    for (const k of grid.filter((g) => g > current.rank)) {
      const run = await full({ ...current, rank: k }, 'rank', best);
      if (!run) break;
      if (better(value(run), top)) {
        top = value(run);
        best = run;
        current = run.setting;
        misses = 0;
      } else if (++misses >= 2) break;
    }
    const below = grid.filter((g) => g < current.rank && !runs.has(key({ ...current, rank: g }))).at(-1);
    if (below !== undefined) await full({ ...current, rank: below }, 'rank', best);
  };
  /** Geometric midpoints between the best rank and the neighbouring ranks tried (at any λ, α), run at the current λ, α. */
  const rankBisect = async (rounds: number) => {
    for (let round = 0; round < rounds; round++) {
      const here = ranksTried(current);
      const c = here.length > 0 ? bestRun(here).setting.rank : current.rank;
      const ranks = [...new Set([...runs.values()].filter((run) => run.stopped).map((run) => run.setting.rank))].sort(
        (x, y) => x - y,
      );
      const at = ranks.indexOf(c);
      for (const n of [ranks[at - 1], ranks[at + 1]]) {
        if (n === undefined) continue;
        const mid = Math.round(Math.sqrt(n * c));
        if (mid !== n && mid !== c) await full({ ...current, rank: mid }, 'rank refine', best);
      }
    }
    const tried = ranksTried(current);
    if (tried.length > 0) {
      best = parsimonious(tried);
      current = best.setting;
    }
  };
  const lambdaRefine = () =>
    line(
      'lambda',
      (implicit ? [1 / Math.sqrt(3), Math.sqrt(3)] : [Math.SQRT1_2, Math.SQRT2]).map((f) => current.lambda * f),
      'λ refine',
    );
  const alphaStage = async () => {
    searched.push('alpha');
    await line(
      'alpha',
      [0.25, 4, 16].map((c) => c / medianValue),
      'alpha',
    );
    // Confidence and regularisation trade off: look at λ again around the new α.
    if (fixed.lambda === undefined && current.alpha !== alpha0)
      await line(
        'lambda',
        [1 / 3, 3].map((f) => current.lambda * f),
        'λ after α',
      );
  };
  if (fixed.rank === undefined) searched.push('rank');
  if (!implicit) {
    // Explicit: the rank settles first (the planted-rank case), then λ around it.
    if (fixed.rank === undefined) {
      await rankGrid();
      await rankBisect(2);
    }
    if (fixed.lambda === undefined) await lambdaRefine();
  } else {
    // Implicit: λ and α move precision more than the last few ranks do, so they come before bisection.
    if (fixed.rank === undefined) await rankGrid();
    if (fixed.lambda === undefined) await lambdaRefine();
    if (fixed.alpha === undefined) await alphaStage();
    if (fixed.rank === undefined) await rankBisect(1);
    if (fixed.alpha === undefined)
      await line(
        'alpha',
        [0.5, 2].map((f) => current.alpha * f),
        'α refine',
      );
  }
  if (fixed.iterations === undefined) searched.push('iterations');

  function ranksTried(at: Setting): Run[] {
    return [...runs.values()]
      .filter((run) => run.best && run.stopped && run.setting.lambda === at.lambda && run.setting.alpha === at.alpha)
      .sort((a, b) => a.setting.rank - b.setting.rank);
  }
  function bestRun(list: Run[]): Run {
    return list.reduce((a, b) => (better(value(b), value(a)) ? b : a));
  }
  /** The smallest rank within a tolerance of the best: 0.2 % of RMSE, or 2 % of precision. */
  function parsimonious(list: Run[]): Run {
    const top = value(bestRun(list));
    return list.find((run) => (implicit ? value(run) >= top * 0.98 : value(run) <= top * 1.002)) as Run;
  }
  const bestModel = (best.best as NonNullable<Run['best']>).model;
  const bestIterations = (best.best as NonNullable<Run['best']>).it;
  const schedule: WarmStep[] = [...best.path, { ...best.setting, iterations: bestIterations }];
  runs.clear();

  if (sweeper !== inlineSweeper) await sweeper.close();

  // What to publish: every allowed recommender on the same validation users.
  const allowed = new Set(options.kinds ?? ['als', 'als+popularity', 'item-item', 'category+popularity', 'popularity']);
  const popularity = itemPopularity(inner.byItem);
  const prior = popularityPrior(popularity);
  const candidates: Candidate[] = [];
  const perUser = new Map<Candidate, Float64Array>();
  const recs: { rec: Recommender; beta?: number }[] = [];
  const memo = alsScoreMemo(bestModel);
  if (allowed.has('als')) recs.push({ rec: alsRecommender(bestModel, memo) });
  if (allowed.has('als+popularity'))
    for (const beta of [0.25, 0.5, 1, 2, 4]) recs.push({ rec: blendRecommender(bestModel, prior, beta, memo), beta });
  if (allowed.has('item-item'))
    recs.push({ rec: itemItemRecommender(itemNeighbors(inner.byUser, inner.byItem), popularity) });
  const cats = options.itemCategories;
  if (allowed.has('category+popularity') && cats && cats.count > 1)
    for (const c of [2, 4, 8, 16])
      recs.push({ rec: categoryRecommender(popularity, cats.categories, cats.count, c), beta: c });
  if (allowed.has('popularity')) recs.push({ rec: popularityRecommender(popularity) });
  const precisions = recs.map(() => new Float64Array(valAll.users.length));
  const metrics = rankingMetricsOfAll(
    recs.map((r) => r.rec),
    valAll,
    10,
    precisions,
  );
  recs.forEach(({ rec, beta }, c) => {
    const m = metrics[c] as { precision: number; ndcg: number };
    const candidate: Candidate = {
      kind: rec.kind,
      ...(beta !== undefined ? { beta } : {}),
      precisionAt10: m.precision,
      ndcgAt10: m.ndcg,
    };
    candidates.push(candidate);
    perUser.set(candidate, precisions[c] as Float64Array);
  });
  // The simplest recommender that is not worse than the best by more than one standard error of the
  // paired per-user difference (on the same validation users), or 2 % of it: a more complex model has
  // to earn its place.
  const simplicity: RecommenderKind[] = ['popularity', 'category+popularity', 'item-item', 'als', 'als+popularity'];
  const ranked = [...candidates].sort(
    (a, b) =>
      b.precisionAt10 - a.precisionAt10 ||
      b.ndcgAt10 - a.ndcgAt10 ||
      simplicity.indexOf(a.kind) - simplicity.indexOf(b.kind),
  );
  const top = ranked[0] as Candidate;
  const notWorse = (c: Candidate) => {
    const a = perUser.get(c) as Float64Array;
    const b = perUser.get(top) as Float64Array;
    const n = a.length;
    if (n < 2) return c === top;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (a[i] as number) - (b[i] as number);
    mean /= n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += ((a[i] as number) - (b[i] as number) - mean) ** 2;
    const se = Math.sqrt(sq / (n - 1) / n);
    // A floor of 2 % of the best: lists that differ for a handful of users have a tiny paired error.
    return mean >= -Math.max(se, 0.02 * top.precisionAt10);
  };
  const chosen =
    [...ranked]
      .filter(notWorse)
      .sort(
        (a, b) => simplicity.indexOf(a.kind) - simplicity.indexOf(b.kind) || b.precisionAt10 - a.precisionAt10,
      )[0] ?? top;
  const bestOf = (kind: RecommenderKind) => ranked.find((c) => c.kind === kind);
  const others = simplicity
    .filter((k) => k !== chosen.kind)
    .map((k) => bestOf(k))
    .filter((c): c is Candidate => c !== undefined)
    .map((c) => `${c.kind}${c.beta !== undefined ? ` (weight ${c.beta})` : ''} ${c.precisionAt10}`);

  const label = (c: Candidate) => `${c.kind}${c.beta !== undefined ? ` (weight ${c.beta})` : ''}`;
  const reason =
    chosen === top
      ? `${label(chosen)} has the best validation precision@10 (${chosen.precisionAt10}${others.length ? `; ${others.join(', ')}` : ''})`
      : `${label(chosen)} is within one standard error (or 2 %) of the best validation precision@10 (${chosen.precisionAt10} vs ${label(top)} ${top.precisionAt10}) and simpler${others.length ? ` (${others.join(', ')})` : ''}`;
  const params: AlsParams = { ...defaults, ...current, implicit, seed, iterations: bestIterations };
  const result: TuneResult = {
    params,
    schedule,
    metric: implicit ? 'precisionAt10' : 'rmse',
    kind: chosen.kind,
    ...(chosen.beta !== undefined ? { beta: chosen.beta } : {}),
    reason,
    trace,
    candidates,
    searched,
    validation: { ratings: validationRatings, users: valAll.users.length, split: split.split },
    seconds: Number(elapsed().toFixed(3)),
    budgetSeconds: budget,
    threads,
  };
  log('tuned', { params, kind: result.kind, reason, seconds: result.seconds });
  return result;
}

/** Validation RMSE of an explicit model (predictions clipped to the training ratings' range). */
function validationRmse(model: AlsModel, r: Ratings, validation: Uint8Array): number {
  const k = model.params.rank;
  let se = 0;
  let n = 0;
  for (let j = 0; j < r.length; j++) {
    if (!validation[j]) continue;
    const u = r.users[j] as number;
    const i = r.items[j] as number;
    let p = model.globalMean + (model.userBias[u] as number) + (model.itemBias[i] as number);
    for (let a = 0; a < k; a++)
      p += (model.userFactors[u * k + a] as number) * (model.itemFactors[i * k + a] as number);
    se += ((r.values[j] as number) - p) ** 2;
    n++;
  }
  return Math.sqrt(se / Math.max(1, n));
}

/** The chosen recommender trained on all of `trainMask`. */
export interface FittedRecommender {
  readonly kind: RecommenderKind;
  readonly beta?: number;
  /** The ALS model (trained for every kind that uses it). */
  readonly model?: AlsModel;
  readonly popularity: Float64Array;
  readonly neighbors?: ItemNeighbors;
  readonly recommender: Recommender;
  readonly threads: number;
}

/**
 * Train what `tuned` chose on all of the training data (validation entries included). The ALS model
 * is trained whatever the choice: its RMSE and ranking are reported beside the published recommender.
 */
export async function fitChosen(
  r: Ratings,
  trainMask: Uint8Array,
  tuned: Pick<TuneResult, 'kind' | 'beta' | 'params'> & { schedule?: WarmStep[] },
  options: {
    threads?: number;
    onIteration?: (iteration: number, loss: number) => void;
    itemCategories?: TuneOptions['itemCategories'];
  } = {},
): Promise<FittedRecommender & { model: AlsModel }> {
  const { kind } = tuned;
  const { sweeper, shared, threads } = openSweeper(options.threads);
  let model: AlsModel;
  let trainer: AlsTrainer | undefined;
  try {
    // Replay the schedule the tuner validated (warm starts included), or train the parameters cold.
    const schedule = tuned.schedule ?? [tuned.params];
    let done = 0;
    for (const step of schedule) {
      const params: AlsParams = { ...tuned.params, rank: step.rank, lambda: step.lambda, alpha: step.alpha };
      trainer = new AlsTrainer(r, params, trainMask, shared, trainer);
      for (let it = 1; it <= step.iterations; it++) {
        const loss = await trainer.step(sweeper);
        done++;
        options.onIteration?.(done, loss);
      }
    }
    const last = (trainer as AlsTrainer).model();
    // The model carries the chosen parameters and every iteration of the schedule.
    model = { ...last, params: { ...tuned.params, iterations: done } };
  } finally {
    if (sweeper !== inlineSweeper) await sweeper.close();
  }
  // The training CSR views serve popularity and item-item as well.
  const { byUser, byItem } = (trainer as AlsTrainer).state;
  const popularity = itemPopularity(byItem);
  const weight = tuned.beta ?? 1;
  const base = { kind, ...(tuned.beta !== undefined ? { beta: tuned.beta } : {}), model, popularity, threads };
  switch (kind) {
    case 'popularity':
      return { ...base, recommender: popularityRecommender(popularity) };
    case 'category+popularity': {
      const cats = options.itemCategories;
      if (!cats) throw new Error("category+popularity needs the items' categories");
      return { ...base, recommender: categoryRecommender(popularity, cats.categories, cats.count, weight) };
    }
    case 'item-item': {
      const neighbors = itemNeighbors(byUser, byItem);
      return { ...base, neighbors, recommender: itemItemRecommender(neighbors, popularity) };
    }
    case 'als':
      return { ...base, recommender: alsRecommender(model) };
    default:
      return { ...base, recommender: blendRecommender(model, popularityPrior(popularity), weight) };
  }
}
