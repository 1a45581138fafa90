/**
 * The types a training run and its sweeps share, in a module of their own so that the trainer
 * (./als.ts) and its worker pool (./parallel.ts, ./worker.ts) import them without importing each other.
 */
import type { Csr } from './ratings';

export interface AlsParams {
  readonly rank: number;
  readonly iterations: number;
  readonly lambda: number;
  readonly implicit: boolean;
  /** Confidence scale for implicit feedback. */
  readonly alpha: number;
  /** CG steps per row (implicit). */
  readonly cgSteps: number;
  readonly seed: number;
}

/** One half-sweep: solve rows [0, n) of one side against the other, inline or on worker threads. */
export interface HalfSweep {
  readonly side: 'users' | 'items';
  readonly kind: 'explicit' | 'implicit';
}

/** Runs half-sweeps over the shared training state (see layers/als/parallel.ts for the worker pool). */
export interface Sweeper {
  run(sweep: HalfSweep, state: TrainingState, YtY?: Float64Array): Promise<number>;
  close(): Promise<void>;
}

/** Everything a sweep reads and writes; typed arrays may sit on SharedArrayBuffers. */
export interface TrainingState {
  readonly params: AlsParams;
  readonly k: number;
  readonly mean: number;
  readonly byUser: Csr;
  readonly byItem: Csr;
  readonly P: Float32Array;
  readonly Q: Float32Array;
  readonly bu: Float32Array;
  readonly bi: Float32Array;
  /**
   * Explicit only: each row's part of the objective, written by its half-sweep (users: λ·n_u‖[p_u, b_u]‖²;
   * items: the same plus the squared errors of the item's ratings), summed in row order after the
   * iteration, so the objective is the same on any number of threads.
   */
  readonly userLoss: Float64Array;
  readonly itemLoss: Float64Array;
}
