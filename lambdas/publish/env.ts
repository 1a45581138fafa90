/** The publisher's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envPositiveInt, envText } from '../../layers/util/env';

export const PublishEnv = z.object({
  ...BASE_ENV,
  MODEL_REGISTRY_TABLE: envText,
  RECOMMENDATIONS_TABLE: envText,
  /** Recommendations kept per user. */
  TOP_N: envPositiveInt,
  RECOMMENDATIONS_TTL_DAYS: envPositiveInt,
  /** Users per shard of the publishing Map. */
  USERS_PER_SHARD: envPositiveInt,
});
