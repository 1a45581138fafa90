/**
 * Ratings drawn from a planted biased low-rank model plus Gaussian noise:
 * r_ui = μ + b_u + b_i + p_u·q_i + ε, ε ~ N(0, σ²), observed at random with a given density. The
 * truth is returned with the ratings, so a test or benchmark can compute the noise floor (the RMSE
 * of the true model is σ) and ask a search to find the planted rank.
 */
import { type Ratings, RatingsBuilder } from '../als/ratings';
import { Rng } from '../util/random';

export interface PlantedOptions {
  readonly users: number;
  readonly items: number;
  readonly rank: number;
  /** Share of (user, item) pairs observed. */
  readonly density: number;
  /** Noise standard deviation. */
  readonly noise: number;
  readonly seed?: number;
  /** Standard deviation of the interaction term p_u·q_i. @default 1 */
  readonly signal?: number;
}

export interface Planted {
  readonly ratings: Ratings;
  /** The noiseless value of observed entry j. */
  readonly truth: Float64Array;
}

export function plantedRatings(o: PlantedOptions): Planted {
  const rng = new Rng(o.seed ?? 1);
  const gauss = () => {
    // Box–Muller on the seeded generator.
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  // Entries of sd (signal²/rank)^¼ each make p_u·q_i a sum of `rank` products with variance signal².
  const sd = Math.sqrt((o.signal ?? 1) / Math.sqrt(o.rank));
  const P = Float64Array.from({ length: o.users * o.rank }, () => gauss() * sd);
  const Q = Float64Array.from({ length: o.items * o.rank }, () => gauss() * sd);
  const bu = Float64Array.from({ length: o.users }, () => gauss() * 0.3);
  const bi = Float64Array.from({ length: o.items }, () => gauss() * 0.4);
  const builder = new RatingsBuilder();
  const truth: number[] = [];
  for (let u = 0; u < o.users; u++) {
    for (let i = 0; i < o.items; i++) {
      if (rng.next() >= o.density) continue;
      let t = 3 + (bu[u] as number) + (bi[i] as number);
      for (let a = 0; a < o.rank; a++) t += (P[u * o.rank + a] as number) * (Q[i * o.rank + a] as number);
      truth.push(t);
      builder.add(`u${u}`, `i${i}`, t + gauss() * o.noise);
    }
  }
  return { ratings: builder.build(), truth: Float64Array.from(truth) };
}
