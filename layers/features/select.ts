/**
 * The first step of the feature build: which raw versions it reads (those that passed validation,
 * for the same bytes), and the statements that build each feature set from them. The plan is written
 * to the lake before any statement runs; the statements run on Athena (on AWS) or on the local cloud's
 * engine, each an UNLOAD of one feature set's version as Parquet (docs/decisions/024-feature-build-in-sql.md).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type CurateOptions,
  type CurateResult,
  type CurationGroup,
  curateGroup,
  curationGroups,
} from '../curated/curate';
import { listKeys } from '../lake/inventory';
import { LAKE_PREFIXES, lakeKeys } from '../lake/keys';
import { getListedManifest, SUPERSEDED } from '../lake/listed';
import { buildManifest } from '../lake/manifest';
import { getJson, putJson, putWithManifest } from '../lake/s3-io';
import { isManifestKey, manifestKeyFor } from '../lake/zones';
import { readStatus } from '../quality/status';
import { toCsvLine } from '../util/csv-write';
import { DEFAULT_WEIGHTS, FEATURE_SETS, type ImplicitWeights } from './builders';
import {
  BUILD_SOURCES_TABLE,
  type FeatureBuildSource,
  FeatureBuildSourceSchema,
  type FeatureSetName,
  featureSql,
  unloadStatement,
} from './sql';

export interface SourceRef {
  readonly key: string;
  readonly md5: string;
  readonly records: number;
}

export interface SkippedSource {
  readonly key: string;
  readonly reason: string;
}

export interface FeatureSources {
  readonly transactions: readonly SourceRef[];
  readonly clickstream: readonly SourceRef[];
  /** The newest usable catalog snapshot. */
  readonly catalog: SourceRef | null;
  /** The newest usable external metadata pull. */
  readonly metadata: SourceRef | null;
  readonly skipped: readonly SkippedSource[];
}

export interface FeatureBuildPlan {
  readonly version: string;
  /** The build's clock (ISO 8601): recency is measured to it. */
  readonly createdAt: string;
  readonly bucket: string;
  readonly weights: ImplicitWeights;
  readonly sources: FeatureSources;
  /**
   * The curated files the statements read: the selected transactions and clickstream versions, one
   * file per partition (layers/curated/curate.ts). `missing` are the groups whose file the build writes.
   */
  readonly curation: { readonly groups: readonly CurationGroup[]; readonly missing: readonly number[] };
  /** The objects the statements read, as the catalog's `feature_build_sources` table reads them. */
  readonly sourcesKey: string;
  /** One UNLOAD per feature set, into `features/<set>/v=<version>/`. */
  readonly queries: readonly { readonly set: FeatureSetName; readonly location: string; readonly query: string }[];
}

/** Versions sortable by time: `20261121T103000Z`. */
export function versionAt(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The raw versions a build may use: a version's quality status must say usable for the same bytes
 * its manifest describes. `dataKeys` pins the transactions and clickstream versions (a run's pinned
 * inputs); catalog and metadata are their newest usable versions. A version a re-upload retires while
 * the listing runs is skipped as superseded (see ../lake/listed.ts).
 */
export async function selectFeatureSources(
  s3: S3Client,
  bucket: string,
  dataKeys?: readonly string[],
): Promise<FeatureSources> {
  const skipped: SkippedSource[] = [];
  const pinned = dataKeys ? new Set(dataKeys.map(manifestKeyFor)) : undefined;
  const usable = async (prefix: string, selectable = false): Promise<SourceRef[]> => {
    const out: SourceRef[] = [];
    for await (const manifestKey of listKeys(s3, bucket, prefix)) {
      if (!isManifestKey(manifestKey)) continue;
      if (selectable && pinned && !pinned.has(manifestKey)) continue; // not selected for this build
      const manifest = await getListedManifest(s3, bucket, manifestKey);
      if (!manifest) {
        skipped.push({ key: manifestKey, reason: SUPERSEDED });
        continue;
      }
      const status = await readStatus(s3, bucket, manifest.dataKey);
      if (!status) skipped.push({ key: manifest.dataKey, reason: 'not validated yet' });
      else if (status.md5 !== manifest.md5)
        skipped.push({ key: manifest.dataKey, reason: 'validated bytes differ from the current version' });
      else if (!status.usable)
        skipped.push({ key: manifest.dataKey, reason: `failed ${status.failedCritical.join(', ')}` });
      else out.push({ key: manifest.dataKey, md5: manifest.md5, records: manifest.records });
    }
    return out;
  };
  const newest = (refs: SourceRef[]) => [...refs].sort((a, b) => a.key.localeCompare(b.key)).at(-1) ?? null;
  const transactions = await usable(LAKE_PREFIXES.rawTransactions, true);
  const clickstream = await usable(LAKE_PREFIXES.rawClickstream, true);
  const catalog = newest(
    (await usable(`${LAKE_PREFIXES.rawMaster}catalog/dt=`)).filter((r) => r.key.endsWith('/catalog.csv')),
  );
  const metadata = newest(await usable(LAKE_PREFIXES.rawExternalMetadata));
  return { transactions, clickstream, catalog, metadata, skipped };
}

/** Every source a plan reads. */
export function sourcesUsed(sources: FeatureSources): SourceRef[] {
  return [
    ...sources.transactions,
    ...sources.clickstream,
    ...(sources.catalog ? [sources.catalog] : []),
    ...(sources.metadata ? [sources.metadata] : []),
  ];
}

/** The first and last `dt=` day of some raw versions, or null for none. */
function daysOf(refs: readonly SourceRef[]): [string, string] | null {
  const days = refs
    .map((r) => /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(r.key)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
  if (days.length !== refs.length) throw new Error('A selected raw version has no dt= partition in its key.');
  return days.length > 0 ? [days[0] as string, days.at(-1) as string] : null;
}

export interface PlanOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly weights?: ImplicitWeights;
  readonly dataKeys?: readonly string[];
  readonly now?: Date;
}

/** Select the sources, write the statements for them and store the plan at `features/_builds/v=<version>.json`. */
export async function planFeatureBuild(opts: PlanOptions): Promise<{ plan: FeatureBuildPlan; planKey: string }> {
  const now = opts.now ?? new Date();
  const version = versionAt(now);
  const weights = opts.weights ?? DEFAULT_WEIGHTS;
  const sources = await selectFeatureSources(opts.s3, opts.bucket, opts.dataKeys);
  // The transactions and click events are read curated: one typed Parquet file per partition for the
  // versions selected, written by the build where it is not there yet.
  const groups = [
    ...curationGroups('transactions', sources.transactions),
    ...curationGroups('clickstream', sources.clickstream),
  ];
  // A group needs the curation step unless its partition holds its file and nothing else.
  const held = new Map<string, string[]>();
  for (const dataset of ['transactions', 'clickstream'] as const)
    for await (const key of listKeys(opts.s3, opts.bucket, `${LAKE_PREFIXES.curated}${dataset}/`)) {
      if (isManifestKey(key)) continue;
      const dir = key.slice(0, key.lastIndexOf('/') + 1);
      const files = held.get(dir);
      if (files) files.push(key);
      else held.set(dir, [key]);
    }
  const missing = groups.flatMap((g, i) => {
    const files = held.get(lakeKeys.curatedDir(g.dataset, g.partition)) ?? [];
    return files.length === 1 && files[0] === g.key ? [] : [i];
  });
  // What the statements read is a table of the catalog (one CSV per build): they select by it, so
  // their text does not grow with the number of files read.
  const uri = (ref: { key: string }) => `s3://${opts.bucket}/${ref.key}`;
  const rows: FeatureBuildSource[] = [
    ...groups.map((g) => ({ dataset: g.dataset, uri: uri(g) })),
    ...(sources.catalog ? [{ dataset: 'catalog' as const, uri: uri(sources.catalog) }] : []),
    ...(sources.metadata ? [{ dataset: 'external_metadata' as const, uri: uri(sources.metadata) }] : []),
  ];
  const sourcesKey = lakeKeys.featureBuildSources(version);
  const csv = Buffer.from(
    [toCsvLine(Object.keys(FeatureBuildSourceSchema.shape)), ...rows.map((r) => toCsvLine([r.dataset, r.uri]))].join(
      '\n',
    ) + '\n',
  );
  await putWithManifest(
    opts.s3,
    opts.bucket,
    csv,
    buildManifest({
      dataset: BUILD_SOURCES_TABLE,
      dataKey: sourcesKey,
      contentType: 'text/csv',
      body: csv,
      records: rows.length,
      schemaVersion: '1',
      source: { version },
      writtenAt: now,
    }),
  );
  const sql = featureSql({
    weights,
    now,
    sources: {
      version,
      days: {
        transactions: daysOf(sources.transactions),
        clickstream: daysOf(sources.clickstream),
        catalog: daysOf(sources.catalog ? [sources.catalog] : [])?.[0] ?? null,
      },
    },
  });
  const sets = [FEATURE_SETS.interactions, FEATURE_SETS.items, FEATURE_SETS.users] as const;
  const queries = sets.map((set) => {
    const location = `s3://${opts.bucket}/${lakeKeys.featureVersionDir(set, version)}`;
    return { set, location, query: unloadStatement(set, sql, location) };
  });
  const plan: FeatureBuildPlan = {
    version,
    createdAt: now.toISOString(),
    bucket: opts.bucket,
    weights,
    sources,
    curation: { groups, missing },
    sourcesKey,
    queries,
  };
  const planKey = lakeKeys.featureBuildPlan(version);
  await putJson(opts.s3, opts.bucket, planKey, plan);
  return { plan, planKey };
}

/**
 * A Map's items for `count` things: at most `maxItems` runs `[from, to)` of consecutive indices. The
 * items travel in the execution's state (256 KiB), so their number stays bounded however many things
 * there are; each invocation reads its run's things from the lake.
 */
export function mapRuns(count: number, maxItems = 100): { from: number; to: number }[] {
  const size = Math.max(1, Math.ceil(count / maxItems));
  const items: { from: number; to: number }[] = [];
  for (let from = 0; from < count; from += size) items.push({ from, to: Math.min(from + size, count) });
  return items;
}

/** The curation step's items: runs of the plan's `missing` groups (those whose file the build writes). */
export function curationWork(plan: Pick<FeatureBuildPlan, 'curation'>, maxItems = 100): { from: number; to: number }[] {
  return mapRuns(plan.curation.missing.length, maxItems);
}

/** One item of the curation step: write the plan's missing groups `[from, to)` (each skipped if done since). */
export async function curatePlanned(
  opts: CurateOptions,
  planKey: string,
  item: { readonly from: number; readonly to: number },
): Promise<{ written: number; records: number; removed: number }> {
  const plan = await getJson<FeatureBuildPlan>(opts.s3, opts.bucket, planKey);
  const files: CurateResult[] = [];
  for (const index of plan.curation.missing.slice(item.from, item.to)) {
    const group = plan.curation.groups[index];
    if (!group) throw new Error(`The plan ${planKey} has no curation group ${index}.`);
    files.push(await curateGroup(opts, group));
  }
  // The answer travels in the execution's state: counts only (each file is in the log and its manifest).
  const written = files.filter((f) => f.written);
  return {
    written: written.length,
    records: written.reduce((n, f) => n + f.records, 0),
    removed: files.reduce((n, f) => n + f.removed.length, 0),
  };
}
