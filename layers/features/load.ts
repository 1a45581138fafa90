/**
 * The feature build's steps after the plan's statements wrote each feature set's version as Parquet:
 * describe the files, load the user and item files into the online store (runs of files, each its own
 * invocation, in parallel), and write the registry entries and the lineage record
 * (docs/decisions/024-feature-build-in-sql.md).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteItems, featureItem } from '../feature-store/online';
import { listKeys } from '../lake/inventory';
import { lakeKeys } from '../lake/keys';
import { getListedManifest, LostDataError, objectExists } from '../lake/listed';
import { md5Hex } from '../lake/manifest';
import { countParquetRows, parquetRows } from '../lake/parquet';
import { getBytes, getJson, putJson } from '../lake/s3-io';
import { manifestKeyFor } from '../lake/zones';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { mapSettled } from '../util/concurrency';
import { FEATURE_SETS, type ItemFeatures, type UserFeatures } from './builders';
import { type FeatureFile, type FeatureRegistryEntry, isHiddenFile, recordOfRow } from './offline';
import { type FeatureBuildPlan, mapRuns, type SkippedSource, type SourceRef, sourcesUsed } from './select';
import type { FeatureSetName } from './sql';

export interface StepOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

/** What `describeFeatureFiles` found: written to the lake, read by the registration. */
export interface FeatureFilesDescription {
  readonly version: string;
  readonly planKey: string;
  readonly sets: readonly {
    readonly set: FeatureSetName;
    readonly files: readonly FeatureFile[];
    /** Field → JSON type of the set's records (from its first record); null when the set is empty. */
    readonly schema: Record<string, string> | null;
  }[];
  /** The user and item files with rows, in the order the online load's runs index them. */
  readonly online: readonly OnlineFile[];
}

/** One file of user or item features to load into the online store. */
export interface OnlineFile {
  readonly set: FeatureSetName;
  readonly key: string;
  readonly md5: string;
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
  /** Items the online store holds for this version: one per user and per item. */
  readonly onlineItems: number;
  readonly offline: Record<string, string>;
  readonly registry: Record<string, string>;
  readonly lineageKey: string;
  readonly seconds: number;
}

/** A curated file a build's statements read was removed while they ran (../curated/curate.ts). */
export class CuratedFileReplacedError extends Error {
  override readonly name = 'CuratedFileReplacedError';
}

/** Why a version the plan read is listed with the skipped ones after the build. */
export const RETIRED_DURING_BUILD =
  'retired by a re-upload after the build curated it: the build read the version it selected, and the next build reads its replacement';

/** Field → JSON type of a feature record (the registry's schema). */
function schemaOf(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v === null ? 'number|null' : Array.isArray(v) ? 'array' : typeof v]),
  );
}

/**
 * After the statements: every visible file of each set's version (hidden `_` and `.` names aside, as
 * Athena reads the folder), with its MD5, size and rows (from the footer), and each set's schema from
 * its first record. The description is written beside the plan; the answer is the online load's Map
 * items: runs of the user and item files, at most 100 of them whatever the number of files.
 */
export async function describeFeatureFiles(
  opts: StepOptions & { readonly planKey: string },
): Promise<{ descriptionKey: string; online: { from: number; to: number }[] }> {
  const { s3, bucket } = opts;
  const plan = await getJson<FeatureBuildPlan>(s3, bucket, opts.planKey);
  const sets: FeatureFilesDescription['sets'][number][] = [];
  const online: OnlineFile[] = [];
  for (const { set } of plan.queries) {
    const files: FeatureFile[] = [];
    let first: Record<string, unknown> | undefined;
    for await (const key of listKeys(s3, bucket, lakeKeys.featureVersionDir(set, plan.version))) {
      if (isHiddenFile(key)) continue;
      const bytes = await getBytes(s3, bucket, key);
      const file = { key, md5: md5Hex(bytes), bytes: bytes.byteLength, records: countParquetRows(bytes) };
      files.push(file);
      if (file.records > 0 && set !== FEATURE_SETS.interactions) online.push({ set, key, md5: file.md5 });
      if (first || file.records === 0) continue;
      // The first record (the first row group's rows are each checked against the set's schema).
      for await (const rows of parquetRows(bytes)) {
        first = rows.map((row) => recordOfRow(set, row, key) as Record<string, unknown>)[0];
        break;
      }
    }
    sets.push({ set, files, schema: first ? schemaOf(first) : null });
  }
  const descriptionKey = lakeKeys.featureBuildFiles(plan.version);
  const description: FeatureFilesDescription = { version: plan.version, planKey: opts.planKey, sets, online };
  await putJson(s3, bucket, descriptionKey, description);
  opts.log?.('feature files described', { version: plan.version, files: sets.map((s) => [s.set, s.files.length]) });
  return { descriptionKey, online: mapRuns(online.length) };
}

/**
 * One run of the described user and item files into the online store (each run its own invocation,
 * in parallel), a file at a time.
 */
export async function loadOnlineFiles(
  opts: Omit<Parameters<typeof loadOnlineFile>[0], 'file'> & {
    readonly descriptionKey: string;
    readonly from: number;
    readonly to: number;
  },
): Promise<{ files: number; items: number }> {
  const description = await getJson<FeatureFilesDescription>(opts.s3, opts.bucket, opts.descriptionKey);
  const run = description.online.slice(opts.from, opts.to);
  if (run.length !== opts.to - opts.from)
    throw new Error(`${opts.descriptionKey} has no online files ${opts.from}..${opts.to - 1}.`);
  let items = 0;
  for (const file of run) items += (await loadOnlineFile({ ...opts, file })).items;
  return { files: run.length, items };
}

/**
 * One user or item features file into the online store: its bytes
 * must be those described, its rows are checked and made records, written a row group at a time.
 * Writing a file again writes the same items.
 */
export async function loadOnlineFile(
  opts: StepOptions & {
    readonly doc: DynamoDBDocumentClient;
    readonly tableName: string;
    readonly ttlDays: number;
    readonly version: string;
    /** The build's clock (an item's event time, and its TTL's start). */
    readonly createdAt: string;
    readonly file: OnlineFile;
  },
): Promise<{ key: string; items: number }> {
  const { s3, bucket, file } = opts;
  const bytes = await getBytes(s3, bucket, file.key);
  const md5 = md5Hex(bytes);
  if (md5 !== file.md5)
    throw new Error(`${file.key} has MD5 ${md5}, the build described ${file.md5}: refusing to load it.`);
  const now = new Date(opts.createdAt);
  const expiresAt = Math.floor(now.getTime() / 1000) + opts.ttlDays * 86_400;
  let items = 0;
  for await (const rows of parquetRows(bytes)) {
    const records = rows.map((row) => recordOfRow(file.set, row, file.key) as Record<string, unknown>);
    const out = await batchWriteItems(
      opts.doc,
      opts.tableName,
      onlineItemsOf(file.set, records, opts.version, now, expiresAt),
      { concurrency: 8 },
    );
    items += out.written;
  }
  return { key: file.key, items };
}

/**
 * Last: the registry entry of each set with rows (its files, schema, sources, what was skipped and
 * why) and the build's lineage record. A source the plan read that a re-upload retired since is listed
 * as retired during the build; one whose data is gone while its manifest stays is lost data, and the
 * build fails (Athena would have read nothing from it without a word; ../lake/listed.ts).
 */
export async function registerFeatureSets(
  opts: StepOptions & {
    readonly descriptionKey: string;
    readonly tableName: string;
    readonly ttlDays: number;
    readonly codeVersion: string;
  },
): Promise<BuildSummary> {
  const t0 = performance.now();
  const { s3, bucket } = opts;
  const description = await getJson<FeatureFilesDescription>(s3, bucket, opts.descriptionKey);
  const plan = await getJson<FeatureBuildPlan>(s3, bucket, description.planKey);
  const { version } = plan;
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
  // The curated files the statements read were there before they ran; one gone now was replaced by
  // another build's curation while they ran, and they may not have read it.
  const curated = plan.curation.groups.map((g) => g.key);
  const present = await mapSettled(curated, 16, (key) => objectExists(s3, bucket, key));
  present.forEach((check, i) => {
    if (check.status === 'rejected') throw check.reason;
    if (!check.value)
      throw new CuratedFileReplacedError(
        `${curated[i]} was replaced by another feature build's curation while this build's statements ran: they may not have read it. Start the build again.`,
      );
  });

  const offline: Record<string, string> = {};
  const registry: Record<string, string> = {};
  const counts: Record<string, number> = {};
  const outputs: { namespace: string; name: string; md5: string; records: number }[] = [];
  for (const { set, files, schema } of description.sets) {
    const dir = lakeKeys.featureVersionDir(set, version);
    const records = files.reduce((n, f) => n + f.records, 0);
    counts[set] = records;
    offline[set] = dir;
    if (records === 0) {
      opts.log?.('feature set is empty: no registry entry', { set, version });
      continue;
    }
    for (const f of files) outputs.push({ namespace: `s3://${bucket}`, name: f.key, md5: f.md5, records: f.records });
    const entry: FeatureRegistryEntry = {
      name: set,
      version,
      createdAt: plan.createdAt,
      codeVersion: opts.codeVersion,
      schema: schema ?? {},
      records,
      data: { format: 'parquet', key: dir, files },
      sources: used,
      /** The curated files the statements read those sources from. */
      curated,
      // What was left out, and why (not validated, failed checks, retired by a re-upload): all of it here.
      skipped,
      weights: plan.weights,
      online:
        set === FEATURE_SETS.interactions
          ? null
          : { table: opts.tableName, sortKey: `fs#${set}`, ttlDays: opts.ttlDays },
      plan: description.planKey,
    };
    const registryKey = lakeKeys.featureRegistry(set, version);
    await putJson(s3, bucket, registryKey, entry);
    registry[set] = registryKey;
  }
  const lineageKey = await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'features-build',
      codeVersion: opts.codeVersion,
      inputs: [
        ...used.map((u) => ({ namespace: `s3://${bucket}`, name: u.key, md5: u.md5, records: u.records })),
        ...curated.map((key) => ({ namespace: `s3://${bucket}`, name: key })),
      ],
      outputs,
      details: { version, plan: description.planKey, skippedSources: skipped.length },
      eventTime: new Date(plan.createdAt),
    }),
  );
  const sum = (refs: readonly { records: number }[]) => refs.reduce((n, r) => n + r.records, 0);
  const users = counts[FEATURE_SETS.users] ?? 0;
  const items = counts[FEATURE_SETS.items] ?? 0;
  return {
    version,
    sources: { used: used.length, skipped },
    transactions: sum(plan.sources.transactions),
    events: sum(plan.sources.clickstream),
    users,
    items,
    interactions: counts[FEATURE_SETS.interactions] ?? 0,
    onlineItems: users + items,
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
