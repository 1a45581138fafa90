import * as fs from 'node:fs';
import fc from 'fast-check';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { explicitSweep, explicitSweepScalar } from '../../../layers/als/als';
import { ExplicitKernel } from '../../../layers/als/explicit-kernel';
import type { Csr } from '../../../layers/als/ratings';
import { Rng } from '../../../layers/util/random';

// The build script is CommonJS, outside the TypeScript project.
const build = require('../../../scripts/build-wasm.cjs') as {
  KERNELS: { source: string; name: string }[];
  moduleText: (kernel: { source: string; name: string }) => Promise<string>;
  target: (kernel: { source: string; name: string }) => string;
};

/**
 * The ridge solve of one explicit row computed independently of our code: the design matrix
 * [Y_rows, 1] and targets as ml-matrix matrices, (GᵀG + reg·I) x = Gᵀt by ml-matrix's Cholesky.
 */
function oracle(rows: number[][], t: number[], reg: number): number[] {
  const G = new Matrix(rows.map((r) => [...r, 1]));
  const Gt = G.transpose();
  const A = Gt.mmul(G);
  for (let a = 0; a < A.rows; a++) A.set(a, a, A.get(a, a) + reg);
  return new CholeskyDecomposition(A).solve(Gt.mmul(Matrix.columnVector(t))).to1DArray();
}

describe('the WebAssembly explicit ALS kernel', () => {
  it('is the bytes its WebAssembly text assembles to', async () => {
    for (const kernel of build.KERNELS)
      expect(fs.readFileSync(build.target(kernel), 'utf8')).toBe(await build.moduleText(kernel));
  });

  /** A random fixed side and one row of ratings against it, solved by the kernel and by the oracle. */
  function checkRow(kernel: ExplicitKernel, k: number, nY: number, count: number, rng: Rng) {
    const Y = Float32Array.from({ length: nY * k }, () => rng.next() - 0.5);
    const by = Float32Array.from({ length: nY }, () => rng.next() - 0.5);
    const mean = 3.25;
    // The row's ratings sit inside longer CSR arrays, as a sweep passes them.
    const start = 7;
    const indices = Int32Array.from({ length: start + count + 3 }, () => Math.floor(rng.next() * nY));
    const values = Float32Array.from(indices, () => 1 + Math.floor(rng.next() * 5));
    kernel.load(Y, by, k, mean);
    const reg = 0.05 * count;
    const x = Array.from(kernel.solveRow(indices, values, start, count, reg).subarray(0, k + 1));
    const rows: number[][] = [];
    const t: number[] = [];
    for (let j = start; j < start + count; j++) {
      const col = indices[j] as number;
      rows.push(Array.from(Y.subarray(col * k, (col + 1) * k)));
      t.push((values[j] as number) - mean - (by[col] as number));
    }
    const want = oracle(rows, t, reg);
    for (let a = 0; a <= k; a++) expect(Math.abs((x[a] as number) - (want[a] as number))).toBeLessThan(1e-9);
    // The squared errors of stored (float32) factors, by hand.
    const stored = Float32Array.from({ length: k + 2 }, (_, a) => (a < k ? (x[a] as number) : 0));
    const bias = Math.fround(x[k] as number);
    let se = 0;
    rows.forEach((r, j) => {
      let e = (t[j] as number) - bias;
      for (let a = 0; a < k; a++) e -= (r[a] as number) * (stored[a] as number);
      se += e * e;
    });
    expect(Math.abs(kernel.squaredErrors(count, stored, 0, bias) - se)).toBeLessThan(1e-9 * Math.max(1, se));
  }

  it('solves the ridge system of one row as ml-matrix does, at any rank and row length', () => {
    const kernel = new ExplicitKernel();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (k, nY, count, seed) => checkRow(kernel, k, nY, count, new Rng(seed)),
      ),
      { numRuns: 60, seed: 26 },
    );
  });

  it('keeps its padding zero across ranks, fixed sides and rows that grow its memory', () => {
    // Rank 5 is padded to 8 columns: a stale value in the padding would enter the Gram matrix.
    const rng = new Rng(5);
    const kernel = new ExplicitKernel();
    for (const [k, nY, count] of [
      [32, 50, 3],
      [5, 20, 200],
      [5, 4000, 5000],
      [3, 10, 7],
      [9, 9, 1],
      [32, 30_000, 40],
    ] as const)
      checkRow(kernel, k, nY, count, rng);
  });

  it('sweeps rows as the plain TypeScript sweep does, to float32 rounding', () => {
    const rng = new Rng(8);
    for (const k of [3, 8, 16, 32]) {
      const users = 60;
      const items = 90;
      const indptr = [0];
      const indices: number[] = [];
      const values: number[] = [];
      for (let u = 0; u < users; u++) {
        // Row lengths 0 (skipped), 1, and up to all items.
        const n = u === 0 ? 0 : u === 1 ? 1 : Math.floor(rng.next() * items);
        for (let i = 0; i < n; i++) {
          indices.push(i);
          values.push(1 + Math.floor(rng.next() * 5));
        }
        indptr.push(indices.length);
      }
      const rows = {
        indptr: Int32Array.from(indptr),
        indices: Int32Array.from(indices),
        values: Float32Array.from(values),
      } as unknown as Csr;
      const Y = Float32Array.from({ length: items * k }, () => rng.next() - 0.5);
      const by = Float32Array.from({ length: items }, () => rng.next() - 0.5);
      const X1 = Float32Array.from({ length: users * k }, () => 9);
      const X2 = Float32Array.from(X1);
      const b1 = new Float32Array(users).fill(9);
      const b2 = Float32Array.from(b1);
      const c1 = { flops: 0 };
      const c2 = { flops: 0 };
      explicitSweep(rows, X1, b1, Y, by, 3.5, k, 0.1, c1);
      explicitSweepScalar(rows, X2, b2, Y, by, 3.5, k, 0.1, c2);
      expect(c1.flops).toBe(c2.flops);
      // The empty row keeps its values; every other row is solved.
      expect(Array.from(X1.subarray(0, k))).toEqual(new Array(k).fill(9));
      for (let j = 0; j < X1.length; j++) expect(Math.abs((X1[j] as number) - (X2[j] as number))).toBeLessThan(1e-6);
      for (let j = 0; j < users; j++) expect(Math.abs((b1[j] as number) - (b2[j] as number))).toBeLessThan(1e-6);
    }
  });
});
