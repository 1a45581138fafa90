/**
 * The transactions ingest: landing/transactions/…csv → raw/transactions/dt=/ingested_<name>.csv (+
 * manifest) per transaction date, unplaceable rows to quarantine/, the source to archive/; each version
 * of each landing object is its own batch, exactly once (docs/decisions/013-landing-versions.md). The
 * landing protocol is layers/ingest/landing.ts; this is what the transactions put into it.
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { IngestBase, LandingIngest, StepContext, StepOutput } from '../ingest/landing';
import { lakeKeys } from '../lake/keys';
import { buildManifest } from '../lake/manifest';
import { uploadFileWithManifest } from '../lake/s3-io';
import type { DatasetRef } from '../lineage/openlineage';
import { mapSettled } from '../util/concurrency';
import { UnsupportedEncodingError } from '../util/csv-records';
import { partitionTransactions, UnusableFileError } from './partition';
import { TRANSACTIONS_SCHEMA_VERSION } from './schema';

export function transactionsIngest(base: IngestBase): LandingIngest {
  return {
    ...base,
    job: 'transactions-ingest',
    dataset: 'transactions',
    archiveKey: (name, today) => lakeKeys.archived('transactions', today, name),
    quarantineDir: (today) => lakeKeys.quarantineDir('transactions', today),
    step: (body, ctx) => partitionStep(base.s3, base.bucket, body, ctx),
  };
}

async function partitionStep(s3: S3Client, bucket: string, body: Readable, ctx: StepContext): Promise<StepOutput> {
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
      dataKey: lakeKeys.rawTransactions(partition.dt, ctx.name),
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
