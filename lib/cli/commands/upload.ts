import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Command, Option } from 'commander';
import { s3Client } from '../../../layers/aws/clients';
import { MODE_METADATA } from '../../../layers/ingest/landing';
import { Progress } from '../progress';
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
  options: { replace?: boolean } = {},
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
  await upload.done();
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
    .action(
      async (
        file: string,
        opts: { dataset: UploadDataset; bucket?: string; state: string; stage: string; replace?: boolean },
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
          await uploadToLanding(
            s3,
            bucket,
            file,
            opts.dataset,
            (loaded) => {
              if (bytes > 16 * 1024 * 1024) progress.step(`  ${Math.round((100 * loaded) / bytes)}%`);
            },
            { replace: opts.replace === true },
          );
        } finally {
          s3.destroy();
        }
        progress.step(
          `done: s3://${bucket}/${key} (ingestion starts on its own${opts.replace ? '; it replaces earlier uploads of this name' : ''})`,
        );
      },
    );
}
