import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  choleskySolve,
  DEFAULT_EXPLICIT,
  DEFAULT_IMPLICIT,
  predict,
  trainAls,
  trainAlsOnAllCores,
} from '../../../layers/als/als';
import { loadModel, recommendFor, writeModel } from '../../../layers/als/artifacts';
import { evaluate, randomSplit, rankMetrics, timeSplit, topK } from '../../../layers/als/evaluate';
import { RatingsBuilder, readRatings, readRatingsInto } from '../../../layers/als/ratings';
import { Rng } from '../../../layers/util/random';

/** A planted rank-3 matrix with biases, observed at 30 % with Gaussian-ish noise of σ ≈ 0.1. */
function planted(users = 200, items = 150, seed = 3) {
  const rng = new Rng(seed);
  const k = 3;
  const U = Array.from({ length: users * k }, () => rng.next() - 0.5);
  const V = Array.from({ length: items * k }, () => rng.next() - 0.5);
  const b = new RatingsBuilder();
  const noise = () => (rng.next() + rng.next() + rng.next() - 1.5) * 0.2; // σ = 0.1
  for (let u = 0; u < users; u++) {
    for (let i = 0; i < items; i++) {
      if (rng.next() > 0.3) continue;
      let r = 3 + (0.3 * ((u % 5) - 2)) / 2 + (0.3 * ((i % 7) - 3)) / 3;
      for (let a = 0; a < k; a++) r += 2 * (U[u * k + a] as number) * (V[i * k + a] as number) * 4;
      b.add(`u${u}`, `i${i}`, r + noise());
    }
  }
  return b.build();
}

describe('explicit ALS', () => {
  it('recovers a planted low-rank matrix to about the noise level on held-out entries', async () => {
    const r = planted();
    const mask = randomSplit(r, 0.2, 1);
    const model = await trainAls(r, { ...DEFAULT_EXPLICIT, rank: 3, lambda: 0.01, iterations: 20 }, mask);
    const e = evaluate(model, r, mask);
    expect(e.rmse).toBeLessThan(0.16); // noise σ = 0.1
    expect(e.baseline.rmse).toBeGreaterThan(0.3);
  });

  it('lowers its objective every iteration', async () => {
    const r = planted(120, 90, 9);
    const model = await trainAls(r, { ...DEFAULT_EXPLICIT, rank: 4, iterations: 8 });
    for (let i = 1; i < model.loss.length; i++)
      expect(model.loss[i]).toBeLessThanOrEqual((model.loss[i - 1] as number) + 1e-9);
  });

  it('gives bit-identical factors on worker threads and in one thread', async () => {
    const r = planted(80, 60, 6);
    const params = { ...DEFAULT_EXPLICIT, rank: 4, iterations: 3 };
    const one = await trainAls(r, params);
    const two = await trainAlsOnAllCores(r, params, undefined, undefined, 2);
    expect(two.threads).toBe(2);
    expect(Buffer.from(two.itemFactors.buffer).equals(Buffer.from(one.itemFactors.buffer))).toBe(true);
    const implicit = { ...DEFAULT_IMPLICIT, rank: 4, iterations: 2 };
    const a = await trainAls(r, implicit);
    const b = await trainAlsOnAllCores(r, implicit, undefined, undefined, 2);
    expect(b.loss).toEqual(a.loss);
  });

  it('reports the ALS-WR objective of the factors it returns, the same on any number of threads', async () => {
    const r = planted(90, 70, 4);
    const params = { ...DEFAULT_EXPLICIT, rank: 5, iterations: 2 };
    const one = await trainAls(r, params);
    const two = await trainAlsOnAllCores(r, params, undefined, undefined, 2);
    expect(two.loss).toEqual(one.loss);
    // The objective by hand from the model: squared errors of every rating, plus λ·n‖[factors, bias]‖² per user and item.
    const k = params.rank;
    const perUser = new Array(one.users).fill(0);
    const perItem = new Array(one.items).fill(0);
    let se = 0;
    for (let j = 0; j < r.length; j++) {
      const u = r.users[j] as number;
      const i = r.items[j] as number;
      perUser[u]++;
      perItem[i]++;
      se += ((r.values[j] as number) - predict(one, u, i)) ** 2;
    }
    const reg = (n: number[], F: Float32Array, b: Float32Array) =>
      n.reduce((sum, count, row) => {
        let norm = (b[row] as number) ** 2;
        for (let a = 0; a < k; a++) norm += (F[row * k + a] as number) ** 2;
        return sum + count * norm;
      }, 0);
    const objective =
      (se +
        params.lambda * (reg(perUser, one.userFactors, one.userBias) + reg(perItem, one.itemFactors, one.itemBias))) /
      r.length;
    expect(Math.abs((one.loss.at(-1) as number) - objective)).toBeLessThan(1e-9 * objective);
  });

  it('is deterministic for a seed', async () => {
    const r = planted(60, 40, 2);
    const a = await trainAls(r, { ...DEFAULT_EXPLICIT, rank: 4, iterations: 3 });
    const b = await trainAls(r, { ...DEFAULT_EXPLICIT, rank: 4, iterations: 3 });
    expect(Buffer.from(a.userFactors.buffer).equals(Buffer.from(b.userFactors.buffer))).toBe(true);
    expect(predict(a, 0, 0)).toBe(predict(b, 0, 0));
  });
});

describe('implicit ALS', () => {
  it('ranks held-out items above the popularity baseline on clustered data, and its objective falls', async () => {
    // Two taste groups: even users use even items, odd users odd items; popularity alone cannot tell them apart.
    const rng = new Rng(5);
    const b = new RatingsBuilder();
    for (let u = 0; u < 120; u++)
      for (let i = 0; i < 80; i++) if (i % 2 === u % 2 && rng.next() < 0.35) b.add(`u${u}`, `i${i}`, 1);
    const r = b.build();
    const mask = randomSplit(r, 0.2, 2);
    const model = await trainAls(r, { ...DEFAULT_IMPLICIT, rank: 4, iterations: 8, alpha: 5, lambda: 0.1 }, mask);
    for (let i = 1; i < model.loss.length; i++)
      expect(model.loss[i]).toBeLessThanOrEqual((model.loss[i - 1] as number) * 1.0001);
    const e = evaluate(model, r, mask);
    expect(e.ranking.precision).toBeGreaterThan(1.5 * e.baseline.ranking.precision);
  });
});

describe('linear algebra and metrics', () => {
  it('solves an SPD system with Cholesky', async () => {
    const A = new Float64Array([4, 2, 2, 3]);
    const x = new Float64Array(2);
    choleskySolve(A, new Float64Array([6, 5]), x, 2); // [[4,2],[2,3]] x = [6,5] → x = [1, 1]
    expect([...x].map((v) => Number(v.toFixed(10)))).toEqual([1, 1]);
  });

  it('computes precision, recall, NDCG and AP by hand', async () => {
    // ranked [a, b, c, d], relevant {b, d}: hits at positions 2 and 4
    const m = rankMetrics([1, 2, 3, 4], new Set([2, 4]), 4);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(1);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3);
    expect(m.ndcg).toBeCloseTo(dcg / idcg, 10);
    expect(m.ap).toBeCloseTo((1 / 2 + 2 / 4) / 2, 10);
    expect(topK(new Float64Array([0.1, 0.9, Number.NEGATIVE_INFINITY, 0.5]), 2)).toEqual([1, 3]);
  });

  it('holds out the latest ratings of each user in a time split', async () => {
    const b = new RatingsBuilder();
    for (let t = 1; t <= 5; t++) b.add('u1', `i${t}`, 4, t);
    const mask = timeSplit(b.build(), 0.4);
    expect([...mask]).toEqual([1, 1, 1, 0, 0]);
  });
});

describe('ratings input', () => {
  const read = (text: string) => readRatings(Readable.from([text]));
  it.each([
    ['MovieLens CSV', 'userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n'],
    ['generic CSV', 'userId,itemId,rating\nalice,p1,4\nbob,p1,5\n'],
    ['tab separated', '1\t31\t2.5\t1260759144\n2\t31\t3\t1260759179\n'],
    ['"::" separated', '1::31::2.5::1260759144\n2::31::3::1260759179\n'],
  ])('reads %s', async (_name, text) => {
    const r = await read(text);
    expect(r.length).toBe(2);
    expect(r.itemIds).toContain(r.itemIds[0]);
  });

  it('skips lines that are not ratings, names them, and refuses input that is mostly not ratings', async () => {
    const builder = new RatingsBuilder();
    const report = await readRatingsInto(
      builder,
      Readable.from(['userId,itemId,rating\na,b,4\nc,d,lots\n"e,1",f,5\ng,"h\n', 'x",3\ni,j,\nk,l,2\n']),
    );
    expect(report.read).toBe(4);
    expect(report.firstSkipped.map((s) => [s.line, s.reason])).toEqual([
      [3, 'the rating "lots" is not a number'],
      [7, 'the rating is blank (missing, not zero)'],
    ]);
    expect(builder.build().userIds).toEqual(['a', 'e,1', 'g', 'k']);
    await expect(read('userId,itemId,rating\na,b,4\nc,d,lots\ne,f,x\n')).rejects.toThrow(
      /mostly not ratings: 2 lines skipped, 1 read/,
    );
    await expect(read('user,when\n1,2\n')).rejects.toThrow(/header .* has no item and rating columns/);
    await expect(read('\n\n')).rejects.toThrow(/no ratings/);
  });

  it('reads a blank value as an interaction in implicit mode', async () => {
    const r = await readRatings(Readable.from(['userId,itemId,rating\na,b,\nc,d,3\n']), { implicit: true });
    expect([...r.values]).toEqual([1, 3]);
  });
});

describe('artifacts and recommend', () => {
  it('round-trips the model and serves top-N, skipping what the user has', async () => {
    const r = planted(50, 40, 4);
    const model = await trainAls(r, { ...DEFAULT_EXPLICIT, rank: 3, iterations: 4 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-model-'));
    try {
      writeModel(dir, model, r.userIds, r.itemIds);
      const loaded = loadModel(dir);
      const top = recommendFor(loaded, 'u1', 5, new Set(['i0']));
      expect(top).toHaveLength(5);
      expect(top?.map((t) => t.itemId)).not.toContain('i0');
      expect(recommendFor(loaded, 'nobody', 5)).toBeUndefined();
      const u = r.userIds.indexOf('u1');
      const best = top?.[0];
      const i = r.itemIds.indexOf(best?.itemId ?? '');
      expect(best?.score).toBeCloseTo(predict(model, u, i) - model.globalMean - (model.userBias[u] as number), 3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recomart train', () => {
  const bin = path.join(__dirname, '../../../bin/recomart.cjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-train-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => {
    try {
      return {
        status: 0,
        stdout: execFileSync(process.execPath, [bin, 'train', ...args], { stdio: 'pipe', timeout: 60_000 }).toString(),
      };
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      return { status: e.status, stdout: '', stderr: e.stderr.toString() };
    }
  };

  it('prints the metrics as one JSON object and writes the artifacts', async () => {
    const file = path.join(dir, 'ratings.csv');
    const r = ['userId,itemId,rating'];
    const rng = new Rng(1);
    for (let u = 0; u < 60; u++)
      for (let i = 0; i < 40; i++) if (rng.next() < 0.3) r.push(`u${u},i${i},${1 + ((u + i) % 5)}`);
    fs.writeFileSync(file, `${r.join('\n')}\n`);
    const out = run(['--train', file, '--rank', '4', '--iterations', '3', '--out', path.join(dir, 'model'), '--json']);
    expect(out.status).toBe(0);
    const json = JSON.parse(out.stdout);
    for (const key of [
      'rmse',
      'mae',
      'precisionAt10',
      'recallAt10',
      'ndcgAt10',
      'trainSeconds',
      'users',
      'items',
      'ratings',
    ]) {
      expect(json).toHaveProperty(key);
    }
    expect(json.baseline).toHaveProperty('precisionAt10');
    expect(fs.readdirSync(path.join(dir, 'model')).sort()).toEqual([
      'item_ids.json',
      'metrics.json',
      'model-card.html',
      'model.bin',
      'model.json',
      'user_ids.json',
    ]);
  });

  it('exits 2 with one sentence on bad input', async () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'userId,itemId,rating\na,b,x\n');
    const out = run(['--train', bad]);
    expect(out.status).toBe(2);
    expect(out.stderr?.trim().split('\n').at(-1)).toMatch(
      /^recomart: .*bad\.csv: none of its 1 lines are ratings \(line 2: the rating "x" is not a number\)/,
    );
    expect(run(['--train', path.join(dir, 'missing.csv')]).status).toBe(2);
    expect(run(['--train', bad, '--lambda', '-1']).status).toBe(2);
  });
});
