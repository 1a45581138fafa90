import { z } from 'zod';

export const EXTERNAL_METADATA_SCHEMA_VERSION = '1';

/** One product in the external metadata API's response (what we accept; extra fields are ignored). */
export const ApiProductSchema = z.object({
  productId: z.string().min(1).max(64),
  externalRating: z.object({ average: z.number().min(0).max(5), count: z.number().int().nonnegative() }),
  popularity: z.object({ views7d: z.number().int().nonnegative(), trend: z.number() }),
  sentiment: z.object({ score: z.number().min(-1).max(1), label: z.enum(['negative', 'neutral', 'positive']) }),
  tags: z.array(z.string().max(64)).max(50),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type ApiProduct = z.infer<typeof ApiProductSchema>;

export const ApiPageSchema = z.object({
  items: z.array(ApiProductSchema),
  nextPageToken: z.string().min(1).nullable().optional(),
});
export type ApiPage = z.infer<typeof ApiPageSchema>;

/** The flattened row written to raw/external_metadata (and the Glue table's columns). */
export const ExternalMetadataRowSchema = z.object({
  product_id: z.string(),
  external_rating_average: z.number(),
  external_rating_count: z.number().int(),
  popularity_views_7d: z.number().int(),
  popularity_trend: z.number(),
  sentiment_score: z.number(),
  sentiment_label: z.enum(['negative', 'neutral', 'positive']),
  /** Tags joined with `|`. */
  tags: z.string(),
  updated_at: z.string(),
});
export type ExternalMetadataRow = z.infer<typeof ExternalMetadataRowSchema>;
export const EXTERNAL_METADATA_COLUMNS = Object.keys(ExternalMetadataRowSchema.shape) as (keyof ExternalMetadataRow)[];

const snake = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/(\D)(\d)/g, '$1_$2')
    .toLowerCase();

/**
 * Flatten nested JSON into one level of snake_case columns: objects become `parent_child`,
 * arrays are joined with `|`. `{ externalRating: { average } }` → `external_rating_average`.
 */
export function flattenJson(
  value: Record<string, unknown>,
  prefix = '',
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}_${snake(key)}` : snake(key);
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenJson(v as Record<string, unknown>, name));
    else if (Array.isArray(v))
      out[name] = v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join('|');
    else out[name] = v as string | number | boolean | null;
  }
  return out;
}

/** API products → validated flat rows (the API's camelCase `productId` becomes `product_id`). */
export function toRows(products: readonly ApiProduct[]): ExternalMetadataRow[] {
  return products.map((p) => ExternalMetadataRowSchema.parse(flattenJson(p)));
}
