/** One ALS worker thread: solves the row blocks it is sent, on the shared training state. */
import { parentPort } from 'node:worker_threads';
import { runHalfSweep } from './als';
import type { HalfSweep, TrainingState } from './state';

let state: TrainingState | undefined;

parentPort?.on(
  'message',
  (m: { id: number; sweep: HalfSweep; start: number; end: number; YtY?: Float64Array; state?: TrainingState }) => {
    try {
      if (m.state) state = m.state;
      if (!state) throw new Error('the worker has no training state');
      const flops = runHalfSweep(m.sweep, state, m.start, m.end, m.YtY);
      parentPort?.postMessage({ id: m.id, flops });
    } catch (err) {
      parentPort?.postMessage({ id: m.id, error: (err as Error).message });
    }
  },
);
