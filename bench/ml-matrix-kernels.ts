/**
 * ml-matrix against our ALS kernels on the work of one explicit row (docs/decisions/009, 026): the
 * Gram update GᵀG of a row's design matrix (its rated items' factors and a column of ones) and the
 * solve of the (k+1)×(k+1) ridge system, at ranks 8 to 64; ours as the training runs it (the
 * WebAssembly kernel, the fixed side loaded once per half-sweep) and as plain TypeScript. The same
 * inputs for all; times are medians of repeated batches, in microseconds per row.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { choleskySolve, explicitSweepScalar } from '../layers/als/als';
import { ExplicitKernel } from '../layers/als/explicit-kernel';
import type { Csr } from '../layers/als/ratings';
import { Rng } from '../layers/util/random';

export interface KernelComparison {
  readonly rank: number;
  readonly ratingsPerRow: number;
  /** One row's Gram update and solve: ours (WebAssembly), the plain TypeScript sweep, ml-matrix; ratio = ml-matrix / ours. */
  readonly rowMicros: { ours: number; typeScript: number; mlMatrix: number; ratio: number };
  /** The (k+1)×(k+1) Cholesky solve alone. */
  readonly solveMicros: { ours: number; mlMatrix: number; ratio: number };
  /** The largest difference between the two solutions. */
  readonly maxAbsDiff: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function timePerCall(fn: () => void, calls: number): number {
  const batches: number[] = [];
  for (let b = 0; b < 7; b++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    batches.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(batches);
}

export function compareKernels(ranks = [8, 16, 32, 64], ratingsPerRow = 80): KernelComparison[] {
  const rng = new Rng(11);
  const out: KernelComparison[] = [];
  for (const k of ranks) {
    const d = k + 1;
    const items = 2_000;
    const Y = Float32Array.from({ length: items * k }, () => rng.next() - 0.5);
    const by = new Float32Array(items);
    const cols = Int32Array.from({ length: ratingsPerRow }, (_, j) => (j * 17) % items);
    const values = Float32Array.from({ length: ratingsPerRow }, () => 1 + Math.floor(rng.next() * 5));
    const row: Csr = { indptr: Int32Array.from([0, ratingsPerRow]), indices: cols, values } as unknown as Csr;
    const X = new Float32Array(k);
    const bx = new Float32Array(1);
    const lambda = 0.05;
    const mean = 3;
    const counter = { flops: 0 };
    const kernel = new ExplicitKernel();
    kernel.load(Y, by, k, mean);
    let solved: Float64Array = new Float64Array(0);
    const ours = () => {
      solved = kernel.solveRow(cols, values, 0, ratingsPerRow, lambda * ratingsPerRow);
    };
    const typeScript = () => explicitSweepScalar(row, X, bx, Y, by, mean, k, lambda, counter);
    let mlX = new Matrix(d, 1);
    const theirs = () => {
      const G = new Matrix(ratingsPerRow, d);
      const t = new Matrix(ratingsPerRow, 1);
      for (let j = 0; j < ratingsPerRow; j++) {
        const col = cols[j] as number;
        for (let a = 0; a < k; a++) G.set(j, a, Y[col * k + a] as number);
        G.set(j, k, 1);
        t.set(j, 0, (values[j] as number) - mean - (by[col] as number));
      }
      const Gt = G.transpose();
      const A = Gt.mmul(G);
      for (let a = 0; a < d; a++) A.set(a, a, A.get(a, a) + lambda * ratingsPerRow);
      mlX = new CholeskyDecomposition(A).solve(Gt.mmul(t));
    };
    const calls = Math.max(50, Math.round(200_000 / (ratingsPerRow * d * d)));
    const rowOurs = timePerCall(ours, calls);
    const rowTypeScript = timePerCall(typeScript, calls);
    const rowTheirs = timePerCall(theirs, calls);
    let maxAbsDiff = 0;
    for (let a = 0; a <= k; a++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs((solved[a] as number) - mlX.get(a, 0)));
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(((a < k ? X[a] : bx[0]) as number) - mlX.get(a, 0)));
    }

    // The solve alone, on one SPD system.
    const M = Matrix.rand(d, d, { random: () => rng.next() });
    const S = M.transpose().mmul(M).add(Matrix.eye(d, d).mul(d));
    const rhs = Float64Array.from({ length: d }, () => rng.next());
    const flat = Float64Array.from(S.to1DArray());
    const A = new Float64Array(d * d);
    const x = new Float64Array(d);
    const solveOurs = timePerCall(() => {
      A.set(flat);
      choleskySolve(A, rhs, x, d);
    }, calls * 4);
    const rhsM = Matrix.columnVector(Array.from(rhs));
    const solveTheirs = timePerCall(() => new CholeskyDecomposition(S).solve(rhsM), calls * 4);
    const round = (n: number) => Number(n.toFixed(2));
    out.push({
      rank: k,
      ratingsPerRow,
      rowMicros: {
        ours: round(rowOurs),
        typeScript: round(rowTypeScript),
        mlMatrix: round(rowTheirs),
        ratio: round(rowTheirs / rowOurs),
      },
      solveMicros: { ours: round(solveOurs), mlMatrix: round(solveTheirs), ratio: round(solveTheirs / solveOurs) },
      maxAbsDiff: Number(maxAbsDiff.toExponential(2)),
    });
  }
  return out;
}
