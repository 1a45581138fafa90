/**
 * The lake's key contract: every kind of object the pipeline writes has one prefix and one builder
 * here, and the builders spell their keys from the prefixes. The constructs grant by the same
 * prefixes (layers/lake/access.ts), so a key and the grant that must cover it come from one place
 * (docs/decisions/019-lake-contract.md).
 */
/** Every prefix a grant or a listing uses, by kind of object (each in a zone of ./zones.ts). */
export const LAKE_PREFIXES = {
  raw: 'raw/',
  rawTransactions: 'raw/transactions/',
  rawClickstream: 'raw/clickstream/',
  rawMaster: 'raw/master/',
  rawExternalMetadata: 'raw/external_metadata/',
  archive: 'archive/',
  curated: 'curated/',
  quarantine: 'quarantine/',
  qualityQuarantine: 'quarantine/quality/',
  reports: 'reports/',
  qualityReports: 'reports/quality/',
  qualityStatus: 'reports/quality/_status/',
  pipelineReports: 'reports/pipeline/',
  auditReports: 'reports/audit/',
  athenaResults: 'reports/athena/',
  features: 'features/',
  featureRegistry: 'features/_registry/',
  featureBuilds: 'features/_builds/',
  featureBuildSources: 'features/_builds/sources/',
  models: 'models/',
  lineage: 'lineage/',
} as const;

const P = LAKE_PREFIXES;

/** A dataset's own folder in a zone: `raw/<dataset>/`, `archive/<dataset>/`, `quarantine/<dataset>/`. */
export function datasetPrefix(zone: 'raw' | 'archive' | 'quarantine', dataset: string): string {
  return `${zone}/${dataset}/`;
}

/** A job's OpenLineage run events: `lineage/<job>/`. */
export function lineagePrefix(job: string): string {
  return `${P.lineage}${job}/`;
}

/** Master data entities kept in the lake. */
export type MasterEntityName = 'catalog' | 'customers';

const lakeKeysLatestDir = (entity: MasterEntityName) => `${P.rawMaster}${entity}/latest/`;

/** One builder per kind of object. */
export const lakeKeys = {
  /** One version of a landing file's rows of one transaction date (`name` from versionName). */
  rawTransactions: (dt: string, name: string) => `${P.rawTransactions}dt=${dt}/ingested_${name}.csv`,
  /** The folder of one hour of click events. */
  rawClickstreamHour: (dt: string, hour: string) => `${P.rawClickstream}dt=${dt}/hour=${hour}/`,
  /** Where the current version of a master entity lives (a dated snapshot sits beside it under `dt=`). */
  masterLatest: (entity: MasterEntityName) => `${lakeKeysLatestDir(entity)}${entity}.csv`,
  /** The folder of a master entity's current version. */
  masterLatestDir: (entity: MasterEntityName) => lakeKeysLatestDir(entity),
  /** The folder of one curated partition (`dt=…` or `dt=…/hour=…`) of a dataset. */
  curatedDir: (dataset: string, partition: string) => `${P.curated}${dataset}/${partition}/`,
  /** A curated partition's file for one set of raw versions (`digest` names the set). */
  curatedFile: (dataset: string, partition: string, digest: string) =>
    `${P.curated}${dataset}/${partition}/part-${digest}.parquet`,
  /** The dated snapshot of a master entity written on `dt` (YYYY-MM-DD). */
  masterDated: (entity: MasterEntityName, dt: string) => `${P.rawMaster}${entity}/dt=${dt}/${entity}.csv`,
  /** The external metadata pulled on `dt`. */
  rawExternalMetadata: (dt: string) => `${P.rawExternalMetadata}dt=${dt}/external_metadata.csv`,
  /** A landing file kept as received, under the day it was ingested (`folder`: `transactions`, `master/<entity>`). */
  archived: (folder: string, today: string, name: string) => `${P.archive}${folder}/${today}/${name}.csv`,
  /** The folder of rows an ingest refused on `today` (`folder` as for `archived`). */
  quarantineDir: (folder: string, today: string) => `${P.quarantine}${folder}/dt=${today}`,
  /** The folder of click events refused on `dt`. */
  quarantineClickstream: (dt: string) => `${datasetPrefix('quarantine', 'clickstream')}dt=${dt}/`,
  /** Rows a quality suite refused in one raw object. */
  qualityQuarantine: (dataset: string, partition: string, name: string) =>
    `${P.qualityQuarantine}${dataset}/${partition}/${name}.jsonl`,
  /** A raw object's quality report, without its extension (`.json`, `.html`, `.pdf`). */
  qualityReportBase: (dataset: string, partition: string, name: string) =>
    `${P.qualityReports}${dataset}/${partition}/${name}`,
  /** A raw object's quality verdict, which decides whether training may use it. */
  qualityStatus: (dataKey: string) => `${P.qualityStatus}${dataKey}.json`,
  /** Why a training run was blocked before it started. */
  pipelineBlocked: (runId: string) => `${P.pipelineReports}${runId}/blocked.json`,
  /** The lake audit's report of a training run. */
  audit: (runId: string) => `${P.auditReports}${runId}.json`,
  /** The offline files of a feature set's version (Parquet, as the build's UNLOAD writes them). */
  featureVersionDir: (set: string, version: string) => `${P.features}${set}/v=${version}/`,
  /** What a feature build selected and the statements it runs (written before they run). */
  featureBuildPlan: (version: string) => `${P.featureBuilds}v=${version}.json`,
  /** The files a feature build's statements wrote, described (MD5s, rows, schemas) before they are loaded. */
  featureBuildFiles: (version: string) => `${P.featureBuilds}v=${version}.files.json`,
  /** The raw objects a feature build reads, one per line (the Glue table its statements select them by). */
  featureBuildSources: (version: string) => `${P.featureBuildSources}v=${version}/sources.csv`,
  /** The registry record of a feature set's version. */
  featureRegistry: (set: string, version: string) => `${P.featureRegistry}${set}/v=${version}.json`,
  /** The registry records of one feature set. */
  featureRegistryOf: (set: string) => `${P.featureRegistry}${set}/`,
  /** A training run's artifacts (model, card, metrics). */
  modelPrefix: (runId: string) => `${P.models}${runId}/`,
  /** One OpenLineage run event. */
  lineage: (job: string, date: string, runId: string) => `${lineagePrefix(job)}dt=${date}/${runId}.json`,
} as const;

export type LakeKeyKind = keyof typeof lakeKeys;

/** A key in a master entity's `latest/` folder, which repeats the dated snapshot beside it. */
export function isMasterLatestKey(key: string): boolean {
  if (!key.startsWith(P.rawMaster)) return false;
  return key.slice(P.rawMaster.length).split('/')[1] === 'latest';
}
