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
import type { DatasetRef } from '../../layers/lineage/openlineage';
import { partitionTransactions, UnusableFileError } from '../../layers/transactions/partition';
import { TRANSACTIONS_SCHEMA_VERSION, transactionsRawKey } from '../../layers/transactions/schema';
import { mapSettled } from '../../layers/util/concurrency';
import { UnsupportedEncodingError } from '../../layers/util/csv-records';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { TransactionsIngestEnv } from './env';

const logger = new Logger({ serviceName: 'transactions-ingest' });
const s3 = s3Client();
const env = readEnv(TransactionsIngestEnv);
const bucket = env.LAKE_BUCKET;
const ledger = new Ledger(dynamoDbDocumentClient(), env.LEDGER_TABLE);

/**
 * landing/transactions/…csv → raw/transactions/dt=/ingested_<name>.csv (+ manifest) per transaction
 * date, unplaceable rows to quarantine/, the source to archive/; each version of each landing object
 * is its own batch, exactly once (docs/decisions/013-landing-versions.md).
 */
export const handler = async (event: S3Event, context?: Context): Promise<void> => {
  for (const record of event.Records) {
    await ingestLandingObject(
      {
        s3,
        bucket,
        ledger,
        job: 'transactions-ingest',
        dataset: 'transactions',
        codeVersion: codeVersionFromEnv(),
        log: (message, details) => logger.info(message, details),
        archiveKey: (name, today) => lakeKeys.archived('transactions', today, name),
        quarantineDir: (today) => lakeKeys.quarantineDir('transactions', today),
        step: partitionStep,
      },
      landingObjectOf(record),
      { waitUntil: lockWaitUntil(context?.getRemainingTimeInMillis()) },
    );
  }
};

async function partitionStep(body: Readable, ctx: StepContext): Promise<StepOutput> {
  const namespace = `s3://${bucket}`;
  const sourceInfo = { key: ctx.sourceKey, eTag: ctx.eTag, ledgerVersion: ctx.version, runId: ctx.runId };
  let result: Awaited<ReturnType<typeof partitionTransactions>>;
  try {
    result = await partitionTransactions(body, ctx.workDir, ctx.encoding ? { encoding: ctx.encoding } : {});
  } catch (err) {
    if (!(err instanceof UnusableFileError || err instanceof UnsupportedEncodingError)) throw err;
    // The whole file cannot be read as transactions: it goes to quarantine as it is, with the reason.
    return { outputs: [], unusable: err.message, details: { unusable: err.message } };
  }

  const uploads = result.partitions.map((partition) => ({
    file: partition.path,
    manifest: buildManifest({
      dataset: 'transactions',
      dataKey: transactionsRawKey(partition.dt, ctx.name),
      contentType: 'text/csv',
      body: partition,
      records: partition.records,
      minEventTime: new Date(partition.minMs).toISOString(),
      maxEventTime: new Date(partition.maxMs).toISOString(),
      schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
      source: sourceInfo,
    }),
  }));
  if (result.quarantine) {
    const q = result.quarantine;
    uploads.push({
      file: q.path,
      manifest: buildManifest({
        dataset: 'transactions-quarantine',
        dataKey: `${ctx.quarantineDir}/${ctx.name}.jsonl`,
        contentType: 'application/x-ndjson',
        body: q,
        records: q.records,
        schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
        source: sourceInfo,
      }),
    });
  }
  const settled = await mapSettled(uploads, 4, async (u) => {
    await uploadFileWithManifest(s3, bucket, u.file, u.manifest);
    ctx.wrote(u.manifest.dataKey);
  });
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const outputs: DatasetRef[] = uploads.map(({ manifest }) => ({
    namespace,
    name: manifest.dataKey,
    md5: manifest.md5,
    records: manifest.records,
  }));
  return {
    outputs,
    details: {
      rows: result.rowsRead,
      partitions: result.partitions.length,
      quarantined: result.quarantine?.records ?? 0,
    },
  };
}
