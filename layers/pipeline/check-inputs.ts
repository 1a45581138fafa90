/**
 * The training pipeline's first step: the run input checked (as `RunInputSchema` says), a pinned
 * feature version and pinned raw objects checked against the lake, and the raw dataset versions the
 * run may train on, with the ones their quality checks blocked listed and why. The state machine
 * catches the errors below by name.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { rawManifestsByDataset } from '../lake/inventory';
import { lakeKeys } from '../lake/keys';
import { getListedManifest, objectExists } from '../lake/listed';
import { putJson } from '../lake/s3-io';
import { manifestKeyFor } from '../lake/zones';
import { readStatus } from '../quality/status';
import { mapSettled } from '../util/concurrency';
import type { UseCaseLogger } from '../util/use-case-logger';
import { RunInputSchema as InputSchema, RUN_ID, runInputProblem } from './run-input';

export class NoInputDataError extends Error {
  override readonly name = 'NoInputDataError';
}
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}
/** A version the run was asked to use has not passed (or not been through) its quality checks. */
export class InputBlockedError extends Error {
  override readonly name = 'InputBlockedError';
}

/** Blocked versions named in the state's data (the rest are counted and listed in a report on S3). */
export const MAX_BLOCKED_LISTED = 25;

/**
 * The state machine passes `{ document, executionName }`; a direct invocation may pass the document
 * alone. The run id is the document's runId, else the execution name (RecordFailure uses the same rule).
 */
const EnvelopeSchema = z.object({ document: z.unknown(), executionName: z.string().min(1) });

/** What the use case is given. */
export interface CheckInputsDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly now: () => Date;
  readonly logger: Pick<UseCaseLogger, 'info' | 'warn'>;
}

/** First step of the training pipeline: validate the run input and find the raw datasets to use. */
export async function checkRunInputs(deps: CheckInputsDeps, event: unknown) {
  const { s3, bucket, logger } = deps;
  const envelope = EnvelopeSchema.safeParse(event);
  const document = envelope.success ? envelope.data.document : event;
  const input = InputSchema.safeParse(document ?? {});
  if (!input.success) throw new InvalidInputError(runInputProblem(input.error));
  const runId =
    input.data.runId ??
    (envelope.success && RUN_ID.test(envelope.data.executionName) ? envelope.data.executionName : undefined) ??
    `run-${deps.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
  const { featureVersion, dataKeys } = input.data;
  if (featureVersion) {
    const registryKey = lakeKeys.featureRegistry('interactions', featureVersion);
    if (!(await objectExists(s3, bucket, registryKey)))
      throw new InvalidInputError(
        `Feature version ${featureVersion} does not exist (no s3://${bucket}/${registryKey}).`,
      );
  }
  if (dataKeys) await checkPinnedData(deps, dataKeys);
  const manifests = await rawManifestsByDataset(s3, bucket);
  if (manifests.size === 0) {
    throw new NoInputDataError(`No raw datasets in s3://${bucket}/raw/: ingest data before running the pipeline.`);
  }
  // Versions the quality suite rejected are not trained on: they are listed with why.
  const blocked: { dataKey: string; failedCritical: string[]; report: string }[] = [];
  const datasets: Record<string, { manifests: number; blocked: number }> = {};
  for (const [name, keys] of manifests) {
    let usable = 0;
    let blockedHere = 0;
    // Two reads per version (manifest, status): a day of clickstream is thousands of them, read in parallel.
    const verdicts = await mapSettled(keys, 32, (manifestKey) => blockedVersion(deps, manifestKey));
    for (const settled of verdicts) {
      if (settled.status === 'rejected') throw settled.reason;
      const verdict = settled.value;
      if (verdict === 'superseded') continue; // retired by a re-upload since the listing
      if (verdict) {
        blocked.push(verdict);
        blockedHere++;
      } else usable++;
    }
    datasets[name] = { manifests: usable, blocked: blockedHere };
  }
  for (const b of blocked.slice(0, MAX_BLOCKED_LISTED)) {
    logger.warn('dataset version blocked for training by failed quality checks', b);
  }
  // The state's data must stay far below Step Functions' 256 KB: name the first blocked versions, and
  // put the whole list in a report when there are more.
  let blockedReport: string | undefined;
  if (blocked.length > MAX_BLOCKED_LISTED) {
    blockedReport = lakeKeys.pipelineBlocked(runId);
    await putJson(s3, bucket, blockedReport, blocked);
  }
  if (Object.values(datasets).every((d) => d.manifests === 0)) {
    throw new NoInputDataError(
      `Every raw dataset version failed its critical quality checks (${blocked.length} blocked, e.g. ${blocked[0]?.dataKey}: ${blocked[0]?.failedCritical.join(', ')}); see ${blocked[0]?.report}.`,
    );
  }
  logger.info('inputs found', { runId, datasets, blocked: blocked.length });
  return {
    runId,
    bucket,
    datasets,
    blocked: blocked.slice(0, MAX_BLOCKED_LISTED),
    blockedCount: blocked.length,
    ...(blockedReport ? { blockedReport } : {}),
    // Strings, so the later steps can pass them on as container overrides and Lambda input unchanged.
    alsParams: JSON.stringify(input.data.params ?? {}),
    minPrecisionAt10: input.data.minPrecisionAt10 ?? 0,
    // null when not pinned: the later states read them with JSONPath, which needs them present.
    featureVersion: featureVersion ?? null,
    dataKeys: dataKeys ?? null,
    k: input.data.k ?? null,
    weights: input.data.weights ?? null,
  };
}

/** Every pinned raw object must be in the lake and have passed its critical quality checks, as it is now. */
async function checkPinnedData({ s3, bucket }: CheckInputsDeps, dataKeys: readonly string[]): Promise<void> {
  for (const dataKey of dataKeys) {
    const manifest = await getListedManifest(s3, bucket, manifestKeyFor(dataKey));
    if (!manifest) throw new InvalidInputError(`${dataKey} is not in s3://${bucket}/ (no manifest next to it).`);
    const status = await readStatus(s3, bucket, dataKey);
    if (!status || status.md5 !== manifest.md5)
      throw new InputBlockedError(`${dataKey} has not been validated yet (in its current version); retry when it is.`);
    if (!status.usable)
      throw new InputBlockedError(
        `${dataKey} failed its critical quality checks (${status.failedCritical.join(', ') || status.unusable}); see ${status.report}.`,
      );
  }
}

/** The quality status of a version, when it says "not usable" for these exact bytes. */
async function blockedVersion(
  { s3, bucket }: CheckInputsDeps,
  manifestKey: string,
): Promise<{ dataKey: string; failedCritical: string[]; report: string } | 'superseded' | undefined> {
  const manifest = await getListedManifest(s3, bucket, manifestKey);
  if (!manifest) return 'superseded';
  const status = await readStatus(s3, bucket, manifest.dataKey);
  if (!status) return undefined; // not validated (yet): not blocked
  if (status.usable || status.md5 !== manifest.md5) return undefined;
  return { dataKey: manifest.dataKey, failedCritical: status.failedCritical, report: status.report };
}
