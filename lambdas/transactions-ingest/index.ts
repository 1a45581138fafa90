import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { s3Client } from '../../layers/aws/clients';
import { buildManifest } from '../../layers/lake/manifest';
import { putJson, putWithManifest } from '../../layers/lake/s3-io';
import { decodeS3EventKey, partitionOf } from '../../layers/lake/zones';
import { type PartitionResult, partitionTransactions, UnusableFileError } from '../../layers/transactions/partition';
import { TRANSACTION_COLUMNS, TRANSACTIONS_SCHEMA_VERSION } from '../../layers/transactions/schema';
import { requireEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'transactions-ingest' });
const s3 = s3Client();
const bucket = requireEnv('LAKE_BUCKET');

/** landing/transactions/*.csv → raw/transactions/dt=/ingested_<source>.csv (+ manifest), quarantine/, archive/. */
export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) {
    const key = decodeS3EventKey(record.s3.object.key);
    await ingest(key, record.s3.object.eTag ?? '');
  }
};

async function ingest(key: string, eTag: string): Promise<void> {
  const source = key.split('/').pop() ?? key;
  const sourceBase = source.replace(/\.csv$/i, '');
  const today = partitionOf(Date.now()).dt;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  let result: PartitionResult;
  try {
    result = await partitionTransactions(object.Body as Readable);
  } catch (err) {
    if (!(err instanceof UnusableFileError)) throw err;
    // The whole file cannot be read as transactions: quarantine it as it is, with the reason.
    await putJson(s3, bucket, `quarantine/transactions/dt=${today}/${sourceBase}.reason.json`, {
      source: key,
      eTag,
      reason: err.message,
    });
    await moveObject(key, `quarantine/transactions/dt=${today}/${source}`);
    logger.warn('file quarantined', { key, reason: err.message });
    return;
  }

  const header = TRANSACTION_COLUMNS.join(',');
  for (const partition of result.partitions.values()) {
    const dataKey = `raw/transactions/dt=${partition.dt}/ingested_${sourceBase}.csv`;
    const body = Buffer.from(`${header}\n${partition.lines.join('\n')}\n`, 'utf8');
    const manifest = buildManifest({
      dataset: 'transactions',
      dataKey,
      contentType: 'text/csv',
      body,
      records: partition.lines.length,
      minEventTime: new Date(partition.minMs).toISOString(),
      maxEventTime: new Date(partition.maxMs).toISOString(),
      schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
      source: { key, eTag },
    });
    await putWithManifest(s3, bucket, body, manifest);
  }
  if (result.quarantined.length > 0) {
    const dataKey = `quarantine/transactions/dt=${today}/${sourceBase}.jsonl`;
    const body = Buffer.from(
      `${result.quarantined.map((q) => JSON.stringify({ source: key, ...q })).join('\n')}\n`,
      'utf8',
    );
    const manifest = buildManifest({
      dataset: 'transactions-quarantine',
      dataKey,
      contentType: 'application/x-ndjson',
      body,
      records: result.quarantined.length,
      schemaVersion: TRANSACTIONS_SCHEMA_VERSION,
      source: { key, eTag },
    });
    await putWithManifest(s3, bucket, body, manifest);
  }
  await moveObject(key, `archive/transactions/${today}/${source}`);
  logger.info('file ingested', {
    key,
    rows: result.rowsRead,
    partitions: result.partitions.size,
    quarantined: result.quarantined.length,
  });
}

async function moveObject(from: string, to: string): Promise<void> {
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: encodeURI(`${bucket}/${from}`) }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
}
