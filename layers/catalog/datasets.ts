/**
 * The raw datasets of the lake, each with the zod schema its producer validates with. The Glue
 * catalog (lib/constructs/data-catalog.ts) and the lake tooling read this one list.
 */
import type { z } from 'zod';
import { CLICKSTREAM_SCHEMA_VERSION, ClickEventSchema } from '../clickstream/schema';
import { LAKE_PREFIXES, lakeKeys } from '../lake/keys';
import { CatalogRowSchema, CustomerRowSchema, MASTER_SCHEMA_VERSION } from '../master/schema';
import { EXTERNAL_METADATA_SCHEMA_VERSION, ExternalMetadataRowSchema } from '../metadata/schema';
import { TRANSACTIONS_SCHEMA_VERSION, TransactionRowSchema } from '../transactions/schema';

export interface RawDataset {
  /** Glue table name. */
  readonly table: string;
  readonly description: string;
  /** Key prefix of the table's location (ends with /). */
  readonly prefix: string;
  readonly format: 'csv' | 'jsonl';
  readonly schema: z.ZodObject;
  readonly schemaVersion: string;
  /** Hive-style partition keys under the prefix, in path order. */
  readonly partitions: readonly ('dt' | 'hour')[];
}

export const RAW_DATASETS: readonly RawDataset[] = [
  {
    table: 'clickstream',
    description: 'Clickstream events (JSON Lines), partitioned by event time.',
    prefix: LAKE_PREFIXES.rawClickstream,
    format: 'jsonl',
    schema: ClickEventSchema,
    schemaVersion: CLICKSTREAM_SCHEMA_VERSION,
    partitions: ['dt', 'hour'],
  },
  {
    table: 'transactions',
    description: 'Transactions (CSV), partitioned by transaction date.',
    prefix: LAKE_PREFIXES.rawTransactions,
    format: 'csv',
    schema: TransactionRowSchema,
    schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
    partitions: ['dt'],
  },
  {
    table: 'catalog',
    description: 'Product catalog, latest version (dated snapshots under raw/master/catalog/dt=...).',
    prefix: lakeKeys.masterLatestDir('catalog'),
    format: 'csv',
    schema: CatalogRowSchema,
    schemaVersion: MASTER_SCHEMA_VERSION,
    partitions: [],
  },
  {
    table: 'customers',
    description: 'Customers, latest version (dated snapshots under raw/master/customers/dt=...).',
    prefix: lakeKeys.masterLatestDir('customers'),
    format: 'csv',
    schema: CustomerRowSchema,
    schemaVersion: MASTER_SCHEMA_VERSION,
    partitions: [],
  },
  {
    table: 'external_metadata',
    description: 'External product metadata (flattened API pulls), partitioned by pull date.',
    prefix: LAKE_PREFIXES.rawExternalMetadata,
    format: 'csv',
    schema: ExternalMetadataRowSchema,
    schemaVersion: EXTERNAL_METADATA_SCHEMA_VERSION,
    partitions: ['dt'],
  },
];
