/**
 * The recommenders a training run can publish, all scoring every item for one user:
 * - `als`: the ALS factors (plus the item bias for explicit ratings);
 * - `als+popularity`: ALS scores and a popularity prior, each standardised (per user for ALS, over
 *   the catalog for popularity) and added with weight β on the prior;
 * - `item-item`: cosine similarity of items' co-occurrence in users' histories, summed over the
 *   user's history (top neighbours per item kept), popularity breaking ties;
 * - `category+popularity`: popularity boosted by the share of the user's history in the item's
 *   category (weight c), for catalogs whose users keep to a few categories and have too few
 *   interactions for collaborative filtering to find that;
 * - `popularity`: the number of training users per item.
 * The trainer picks one on validation data (docs/decisions/017-self-tuning-training.md); the
 * publishing step rebuilds it from the artifacts (layers/als/artifacts.ts). Pure.
 */
import type { AlsModel } from './als';
import type { Csr } from './ratings';

export type RecommenderKind = 'als' | 'als+popularity' | 'item-item' | 'category+popularity' | 'popularity';

export interface Recommender {
  readonly kind: RecommenderKind;
  readonly items: number;
  /** Score every item for user `u` (a user index of the training data), whose training items are `history`. */
  scores(u: number, history: ArrayLike<number>, out: Float64Array): void;
}

/** Item-item neighbours: `neighbors` item indexes and `similarity` per item, `width` slots each (-1 = empty). */
export interface ItemNeighbors {
  readonly width: number;
  readonly neighbors: Int32Array;
  readonly similarity: Float32Array;
}

/** Training users per item (the popularity baseline's score). */
export function itemPopularity(byItem: Csr): Float64Array {
  const n = byItem.indptr.length - 1;
  const pop = new Float64Array(n);
  for (let i = 0; i < n; i++) pop[i] = (byItem.indptr[i + 1] as number) - (byItem.indptr[i] as number);
  return pop;
}

export function popularityRecommender(popularity: Float64Array): Recommender {
  return {
    kind: 'popularity',
    items: popularity.length,
    scores: (_u, _history, out) => out.set(popularity),
  };
}

/** ALS scores of every item for one user. */
export function alsScores(model: AlsModel, u: number, out: Float64Array): void {
  const k = model.params.rank;
  const Q = model.itemFactors;
  const bias = model.params.implicit ? undefined : model.itemBias;
  const pu = model.userFactors.subarray(u * k, (u + 1) * k);
  const n = model.items;
  if (k % 4 === 0) {
    for (let i = 0, q = 0; i < n; i++, q += k) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let a = 0; a < k; a += 4) {
        s0 += (pu[a] as number) * (Q[q + a] as number);
        s1 += (pu[a + 1] as number) * (Q[q + a + 1] as number);
        s2 += (pu[a + 2] as number) * (Q[q + a + 2] as number);
        s3 += (pu[a + 3] as number) * (Q[q + a + 3] as number);
      }
      out[i] = s0 + s1 + s2 + s3 + (bias ? (bias[i] as number) : 0);
    }
    return;
  }
  for (let i = 0, q = 0; i < n; i++, q += k) {
    let s = bias ? (bias[i] as number) : 0;
    for (let a = 0; a < k; a++) s += (pu[a] as number) * (Q[q + a] as number);
    out[i] = s;
  }
}

/** The last user's ALS scores, shared by recommenders built on the same model (ALS and its blends). */
export interface AlsScoreMemo {
  user: number;
  readonly scores: Float64Array;
}

export function alsScoreMemo(model: AlsModel): AlsScoreMemo {
  return { user: -1, scores: new Float64Array(model.items) };
}

function memoisedAlsScores(model: AlsModel, memo: AlsScoreMemo | undefined, u: number, out: Float64Array): void {
  if (!memo) {
    alsScores(model, u, out);
    return;
  }
  if (memo.user !== u) {
    alsScores(model, u, memo.scores);
    memo.user = u;
  }
  out.set(memo.scores);
}

export function alsRecommender(model: AlsModel, memo?: AlsScoreMemo): Recommender {
  return { kind: 'als', items: model.items, scores: (u, _history, out) => memoisedAlsScores(model, memo, u, out) };
}

/** The popularity prior: log(1 + users), standardised over the catalog. */
export function popularityPrior(popularity: Float64Array): Float64Array {
  const prior = new Float64Array(popularity.length);
  for (let i = 0; i < prior.length; i++) prior[i] = Math.log1p(popularity[i] as number);
  return standardise(prior);
}

/** ALS standardised per user, plus β times the standardised popularity prior. */
export function blendRecommender(model: AlsModel, prior: Float64Array, beta: number, memo?: AlsScoreMemo): Recommender {
  return {
    kind: 'als+popularity',
    items: model.items,
    scores: (u, _history, out) => {
      memoisedAlsScores(model, memo, u, out);
      standardise(out);
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + beta * (prior[i] as number);
    },
  };
}

/**
 * Item-item cosine neighbours from the users' histories (binary co-occurrence), the `width` most
 * similar per item. Users with more than `maxUserItems` items add only their first `maxUserItems`
 * to the co-occurrence counts (their cost grows with the square of their history).
 */
export function itemNeighbors(byUser: Csr, byItem: Csr, width = 50, maxUserItems = 500): ItemNeighbors {
  const nI = byItem.indptr.length - 1;
  const counts = itemPopularity(byItem);
  const co = new Float64Array(nI);
  const touched = new Int32Array(nI);
  const neighbors = new Int32Array(nI * width).fill(-1);
  const similarity = new Float32Array(nI * width);
  for (let j = 0; j < nI; j++) {
    let nt = 0;
    for (let p = byItem.indptr[j] as number; p < (byItem.indptr[j + 1] as number); p++) {
      const u = byItem.indices[p] as number;
      const start = byUser.indptr[u] as number;
      const end = Math.min(byUser.indptr[u + 1] as number, start + maxUserItems);
      for (let q = start; q < end; q++) {
        const i = byUser.indices[q] as number;
        if (i === j) continue;
        if (co[i] === 0) touched[nt++] = i;
        co[i] = (co[i] as number) + 1;
      }
    }
    // The `width` best by cosine, kept sorted best first.
    const base = j * width;
    let filled = 0;
    for (let t = 0; t < nt; t++) {
      const i = touched[t] as number;
      const s = (co[i] as number) / Math.sqrt((counts[i] as number) * (counts[j] as number));
      co[i] = 0;
      if (filled === width && s <= (similarity[base + width - 1] as number)) continue;
      let pos = filled < width ? filled++ : width - 1;
      while (pos > 0 && (similarity[base + pos - 1] as number) < s) {
        similarity[base + pos] = similarity[base + pos - 1] as number;
        neighbors[base + pos] = neighbors[base + pos - 1] as number;
        pos--;
      }
      similarity[base + pos] = s;
      neighbors[base + pos] = i;
    }
  }
  return { width, neighbors, similarity };
}

export function itemItemRecommender(nb: ItemNeighbors, popularity: Float64Array): Recommender {
  let max = 1;
  for (const p of popularity) if (p > max) max = p;
  return {
    kind: 'item-item',
    items: popularity.length,
    scores: (_u, history, out) => {
      // Popularity only breaks ties (items no history item is close to).
      for (let i = 0; i < out.length; i++) out[i] = (1e-6 * (popularity[i] as number)) / max;
      for (let h = 0; h < history.length; h++) {
        const base = (history[h] as number) * nb.width;
        for (let s = 0; s < nb.width; s++) {
          const i = nb.neighbors[base + s] as number;
          if (i < 0) break;
          out[i] = (out[i] as number) + (nb.similarity[base + s] as number);
        }
      }
    },
  };
}

/**
 * Pseudo-interactions behind every user's category shares (a weak prior: on the demo's data, 0, 2 and 5
 * gave a worst hold-out lift over 8 orderings of 1.19×, 1.24× and 1.25×; docs/decisions/017).
 */
export const SHARE_PRIOR = 2;

/**
 * popularity · (1 + c · the share of the user's history in the item's category). `categories` holds
 * a category index per item (-1 unknown); `categoryCount` the number of categories.
 */
export function categoryRecommender(
  popularity: Float64Array,
  categories: Int32Array,
  categoryCount: number,
  c: number,
): Recommender {
  const share = new Float64Array(Math.max(1, categoryCount));
  return {
    kind: 'category+popularity',
    items: popularity.length,
    scores: (_u, history, out) => {
      // Shares smoothed by SHARE_PRIOR pseudo-interactions spread evenly over the categories: a user
      // with a handful of interactions is not taken to like only the categories they happened to touch.
      const n = history.length + SHARE_PRIOR;
      share.fill(SHARE_PRIOR / Math.max(1, categoryCount) / n);
      for (let h = 0; h < history.length; h++) {
        const cat = categories[history[h] as number] as number;
        if (cat >= 0) share[cat] = (share[cat] as number) + 1 / n;
      }
      for (let i = 0; i < out.length; i++) {
        const cat = categories[i] as number;
        out[i] = (popularity[i] as number) * (1 + c * (cat >= 0 ? (share[cat] as number) : 0));
      }
    },
  };
}

/** Category indexes per item from item-id → category names (-1 when unknown), and the category count. */
export function categoryIndex(
  itemIds: readonly string[],
  categoryOf: ReadonlyMap<string, string>,
): { categories: Int32Array; names: string[] } {
  const names: string[] = [];
  const index = new Map<string, number>();
  const categories = new Int32Array(itemIds.length).fill(-1);
  itemIds.forEach((id, i) => {
    const name = categoryOf.get(id);
    if (name === undefined) return;
    let c = index.get(name);
    if (c === undefined) {
      c = names.length;
      names.push(name);
      index.set(name, c);
    }
    categories[i] = c;
  });
  return { categories, names };
}

/** Subtract the mean and divide by the standard deviation, in place (unchanged when constant). */
export function standardise(x: Float64Array): Float64Array {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= Math.max(1, x.length);
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2;
  const sd = Math.sqrt(sq / Math.max(1, x.length));
  if (sd === 0 || !Number.isFinite(sd)) return x;
  for (let i = 0; i < x.length; i++) x[i] = ((x[i] as number) - mean) / sd;
  return x;
}
