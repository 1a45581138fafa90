/**
 * Half-sweeps on worker threads: the training state lives on SharedArrayBuffers, each worker solves a
 * contiguous block of rows (blocks balanced by ratings), and no two workers write the same row.
 * Rows only read the other side's factors, so the result equals the single-threaded one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Csr } from './ratings';
import type { HalfSweep, Sweeper, TrainingState } from './state';

const ENTRY = path.join(__dirname, 'worker-entry.cjs');

export function defaultThreads(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** Whether worker threads can be started from this build (a bundle without the worker files cannot). */
export function workersAvailable(): boolean {
  return (
    fs.existsSync(ENTRY) &&
    (fs.existsSync(path.join(__dirname, 'worker.ts')) || fs.existsSync(path.join(__dirname, 'worker.js')))
  );
}

interface Pending {
  resolve: (flops: number) => void;
  reject: (err: Error) => void;
}

export class WorkerSweeper implements Sweeper {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** The training state the workers hold now (the tuner alternates between several). */
  private current: TrainingState | undefined;

  constructor(readonly threads: number) {
    const module = fs.existsSync(path.join(__dirname, 'worker.ts'))
      ? path.join(__dirname, 'worker.ts')
      : path.join(__dirname, 'worker.js');
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(ENTRY, { workerData: { module, ts: module.endsWith('.ts') } });
      worker.on('message', (m: { id: number; flops?: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.flops ?? 0);
      });
      worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  async run(sweep: HalfSweep, state: TrainingState, YtY?: Float64Array): Promise<number> {
    const rows = sweep.side === 'users' ? state.byUser : state.byItem;
    const blocks = balancedBlocks(rows, this.workers.length);
    const sendState = this.current !== state;
    this.current = state;
    const runs = blocks.map(([start, end], t) => {
      const id = this.nextId++;
      return new Promise<number>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        (this.workers[t] as Worker).postMessage({ id, sweep, start, end, YtY, ...(sendState ? { state } : {}) });
      });
    });
    const flops = await Promise.all(runs);
    return flops.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/** [start, end) row blocks with about the same number of ratings each. */
export function balancedBlocks(rows: Csr, parts: number): [number, number][] {
  const n = rows.indptr.length - 1;
  const total = rows.indptr[n] as number;
  const blocks: [number, number][] = [];
  let start = 0;
  for (let p = 1; p <= parts; p++) {
    let end = start;
    const target = (total * p) / parts;
    while (end < n && (rows.indptr[end] as number) < target) end++;
    if (p === parts) end = n;
    blocks.push([start, end]);
    start = end;
  }
  return blocks;
}
