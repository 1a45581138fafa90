/**
 * Each dataset's quality suite, declared in one place next to its zod schema's columns. Critical
 * checks decide whether a dataset version may be used for training; warnings only report.
 */
import { ClickEventSchema, EVENT_TYPES } from '../clickstream/schema';
import { CatalogRowSchema, CustomerRowSchema } from '../master/schema';
import { EXTERNAL_METADATA_COLUMNS } from '../metadata/schema';
import { TRANSACTION_COLUMNS, TransactionRowSchema, transactionTime } from '../transactions/schema';
import { ID } from '../util/csv-fields';
import { memoLast } from '../util/memo';
import type { CheckSpec } from './checks';
import type { ProfileSpec } from './profile';

export const QUALITY_DATASETS = ['transactions', 'catalog', 'customers', 'clickstream', 'external_metadata'] as const;
export type QualityDataset = (typeof QUALITY_DATASETS)[number];

export interface DatasetSuite {
  readonly dataset: QualityDataset;
  readonly format: 'csv' | 'jsonl';
  readonly checks: readonly CheckSpec[];
  readonly profile: ProfileSpec;
  /** Reference datasets whose keys referential checks need. */
  readonly references: readonly ('catalog' | 'customers')[];
}

// Several checks and a chart read the same timestamp of a row: parse it once.
const txTime = transactionTime;
const isoTime = memoLast(Date.parse);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoOrDate = (v: string) => (ISO_DATE.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v));
const complete = (columns: readonly string[], severity: CheckSpec['severity'] = 'critical'): CheckSpec[] =>
  columns.map((column) => ({ id: `complete_${column}`, kind: 'completeness', column, severity }));

export const SUITES: Record<QualityDataset, DatasetSuite> = {
  transactions: {
    dataset: 'transactions',
    format: 'csv',
    references: ['catalog', 'customers'],
    checks: [
      { id: 'columns', kind: 'columns', expected: TRANSACTION_COLUMNS, severity: 'critical' },
      { id: 'types', kind: 'schema', schema: TransactionRowSchema, severity: 'critical', mostly: 0.99 },
      ...complete(['transaction_id', 'customer_id', 'product_id', 'quantity', 'unit_price', 'timestamp']),
      { id: 'complete_rating', kind: 'completeness', column: 'rating', severity: 'warning', mostly: 0.3 },
      { id: 'unique_transaction_id', kind: 'unique', column: 'transaction_id', severity: 'critical' },
      { id: 'unique_rows', kind: 'uniqueRows', severity: 'warning' },
      { id: 'rating_1_5', kind: 'range', column: 'rating', min: 1, max: 5, integer: true, severity: 'critical' },
      { id: 'quantity_positive', kind: 'range', column: 'quantity', min: 1, integer: true, severity: 'critical' },
      { id: 'price_non_negative', kind: 'range', column: 'unit_price', min: 0, severity: 'critical' },
      {
        id: 'customer_id_format',
        kind: 'pattern',
        column: 'customer_id',
        pattern: ID,
        patternName: 'an id',
        severity: 'critical',
      },
      {
        id: 'product_id_format',
        kind: 'pattern',
        column: 'product_id',
        pattern: ID,
        patternName: 'an id',
        severity: 'critical',
      },
      {
        id: 'timestamp_format',
        kind: 'timestamp',
        column: 'timestamp',
        parse: txTime,
        severity: 'critical',
      },
      {
        id: 'customer_exists',
        kind: 'referential',
        column: 'customer_id',
        reference: 'customers',
        severity: 'warning',
        mostly: 0.99,
      },
      {
        id: 'product_exists',
        kind: 'referential',
        column: 'product_id',
        reference: 'catalog',
        severity: 'critical',
        mostly: 0.99,
      },
      {
        id: 'fresh',
        kind: 'freshness',
        column: 'timestamp',
        parse: txTime,
        maxAgeHours: 72,
        severity: 'warning',
      },
      { id: 'row_count', kind: 'rowCount', severity: 'critical' },
    ],
    profile: {
      columns: TRANSACTION_COLUMNS,
      charts: [
        { id: 'rating', title: 'Rating histogram', column: 'rating', kind: 'categorical', top: 10, byLabel: true },
        {
          id: 'price',
          title: 'Unit price distribution',
          column: 'unit_price',
          kind: 'numeric',
          min: 0,
          max: 200,
          step: 10,
        },
        { id: 'per_day', title: 'Transactions per day', column: 'timestamp', kind: 'day', parse: txTime },
        { id: 'quantity', title: 'Quantity', column: 'quantity', kind: 'categorical', top: 10, byLabel: true },
      ],
    },
  },
  catalog: {
    dataset: 'catalog',
    format: 'csv',
    references: [],
    checks: [
      { id: 'columns', kind: 'columns', expected: Object.keys(CatalogRowSchema.shape), severity: 'critical' },
      { id: 'types', kind: 'schema', schema: CatalogRowSchema, severity: 'critical', mostly: 0.99 },
      ...complete(['product_id', 'title', 'category', 'price']),
      { id: 'complete_brand', kind: 'completeness', column: 'brand', severity: 'warning', mostly: 0.9 },
      { id: 'unique_product_id', kind: 'unique', column: 'product_id', severity: 'critical' },
      { id: 'price_non_negative', kind: 'range', column: 'price', min: 0, severity: 'critical' },
      {
        id: 'product_id_format',
        kind: 'pattern',
        column: 'product_id',
        pattern: ID,
        patternName: 'an id',
        severity: 'critical',
      },
      { id: 'created_at_format', kind: 'timestamp', column: 'created_at', parse: isoOrDate, severity: 'critical' },
      { id: 'row_count', kind: 'rowCount', severity: 'critical' },
    ],
    profile: {
      columns: Object.keys(CatalogRowSchema.shape),
      charts: [
        { id: 'category', title: 'Products per category', column: 'category', kind: 'categorical' },
        { id: 'price', title: 'Price distribution', column: 'price', kind: 'numeric', min: 0, max: 200, step: 10 },
        { id: 'brand', title: 'Products per brand', column: 'brand', kind: 'categorical' },
      ],
    },
  },
  customers: {
    dataset: 'customers',
    format: 'csv',
    references: [],
    checks: [
      { id: 'columns', kind: 'columns', expected: Object.keys(CustomerRowSchema.shape), severity: 'critical' },
      { id: 'types', kind: 'schema', schema: CustomerRowSchema, severity: 'critical', mostly: 0.99 },
      ...complete(['customer_id', 'signup_date']),
      ...complete(['region', 'segment'], 'warning'),
      { id: 'unique_customer_id', kind: 'unique', column: 'customer_id', severity: 'critical' },
      {
        id: 'customer_id_format',
        kind: 'pattern',
        column: 'customer_id',
        pattern: ID,
        patternName: 'an id',
        severity: 'critical',
      },
      {
        id: 'signup_date_format',
        kind: 'pattern',
        column: 'signup_date',
        pattern: ISO_DATE,
        patternName: 'a YYYY-MM-DD date',
        severity: 'critical',
      },
      { id: 'row_count', kind: 'rowCount', severity: 'critical' },
    ],
    profile: {
      columns: Object.keys(CustomerRowSchema.shape),
      charts: [
        { id: 'region', title: 'Customers per region', column: 'region', kind: 'categorical' },
        { id: 'segment', title: 'Customers per segment', column: 'segment', kind: 'categorical' },
        { id: 'signup', title: 'Sign-ups per day', column: 'signup_date', kind: 'day', parse: isoOrDate },
      ],
    },
  },
  clickstream: {
    dataset: 'clickstream',
    format: 'jsonl',
    references: ['catalog'],
    checks: [
      { id: 'types', kind: 'schema', schema: ClickEventSchema, severity: 'critical', mostly: 0.99 },
      ...complete(['eventId', 'eventType', 'userId', 'sessionId', 'timestamp']),
      { id: 'unique_event_id', kind: 'unique', column: 'eventId', severity: 'critical' },
      { id: 'event_type', kind: 'set', column: 'eventType', values: EVENT_TYPES, severity: 'critical' },
      { id: 'timestamp_format', kind: 'timestamp', column: 'timestamp', parse: isoTime, severity: 'critical' },
      {
        id: 'product_exists',
        kind: 'referential',
        column: 'productId',
        reference: 'catalog',
        severity: 'warning',
        mostly: 0.99,
      },
      { id: 'fresh', kind: 'freshness', column: 'timestamp', parse: isoTime, maxAgeHours: 24, severity: 'warning' },
      { id: 'row_count', kind: 'rowCount', severity: 'critical' },
    ],
    profile: {
      columns: ['eventId', 'eventType', 'userId', 'sessionId', 'productId', 'searchTerm', 'timestamp', 'device'],
      charts: [
        { id: 'event_type', title: 'Events per type', column: 'eventType', kind: 'categorical' },
        { id: 'per_hour', title: 'Events per hour of day (UTC)', column: 'timestamp', kind: 'hour', parse: isoTime },
        { id: 'device', title: 'Events per device', column: 'device', kind: 'categorical' },
      ],
    },
  },
  external_metadata: {
    dataset: 'external_metadata',
    format: 'csv',
    references: ['catalog'],
    checks: [
      { id: 'columns', kind: 'columns', expected: EXTERNAL_METADATA_COLUMNS, severity: 'critical' },
      ...complete(['product_id', 'external_rating_average', 'sentiment_label']),
      { id: 'unique_product_id', kind: 'unique', column: 'product_id', severity: 'critical' },
      { id: 'rating_0_5', kind: 'range', column: 'external_rating_average', min: 0, max: 5, severity: 'critical' },
      {
        id: 'sentiment_label',
        kind: 'set',
        column: 'sentiment_label',
        values: ['negative', 'neutral', 'positive'],
        severity: 'critical',
      },
      {
        id: 'product_exists',
        kind: 'referential',
        column: 'product_id',
        reference: 'catalog',
        severity: 'warning',
        mostly: 0.95,
      },
      { id: 'row_count', kind: 'rowCount', severity: 'critical' },
    ],
    profile: {
      columns: EXTERNAL_METADATA_COLUMNS,
      charts: [
        {
          id: 'rating',
          title: 'External rating (average)',
          column: 'external_rating_average',
          kind: 'numeric',
          min: 0,
          max: 5,
          step: 0.5,
        },
        { id: 'sentiment', title: 'Sentiment labels', column: 'sentiment_label', kind: 'categorical' },
      ],
    },
  },
};
