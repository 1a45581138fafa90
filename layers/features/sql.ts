/**
 * The batch feature sets as SQL over the lake's Glue tables (`curated_transactions`, `curated_clickstream`,
 * `catalog` or `catalog_snapshots`, `external_metadata`), with the definitions of the TypeScript builders (./builders.ts): the same
 * users, items and pairs, the same counts, weights and rounding. The text is in the dialect Athena
 * (Trino) and the local cloud's DuckDB both read, given the few Trino functions the local engine
 * defines as macros (docs/decisions/023-sql-over-the-lake.md). Each statement answers one row per
 * user, item or (user, item) pair; timestamps come back as epoch milliseconds.
 */
import { z } from 'zod';
import { glueTypeOf } from '../catalog/glue-columns';
import { CURATED } from '../curated/schema';
import {
  DEFAULT_WEIGHTS,
  FEATURE_SETS,
  type ImplicitWeights,
  type Interaction,
  type ItemFeatures,
  type UserFeatures,
} from './builders';

export interface FeatureSqlOptions {
  readonly weights?: ImplicitWeights;
  /** The build's clock: recency is measured to it. */
  readonly now: Date;
  /**
   * Read only the objects the build selected: the curated files of the transactions and clickstream
   * versions that passed validation, the catalog snapshot and the external metadata pull (the rows of
   * the `feature_build_sources` table for this build's version, matched by Athena's `"$path"`, within
   * the days they span).
   * @default every object of the tables (the latest day of external metadata)
   */
  readonly sources?: FeatureSources;
}

/** What a build reads: its version in `feature_build_sources`, and the days its selected versions span. */
export interface FeatureSources {
  readonly version: string;
  /** The first and last `dt` of the selected transactions and clickstream versions; null when none was selected. */
  readonly days: {
    readonly transactions: readonly [string, string] | null;
    readonly clickstream: readonly [string, string] | null;
    /** The day of the selected catalog snapshot; null when none was selected. */
    readonly catalog: string | null;
  };
}

/** The Glue table of the objects each build selected (layers/catalog/datasets.ts). */
export const BUILD_SOURCES_TABLE = 'feature_build_sources';

/**
 * One object a build reads: which dataset it belongs to, and its S3 URI (Athena's `"$path"`); for
 * transactions and clickstream, a curated file.
 */
export const FeatureBuildSourceSchema = z.strictObject({
  dataset: z.enum(['transactions', 'clickstream', 'catalog', 'external_metadata']),
  uri: z.string(),
});
export type FeatureBuildSource = z.infer<typeof FeatureBuildSourceSchema>;

export interface FeatureSql {
  readonly interactions: string;
  readonly itemFeatures: string;
  readonly userFeatures: string;
}

const text = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Only the objects the build selected for a table (within the days they span), or every one. */
const selected = (sources: FeatureSources | undefined, dataset: 'transactions' | 'clickstream') => {
  if (sources === undefined) return '';
  const days = sources.days[dataset];
  if (days === null) return ' AND false';
  return (
    ` AND dt BETWEEN ${text(days[0])} AND ${text(days[1])}` +
    ` AND "$path" IN (SELECT uri FROM ${BUILD_SOURCES_TABLE} WHERE v = ${text(sources.version)} AND dataset = '${dataset}')`
  );
};

/**
 * The catalog snapshot the build selected (the newest dated one that passed validation), or the latest
 * copy: `latest/` repeats the newest upload, validated or not.
 */
const catalogOf = (sources: FeatureSources | undefined) => {
  if (sources === undefined) return 'catalog';
  const day = sources.days.catalog;
  const selectedSnapshot =
    day === null
      ? 'false'
      : `dt = ${text(day)} AND "$path" IN (SELECT uri FROM ${BUILD_SOURCES_TABLE} WHERE v = ${text(sources.version)} AND dataset = 'catalog')`;
  return `(SELECT product_id, category FROM catalog_snapshots WHERE ${selectedSnapshot}) snapshot`;
};

/** The selected external metadata object, or the latest day's. */
const metadataVersion = (sources: FeatureSources | undefined) =>
  sources === undefined
    ? 'dt = (SELECT max(dt) FROM external_metadata)'
    : `"$path" IN (SELECT uri FROM ${BUILD_SOURCES_TABLE} WHERE v = ${text(sources.version)} AND dataset = 'external_metadata')`;

/**
 * The rows the builders take: the curated transactions and click events (typed Parquet of the
 * validated versions; the schema already refused a row without a customer or product, a quantity
 * below 1, a negative price or a rating outside 1..5), their event times as epoch milliseconds.
 */
const sources = (options: FeatureSqlOptions) => `
tx AS (
  SELECT customer_id AS user_id, product_id AS item_id, quantity, unit_price, CAST(rating AS double) AS rating,
         at_ms
  FROM ${CURATED.transactions.table}
  WHERE true${selected(options.sources, 'transactions')}
),
ev AS (
  SELECT userid AS user_id, sessionid AS session_id, eventtype AS event_type, productid AS item_id, at_ms
  FROM ${CURATED.clickstream.table}
  WHERE true${selected(options.sources, 'clickstream')}
),
cat AS (
  SELECT product_id, max(category) AS category FROM ${catalogOf(options.sources)} WHERE product_id <> '' GROUP BY product_id
),
pair_tx AS (
  SELECT user_id, item_id, count(*) AS transactions, sum(rating) AS rating_sum, count(rating) AS rating_count,
         max(at_ms) AS last_ms
  FROM tx GROUP BY user_id, item_id
),
pair_ev AS (
  SELECT user_id, item_id,
         count_if(event_type = 'view') AS views, count_if(event_type = 'click') AS clicks,
         count_if(event_type = 'add_to_cart') AS carts, count_if(event_type = 'purchase') AS purchase_events,
         max(at_ms) AS last_ms
  FROM ev WHERE item_id IS NOT NULL GROUP BY user_id, item_id
),
pairs AS (
  SELECT COALESCE(t.user_id, e.user_id) AS user_id, COALESCE(t.item_id, e.item_id) AS item_id,
         COALESCE(t.transactions, 0) AS transactions, COALESCE(t.rating_sum, 0) AS rating_sum,
         COALESCE(t.rating_count, 0) AS rating_count, COALESCE(e.views, 0) AS views, COALESCE(e.clicks, 0) AS clicks,
         COALESCE(e.carts, 0) AS carts, COALESCE(e.purchase_events, 0) AS purchase_events,
         CASE WHEN t.last_ms IS NULL THEN e.last_ms WHEN e.last_ms IS NULL THEN t.last_ms
              ELSE greatest(t.last_ms, e.last_ms) END AS last_ms
  FROM pair_tx t FULL OUTER JOIN pair_ev e ON t.user_id = e.user_id AND t.item_id = e.item_id
)`;

const num = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
};

export function featureSql(options: FeatureSqlOptions): FeatureSql {
  const w = options.weights ?? DEFAULT_WEIGHTS;
  const now = num(options.now.getTime());
  const interactions = `WITH ${sources(options)}
SELECT user_id, item_id,
       CASE WHEN rating_count > 0 THEN round(rating_sum / rating_count, 4) END AS rating,
       round(${num(w.view)} * views + ${num(w.click)} * clicks + ${num(w.add_to_cart)} * carts
             + ${num(w.purchase)} * (purchase_events + transactions), 4) AS confidence,
       last_ms AS last_at_ms
FROM pairs`;
  const itemFeatures = `WITH ${sources(options)},
items AS (
  SELECT item_id, count(*) AS popularity, sum(rating_count) AS rating_count, sum(rating_sum) AS rating_sum,
         sum(views) AS views, sum(transactions + purchase_events) AS purchases,
         count_if(views > 0) AS viewers, count_if(views > 0 AND transactions + purchase_events > 0) AS buyers
  FROM pairs GROUP BY item_id
),
meta AS (
  SELECT product_id, max(popularity_views_7d) AS popularity_views_7d, max(popularity_trend) AS popularity_trend,
         max(sentiment_score) AS sentiment_score, max(NULLIF(sentiment_label, '')) AS sentiment_label
  FROM external_metadata
  WHERE ${metadataVersion(options.sources)} AND product_id <> ''
  GROUP BY product_id
)
SELECT i.item_id, c.category, i.popularity, i.rating_count,
       CASE WHEN i.rating_count > 0 THEN round(i.rating_sum / i.rating_count, 4) END AS rating_mean,
       i.views, i.purchases,
       CASE WHEN i.viewers > 0 THEN round(CAST(i.buyers AS double) / i.viewers, 4) END AS view_to_purchase,
       CAST(m.popularity_views_7d AS double) AS external_popularity, CAST(m.popularity_trend AS double) AS external_trend,
       CAST(m.sentiment_score AS double) AS sentiment_score, m.sentiment_label
FROM items i LEFT JOIN cat c ON c.product_id = i.item_id LEFT JOIN meta m ON m.product_id = i.item_id`;
  const userFeatures = `WITH ${sources(options)},
users_tx AS (
  SELECT user_id, count(*) AS purchases, sum(quantity * unit_price) AS spend, sum(rating) AS rating_sum,
         count(rating) AS rating_count, max(at_ms) AS last_ms
  FROM tx GROUP BY user_id
),
users_ev AS (
  SELECT user_id, count_if(event_type = 'view') AS views, count_if(event_type = 'click') AS clicks,
         count_if(event_type = 'add_to_cart') AS add_to_carts, count_if(event_type = 'remove_from_cart') AS remove_from_carts,
         count_if(event_type = 'search') AS searches, count_if(event_type = 'purchase') AS purchase_events,
         max(at_ms) AS last_ms
  FROM ev GROUP BY user_id
),
category_hits AS (
  SELECT user_id, category, count(*) AS hits
  FROM (
    SELECT t.user_id, c.category FROM tx t JOIN cat c ON c.product_id = t.item_id
    UNION ALL
    SELECT e.user_id, c.category FROM ev e JOIN cat c ON c.product_id = e.item_id WHERE e.event_type <> 'remove_from_cart'
  ) hits
  WHERE category <> ''
  GROUP BY user_id, category
),
top AS (
  SELECT user_id, slice(array_agg(category ORDER BY hits DESC, category ASC), 1, 3) AS top_categories
  FROM category_hits GROUP BY user_id
),
sessions AS (
  SELECT session_id, min_by(user_id, at_ms) AS user_id, (max(at_ms) - min(at_ms)) / 60000.0 AS minutes
  FROM ev GROUP BY session_id
),
user_sessions AS (
  SELECT user_id, count(*) AS sessions, round(avg(minutes), 2) AS avg_session_minutes FROM sessions GROUP BY user_id
),
all_users AS (SELECT user_id FROM users_tx UNION SELECT user_id FROM users_ev)
SELECT a.user_id,
       COALESCE(e.views, 0) AS views, COALESCE(e.clicks, 0) AS clicks, COALESCE(e.add_to_carts, 0) AS add_to_carts,
       COALESCE(e.remove_from_carts, 0) AS remove_from_carts, COALESCE(e.searches, 0) AS searches,
       COALESCE(e.purchase_events, 0) AS purchase_events,
       COALESCE(t.purchases, 0) AS purchase_count, round(COALESCE(t.spend, 0), 2) AS total_spend,
       CASE WHEN t.rating_count > 0 THEN round(t.rating_sum / t.rating_count, 4) END AS avg_rating_given,
       round(greatest(0, (${now} - greatest(COALESCE(t.last_ms, 0), COALESCE(e.last_ms, 0))) / 86400000.0), 2) AS recency_days,
       top.top_categories,
       COALESCE(s.sessions, 0) AS sessions, s.avg_session_minutes,
       greatest(COALESCE(t.last_ms, 0), COALESCE(e.last_ms, 0)) AS last_activity_ms
FROM all_users a
LEFT JOIN users_tx t ON t.user_id = a.user_id
LEFT JOIN users_ev e ON e.user_id = a.user_id
LEFT JOIN top ON top.user_id = a.user_id
LEFT JOIN user_sessions s ON s.user_id = a.user_id`;
  return { interactions, itemFeatures, userFeatures };
}

const count = () => z.number().int();

/**
 * The rows of each statement: the offline store's columns (Parquet, one file set per version under
 * `features/<set>/v=<version>/`) and the Glue tables' (layers/catalog/datasets.ts). Timestamps are epoch
 * milliseconds; the records the online store and the trainer use are made from them (`FEATURE_ROWS`).
 */
export const InteractionRowSchema = z.strictObject({
  user_id: z.string(),
  item_id: z.string(),
  rating: z.number().nullable(),
  confidence: z.number(),
  last_at_ms: count(),
});
export const ItemFeatureRowSchema = z.strictObject({
  item_id: z.string(),
  category: z.string().nullable(),
  popularity: count(),
  rating_count: count(),
  rating_mean: z.number().nullable(),
  views: count(),
  purchases: count(),
  view_to_purchase: z.number().nullable(),
  external_popularity: z.number().nullable(),
  external_trend: z.number().nullable(),
  sentiment_score: z.number().nullable(),
  sentiment_label: z.string().nullable(),
});
export const UserFeatureRowSchema = z.strictObject({
  user_id: z.string(),
  views: count(),
  clicks: count(),
  add_to_carts: count(),
  remove_from_carts: count(),
  searches: count(),
  purchase_events: count(),
  purchase_count: count(),
  total_spend: z.number(),
  avg_rating_given: z.number().nullable(),
  recency_days: z.number(),
  top_categories: z.array(z.string()).nullable(),
  sessions: count(),
  avg_session_minutes: z.number().nullable(),
  last_activity_ms: count(),
});
export type InteractionRow = z.infer<typeof InteractionRowSchema>;
export type ItemFeatureRow = z.infer<typeof ItemFeatureRowSchema>;
export type UserFeatureRow = z.infer<typeof UserFeatureRowSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

/** Each feature set: its statement, the schema of its rows and the record a row makes. */
export const FEATURE_ROWS = {
  [FEATURE_SETS.interactions]: {
    statement: 'interactions',
    schema: InteractionRowSchema,
    toRecord: (r: InteractionRow): Interaction => ({
      userId: r.user_id,
      itemId: r.item_id,
      rating: r.rating,
      confidence: r.confidence,
      lastAt: iso(r.last_at_ms),
    }),
  },
  [FEATURE_SETS.items]: {
    statement: 'itemFeatures',
    schema: ItemFeatureRowSchema,
    toRecord: (r: ItemFeatureRow): ItemFeatures => ({
      itemId: r.item_id,
      category: r.category,
      popularity: r.popularity,
      ratingCount: r.rating_count,
      ratingMean: r.rating_mean,
      views: r.views,
      purchases: r.purchases,
      viewToPurchase: r.view_to_purchase,
      externalPopularity: r.external_popularity,
      externalTrend: r.external_trend,
      sentimentScore: r.sentiment_score,
      sentimentLabel: r.sentiment_label,
    }),
  },
  [FEATURE_SETS.users]: {
    statement: 'userFeatures',
    schema: UserFeatureRowSchema,
    toRecord: (r: UserFeatureRow): UserFeatures => ({
      userId: r.user_id,
      eventCounts: {
        view: r.views,
        click: r.clicks,
        add_to_cart: r.add_to_carts,
        remove_from_cart: r.remove_from_carts,
        search: r.searches,
        purchase: r.purchase_events,
      },
      purchaseCount: r.purchase_count,
      totalSpend: r.total_spend,
      avgRatingGiven: r.avg_rating_given,
      recencyDays: r.recency_days,
      topCategories: r.top_categories ?? [],
      sessions: r.sessions,
      avgSessionMinutes: r.avg_session_minutes,
      lastActivity: iso(r.last_activity_ms),
    }),
  },
} as const;

export type FeatureSetName = keyof typeof FEATURE_ROWS;

/** Trino's name of a scalar Glue type (the casts below read the same in DuckDB). */
const SQL_TYPES: Record<string, string> = { string: 'varchar', bigint: 'bigint', double: 'double' };

/**
 * The UNLOAD that writes one feature set's version as Parquet: the statement's columns in the row
 * schema's order, each cast to its declared type, so both engines write the same Parquet types (a sum
 * of counts is a bigint in Trino and a 128-bit integer in DuckDB).
 */
export function unloadStatement(set: FeatureSetName, sql: FeatureSql, location: string): string {
  const { statement, schema } = FEATURE_ROWS[set];
  const columns = Object.entries(schema.shape).map(([name, type]) => {
    const sqlType = SQL_TYPES[glueTypeOf(type as z.ZodType)];
    return sqlType ? `CAST(${name} AS ${sqlType}) AS ${name}` : name;
  });
  return `UNLOAD (SELECT ${columns.join(', ')} FROM (${sql[statement]}) r) TO ${text(location)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}
