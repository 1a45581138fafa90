import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { s3Client } from '../../layers/aws/clients';
import { isMasterLatestKey, lakeKeys } from '../../layers/lake/keys';
import { getListedManifest, readListed } from '../../layers/lake/listed';
import { buildManifest } from '../../layers/lake/manifest';
import { getStream, putJson, putWithManifest, readOrMissing } from '../../layers/lake/s3-io';
import { PartitionSpool } from '../../layers/lake/spool';
import { decodeS3EventKey, isManifestKey } from '../../layers/lake/zones';
import { runEvent, writeRunEvent } from '../../layers/lineage/openlineage';
import { latestMasterKey } from '../../layers/master/schema';
import type { KeyLookup } from '../../layers/quality/checks';
import { publishCriticalFailure, QUALITY_NAMESPACE, QUALITY_SERVICE } from '../../layers/quality/metrics';
import type * as Report from '../../layers/quality/report';
import { type QualityStatus, qualityStatusKey } from '../../layers/quality/status';
import { QUALITY_DATASETS, type QualityDataset, SUITES } from '../../layers/quality/suites';
import { loadKeys, validateStream } from '../../layers/quality/validate';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { ValidateEnv } from './env';

// The renderer (vega-lite, pdfkit) comes from the quality-report layer: too big for a function bundle.
const report: typeof Report = require('@recomart/quality-report');

const logger = new Logger({ serviceName: QUALITY_SERVICE });
const metrics = new Metrics({ namespace: QUALITY_NAMESPACE, serviceName: QUALITY_SERVICE });
const s3 = s3Client();
const bucket = readEnv(ValidateEnv).LAKE_BUCKET;

const REFERENCES = {
  catalog: { key: latestMasterKey('catalog'), column: 'product_id' },
  customers: { key: latestMasterKey('customers'), column: 'customer_id' },
} as const;

/**
 * A raw manifest landed → run its dataset's quality suite over the data object: JSON + HTML + PDF
 * report under reports/quality/, failing rows to quarantine/quality/, and the version's status (usable
 * for training or not) where the training pipeline looks (reports/quality/_status/).
 */
export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) {
    const manifestKey = decodeS3EventKey(record.s3.object.key);
    if (!isManifestKey(manifestKey) || isMasterLatestKey(manifestKey)) continue; // latest/ repeats a dated snapshot
    await validateObject(manifestKey);
  }
};

async function validateObject(manifestKey: string): Promise<void> {
  // A version a newer re-upload retired before its validation ran has nothing left to validate.
  const manifest = await getListedManifest(s3, bucket, manifestKey);
  if (!manifest) {
    logger.info('version retired before validation: nothing to validate', { manifestKey });
    return;
  }
  const dataset = manifest.dataset as QualityDataset;
  if (!QUALITY_DATASETS.includes(dataset)) {
    logger.info('no quality suite for this dataset', { dataset, manifestKey });
    return;
  }
  const suite = SUITES[dataset];
  const references: Record<string, KeyLookup> = {};
  for (const name of suite.references) {
    const ref = REFERENCES[name];
    // readOrMissing: a reference written between the GET and the listing that tells "missing" from
    // "denied" (master data landing while we validate) is read again, not taken for a denial.
    const keys = await readOrMissing(s3, bucket, ref.key, async (key) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return loadKeys(out.Body as Readable, ref.column);
    });
    if (keys) references[name] = keys;
    else
      logger.warn('reference dataset not in the lake yet: its referential checks are skipped', { reference: ref.key });
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-'));
  const spool = new PartitionSpool(workDir);
  try {
    const object = await readListed(s3, bucket, manifest.dataKey, (key) => getStream(s3, bucket, key));
    if (!object) {
      logger.info('version retired while validation started: nothing to validate', { manifestKey });
      return;
    }
    const result = await validateStream(object, suite, {
      source: `s3://${bucket}/${manifest.dataKey}`,
      references,
      expectedRows: manifest.records,
      onBadRow: (row, fields, reasons) => spool.append('bad', JSON.stringify({ row, reasons, record: fields })),
    });
    const today = new Date().toISOString().slice(0, 10);
    const name = path.posix.basename(manifest.dataKey).replace(/\.[a-z]+$/i, '');
    const partition = /\/(dt=[^/]+(?:\/hour=[^/]+)?)\//.exec(manifest.dataKey)?.[1] ?? `dt=${today}`;
    const base = lakeKeys.qualityReportBase(dataset, partition, name);
    await putJson(s3, bucket, `${base}.json`, result);
    const outputs = [`${base}.json`];
    // Clickstream lands as many small micro-batch objects: each gets its JSON result and status; the
    // human reports are for the batch datasets, where one object is one export.
    if (dataset !== 'clickstream') {
      const charts = await report.renderCharts(result);
      await putBody(`${base}.html`, Buffer.from(await report.renderHtml(result, charts)), 'text/html; charset=utf-8');
      await putBody(`${base}.pdf`, await report.renderPdf(result, charts), 'application/pdf');
      outputs.push(`${base}.html`, `${base}.pdf`);
    }
    const [bad] = spool.close();
    if (bad) {
      const body = fs.readFileSync(bad.path);
      const quarantineKey = lakeKeys.qualityQuarantine(dataset, partition, name);
      await putWithManifest(
        s3,
        bucket,
        body,
        buildManifest({
          dataset: `${dataset}-quality-quarantine`,
          dataKey: quarantineKey,
          contentType: 'application/x-ndjson',
          body,
          records: bad.records,
          schemaVersion: manifest.schemaVersion,
          source: { dataKey: manifest.dataKey, md5: manifest.md5 },
        }),
      );
      outputs.push(quarantineKey);
    }
    const status: QualityStatus = {
      dataKey: manifest.dataKey,
      md5: manifest.md5,
      dataset,
      usable: result.passed,
      failedCritical: result.failedCritical,
      ...(result.unusable ? { unusable: result.unusable } : {}),
      badRows: result.badRows,
      rows: result.rows,
      report: outputs[1] ?? (outputs[0] as string),
      validatedAt: new Date().toISOString(),
    };
    await putJson(s3, bucket, qualityStatusKey(manifest.dataKey), status);
    await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: 'validate',
        codeVersion: codeVersionFromEnv(),
        inputs: [{ namespace: `s3://${bucket}`, name: manifest.dataKey, md5: manifest.md5, records: manifest.records }],
        outputs: outputs.map((name) => ({ namespace: `s3://${bucket}`, name })),
        details: { passed: result.passed, failedCritical: result.failedCritical },
      }),
    );
    // One metric per version, in CloudWatch embedded metric format (the alarm watches it).
    publishCriticalFailure(metrics, dataset, !result.passed);
    const log = result.passed ? logger.info.bind(logger) : logger.warn.bind(logger);
    log('validated', {
      dataKey: manifest.dataKey,
      rows: result.rows,
      badRows: result.badRows,
      passed: result.passed,
      failedCritical: result.failedCritical,
      report: outputs[1] ?? (outputs[0] as string),
    });
  } finally {
    spool.dispose();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function putBody(key: string, body: Buffer, contentType: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}
