/** The transactions ingest's environment (layers/util/env.ts). */
import { z } from 'zod';
import { BASE_ENV, envText } from '../../layers/util/env';

export const TransactionsIngestEnv = z.object({
  ...BASE_ENV,
  LAKE_BUCKET: envText,
  LEDGER_TABLE: envText,
});
