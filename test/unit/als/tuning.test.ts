import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_EXPLICIT, trainAls } from '../../../layers/als/als';
import { loadModel, recommendFor, writeModel } from '../../../layers/als/artifacts';
import { evaluate, randomSplit, timeSplit } from '../../../layers/als/evaluate';
import { RatingsBuilder, toCsr } from '../../../layers/als/ratings';
import {
  categoryRecommender,
  itemNeighbors,
  itemPopularity,
  type RecommenderKind,
} from '../../../layers/als/recommenders';
import { modelCard } from '../../../layers/als/report';
import { trainingRun } from '../../../layers/als/training';
import { fitChosen, tune, validationSplit } from '../../../layers/als/tuning';
import { plantedRatings } from '../../../layers/synthetic/planted';
import { Rng, zipfSampler } from '../../../layers/util/random';

// Budgets here are generous so that a loaded machine changes only the time, not the search.
const BUDGET = 120;

describe('self-tuning ALS on a planted low-rank model', () => {
  const trueRank = 8;
  const { ratings } = plantedRatings({ users: 600, items: 400, rank: trueRank, density: 0.1, noise: 0.5, seed: 3 });
  const mask = randomSplit(ratings, 0.2, 1);

  it('finds the planted rank within ±25 %, a λ near the best, and an RMSE within 5 % of the oracle', async () => {
    // The oracle knows the true rank and picks λ on the test entries themselves.
    let oracle = { rmse: Number.POSITIVE_INFINITY, lambda: 0 };
    for (const lambda of [0.01, 0.02, 0.04, 0.08, 0.16]) {
      const m = await trainAls(ratings, { ...DEFAULT_EXPLICIT, rank: trueRank, lambda, iterations: 25 }, mask);
      const rmse = evaluate(m, ratings, mask).rmse as number;
      if (rmse < oracle.rmse) oracle = { rmse, lambda };
    }
    const tuned = await tune(ratings, mask, { implicit: false, budgetSeconds: BUDGET, threads: 1 });
    expect(tuned.params.rank).toBeGreaterThanOrEqual(trueRank * 0.75);
    expect(tuned.params.rank).toBeLessThanOrEqual(trueRank * 1.25);
    expect(tuned.params.lambda).toBeGreaterThanOrEqual(oracle.lambda / 2.5);
    expect(tuned.params.lambda).toBeLessThanOrEqual(oracle.lambda * 2.5);
    expect(tuned.searched).toEqual(expect.arrayContaining(['rank', 'lambda', 'iterations']));
    // The trace holds every setting tried, and the chosen one is among them.
    expect(tuned.trace.some((t) => t.rank === tuned.params.rank && t.lambda === tuned.params.lambda)).toBe(true);
    const fitted = await fitChosen(ratings, mask, tuned, { threads: 1 });
    const rmse = evaluate(fitted.model, ratings, mask).rmse as number;
    expect(rmse).toBeLessThanOrEqual(oracle.rmse * 1.05);
  });

  it('skips the search of a parameter the user fixed', async () => {
    const tuned = await tune(ratings, mask, {
      implicit: false,
      budgetSeconds: BUDGET,
      threads: 1,
      fixed: { rank: 5, iterations: 6 },
    });
    expect(tuned.params.rank).toBe(5);
    expect(tuned.searched).not.toContain('rank');
    expect(tuned.searched).not.toContain('iterations');
    expect(tuned.trace.every((t) => t.rank === 5 && t.iterations === 6)).toBe(true);
  });

  it('stops when the budget is spent, after the first setting', async () => {
    const tuned = await tune(ratings, mask, { implicit: false, budgetSeconds: 0.001, threads: 1 });
    expect(tuned.trace.length).toBe(1);
  });
});

/** Users who pick items by store-wide popularity only: nothing personal to learn. */
function popularityOnly(users: number, items: number, perUser: number, seed: number) {
  const rng = new Rng(seed);
  const pick = zipfSampler(rng, items, 1.1);
  const b = new RatingsBuilder();
  for (let u = 0; u < users; u++) {
    const seen = new Set<number>();
    while (seen.size < perUser) seen.add(pick());
    for (const i of seen) b.add(`u${u}`, `i${i}`, 1);
  }
  return b.build();
}

describe('never publishing worse than popularity', () => {
  it('publishes popularity (or its blend) where popularity is unbeatable, and the card says so', async () => {
    const r = popularityOnly(400, 300, 12, 5);
    const mask = randomSplit(r, 0.2, 2);
    const run = await trainingRun(r, mask, { implicit: true, seed: 42, budgetSeconds: BUDGET, threads: 1 });
    const allowed: RecommenderKind[] = ['popularity', 'als+popularity'];
    expect(allowed).toContain(run.fitted.kind);
    // On the hold-out it is not worse than popularity by more than the noise of one list.
    expect(run.summary.precisionAt10).toBeGreaterThanOrEqual(run.summary.baseline.precisionAt10 * 0.95);
    const card = await modelCard(run.summary);
    expect(card).toContain(`Published recommender: ${run.fitted.kind}`);
    expect(card).toContain(run.summary.recommender.reason);
    expect(run.summary.recommender.reason).toMatch(/validation precision@10/);
    expect(run.summary.tuning?.candidates.map((c) => c.kind)).toEqual(
      expect.arrayContaining(['als', 'als+popularity', 'item-item', 'popularity']),
    );
  });

  it('publishes a personal recommender where users keep to their own tastes', async () => {
    // Two taste groups over disjoint halves of the catalog, each half skewed by popularity.
    const rng = new Rng(9);
    const pick = zipfSampler(rng, 100, 0.7);
    const b = new RatingsBuilder();
    for (let u = 0; u < 300; u++) {
      const seen = new Set<number>();
      while (seen.size < 10) seen.add(pick() * 2 + (u % 2));
      for (const i of seen) b.add(`u${u}`, `i${i}`, 1);
    }
    const r = b.build();
    const mask = randomSplit(r, 0.2, 3);
    const run = await trainingRun(r, mask, { implicit: true, seed: 42, budgetSeconds: BUDGET, threads: 1 });
    expect(run.fitted.kind).not.toBe('popularity');
    expect(run.summary.precisionAt10).toBeGreaterThan(1.2 * run.summary.baseline.precisionAt10);
  });
});

describe('recommenders', () => {
  // Three users: u0 has i0 i1, u1 has i0 i1 i2, u2 has i2 i3.
  const b = new RatingsBuilder();
  for (const [u, i] of [
    ['u0', 'i0'],
    ['u0', 'i1'],
    ['u1', 'i0'],
    ['u1', 'i1'],
    ['u1', 'i2'],
    ['u2', 'i2'],
    ['u2', 'i3'],
  ] as const)
    b.add(u, i, 1);
  const r = b.build();

  it('computes item-item cosine neighbours by hand', () => {
    const byUser = toCsr(r, false, 3);
    const byItem = toCsr(r, true, 4);
    const nb = itemNeighbors(byUser, byItem, 3);
    // i0 and i1 share 2 users of 2 each: cos 1; i0 and i2 share u1: 1/sqrt(2·2).
    expect(Array.from(nb.neighbors.subarray(0, 3))).toEqual([1, 2, -1]);
    expect(nb.similarity[0]).toBeCloseTo(1);
    expect(nb.similarity[1]).toBeCloseTo(0.5);
    // i3 co-occurs only with i2 (u2): 1/sqrt(2·1).
    expect(nb.neighbors[9]).toBe(2);
    expect(nb.similarity[9]).toBeCloseTo(1 / Math.SQRT2);
    expect(Array.from(itemPopularity(byItem))).toEqual([2, 2, 2, 1]);
  });

  it('boosts popularity by the share of the history in each category', () => {
    const rec = categoryRecommender(Float64Array.from([10, 8, 6, 4]), Int32Array.from([0, 0, 1, -1]), 2, 2);
    const out = new Float64Array(4);
    // 1 of 4 interactions in category 0, 3 in category 1, plus SHARE_PRIOR (2) spread over both:
    // shares (1 + 1) / 6 and (3 + 1) / 6.
    rec.scores(0, [0, 2, 2, 2], out);
    const expected = [10 * (1 + 2 / 3), 8 * (1 + 2 / 3), 6 * (1 + 2 * (4 / 6)), 4];
    for (const [i, v] of expected.entries()) expect(out[i]).toBeCloseTo(v, 10);
  });

  it('serves the same top-N from the artifacts as in memory, for every kind', async () => {
    const { ratings } = plantedRatings({ users: 80, items: 60, rank: 3, density: 0.3, noise: 0.2, seed: 4 });
    const mask = randomSplit(ratings, 0.2, 1);
    const categories = Int32Array.from({ length: ratings.itemIds.length }, (_, i) => i % 3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recommenders-'));
    try {
      for (const kind of ['als', 'als+popularity', 'item-item', 'category+popularity', 'popularity'] as const) {
        const fitted = await fitChosen(
          ratings,
          mask,
          { kind, beta: 2, params: { ...DEFAULT_EXPLICIT, rank: 3, iterations: 4, implicit: true, alpha: 1 } },
          { threads: 1, itemCategories: { categories, count: 3 } },
        );
        const out = path.join(dir, kind);
        writeModel(out, fitted, ratings.userIds, ratings.itemIds, categories);
        const loaded = loadModel(out);
        expect(loaded.header.kind).toBe(kind);
        const user = ratings.userIds[5] as string;
        const history = new Set<string>();
        for (let j = 0; j < ratings.length; j++)
          if (mask[j] && ratings.users[j] === 5) history.add(ratings.itemIds[ratings.items[j] as number] as string);
        const scores = new Float64Array(ratings.itemIds.length);
        const historyIndexes = [...history].map((id) => ratings.itemIds.indexOf(id));
        fitted.recommender.scores(5, historyIndexes, scores);
        for (const i of historyIndexes) scores[i] = Number.NEGATIVE_INFINITY;
        const expected = [...scores.keys()]
          .filter((i) => scores[i] !== Number.NEGATIVE_INFINITY)
          .sort((a, c) => (scores[c] as number) - (scores[a] as number) || a - c)
          .slice(0, 5)
          .map((i) => ratings.itemIds[i]);
        expect(recommendFor(loaded, user, 5, history)?.map((x) => x.itemId)).toEqual(expected);
        // Only what the kind serves is stored: no factors for popularity or item-item.
        expect(loaded.header.layout.userFactors === loaded.header.layout.itemFactors).toBe(
          !(kind === 'als' || kind === 'als+popularity'),
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validation split', () => {
  it('is carved from the training entries only, per user and latest first for timed implicit data', () => {
    const b = new RatingsBuilder();
    for (let u = 0; u < 20; u++) for (let i = 0; i < 10; i++) b.add(`u${u}`, `i${i}`, 1, 1000 + i * 10 + u);
    const r = b.build();
    const mask = timeSplit(r, 0.2);
    const { inner, validation } = validationSplit(r, mask, true, 42);
    for (let j = 0; j < r.length; j++) {
      if (!mask[j]) {
        expect(inner[j]).toBe(0);
        expect(validation[j]).toBe(0);
      } else expect((inner[j] as number) + (validation[j] as number)).toBe(1);
    }
    // Each user has 8 training entries: the latest one (20 %, at least one) validates.
    for (let u = 0; u < 20; u++) {
      const held = [...validation.keys()].filter((j) => validation[j] && r.users[j] === u);
      expect(held).toHaveLength(1);
      const latestTrain = Math.max(
        ...[...mask.keys()].filter((j) => mask[j] && r.users[j] === u).map((j) => r.times[j] as number),
      );
      expect(r.times[held[0] as number]).toBe(latestTrain);
    }
  });
});
