import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, S3Event } from 'aws-lambda';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import {
  ingestLandingObject,
  landingObjectOf,
  lockWaitUntil,
  type StepContext,
  type StepOutput,
} from '../../layers/ingest/landing';
import { Ledger } from '../../layers/ingest/ledger';
import { lakeKeys } from '../../layers/lake/keys';
import { buildManifest } from '../../layers/lake/manifest';
import { uploadFileWithManifest } from '../../layers/lake/s3-io';
import { decodeS3EventKey } from '../../layers/lake/zones';
import type { DatasetRef } from '../../layers/lineage/openlineage';
import { UnusableMasterFileError, validateMasterFile } from '../../layers/master/ingest';
import {
  datedMasterKey,
  entityOfKey,
  latestMasterKey,
  MASTER_SCHEMA_VERSION,
  type MasterEntity,
} from '../../layers/master/schema';
import { UnsupportedEncodingError } from '../../layers/util/csv-records';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { MasterIngestEnv } from './env';

const logger = new Logger({ serviceName: 'master-ingest' });
const s3 = s3Client();
const env = readEnv(MasterIngestEnv);
const bucket = env.LAKE_BUCKET;
const ledger = new Ledger(dynamoDbDocumentClient(), env.LEDGER_TABLE);

/**
 * landing/master/{catalog,customers}… .csv → raw/master/<entity>/latest/<entity>.csv and a dated
 * snapshot raw/master/<entity>/dt=<today>/<entity>.csv (each with its manifest); rejected rows to
 * quarantine/master/<entity>/; the source to archive/master/<entity>/<date>/.
 */
export const handler = async (event: S3Event, context?: Context): Promise<void> => {
  for (const record of event.Records) {
    const key = decodeS3EventKey(record.s3.object.key);
    const entity = entityOfKey(key);
    const folder = entity ?? 'unknown';
    await ingestLandingObject(
      {
        s3,
        bucket,
        ledger,
        job: 'master-ingest',
        dataset: entity ?? 'master-unknown',
        codeVersion: codeVersionFromEnv(),
        log: (message, details) => logger.info(message, details),
        archiveKey: (name, today) => lakeKeys.archived(`master/${folder}`, today, name),
        quarantineDir: (today) => lakeKeys.quarantineDir(`master/${folder}`, today),
        step: (body, ctx) => masterStep(body, ctx, entity),
      },
      landingObjectOf(record),
      { waitUntil: lockWaitUntil(context?.getRemainingTimeInMillis()) },
    );
  }
};

async function masterStep(body: Readable, ctx: StepContext, entity: MasterEntity | undefined): Promise<StepOutput> {
  const today = new Date().toISOString().slice(0, 10);
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
    await upload(result.rows, datedMasterKey(entity, today), entity, 'text/csv');
    await upload(result.rows, latestMasterKey(entity), entity, 'text/csv');
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
