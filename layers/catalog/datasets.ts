/**
 * The datasets of the lake that are tables in the Glue catalog (lib/constructs/data-catalog.ts): the
 * raw datasets, each with the zod schema its producer validates with, and the feature sets, with the
 * schema of the records the feature build writes. The catalog and the lake tooling read these lists.
 */
import type { z } from 'zod';
import { CLICKSTREAM_SCHEMA_VERSION, ClickEventSchema } from '../clickstream/schema';
import { CURATED, CURATED_SCHEMA_VERSION } from '../curated/schema';
import { FEATURE_SETS } from '../features/builders';
import {
  BUILD_SOURCES_TABLE,
  FeatureBuildSourceSchema,
  InteractionRowSchema,
  ItemFeatureRowSchema,
  UserFeatureRowSchema,
} from '../features/sql';
import { LAKE_PREFIXES, lakeKeys } from '../lake/keys';
import { CatalogRowSchema, CustomerRowSchema, MASTER_SCHEMA_VERSION } from '../master/schema';
import { EXTERNAL_METADATA_SCHEMA_VERSION, ExternalMetadataRowSchema } from '../metadata/schema';
import { TRANSACTIONS_SCHEMA_VERSION, TransactionRowSchema } from '../transactions/schema';

export interface LakeDataset {
  /** Glue table name. */
  readonly table: string;
  readonly description: string;
  /** Key prefix of the table's location (ends with /). */
  readonly prefix: string;
  readonly format: 'csv' | 'jsonl' | 'parquet';
  readonly schema: z.ZodObject;
  readonly schemaVersion: string;
  /** Hive-style partition keys under the prefix, in path order (`v`: a feature set's version). */
  readonly partitions: readonly ('dt' | 'hour' | 'v')[];
}

export const RAW_DATASETS: readonly LakeDataset[] = [
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
    table: 'catalog_snapshots',
    description: 'Product catalog, every dated snapshot (raw/master/catalog/dt=...), partitioned by upload date.',
    prefix: `${LAKE_PREFIXES.rawMaster}catalog/`,
    format: 'csv',
    schema: CatalogRowSchema,
    schemaVersion: MASTER_SCHEMA_VERSION,
    partitions: ['dt'],
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

/**
 * The curated zone: the validated transactions and click events as typed Parquet, one file per
 * partition for the versions the last feature build read (layers/curated/curate.ts).
 */
export const CURATED_DATASETS: readonly LakeDataset[] = [
  {
    table: CURATED.transactions.table,
    description:
      'Validated transactions (Parquet, typed), one file per transaction date; refreshed by each feature build.',
    prefix: `${LAKE_PREFIXES.curated}transactions/`,
    format: 'parquet',
    schema: CURATED.transactions.schema,
    schemaVersion: CURATED_SCHEMA_VERSION,
    partitions: CURATED.transactions.partitions,
  },
  {
    table: CURATED.clickstream.table,
    description: 'Validated click events (Parquet, typed), one file per event hour; refreshed by each feature build.',
    prefix: `${LAKE_PREFIXES.curated}clickstream/`,
    format: 'parquet',
    schema: CURATED.clickstream.schema,
    schemaVersion: CURATED_SCHEMA_VERSION,
    partitions: CURATED.clickstream.partitions,
  },
];

/** The version of the feature sets' offline layout: 2 is the SQL build's Parquet rows (layers/features/sql.ts). */
export const FEATURES_SCHEMA_VERSION = '2';

/** The offline feature sets, one version per build under `v=` (query one with `WHERE v = '…'`). */
export const FEATURE_DATASETS: readonly LakeDataset[] = [
  {
    table: FEATURE_SETS.users,
    description: "Users' batch features (Parquet), one version per feature build.",
    prefix: `${LAKE_PREFIXES.features}${FEATURE_SETS.users}/`,
    format: 'parquet',
    schema: UserFeatureRowSchema,
    schemaVersion: FEATURES_SCHEMA_VERSION,
    partitions: ['v'],
  },
  {
    table: FEATURE_SETS.items,
    description: "Items' batch features (Parquet), one version per feature build.",
    prefix: `${LAKE_PREFIXES.features}${FEATURE_SETS.items}/`,
    format: 'parquet',
    schema: ItemFeatureRowSchema,
    schemaVersion: FEATURES_SCHEMA_VERSION,
    partitions: ['v'],
  },
  {
    table: FEATURE_SETS.interactions,
    description:
      'The interaction matrix (Parquet): rating and implicit confidence per user and item, one version per build.',
    prefix: `${LAKE_PREFIXES.features}${FEATURE_SETS.interactions}/`,
    format: 'parquet',
    schema: InteractionRowSchema,
    schemaVersion: FEATURES_SCHEMA_VERSION,
    partitions: ['v'],
  },
];

/** What each feature build read: the statements select the raw objects through it (layers/features/sql.ts). */
export const BUILD_DATASETS: readonly LakeDataset[] = [
  {
    table: BUILD_SOURCES_TABLE,
    description: 'The raw objects each feature build selected (CSV), one version per build.',
    prefix: LAKE_PREFIXES.featureBuildSources,
    format: 'csv',
    schema: FeatureBuildSourceSchema,
    schemaVersion: '1',
    partitions: ['v'],
  },
];

/** Every table of the catalog. */
export const CATALOG_DATASETS: readonly LakeDataset[] = [
  ...RAW_DATASETS,
  ...CURATED_DATASETS,
  ...FEATURE_DATASETS,
  ...BUILD_DATASETS,
];
