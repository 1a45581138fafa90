import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { publishModel } from '../../layers/publish/publish';
import { codeVersionFromEnv, requireEnv, requirePositiveIntEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'publish' });
const Input = z.object({ runId: z.string().min(1), bucket: z.string().min(1) }).loose();

/** Write the model's top-N per user and the cold-start lists, then switch the production pointer. */
export const handler = async (event: unknown) => {
  const { runId, bucket } = Input.parse(event);
  return publishModel({
    s3: s3Client(),
    doc: dynamoDbDocumentClient(),
    bucket,
    registryTable: requireEnv('MODEL_REGISTRY_TABLE'),
    recommendationsTable: requireEnv('RECOMMENDATIONS_TABLE'),
    runId,
    topN: requirePositiveIntEnv('TOP_N'),
    ttlDays: requirePositiveIntEnv('RECOMMENDATIONS_TTL_DAYS'),
    codeVersion: codeVersionFromEnv(),
    log: (message, details) => logger.info(message, details ?? {}),
  });
};
