import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ingestLandingObject, type StepContext, type StepOutput } from '../../layers/ingest/landing';
import { Ledger } from '../../layers/ingest/ledger';
import { buildManifest } from '../../layers/lake/manifest';
import { putJson, uploadFileWithManifest } from '../../layers/lake/s3-io';
import { decodeS3EventKey } from '../../layers/lake/zones';
import type { DatasetRef } from '../../layers/lineage/openlineage';
import { partitionTransactions, UnusableFileError } from '../../layers/transactions/partition';
import { TRANSACTIONS_SCHEMA_VERSION } from '../../layers/transactions/schema';
import { mapSettled } from '../../layers/util/concurrency';
import { codeVersionFromEnv, requireEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'transactions-ingest' });
const s3 = s3Client();
const bucket = requireEnv('LAKE_BUCKET');
const ledger = new Ledger(dynamoDbDocumentClient(), requireEnv('LEDGER_TABLE'));

/**
 * landing/transactions/*.csv → raw/transactions/dt=/ingested_<source>.csv (+ manifest) per transaction
 * date, unplaceable rows to quarantine/, the source to archive/; exactly once per (key, ETag).
 */
export const handler = async (event: S3Event): Promise<void> => {
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
        archiveKey: (key, today) => `archive/transactions/${today}/${path.posix.basename(key)}`,
        step: partitionStep,
      },
      decodeS3EventKey(record.s3.object.key),
      record.s3.object.eTag ?? '',
    );
  }
};

async function partitionStep(body: Readable, ctx: StepContext): Promise<StepOutput> {
  const source = path.posix.basename(ctx.sourceKey);
  const sourceBase = source.replace(/\.csv$/i, '');
  const today = new Date().toISOString().slice(0, 10);
  const namespace = `s3://${bucket}`;
  const sourceInfo = { key: ctx.sourceKey, eTag: ctx.eTag, ledgerVersion: ctx.version, runId: ctx.runId };
  let result: Awaited<ReturnType<typeof partitionTransactions>>;
  try {
    result = await partitionTransactions(body, ctx.workDir);
  } catch (err) {
    if (!(err instanceof UnusableFileError)) throw err;
    // The whole file cannot be read as transactions: it goes to quarantine as it is, with the reason.
    const reasonKey = `quarantine/transactions/dt=${today}/${sourceBase}.v${ctx.version}.reason.json`;
    await putJson(s3, bucket, reasonKey, { ...sourceInfo, reason: err.message });
    logger.warn('file quarantined', { key: ctx.sourceKey, reason: err.message });
    return {
      outputs: [{ namespace, name: reasonKey }],
      moveSourceTo: `quarantine/transactions/dt=${today}/${sourceBase}.v${ctx.version}.csv`,
      details: { unusable: err.message },
    };
  }

  const outputs: DatasetRef[] = [];
  const uploads = result.partitions.map((partition) => {
    const manifest = buildManifest({
      dataset: 'transactions',
      dataKey: `raw/transactions/dt=${partition.dt}/ingested_${sourceBase}.csv`,
      contentType: 'text/csv',
      body: partition,
      records: partition.records,
      minEventTime: new Date(partition.minMs).toISOString(),
      maxEventTime: new Date(partition.maxMs).toISOString(),
      schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
      source: sourceInfo,
    });
    return { file: partition.path, manifest };
  });
  if (result.quarantine) {
    const q = result.quarantine;
    uploads.push({
      file: q.path,
      manifest: buildManifest({
        dataset: 'transactions-quarantine',
        dataKey: `quarantine/transactions/dt=${today}/${sourceBase}.v${ctx.version}.jsonl`,
        contentType: 'application/x-ndjson',
        body: q,
        records: q.records,
        schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
        source: sourceInfo,
      }),
    });
  }
  const settled = await mapSettled(uploads, 4, (u) => uploadFileWithManifest(s3, bucket, u.file, u.manifest));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  for (const { manifest } of uploads)
    outputs.push({ namespace, name: manifest.dataKey, md5: manifest.md5, records: manifest.records });
  return {
    outputs,
    details: {
      rows: result.rowsRead,
      partitions: result.partitions.length,
      quarantined: result.quarantine?.records ?? 0,
    },
  };
}
