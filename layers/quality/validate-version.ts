/**
 * Validate one raw version when its manifest lands: its dataset's quality suite over the data object,
 * the JSON, HTML and PDF reports under reports/quality/, failing rows to quarantine/quality/, the
 * version's status (usable for training or not) where the training pipeline looks, a lineage event
 * and the verdict metric. The validate function is this use case behind an S3 event.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isMasterLatestKey, lakeKeys } from '../lake/keys';
import { getListedManifest, readListed } from '../lake/listed';
import { buildManifest } from '../lake/manifest';
import { getStream, putJson, putWithManifest, readOrMissing } from '../lake/s3-io';
import { PartitionSpool } from '../lake/spool';
import { isManifestKey } from '../lake/zones';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import type { UseCaseLogger } from '../util/use-case-logger';
import type { KeyLookup } from './checks';
import type * as Report from './report';
import type { QualityStatus } from './status';
import { QUALITY_DATASETS, type QualityDataset, SUITES } from './suites';
import { loadKeys, validateStream } from './validate';

/** What the use case is given: its clients, clock, logger, the report renderer and where verdicts go. */
export interface ValidateVersionDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly codeVersion: string;
  readonly now: () => Date;
  readonly logger: Pick<UseCaseLogger, 'info' | 'warn'>;
  readonly report: Pick<typeof Report, 'renderCharts' | 'renderHtml' | 'renderPdf'>;
  /** One verdict per validated version (the stack's alarm watches it). */
  readonly publishVerdict: (dataset: string, failed: boolean) => void;
}

const REFERENCES = {
  catalog: { key: lakeKeys.masterLatest('catalog'), column: 'product_id' },
  customers: { key: lakeKeys.masterLatest('customers'), column: 'customer_id' },
} as const;

/** The manifests of an S3 event that name a version to validate (a master entity's latest/ repeats a dated snapshot). */
export function manifestsToValidate(keys: readonly string[]): string[] {
  return keys.filter((key) => isManifestKey(key) && !isMasterLatestKey(key));
}

export async function validateRawVersion(deps: ValidateVersionDeps, manifestKey: string): Promise<void> {
  const { s3, bucket, logger, report } = deps;
  const putBody = async (key: string, body: Buffer, contentType: string) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  };
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
    const today = deps.now().toISOString().slice(0, 10);
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
      validatedAt: deps.now().toISOString(),
    };
    await putJson(s3, bucket, lakeKeys.qualityStatus(manifest.dataKey), status);
    await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: 'validate',
        codeVersion: deps.codeVersion,
        inputs: [{ namespace: `s3://${bucket}`, name: manifest.dataKey, md5: manifest.md5, records: manifest.records }],
        outputs: outputs.map((name) => ({ namespace: `s3://${bucket}`, name })),
        details: { passed: result.passed, failedCritical: result.failedCritical },
      }),
    );
    // One metric per version, in CloudWatch embedded metric format (the alarm watches it).
    deps.publishVerdict(dataset, !result.passed);
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
