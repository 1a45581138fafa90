import { z } from 'zod';

/**
 * zod types for CSV fields (which always arrive as strings) that keep the *typed* output visible to
 * introspection, so the Glue catalog derives column types from the same schemas (layers/catalog).
 */
export const csvId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be an id of letters, digits and _.:- (at most 64)');

export const csvText = (max = 500) => z.string().trim().min(1, 'must not be empty').max(max);

/** A non-negative decimal number. */
export const csvNonNegativeNumber = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, 'must be a non-negative number')
  .transform(Number)
  .pipe(z.number().nonnegative());

/** A whole number within [min, max]. */
export const csvInt = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** An optional field: empty means absent. */
export const csvOptional = <T extends z.ZodType<unknown, string>>(schema: T) =>
  z
    .string()
    .transform((v) => (v.trim() === '' ? undefined : v))
    .pipe(schema.optional());

/** A calendar date, YYYY-MM-DD. */
export const csvDate = z.string().trim().pipe(z.iso.date());

/** ISO-8601 date-time with a zone. */
export const csvDateTime = z
  .string()
  .trim()
  .pipe(z.iso.datetime({ offset: true }));

/** Validate one CSV row against a row schema; one sentence per failure. */
export function parseCsvRow<S extends z.ZodType>(
  schema: S,
  columns: readonly string[],
  fields: readonly string[],
): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  if (fields.length !== columns.length) {
    return { ok: false, reason: `expected ${columns.length} columns, found ${fields.length}` };
  }
  const record: Record<string, string> = {};
  columns.forEach((c, i) => {
    record[c] = fields[i] as string;
  });
  const parsed = schema.safeParse(record);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}` };
}
