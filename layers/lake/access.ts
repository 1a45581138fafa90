/**
 * What each function and task may do in the lake, by prefix: the constructs grant exactly this
 * (lib/constructs/lake-grants.ts `grantLakeAccess`), and the key builders of layers/lake/keys.ts write
 * under these prefixes. A test evaluates the synthesized roles' policies against keys the builders
 * make, and the local cloud enforces the same policies on every call (docs/decisions/019-lake-contract.md).
 */
import { FEATURE_SETS } from '../features/builders';
import { datasetPrefix, lineagePrefix, LAKE_PREFIXES as P } from './keys';

export interface LakeAccess {
  /** GetObject under each prefix, and ListBucket limited to them. */
  readonly read: readonly string[];
  /** PutObject under each prefix. */
  readonly write: readonly string[];
  /** DeleteObject under each prefix (a rollback, a consumed landing file). */
  readonly delete?: readonly string[];
  /** Also DeleteObjectVersion under these (of the delete prefixes). */
  readonly deleteVersions?: readonly string[];
}

/** A landing ingest (transactions, master data): what it reads from landing, and where it writes. */
export function ingestAccess(landingPrefix: string, dataset: string, job: string): LakeAccess {
  return {
    read: [landingPrefix, datasetPrefix('archive', dataset)],
    write: [
      datasetPrefix('raw', dataset),
      datasetPrefix('quarantine', dataset),
      datasetPrefix('archive', dataset),
      lineagePrefix(job),
    ],
    delete: [landingPrefix, datasetPrefix('raw', dataset)],
    deleteVersions: [landingPrefix],
  };
}

export const LAKE_ACCESS = {
  'clickstream-ingest': {
    read: [],
    write: [P.rawClickstream, datasetPrefix('quarantine', 'clickstream'), lineagePrefix('clickstream-ingest')],
    delete: [P.rawClickstream, datasetPrefix('quarantine', 'clickstream')],
  },
  'metadata-pull': { read: [], write: [P.rawExternalMetadata, lineagePrefix('metadata-pull')] },
  validate: { read: [P.raw], write: [P.qualityReports, P.qualityQuarantine, lineagePrefix('validate')] },
  'features-build': {
    read: [P.raw, P.qualityStatus, P.curated, P.features],
    write: [P.curated, P.featureBuilds, P.featureRegistry, lineagePrefix('features-build'), lineagePrefix('curate')],
    /** A curated partition's file for an earlier set of versions, replaced. */
    delete: [P.curated],
  },
  /**
   * The state machine's feature statements, run by Athena with its role: the curated transactions and
   * click events, the catalog's snapshots and the external metadata in, each set's version out.
   */
  'feature-queries': {
    read: [`${P.rawMaster}catalog/`, P.rawExternalMetadata, P.curated, P.features, P.athenaResults],
    write: [...Object.values(FEATURE_SETS).map((set) => `${P.features}${set}/`), P.athenaResults],
  },
  'check-inputs': { read: [P.raw, P.qualityStatus, P.featureRegistry], write: [P.pipelineReports] },
  'lake-audit': { read: [P.raw], write: [P.auditReports] },
  train: { read: [P.features], write: [P.models, lineagePrefix('train')] },
  publish: { read: [P.models, P.features], write: [lineagePrefix('publish')] },
} as const satisfies Record<string, LakeAccess>;
