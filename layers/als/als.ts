/**
 * Alternating least squares on typed arrays.
 * - Explicit: ALS-WR with user and item biases. A user's row is solved as [p_u, b_u] against item
 *   rows [q_i, 1] (and the other way round), with weighted-λ regularisation λ·n_u.
 * - Implicit: Hu–Koren–Volinsky confidence weighting c = 1 + α·r, solved per row with a few
 *   conjugate-gradient steps warm-started from the previous factors (as the `implicit` library does).
 * Deterministic for a seed, and the same on one thread or on worker threads (layers/als/parallel.ts).
 */
import { Rng } from '../util/random';
import { explicitKernel } from './explicit-kernel';
import { defaultThreads, WorkerSweeper, workersAvailable } from './parallel';
import { type Csr, type Ratings, toCsr } from './ratings';
import type { AlsParams, HalfSweep, Sweeper, TrainingState } from './state';

export type { AlsParams, HalfSweep, Sweeper, TrainingState } from './state';

/**
 * Fixed explicit parameters for callers that do not tune (benchmarks, tests): good on ml-latest-small
 * (RMSE about 0.86). Training runs choose theirs per dataset (layers/als/tuning.ts).
 */
export const DEFAULT_EXPLICIT: AlsParams = {
  rank: 16,
  iterations: 12,
  lambda: 0.12,
  implicit: false,
  alpha: 0,
  cgSteps: 3,
  seed: 42,
};
/** Fixed implicit parameters for callers that do not tune; training runs choose theirs (layers/als/tuning.ts). */
export const DEFAULT_IMPLICIT: AlsParams = {
  rank: 32,
  iterations: 10,
  lambda: 0.5,
  implicit: true,
  alpha: 2,
  cgSteps: 3,
  seed: 42,
};

export interface AlsModel {
  readonly params: AlsParams;
  readonly users: number;
  readonly items: number;
  /** Row-major users × rank, items × rank. */
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  /** Explicit only (zeros for implicit). */
  readonly userBias: Float32Array;
  readonly itemBias: Float32Array;
  readonly globalMean: number;
  /** The objective per training rating after each iteration (ALS-WR or Hu–Koren–Volinsky); never increases for explicit. */
  readonly loss: number[];
  readonly trainSeconds: number;
  /** Multiply-adds done by the solver, for GFLOP/s. */
  readonly flops: number;
}

/** Solve one half-sweep's rows [rowStart, rowEnd) in this thread; returns the flops done. */
export function runHalfSweep(
  sweep: HalfSweep,
  s: TrainingState,
  rowStart: number,
  rowEnd: number,
  YtY?: Float64Array,
): number {
  const counter = { flops: 0 };
  const users = sweep.side === 'users';
  const rows = users ? s.byUser : s.byItem;
  if (sweep.kind === 'explicit') {
    // Items are solved second, against this iteration's users: their rows also sum the squared errors.
    if (users)
      explicitSweep(rows, s.P, s.bu, s.Q, s.bi, s.mean, s.k, s.params.lambda, counter, rowStart, rowEnd, {
        rows: s.userLoss,
        errors: false,
      });
    else
      explicitSweep(rows, s.Q, s.bi, s.P, s.bu, s.mean, s.k, s.params.lambda, counter, rowStart, rowEnd, {
        rows: s.itemLoss,
        errors: true,
      });
  } else {
    implicitSweep(
      rows,
      users ? s.P : s.Q,
      users ? s.Q : s.P,
      YtY as Float64Array,
      s.k,
      s.params,
      counter,
      rowStart,
      rowEnd,
    );
  }
  return counter.flops;
}

/** The sweeper that runs everything in this thread. */
export const inlineSweeper: Sweeper = {
  run: async (sweep, state, YtY) =>
    runHalfSweep(sweep, state, 0, (sweep.side === 'users' ? state.byUser : state.byItem).indptr.length - 1, YtY),
  close: async () => undefined,
};

/**
 * ALS training that can be advanced one iteration at a time and stopped whenever: the tuner
 * (layers/als/tuning.ts) warm-starts a configuration by training it further, and stops it early when
 * the validation metric stops improving. `trainAls` is this with a fixed number of iterations.
 */
export class AlsTrainer {
  readonly state: TrainingState;
  readonly loss: number[] = [];
  private flops = 0;
  private seconds = 0;

  /**
   * `warm`: start from another trainer's factors and biases on the same ratings and selection (a
   * neighbouring λ or α, or another rank: the common columns are copied, extra ones start small and
   * random), and share its CSR arrays.
   */
  constructor(
    readonly ratings: Ratings,
    readonly params: AlsParams,
    select?: Uint8Array,
    shared = false,
    warm?: AlsTrainer,
  ) {
    const t0 = performance.now();
    const nU = ratings.userIds.length;
    const nI = ratings.itemIds.length;
    const k = params.rank;
    // Factors and CSR arrays live on SharedArrayBuffers when worker threads share them.
    const f32 = (n: number) => (shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n));
    const byUser = warm?.state.byUser ?? toCsr(ratings, false, nU, select, shared);
    const byItem = warm?.state.byItem ?? toCsr(ratings, true, nI, select, shared);
    const rng = new Rng(params.seed);
    const init = (n: number) => {
      const a = f32(n * k);
      for (let j = 0; j < a.length; j++) a[j] = (rng.next() - 0.5) * (params.implicit ? 0.02 : 0.2);
      return a;
    };
    const P = init(nU);
    const Q = init(nI);
    const bu = f32(nU);
    const bi = f32(nI);
    const f64 = (n: number) => (shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n));
    const userLoss = f64(params.implicit ? 0 : nU);
    const itemLoss = f64(params.implicit ? 0 : nI);
    if (warm) {
      const kw = warm.state.k;
      const copy = (to: Float32Array, from: Float32Array, rows: number) => {
        for (let r = 0; r < rows; r++)
          for (let a = 0; a < Math.min(k, kw); a++) to[r * k + a] = from[r * kw + a] as number;
      };
      copy(P, warm.state.P, nU);
      copy(Q, warm.state.Q, nI);
      bu.set(warm.state.bu);
      bi.set(warm.state.bi);
    }
    let mean = 0;
    for (let j = 0; j < byUser.values.length; j++) mean += byUser.values[j] as number;
    mean = params.implicit ? 0 : mean / Math.max(1, byUser.values.length);
    this.state = { params, k, mean, byUser, byItem, P, Q, bu, bi, userLoss, itemLoss };
    this.seconds = (performance.now() - t0) / 1000;
  }

  get iterations(): number {
    return this.loss.length;
  }

  /** One iteration (users, then items); returns the training objective after it. */
  async step(sweeper: Sweeper = inlineSweeper): Promise<number> {
    const t0 = performance.now();
    const { params, k, P, Q, byUser, byItem } = this.state;
    const nU = byUser.indptr.length - 1;
    const nI = byItem.indptr.length - 1;
    const kind = params.implicit ? 'implicit' : 'explicit';
    for (const side of ['users', 'items'] as const) {
      const YtY = params.implicit
        ? gramWithRidge(side === 'users' ? Q : P, side === 'users' ? nI : nU, k, params.lambda)
        : undefined;
      if (YtY) this.flops += (side === 'users' ? nI : nU) * k * k;
      this.flops += await sweeper.run({ side, kind }, this.state, YtY);
    }
    const { userLoss, itemLoss } = this.state;
    const loss = params.implicit
      ? implicitLoss(byUser, P, Q, nU, nI, k, params)
      : (sum(userLoss) + sum(itemLoss)) / Math.max(1, byUser.values.length);
    this.loss.push(loss);
    this.seconds += (performance.now() - t0) / 1000;
    return loss;
  }

  /**
   * The model as it stands, on its own arrays (training may go on). Users and items without training
   * ratings keep no (random) factors: they fall back to the biases.
   */
  model(): AlsModel {
    const { k, P, Q, bu, bi, byUser, byItem, mean } = this.state;
    const userFactors = Float32Array.from(P);
    const itemFactors = Float32Array.from(Q);
    for (let u = 0; u < byUser.indptr.length - 1; u++)
      if (byUser.indptr[u] === byUser.indptr[u + 1]) userFactors.fill(0, u * k, (u + 1) * k);
    for (let i = 0; i < byItem.indptr.length - 1; i++)
      if (byItem.indptr[i] === byItem.indptr[i + 1]) itemFactors.fill(0, i * k, (i + 1) * k);
    return {
      params: { ...this.params, iterations: this.iterations },
      users: byUser.indptr.length - 1,
      items: byItem.indptr.length - 1,
      userFactors,
      itemFactors,
      userBias: Float32Array.from(bu),
      itemBias: Float32Array.from(bi),
      globalMean: mean,
      loss: [...this.loss],
      trainSeconds: this.seconds,
      flops: this.flops,
    };
  }
}

/**
 * Train ALS for `params.iterations`. `sweeper` decides where the half-sweeps run (default: this
 * thread); the result is the same either way, since every row's solve reads only the other side's factors.
 */
export async function trainAls(
  ratings: Ratings,
  params: AlsParams,
  select?: Uint8Array,
  onIteration?: (iteration: number, loss: number) => void,
  sweeper: Sweeper = inlineSweeper,
  shared = false,
): Promise<AlsModel> {
  const trainer = new AlsTrainer(ratings, params, select, shared);
  for (let it = 0; it < params.iterations; it++) {
    const loss = await trainer.step(sweeper);
    onIteration?.(it + 1, loss);
  }
  return trainer.model();
}

/**
 * Solve every row of `X` (with bias `bx`) against the fixed `Y` (with bias `by`): the row's design
 * rows and targets are gathered here, the system is built and solved by the WebAssembly SIMD kernel
 * (decision 026). `explicitSweepScalar` is the same computation in plain TypeScript.
 *
 * `loss`: write each row's part of the ALS-WR objective (squared error plus λ·n_u‖[p_u, b_u]‖² and
 * λ·n_i‖[q_i, b_i]‖², per rating; it never increases from one iteration to the next, since each
 * half-sweep solves its rows exactly) to `loss.rows`: its regularisation term, from the stored
 * (float32) values, plus with `errors` the squared errors of its ratings against the fixed side.
 */
export function explicitSweep(
  rows: Csr,
  X: Float32Array,
  bx: Float32Array,
  Y: Float32Array,
  by: Float32Array,
  mean: number,
  k: number,
  lambda: number,
  counter: { flops: number },
  rowStart = 0,
  rowEnd = rows.indptr.length - 1,
  loss?: { rows: Float64Array; errors: boolean },
): void {
  const kernel = explicitKernel();
  kernel.load(Y, by, k, mean);
  const d = k + 1;
  const { indptr, indices, values } = rows;
  for (let row = rowStart; row < rowEnd; row++) {
    const start = indptr[row] as number;
    const count = (indptr[row + 1] as number) - start;
    if (count === 0) continue;
    const x = kernel.solveRow(indices, values, start, count, lambda * count);
    counter.flops += count * (d * (d + 1)) + (d * d * d) / 3;
    const off = row * k;
    for (let a = 0; a < k; a++) X[off + a] = x[a] as number;
    bx[row] = x[k] as number;
    if (!loss) continue;
    const stored = bx[row] as number;
    let norm = stored * stored;
    for (let a = 0; a < k; a++) norm += (X[off + a] as number) ** 2;
    let rowLoss = lambda * count * norm;
    if (loss.errors) {
      rowLoss += kernel.squaredErrors(count, X, off, stored);
      counter.flops += count * k;
    }
    loss.rows[row] = rowLoss;
  }
}

/**
 * `explicitSweep` in plain TypeScript (the design matrix column-major, its Gram matrix two by two
 * columns, `choleskySolve`): the reference the kernel is measured and checked against. It takes the
 * same arguments and writes no objective (`loss` is ignored).
 */
export function explicitSweepScalar(...args: Parameters<typeof explicitSweep>): void {
  const [rows, X, bx, Y, by, mean, k, lambda, counter] = args;
  const rowStart = args[9] ?? 0;
  const rowEnd = args[10] ?? rows.indptr.length - 1;
  const d = k + 1;
  const A = new Float64Array(d * d);
  const b = new Float64Array(d);
  const x = new Float64Array(d);
  // The row's design matrix, column-major (d columns of `count` values, the last all ones), so the
  // Gram matrix is d(d+1)/2 dot products over contiguous memory, two by two columns at a time.
  let G = new Float64Array(d * 256);
  let tt = new Float64Array(256);
  for (let row = rowStart; row < rowEnd; row++) {
    const start = rows.indptr[row] as number;
    const end = rows.indptr[row + 1] as number;
    const count = end - start;
    if (count === 0) continue;
    if (G.length < d * count) G = new Float64Array(d * count * 2);
    if (tt.length < count) tt = new Float64Array(count * 2);
    for (let j = 0; j < count; j++) {
      const col = rows.indices[start + j] as number;
      tt[j] = (rows.values[start + j] as number) - mean - (by[col] as number);
      const off = col * k;
      for (let a = 0; a < k; a++) G[a * count + j] = Y[off + a] as number;
      G[k * count + j] = 1;
    }
    for (let a = 0; a < d; a += 2) {
      const a0 = a * count;
      const a1 = a + 1 < d ? a0 + count : a0;
      for (let c = a; c < d; c += 2) {
        const c0 = c * count;
        const c1 = c + 1 < d ? c0 + count : c0;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let j = 0; j < count; j++) {
          const ga0 = G[a0 + j] as number;
          const ga1 = G[a1 + j] as number;
          const gc0 = G[c0 + j] as number;
          const gc1 = G[c1 + j] as number;
          s00 += ga0 * gc0;
          s01 += ga0 * gc1;
          s10 += ga1 * gc0;
          s11 += ga1 * gc1;
        }
        A[a * d + c] = s00;
        if (c + 1 < d) A[a * d + c + 1] = s01;
        if (a + 1 < d) {
          A[(a + 1) * d + c] = s10;
          if (c + 1 < d) A[(a + 1) * d + c + 1] = s11;
        }
      }
      let sb0 = 0;
      let sb1 = 0;
      for (let j = 0; j < count; j++) {
        sb0 += (G[a0 + j] as number) * (tt[j] as number);
        sb1 += (G[a1 + j] as number) * (tt[j] as number);
      }
      b[a] = sb0;
      if (a + 1 < d) b[a + 1] = sb1;
    }
    counter.flops += count * (d * (d + 1)) + (d * d * d) / 3;
    const reg = lambda * count;
    for (let a = 0; a < d; a++) {
      A[a * d + a] = (A[a * d + a] as number) + reg;
      for (let c = 0; c < a; c++) A[a * d + c] = A[c * d + a] as number;
    }
    choleskySolve(A, b, x, d);
    const off = row * k;
    for (let a = 0; a < k; a++) X[off + a] = x[a] as number;
    bx[row] = x[k] as number;
  }
}

/** In-place Cholesky of the SPD matrix A (d×d) and solve A x = b. */
export function choleskySolve(A: Float64Array, b: Float64Array, x: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    let sum = A[j * d + j] as number;
    for (let p = 0; p < j; p++) sum -= (A[j * d + p] as number) ** 2;
    const diag = Math.sqrt(Math.max(sum, 1e-12));
    A[j * d + j] = diag;
    for (let i = j + 1; i < d; i++) {
      let s = A[i * d + j] as number;
      for (let p = 0; p < j; p++) s -= (A[i * d + p] as number) * (A[j * d + p] as number);
      A[i * d + j] = s / diag;
    }
  }
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let p = 0; p < i; p++) s -= (A[i * d + p] as number) * (x[p] as number);
    x[i] = s / (A[i * d + i] as number);
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let p = i + 1; p < d; p++) s -= (A[p * d + i] as number) * (x[p] as number);
    x[i] = s / (A[i * d + i] as number);
  }
}

function sum(xs: Float64Array): number {
  let total = 0;
  for (let j = 0; j < xs.length; j++) total += xs[j] as number;
  return total;
}

/** YᵀY + λI (k×k, full), the part of every row's system that does not depend on the row. */
export function gramWithRidge(Y: Float32Array, nY: number, k: number, lambda: number): Float64Array {
  const YtY = new Float64Array(k * k);
  for (let i = 0; i < nY; i++) {
    const off = i * k;
    for (let a = 0; a < k; a++) {
      const ya = Y[off + a] as number;
      for (let c = a; c < k; c++) YtY[a * k + c] = (YtY[a * k + c] as number) + ya * (Y[off + c] as number);
    }
  }
  for (let a = 0; a < k; a++) {
    YtY[a * k + a] = (YtY[a * k + a] as number) + lambda;
    for (let c = 0; c < a; c++) YtY[a * k + c] = YtY[c * k + a] as number;
  }
  return YtY;
}

/** CG solves of implicit ALS for rows [rowStart, rowEnd) of X against the fixed Y. */
export function implicitSweep(
  rows: Csr,
  X: Float32Array,
  Y: Float32Array,
  YtY: Float64Array,
  k: number,
  params: AlsParams,
  counter: { flops: number },
  rowStart = 0,
  rowEnd = rows.indptr.length - 1,
): void {
  const x = new Float64Array(k);
  const r = new Float64Array(k);
  const p = new Float64Array(k);
  const Ap = new Float64Array(k);
  for (let row = rowStart; row < rowEnd; row++) {
    const start = rows.indptr[row] as number;
    const end = rows.indptr[row + 1] as number;
    const off = row * k;
    for (let a = 0; a < k; a++) x[a] = X[off + a] as number;
    // r = YᵀC p − (YᵀY + Yᵀ(C−I)Y) x, without forming YᵀCY
    mulSym(YtY, x, r, k);
    for (let a = 0; a < k; a++) r[a] = -(r[a] as number);
    for (let j = start; j < end; j++) {
      const col = rows.indices[j] as number;
      const c = 1 + params.alpha * (rows.values[j] as number);
      const yo = col * k;
      let yx = 0;
      for (let a = 0; a < k; a++) yx += (Y[yo + a] as number) * (x[a] as number);
      const w = c - (c - 1) * yx;
      for (let a = 0; a < k; a++) r[a] = (r[a] as number) + w * (Y[yo + a] as number);
    }
    p.set(r);
    let rsold = dot(r, r, k);
    for (let step = 0; step < params.cgSteps && rsold > 1e-20; step++) {
      mulSym(YtY, p, Ap, k);
      for (let j = start; j < end; j++) {
        const col = rows.indices[j] as number;
        const c = 1 + params.alpha * (rows.values[j] as number);
        const yo = col * k;
        let yp = 0;
        for (let a = 0; a < k; a++) yp += (Y[yo + a] as number) * (p[a] as number);
        const w = (c - 1) * yp;
        for (let a = 0; a < k; a++) Ap[a] = (Ap[a] as number) + w * (Y[yo + a] as number);
      }
      const alpha = rsold / dot(p, Ap, k);
      for (let a = 0; a < k; a++) {
        x[a] = (x[a] as number) + alpha * (p[a] as number);
        r[a] = (r[a] as number) - alpha * (Ap[a] as number);
      }
      const rsnew = dot(r, r, k);
      for (let a = 0; a < k; a++) p[a] = (r[a] as number) + (rsnew / rsold) * (p[a] as number);
      rsold = rsnew;
    }
    counter.flops += (params.cgSteps + 1) * (2 * k * k + 4 * k * (end - start));
    for (let a = 0; a < k; a++) X[off + a] = x[a] as number;
  }
}

function mulSym(M: Float64Array, v: Float64Array, out: Float64Array, k: number): void {
  for (let a = 0; a < k; a++) {
    let s = 0;
    const row = a * k;
    for (let c = 0; c < k; c++) s += (M[row + c] as number) * (v[c] as number);
    out[a] = s;
  }
}

function dot(a: Float64Array, b: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * The implicit objective per observed entry: Σ_all c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²), with the
 * unobserved part (c = 1, p = 0) summed in closed form as tr(XᵀX · YᵀY).
 */
function implicitLoss(
  rows: Csr,
  X: Float32Array,
  Y: Float32Array,
  nX: number,
  nY: number,
  k: number,
  params: AlsParams,
): number {
  let observed = 0;
  for (let u = 0; u < nX; u++) {
    for (let j = rows.indptr[u] as number; j < (rows.indptr[u + 1] as number); j++) {
      const i = rows.indices[j] as number;
      let s = 0;
      for (let a = 0; a < k; a++) s += (X[u * k + a] as number) * (Y[i * k + a] as number);
      observed += (1 + params.alpha * (rows.values[j] as number)) * (1 - s) ** 2 - s * s;
    }
  }
  const gram = (M: Float32Array, n: number) => {
    const G = new Float64Array(k * k);
    for (let r = 0; r < n; r++) {
      for (let a = 0; a < k; a++) {
        const ma = M[r * k + a] as number;
        for (let c = 0; c < k; c++) G[a * k + c] = (G[a * k + c] as number) + ma * (M[r * k + c] as number);
      }
    }
    return G;
  };
  const XtX = gram(X, nX);
  const YtY = gram(Y, nY);
  let all = 0;
  let reg = 0;
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < k; c++) all += (XtX[a * k + c] as number) * (YtY[c * k + a] as number);
    reg += (XtX[a * k + a] as number) + (YtY[a * k + a] as number);
  }
  return (observed + all + params.lambda * reg) / Math.max(1, rows.values.length);
}

/** Predicted rating (explicit) or preference score (implicit). */
export function predict(model: AlsModel, user: number, item: number): number {
  const k = model.params.rank;
  let s = model.params.implicit
    ? 0
    : model.globalMean + (model.userBias[user] as number) + (model.itemBias[item] as number);
  for (let a = 0; a < k; a++)
    s += (model.userFactors[user * k + a] as number) * (model.itemFactors[item * k + a] as number);
  return s;
}

/**
 * Train on all cores: worker threads when this build has them and there is more than one core, else
 * in this thread. `threads` = 1 forces single-threaded training.
 */
export async function trainAlsOnAllCores(
  ratings: Ratings,
  params: AlsParams,
  select?: Uint8Array,
  onIteration?: (iteration: number, loss: number) => void,
  threads?: number,
): Promise<AlsModel & { threads: number }> {
  const n = Math.max(1, threads ?? defaultThreads());
  if (n === 1 || !workersAvailable()) return { ...(await trainAls(ratings, params, select, onIteration)), threads: 1 };
  const sweeper = new WorkerSweeper(n);
  try {
    return { ...(await trainAls(ratings, params, select, onIteration, sweeper, true)), threads: n };
  } finally {
    await sweeper.close();
  }
}
