/** The failure recorder's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const RecordFailureEnv = z.object({
  ...BASE_ENV,
  MODEL_REGISTRY_TABLE: envText,
});
