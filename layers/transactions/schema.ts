import { z } from 'zod';
import { withByteValue } from '../util/byte-forms';
import { csvId, csvInt, csvNonNegativeNumber, csvOptional, withAcceptance } from '../util/csv-fields';
import { memoLast } from '../util/memo';
import { DEFAULT_YEARS, eventTimeBytes, parseEventTime, type YearRange } from '../util/timestamps';

export const TRANSACTION_COLUMNS = [
  'transaction_id',
  'customer_id',
  'product_id',
  'quantity',
  'unit_price',
  'rating',
  'timestamp',
] as const;
export const TRANSACTIONS_SCHEMA_VERSION = '1';

/**
 * The typed transactions row: what the Glue table declares and what the validation suite
 * checks. Ingestion itself only needs a placeable timestamp and the column count (classifyRow).
 */
export const TransactionRowSchema = z.object({
  transaction_id: csvId,
  customer_id: csvId,
  product_id: csvId,
  quantity: csvInt(1, 1_000_000),
  unit_price: csvNonNegativeNumber,
  rating: csvOptional(csvInt(1, 5)),
  /** ISO-8601 with a zone, or epoch seconds, as exported. */
  timestamp: withAcceptance(
    z
      .string()
      .trim()
      .refine(
        (v) => Number.isFinite(parseTransactionTime(v)),
        'must be ISO-8601 or epoch seconds, on the calendar, in the accepted years',
      ),
    (v) => Number.isFinite(transactionTime(v)),
  ),
});
// The byte lane reads the timestamp once for the schema, the checks and the chart: one byte value.
function transactionTimeBytes(bytes: Uint8Array, start: number, end: number): number {
  return eventTimeBytes(bytes, start, end, DEFAULT_YEARS);
}
withByteValue(TransactionRowSchema.shape.timestamp, transactionTimeBytes);

export type RowOutcome = { ok: true; epochMs: number } | { ok: false; reason: string };

/**
 * ISO-8601 with a zone, or epoch seconds, on the calendar and within the accepted years
 * (layers/util/timestamps.ts). Returns NaN when not.
 */
export function parseTransactionTime(value: string, years: YearRange = DEFAULT_YEARS): number {
  const parsed = parseEventTime(value, years);
  return parsed.ok ? parsed.epochMs : Number.NaN;
}

/**
 * parseTransactionTime remembering its last answer: the schema, the timestamp and freshness checks
 * and the per-day chart all read a row's timestamp, and it is parsed once (it trims, as the schema does).
 */
export const transactionTime = withByteValue(
  memoLast((value: string) => parseTransactionTime(value)),
  transactionTimeBytes,
);

/** Can this row be placed in a date partition? (Value checks beyond that are the validation step's job.) */
export function classifyRow(fields: readonly string[], years: YearRange = DEFAULT_YEARS): RowOutcome {
  if (fields.length !== TRANSACTION_COLUMNS.length) {
    return { ok: false, reason: `expected ${TRANSACTION_COLUMNS.length} columns, found ${fields.length}` };
  }
  const raw = fields[6] ?? '';
  if (raw.trim() === '') return { ok: false, reason: 'timestamp is missing' };
  const parsed = parseEventTime(raw, years);
  return parsed.ok ? parsed : { ok: false, reason: parsed.reason };
}
