/** The pipeline's input check's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const CheckInputsEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
});
