/** The training task's environment (layers/util/env.ts): the task definition's, and the run's from the state machine. */
import { z } from 'zod';
import { BASE_ENV, envJson, envNumber, envText } from '../../layers/util/env';

export const AlsTrainEnv = z.object({
  ...BASE_ENV,
  MODEL_REGISTRY_TABLE: envText,
  /** Read for the production model the card compares with. */
  RECOMMENDATIONS_TABLE: envText.optional(),
  GATE_MIN_PRECISION_AT_10: envNumber.optional(),
  GATE_MIN_LIFT_OVER_BASELINE: envNumber.optional(),
  /** Per run, from the state machine. */
  LAKE_BUCKET: envText,
  RUN_ID: envText,
  FEATURE_VERSION: envText.optional(),
  ALS_PARAMS: envJson(z.record(z.string(), z.unknown()).nullable()).optional(),
});
