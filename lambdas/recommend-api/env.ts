/** The recommendations API's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const RecommendApiEnv = z.object({
  ...BASE_ENV,
  RECOMMENDATIONS_TABLE: envText,
  FEATURE_TABLE: envText,
});
