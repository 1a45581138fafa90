/**
 * The curated zone's datasets: the validated transactions and click events as typed Parquet, one file
 * per day (transactions) or hour (clickstream) of the versions a feature build read
 * (docs/decisions/025-curated-zone.md). Their columns come from the zod schemas the raw rows are
 * validated with, named as the Glue catalog names them (lower case), plus the event time as epoch
 * milliseconds (`at_ms`, parsed as the schema parses it) and, for click events, the fields the
 * contract does not name (`extra`, JSON; the contract keeps them).
 */
import { z } from 'zod';
import { ClickEventSchema } from '../clickstream/schema';
import { TransactionRowSchema } from '../transactions/schema';

const lowerCased = (shape: Record<string, z.ZodType>) =>
  Object.fromEntries(Object.entries(shape).map(([name, type]) => [name.toLowerCase(), type]));

export const CuratedTransactionSchema = z.object({
  ...lowerCased(TransactionRowSchema.shape),
  at_ms: z.number().int(),
});

export const CuratedClickEventSchema = z.object({
  ...lowerCased(ClickEventSchema.shape),
  at_ms: z.number().int(),
  /** The event's fields the contract does not name, as a JSON object; null when it has none. */
  extra: z.string().nullable(),
});

export const CURATED_SCHEMA_VERSION = '1';

/** The curated datasets, by the raw dataset they curate. */
export const CURATED = {
  transactions: {
    table: 'curated_transactions',
    schema: CuratedTransactionSchema,
    /** One file per day. */
    partitions: ['dt'],
  },
  clickstream: {
    table: 'curated_clickstream',
    schema: CuratedClickEventSchema,
    /** One file per hour: a day's micro-batches would be thousands of small objects. */
    partitions: ['dt', 'hour'],
  },
} as const;

export type CuratedDataset = keyof typeof CURATED;
