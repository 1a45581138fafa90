import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { s3Client } from '../../layers/aws/clients';
import { rawManifestsByDataset } from '../../layers/lake/inventory';
import { requireEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'check-inputs' });
const s3 = s3Client();
const bucket = requireEnv('LAKE_BUCKET');

const InputSchema = z
  .object({
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,80}$/)
      .optional(),
  })
  .loose();

export class NoInputDataError extends Error {
  override readonly name = 'NoInputDataError';
}
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** First step of the training pipeline: validate the run input and find the raw datasets to use. */
export const handler = async (event: unknown) => {
  const input = InputSchema.safeParse(event ?? {});
  if (!input.success) {
    throw new InvalidInputError(`Run input is invalid: ${input.error.issues[0]?.message ?? 'unknown problem'}`);
  }
  const runId = input.data.runId ?? `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
  const manifests = await rawManifestsByDataset(s3, bucket);
  if (manifests.size === 0) {
    throw new NoInputDataError(`No raw datasets in s3://${bucket}/raw/: ingest data before running the pipeline.`);
  }
  const datasets = Object.fromEntries([...manifests].map(([name, keys]) => [name, { manifests: keys.length }]));
  logger.info('inputs found', { runId, datasets });
  return { runId, bucket, datasets };
};
