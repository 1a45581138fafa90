/**
 * The last step of the feature build, after the plan's statements wrote each feature set's version as
 * Parquet: check and describe the files, fill the online store (user and item features in DynamoDB),
 * and write the registry entries and the lineage record (docs/decisions/024-feature-build-in-sql.md).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteItems, featureItem } from '../feature-store/online';
import { listKeys } from '../lake/inventory';
import { lakeKeys } from '../lake/keys';
import { getListedManifest, LostDataError, objectExists } from '../lake/listed';
import { getBytes, putJson } from '../lake/s3-io';
import { manifestKeyFor } from '../lake/zones';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { mapSettled } from '../util/concurrency';
import { FEATURE_SETS, type ItemFeatures, type UserFeatures } from './builders';
import {
  type FeatureFile,
  type FeatureRegistryEntry,
  isHiddenFile,
  md5Of,
  parquetRowCount,
  parquetRows,
  recordOfRow,
} from './offline';
import { type FeatureBuildPlan, type SkippedSource, type SourceRef, sourcesUsed } from './select';
import type { FeatureSetName } from './sql';

export interface LoadOptions {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly tableName: string;
  readonly ttlDays: number;
  readonly codeVersion: string;
  /** The build's plan (../select.ts). */
  readonly planKey: string;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export interface BuildSummary {
  readonly version: string;
  readonly sources: { used: number; skipped: SkippedSource[] };
  /** Rows of the transactions and clickstream versions read (their manifests' counts). */
  readonly transactions: number;
  readonly events: number;
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly onlineItems: number;
  readonly offline: Record<string, string>;
  readonly registry: Record<string, string>;
  readonly lineageKey: string;
  readonly seconds: number;
}

/** Why a version the plan read is listed with the skipped ones after the build. */
export const RETIRED_DURING_BUILD =
  'retired by a re-upload while the build ran: read whole before the retirement or not at all (a query that loses a file fails)';

/** Field → JSON type of a feature record (the registry's schema). */
function schemaOf(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v === null ? 'number|null' : Array.isArray(v) ? 'array' : typeof v]),
  );
}

export async function loadFeatureSets(opts: LoadOptions): Promise<BuildSummary> {
  const t0 = performance.now();
  const { s3, bucket } = opts;
  const log = opts.log ?? (() => undefined);
  const plan = JSON.parse(Buffer.from(await getBytes(s3, bucket, opts.planKey)).toString('utf8')) as FeatureBuildPlan;
  const { version } = plan;
  const now = new Date(plan.createdAt);
  const expiresAt = Math.floor(now.getTime() / 1000) + opts.ttlDays * 86_400;

  // A version the build read may have been retired since (manifest and data gone): say so in the
  // registry. Data gone while its manifest stays is not a retirement but lost data (../lake/listed.ts):
  // Athena would have read nothing from it without a word, so the build fails.
  const used = sourcesUsed(plan.sources);
  const skipped: SkippedSource[] = [...plan.sources.skipped];
  const checks = await mapSettled(used, 16, async (ref) => {
    if (!(await getListedManifest(s3, bucket, manifestKeyFor(ref.key)))) return true;
    if (!(await objectExists(s3, bucket, ref.key)))
      throw new LostDataError(`${ref.key} is gone but its manifest is not: the feature build may not have read it.`);
    return false;
  });
  checks.forEach((check, i) => {
    if (check.status === 'rejected') throw check.reason;
    if (check.value) skipped.push({ key: (used[i] as SourceRef).key, reason: RETIRED_DURING_BUILD });
  });

  const offline: Record<string, string> = {};
  const registry: Record<string, string> = {};
  const counts: Record<string, number> = {};
  const outputs: { namespace: string; name: string; md5: string; records: number }[] = [];
  let onlineItems = 0;
  for (const { set } of plan.queries) {
    const dir = lakeKeys.featureVersionDir(set, version);
    const files: FeatureFile[] = [];
    let first: Record<string, unknown> | undefined;
    for await (const key of listKeys(s3, bucket, dir)) {
      if (isHiddenFile(key)) continue;
      const bytes = await getBytes(s3, bucket, key);
      const records = parquetRowCount(bytes);
      files.push({ key, md5: md5Of(bytes), bytes: bytes.byteLength, records });
      // The interactions stay offline: every row is checked when training reads it; the first record
      // gives the registry its schema. Users and items go online, a row group at a time.
      const online = set !== FEATURE_SETS.interactions;
      if (!online && first) continue;
      for await (const rows of parquetRows(bytes)) {
        const batch = rows.map((row) => recordOfRow(set, row, key) as Record<string, unknown>);
        first ??= batch[0];
        if (!online) break;
        const written = await batchWriteItems(
          opts.doc,
          opts.tableName,
          onlineItemsOf(set, batch, version, now, expiresAt),
          {
            concurrency: 8,
          },
        );
        onlineItems += written.written;
      }
    }
    const records = files.reduce((n, f) => n + f.records, 0);
    counts[set] = records;
    offline[set] = dir;
    if (records === 0) {
      log('feature set is empty: no registry entry', { set, version });
      continue;
    }
    for (const f of files) outputs.push({ namespace: `s3://${bucket}`, name: f.key, md5: f.md5, records: f.records });
    const entry: FeatureRegistryEntry = {
      name: set,
      version,
      createdAt: plan.createdAt,
      codeVersion: opts.codeVersion,
      schema: schemaOf(first ?? {}),
      records,
      data: { format: 'parquet', key: dir, files },
      sources: used,
      // What was left out, and why (not validated, failed checks, retired by a re-upload): all of it here.
      skipped,
      weights: plan.weights,
      online:
        set === FEATURE_SETS.interactions
          ? null
          : { table: opts.tableName, sortKey: `fs#${set}`, ttlDays: opts.ttlDays },
      plan: opts.planKey,
    };
    const registryKey = lakeKeys.featureRegistry(set, version);
    await putJson(s3, bucket, registryKey, entry);
    registry[set] = registryKey;
  }
  log('online store written', { items: onlineItems });
  const lineageKey = await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'features-build',
      codeVersion: opts.codeVersion,
      inputs: used.map((u) => ({ namespace: `s3://${bucket}`, name: u.key, md5: u.md5, records: u.records })),
      outputs,
      details: { version, plan: opts.planKey, skippedSources: skipped.length },
      eventTime: now,
    }),
  );
  const sum = (refs: readonly { records: number }[]) => refs.reduce((n, r) => n + r.records, 0);
  return {
    version,
    sources: { used: used.length, skipped },
    transactions: sum(plan.sources.transactions),
    events: sum(plan.sources.clickstream),
    users: counts[FEATURE_SETS.users] ?? 0,
    items: counts[FEATURE_SETS.items] ?? 0,
    interactions: counts[FEATURE_SETS.interactions] ?? 0,
    onlineItems,
    offline,
    registry,
    lineageKey,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
}

/** The online store's items of user or item feature records (the user's last activity is its event time). */
function onlineItemsOf(
  set: FeatureSetName,
  records: readonly Record<string, unknown>[],
  version: string,
  now: Date,
  expiresAt: number,
): Record<string, unknown>[] {
  if (set === FEATURE_SETS.users)
    return (records as unknown as UserFeatures[]).map(({ userId, lastActivity, ...features }) => ({
      ...featureItem('user', userId, set, version, lastActivity, features, expiresAt),
    }));
  return (records as unknown as ItemFeatures[]).map(({ itemId, ...features }) => ({
    ...featureItem('item', itemId, set, version, now.toISOString(), features, expiresAt),
  }));
}
