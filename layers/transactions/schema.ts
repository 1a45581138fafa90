import { z } from 'zod';
import { csvId, csvInt, csvNonNegativeNumber, csvOptional } from '../util/csv-fields';

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
 * The typed transactions row (SPEC C2): what the Glue table declares and what the validation suite
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
  timestamp: z
    .string()
    .trim()
    .refine((v) => Number.isFinite(parseTransactionTime(v)), 'must be ISO-8601 or epoch seconds'),
});

export type RowOutcome = { ok: true; epochMs: number } | { ok: false; reason: string };

/** ISO-8601 with a zone, or epoch seconds (SPEC C2). Returns NaN when neither. */
export function parseTransactionTime(value: string): number {
  const trimmed = value.trim();
  if (/^\d{9,11}(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) return Date.parse(trimmed);
  return Number.NaN;
}

/** Can this row be placed in a date partition? (Value checks beyond that are the validation step's job.) */
export function classifyRow(fields: readonly string[]): RowOutcome {
  if (fields.length !== TRANSACTION_COLUMNS.length) {
    return { ok: false, reason: `expected ${TRANSACTION_COLUMNS.length} columns, found ${fields.length}` };
  }
  const raw = fields[6] ?? '';
  if (raw.trim() === '') return { ok: false, reason: 'timestamp is missing' };
  const epochMs = parseTransactionTime(raw);
  if (!Number.isFinite(epochMs)) {
    return { ok: false, reason: `timestamp "${raw.slice(0, 40)}" is neither ISO-8601 nor epoch seconds` };
  }
  return { ok: true, epochMs };
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV line (RFC 4180 quoting where needed), without the newline. */
export function toCsvLine(fields: readonly string[]): string {
  // Fast path: no field holds a comma, quote or line break (native substring scans).
  let plain = true;
  for (const f of fields) {
    if (f.includes(',') || f.includes('"') || f.includes('\n') || f.includes('\r')) {
      plain = false;
      break;
    }
  }
  if (plain) return fields.join(',');
  return fields.map((f) => (NEEDS_QUOTES.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}
