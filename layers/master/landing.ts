/**
 * The master-data ingest: landing/master/{catalog,customers}… .csv → raw/master/<entity>/latest/<entity>.csv
 * and a dated snapshot raw/master/<entity>/dt=<today>/<entity>.csv (each with its manifest); rejected
 * rows to quarantine/master/<entity>/; the source to archive/master/<entity>/<date>/. The landing
 * protocol is layers/ingest/landing.ts; this is what master data puts into it.
 */
import type { Readable } from 'node:stream';
import type { IngestBase, LandingIngest, StepContext, StepOutput } from '../ingest/landing';
import { lakeKeys } from '../lake/keys';
import { buildManifest } from '../lake/manifest';
import { uploadFileWithManifest } from '../lake/s3-io';
import type { DatasetRef } from '../lineage/openlineage';
import { UnsupportedEncodingError } from '../util/csv-records';
import { UnusableMasterFileError, validateMasterFile } from './ingest';
import { entityOfKey, MASTER_SCHEMA_VERSION, type MasterEntity } from './schema';

/** The ingest of one landing key (its entity comes from the key), on `now`'s date. */
export function masterIngest(base: IngestBase, landingKey: string, now: () => Date = () => new Date()): LandingIngest {
  const entity = entityOfKey(landingKey);
  const folder = entity ?? 'unknown';
  return {
    ...base,
    job: 'master-ingest',
    dataset: entity ?? 'master-unknown',
    archiveKey: (name, today) => lakeKeys.archived(`master/${folder}`, today, name),
    quarantineDir: (today) => lakeKeys.quarantineDir(`master/${folder}`, today),
    step: (body, ctx) => masterStep(base, body, ctx, entity, now().toISOString().slice(0, 10)),
  };
}

async function masterStep(
  { s3, bucket }: IngestBase,
  body: Readable,
  ctx: StepContext,
  entity: MasterEntity | undefined,
  today: string,
): Promise<StepOutput> {
  const namespace = `s3://${bucket}`;
  const sourceInfo = { key: ctx.sourceKey, eTag: ctx.eTag, ledgerVersion: ctx.version, runId: ctx.runId };
  // The whole file cannot be read as this entity: it goes to quarantine as it is, with the reason.
  const unusable = (reason: string): StepOutput => ({ outputs: [], unusable: reason, details: { unusable: reason } });
  if (!entity)
    return unusable(
      'cannot tell the entity: put catalog files under landing/master/catalog/ and customer files under landing/master/customers/',
    );

  let result: Awaited<ReturnType<typeof validateMasterFile>>;
  try {
    result = await validateMasterFile(body, entity, ctx.workDir, ctx.encoding ? { encoding: ctx.encoding } : {});
  } catch (err) {
    if (err instanceof UnusableMasterFileError || err instanceof UnsupportedEncodingError) return unusable(err.message);
    throw err;
  }
  const outputs: DatasetRef[] = [];
  const upload = async (
    file: { path: string; md5: string; bytes: number; records: number },
    dataKey: string,
    dataset: string,
    contentType: string,
  ) => {
    const manifest = buildManifest({
      dataset,
      dataKey,
      contentType,
      body: file,
      records: file.records,
      schemaVersion: MASTER_SCHEMA_VERSION,
      source: sourceInfo,
    });
    await uploadFileWithManifest(s3, bucket, file.path, manifest);
    ctx.wrote(dataKey);
    outputs.push({ namespace, name: dataKey, md5: manifest.md5, records: manifest.records });
  };
  if (result.rows) {
    // The dated snapshot first, then "latest": a reader of latest/ never sees a snapshot-less version.
    await upload(result.rows, lakeKeys.masterDated(entity, today), entity, 'text/csv');
    await upload(result.rows, lakeKeys.masterLatest(entity), entity, 'text/csv');
  }
  if (result.quarantine) {
    await upload(
      result.quarantine,
      `${ctx.quarantineDir}/${ctx.name}.jsonl`,
      `${entity}-quarantine`,
      'application/x-ndjson',
    );
  }
  return {
    outputs,
    details: {
      entity,
      rows: result.rowsRead,
      valid: result.rows?.records ?? 0,
      quarantined: result.quarantine?.records ?? 0,
    },
  };
}
