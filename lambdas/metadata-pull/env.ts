/** The metadata pull's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envPositiveInt, envText } from '../../layers/util/env';

export const MetadataPullEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
  /** Unset until the stage config names the API (the pull then refuses to run, saying how to set it). */
  METADATA_BASE_URL: z.url().optional(),
  METADATA_API_KEY_SECRET_ARN: envText,
  METADATA_TIMEOUT_MS: envPositiveInt,
  METADATA_ATTEMPTS: envPositiveInt,
});
