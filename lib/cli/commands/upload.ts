import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Command, Option } from 'commander';
import { dynamoDbDocumentClient, s3Client } from '../../../layers/aws/clients';
import { MODE_METADATA } from '../../../layers/ingest/landing';
import { Ledger } from '../../../layers/ingest/ledger';
import { type IngestionOutcome, ingestionOutcome } from '../../../layers/ingest/outcome';
import { type QualityStatus, readStatus } from '../../../layers/quality/status';
import { CliError } from '../errors';
import { Progress, positiveInt } from '../progress';
import { resolveTarget } from '../target';

export const UPLOAD_DATASETS = ['transactions', 'catalog', 'customers'] as const;
export type UploadDataset = (typeof UPLOAD_DATASETS)[number];

/** The landing key a file of `dataset` is dropped at (the stack's notification prefixes). */
export function landingKeyFor(dataset: UploadDataset, file: string): string {
  const name = path.basename(file);
  return dataset === 'transactions' ? `landing/transactions/${name}` : `landing/master/${dataset}/${name}`;
}

/** Stream a local CSV to its landing key (multipart for large files); returns the key. */
export async function uploadToLanding(
  s3: S3Client,
  bucket: string,
  file: string,
  dataset: UploadDataset,
  onProgress?: (loadedBytes: number) => void,
  options: { replace?: boolean; onUploaded?: (eTag: string) => void } = {},
): Promise<string> {
  const key = landingKeyFor(dataset, file);
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: fs.createReadStream(file),
      ContentType: 'text/csv',
      // A new upload is appended to what earlier ones of this key brought; replacing them is explicit.
      ...(options.replace ? { Metadata: { [MODE_METADATA]: 'replace' } } : {}),
    },
    partSize: 8 * 1024 * 1024,
    queueSize: 2,
  });
  upload.on('httpUploadProgress', (p) => {
    if (p.loaded) onProgress?.(p.loaded);
  });
  const done = await upload.done();
  options.onUploaded?.(done.ETag ?? '');
  return key;
}

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description("Drop a CSV into the lake's landing zone, where it triggers ingestion.")
    .argument('<file>', 'CSV file')
    .addOption(new Option('--dataset <name>', 'what the file holds').choices(UPLOAD_DATASETS).makeOptionMandatory())
    .option('--bucket <name>', 'lake bucket (default: the stack output LakeBucketName)')
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the bucket', 'dev')
    .option(
      '--replace',
      'retire the raw data of earlier uploads under the same name (default: this upload is appended)',
    )
    .option('--wait', 'wait for the ingestion and report it: rows to raw, rows quarantined and why, the ledger state')
    .option('--timeout <seconds>', 'how long --wait waits', positiveInt('--timeout'), 300)
    .option('--json', 'with --wait: print the outcome as JSON')
    .action(
      async (
        file: string,
        opts: {
          dataset: UploadDataset;
          bucket?: string;
          state: string;
          stage: string;
          replace?: boolean;
          wait?: boolean;
          timeout: number;
          json?: boolean;
        },
      ) => {
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`${file} is not a file.`);
        if (!file.toLowerCase().endsWith('.csv'))
          throw new Error(`${file} is not a .csv file; ingestion only picks up .csv drops.`);
        const progress = new Progress();
        const target = resolveTarget({ state: opts.state, stage: opts.stage });
        const bucket = opts.bucket ?? (await target.output('LakeBucketName'));
        const key = landingKeyFor(opts.dataset, file);
        const bytes = fs.statSync(file).size;
        progress.step(`uploading ${file} (${bytes} B) to s3://${bucket}/${key} via ${target.description}`);
        const s3 = s3Client({ env: target.env });
        try {
          let eTag = '';
          await uploadToLanding(
            s3,
            bucket,
            file,
            opts.dataset,
            (loaded) => {
              if (bytes > 16 * 1024 * 1024) progress.step(`  ${Math.round((100 * loaded) / bytes)}%`);
            },
            {
              replace: opts.replace === true,
              onUploaded: (tag) => {
                eTag = tag;
              },
            },
          );
          if (!opts.wait) {
            progress.step(
              `done: s3://${bucket}/${key} (ingestion starts on its own${opts.replace ? '; it replaces earlier uploads of this name' : ''})`,
            );
            return;
          }
          progress.step(`uploaded; waiting for its ingestion (at most ${opts.timeout} s)`);
          const doc = dynamoDbDocumentClient({ env: target.env });
          try {
            const ledger = new Ledger(doc, await target.output('LedgerTableName'));
            const deadline = Date.now() + opts.timeout * 1000;
            let entry = await ledger.get({ sourceKey: key, eTag });
            while (!entry || entry.status === 'IN_PROGRESS') {
              if (Date.now() > deadline)
                throw new CliError(
                  `s3://${bucket}/${key} was uploaded, but its ingestion ${entry ? 'is still in progress' : 'has not started'} after ${opts.timeout} s (ledger state: ${entry?.status ?? 'none'}).`,
                  1,
                );
              await new Promise((r) => setTimeout(r, 500));
              entry = await ledger.get({ sourceKey: key, eTag });
            }
            const outcome = await ingestionOutcome(s3, bucket, entry);
            // Each raw version is validated next (asynchronously): wait for the verdicts in the time left.
            progress.step(
              `ingested (${outcome.state}); waiting for the validation of ${outcome.raw.objects} raw versions`,
            );
            const verdicts = new Map<string, QualityStatus>();
            while (verdicts.size < outcome.raw.keys.length && Date.now() <= deadline) {
              for (const k of outcome.raw.keys) {
                if (verdicts.has(k)) continue;
                const status = await readStatus(s3, bucket, k);
                if (status) verdicts.set(k, status);
              }
              if (verdicts.size < outcome.raw.keys.length) await new Promise((r) => setTimeout(r, 500));
            }
            const validation = {
              validated: verdicts.size,
              pending: outcome.raw.keys.length - verdicts.size,
              usable: [...verdicts.values()].filter((v) => v.usable).length,
              blocked: [...verdicts.values()]
                .filter((v) => !v.usable)
                .map((v) => ({ dataKey: v.dataKey, failedCritical: v.failedCritical, report: v.report })),
              badRows: [...verdicts.values()].reduce((n, v) => n + v.badRows, 0),
            };
            if (opts.json) process.stdout.write(`${JSON.stringify({ ...outcome, validation })}\n`);
            else
              process.stdout.write(
                `${[
                  ...outcomeLines(outcome),
                  `  validation: ${validation.usable} usable, ${validation.blocked.length} blocked${validation.pending ? `, ${validation.pending} not validated yet` : ''}; ${validation.badRows} rows failed a critical check`,
                  ...validation.blocked.map(
                    (b) => `    blocked ${b.dataKey}: ${b.failedCritical.join(', ')} (report ${b.report})`,
                  ),
                ].join('\n')}\n`,
              );
            if (outcome.state === 'FAILED') process.exitCode = 1;
          } finally {
            doc.destroy();
          }
        } finally {
          s3.destroy();
        }
      },
    );
}

/** The outcome for a terminal: the ledger state, raw rows, quarantined rows and their commonest reasons. */
export function outcomeLines(o: IngestionOutcome): string[] {
  const lines = [
    `${o.sourceKey}, version ${o.version}: ${o.state}${o.error ? ` (${o.error})` : ''}`,
    `  raw:        ${o.raw.rows} rows in ${o.raw.objects} object${o.raw.objects === 1 ? '' : 's'}`,
    `  quarantine: ${o.quarantine.rows} rows${o.quarantine.rows ? ', commonest reasons:' : ''}`,
    ...o.quarantine.topReasons.map((r) => `    ${String(r.rows).padStart(6)}  ${r.reason}`),
  ];
  if (o.archiveKey) lines.push(`  archived:   ${o.archiveKey}`);
  return lines;
}
