/** The model evaluation's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envNumber, envText } from '../../layers/util/env';

export const EvaluateModelEnv = z.object({
  ...BASE_ENV,
  MODEL_REGISTRY_TABLE: envText,
  RECOMMENDATIONS_TABLE: envText,
  GATE_MIN_PRECISION_AT_10: envNumber,
  GATE_MIN_LIFT_OVER_BASELINE: envNumber,
});
