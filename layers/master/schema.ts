import { z } from 'zod';
import { csvDate, csvDateTime, csvId, csvNonNegativeNumber, csvText } from '../util/csv-fields';

export const MASTER_SCHEMA_VERSION = '1';

/** Catalog rows (README, "Batch data, catalog and lineage"). */
export const CatalogRowSchema = z.object({
  product_id: csvId,
  title: csvText(500),
  category: csvText(100),
  brand: csvText(100),
  price: csvNonNegativeNumber,
  created_at: z.union([csvDateTime, csvDate]),
});

/** Customer rows (README, "Batch data, catalog and lineage"). */
export const CustomerRowSchema = z.object({
  customer_id: csvId,
  signup_date: csvDate,
  region: csvText(100),
  segment: csvText(100),
});

export const MASTER_ENTITIES = {
  catalog: { schema: CatalogRowSchema, key: 'product_id' },
  customers: { schema: CustomerRowSchema, key: 'customer_id' },
} as const;
export type MasterEntity = keyof typeof MASTER_ENTITIES;

export function columnsOf(entity: MasterEntity): string[] {
  return Object.keys(MASTER_ENTITIES[entity].schema.shape);
}

/** Which entity a landing key holds: `landing/master/<entity>/...` or a file named `<entity>...csv`. */
export function entityOfKey(key: string): MasterEntity | undefined {
  const rest = key.replace(/^landing\/master\//, '');
  const [first] = rest.split('/');
  for (const entity of Object.keys(MASTER_ENTITIES) as MasterEntity[]) {
    if (first === entity || rest.split('/').pop()?.toLowerCase().startsWith(entity)) return entity;
  }
  return undefined;
}
