/** The quality gate between training and publishing: pure, so it is tested by itself. */
export interface GateConfig {
  readonly minPrecisionAt10: number;
  /**
   * The candidate's precision@10 must be at least this multiple of the popularity baseline's on the
   * same hold-out: 1 = never worse than popularity (a published popularity model passes), above 1 =
   * a real lift.
   */
  readonly minLiftOverBaseline: number;
}

export interface ModelMetrics {
  readonly precisionAt10: number;
  readonly baseline: { readonly precisionAt10: number };
}

export interface GateVerdict {
  readonly pass: boolean;
  readonly reasons: string[];
}

/** Pass when every configured threshold holds and, if a production model exists, the candidate is at least as good. */
export function gateVerdict(
  candidate: ModelMetrics,
  production: (ModelMetrics & { runId: string }) | undefined,
  gate: GateConfig,
): GateVerdict {
  const reasons: string[] = [];
  if (candidate.precisionAt10 < gate.minPrecisionAt10) {
    reasons.push(`precision@10 ${candidate.precisionAt10} is below the threshold ${gate.minPrecisionAt10}`);
  }
  const needed = gate.minLiftOverBaseline * candidate.baseline.precisionAt10;
  if (candidate.precisionAt10 < needed - 1e-12) {
    reasons.push(
      `precision@10 ${candidate.precisionAt10} is below ${gate.minLiftOverBaseline}× the popularity baseline's ${candidate.baseline.precisionAt10} on the same hold-out`,
    );
  }
  if (production && candidate.precisionAt10 < production.precisionAt10) {
    reasons.push(
      `precision@10 ${candidate.precisionAt10} is below the production model ${production.runId} (${production.precisionAt10})`,
    );
  }
  return { pass: reasons.length === 0, reasons };
}
