/** The clickstream ingest's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envPositiveInt, envText } from '../../layers/util/env';

export const ClickstreamIngestEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
  FEATURE_TABLE: envText,
  /** How long a user's real-time session features live. */
  SESSION_TTL_SECONDS: envPositiveInt,
});
