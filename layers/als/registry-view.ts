/** How people read the model registry (the CLI's `models` commands and the local console). */

/** A registry record as the training task and the gate write it. */
export type ModelRecord = Record<string, unknown> & {
  runId?: string;
  status?: string;
  createdAt?: string;
  metrics?: {
    precisionAt10?: number;
    ndcgAt10?: number;
    recallAt10?: number;
    coverage?: number;
    rmse?: number | null;
    baseline?: { precisionAt10?: number };
    recommender?: { kind?: string; weight?: number; reason?: string };
    rank?: number;
    lambda?: number;
    alpha?: number;
    iterations?: number;
  };
  gate?: { pass?: boolean; reasons?: string[] };
  data?: { version?: string };
  rows?: { read?: number; skipped?: number; ratings?: number };
};

/** One registry record as a table row: what it serves, its precision against popularity, the gate. */
export function modelSummary(r: ModelRecord) {
  const p = r.metrics?.precisionAt10;
  const base = r.metrics?.baseline?.precisionAt10;
  return {
    runId: String(r.runId ?? r.sk ?? '?'),
    status: String(r.status ?? '?'),
    createdAt: r.createdAt ?? null,
    kind: r.metrics?.recommender?.kind ?? 'als',
    precisionAt10: p ?? null,
    baseline: base ?? null,
    lift: p !== undefined && base ? Number((p / base).toFixed(2)) : null,
    gate: r.gate?.pass === undefined ? 'not run' : r.gate.pass ? 'passed' : 'failed',
  };
}

/** Two runs side by side, naming the better where a metric says which is. */
export function compareModels(a: ModelRecord, b: ModelRecord) {
  const higher = (x: number | null | undefined, y: number | null | undefined, lowerIsBetter = false) =>
    x == null || y == null || x === y ? undefined : x > y !== lowerIsBetter ? 'a' : 'b';
  const ma = a.metrics ?? {};
  const mb = b.metrics ?? {};
  const ra = modelSummary(a);
  const rb = modelSummary(b);
  return [
    { name: 'status', a: ra.status, b: rb.status },
    { name: 'created', a: ra.createdAt, b: rb.createdAt },
    { name: 'serves', a: ra.kind, b: rb.kind },
    { name: 'data version', a: a.data?.version, b: b.data?.version },
    { name: 'rank', a: ma.rank, b: mb.rank },
    { name: 'λ', a: ma.lambda, b: mb.lambda },
    { name: 'α', a: ma.alpha, b: mb.alpha },
    { name: 'P@10', a: ma.precisionAt10, b: mb.precisionAt10, better: higher(ma.precisionAt10, mb.precisionAt10) },
    { name: 'popularity', a: ma.baseline?.precisionAt10, b: mb.baseline?.precisionAt10 },
    { name: 'lift', a: ra.lift, b: rb.lift, better: higher(ra.lift, rb.lift) },
    { name: 'NDCG@10', a: ma.ndcgAt10, b: mb.ndcgAt10, better: higher(ma.ndcgAt10, mb.ndcgAt10) },
    { name: 'recall@10', a: ma.recallAt10, b: mb.recallAt10, better: higher(ma.recallAt10, mb.recallAt10) },
    { name: 'coverage', a: ma.coverage, b: mb.coverage, better: higher(ma.coverage, mb.coverage) },
    { name: 'RMSE', a: ma.rmse, b: mb.rmse, better: higher(ma.rmse, mb.rmse, true) },
    { name: 'gate', a: ra.gate, b: rb.gate },
  ];
}
