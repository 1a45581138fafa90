/** The quality validation's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const ValidateEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
});
