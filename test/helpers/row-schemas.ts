import type { z } from 'zod';
import { CatalogRowSchema, CustomerRowSchema } from '../../layers/master/schema';
import { TransactionRowSchema } from '../../layers/transactions/schema';

/** Every field of the CSV row schemas: dataset, field name, zod type. */
export const ROW_SCHEMA_FIELDS: [string, string, z.ZodType][] = (
  [
    ['transactions', TransactionRowSchema],
    ['catalog', CatalogRowSchema],
    ['customers', CustomerRowSchema],
  ] as [string, z.ZodObject][]
).flatMap(([name, schema]) =>
  (Object.entries(schema.shape) as [string, z.ZodType][]).map(([field, type]): [string, string, z.ZodType] => [
    name,
    field,
    type,
  ]),
);
