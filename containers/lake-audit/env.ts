/** The lake audit task's environment (layers/util/env.ts): the task definition's, and the run's from the state machine. */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const LakeAuditEnv = z.object({
  ...BASE_ENV,
  /** The prefix whose manifests are audited. */
  AUDIT_PREFIX: envText,
  /** Per run, from the state machine. */
  LAKE_BUCKET: envText,
  RUN_ID: envText,
});
