import { z } from 'zod';
import { byteTestOf, decimalOf, idBytes, withByteTest } from './byte-forms';

/**
 * zod types for CSV fields (which always arrive as strings) that keep the *typed* output visible to
 * introspection, so the Glue catalog derives column types from the same schemas (layers/catalog).
 *
 * Each type may carry an *acceptance predicate*: a plain function that says, for a string, exactly
 * what `schema.safeParse(value).success` says, without zod's allocations. Validation calls it on the
 * hot path and asks zod only for the message of a value it refuses (docs/decisions/018-compiled-validation.md);
 * property tests hold every predicate equal to its schema.
 */
const ACCEPTS = new WeakMap<z.ZodType, (value: string) => boolean>();

/** Declare the acceptance predicate of a schema (it must agree with `safeParse` on every string). */
export function withAcceptance<T extends z.ZodType>(schema: T, accepts: (value: string) => boolean): T {
  ACCEPTS.set(schema, accepts);
  return schema;
}

/** The schema's acceptance predicate, if it declared one. */
export function acceptanceOf(schema: z.ZodType): ((value: string) => boolean) | undefined {
  return ACCEPTS.get(schema);
}

/** An id: letters, digits and `_.:-`, at most 64, starting with a letter or digit. */
export const ID = withByteTest(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, idBytes);
const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^-?\d+$/;

export const csvId = withByteTest(
  withAcceptance(z.string().trim().regex(ID, 'must be an id of letters, digits and _.:- (at most 64)'), (v) =>
    ID.test(v.trim()),
  ),
  idBytes,
);

export const csvText = (max = 500) =>
  withAcceptance(z.string().trim().min(1, 'must not be empty').max(max), (v) => {
    const t = v.trim();
    return t.length >= 1 && t.length <= max;
  });

/** A non-negative decimal number. */
export const csvNonNegativeNumber = withByteTest(
  withAcceptance(
    z.string().trim().regex(DECIMAL, 'must be a non-negative number').transform(Number).pipe(z.number().nonnegative()),
    (v) => {
      const t = v.trim();
      return DECIMAL.test(t) && Number.isFinite(Number(t));
    },
  ),
  (bytes, start, end) => bytes[start] !== 45 && decimalOf(bytes, start, end) >= 0,
);

/** A whole number within [min, max]. */
export const csvInt = (min: number, max: number) =>
  withByteTest(
    withAcceptance(
      z
        .string()
        .trim()
        .regex(WHOLE, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().min(min).max(max)),
      (v) => {
        const t = v.trim();
        if (!WHOLE.test(t)) return false;
        const n = Number(t);
        return Number.isSafeInteger(n) && n >= min && n <= max;
      },
    ),
    (bytes, start, end) => {
      for (let i = start; i < end; i++) if (bytes[i] === 46) return false;
      const n = decimalOf(bytes, start, end);
      return n >= min && n <= max;
    },
  );

/** An optional field: empty means absent. */
export const csvOptional = <T extends z.ZodType<unknown, string>>(schema: T) => {
  const optional = z
    .string()
    .transform((v) => (v.trim() === '' ? undefined : v))
    .pipe(schema.optional());
  const inner = acceptanceOf(schema);
  const innerBytes = byteTestOf(schema);
  if (innerBytes) withByteTest(optional, (bytes, start, end) => start === end || innerBytes(bytes, start, end));
  return inner ? withAcceptance(optional, (v) => v.trim() === '' || inner(v)) : optional;
};

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
