/** The feature build's environment (layers/util/env.ts). */
import { z } from 'zod';
import { ImplicitWeightsSchema } from '../../layers/features/builders';
import { BASE_ENV, envJson, envPositiveInt, envText } from '../../layers/util/env';

export const FeaturesBuildEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
  FEATURE_TABLE: envText,
  FEATURE_TTL_DAYS: envPositiveInt,
  /** Implicit-confidence weights of the stage (a run may pass its own). */
  FEATURE_WEIGHTS: envJson(ImplicitWeightsSchema),
});
