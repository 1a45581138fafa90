/**
 * ALS training task: trains on the interactions of a feature-set version and registers the model
 * (layers/als/train-job.ts). Exit 0 trained, 1 failed, 2 bad configuration. Runs as an ECS Fargate task
 * in the pipeline and as a child process on the local cloud (same entrypoint, same environment).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import { runTrainingJob } from '../../layers/als/train-job';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { AlsTrainEnv } from './env';

const logger = new Logger({ serviceName: 'als-train' });

async function main(): Promise<number> {
  let env: z.output<typeof AlsTrainEnv>;
  try {
    env = readEnv(AlsTrainEnv);
  } catch (err) {
    logger.error('bad configuration', { error: (err as Error).message });
    return 2;
  }
  const params = env.ALS_PARAMS ?? undefined;
  await runTrainingJob({
    s3: s3Client(),
    doc: dynamoDbDocumentClient(),
    bucket: env.LAKE_BUCKET,
    registryTable: env.MODEL_REGISTRY_TABLE,
    runId: env.RUN_ID,
    codeVersion: codeVersionFromEnv(),
    ...(env.FEATURE_VERSION ? { featureVersion: env.FEATURE_VERSION } : {}),
    ...(params ? { params } : {}),
    ...(typeof params?.budgetSeconds === 'number' ? { budgetSeconds: params.budgetSeconds } : {}),
    ...(env.RECOMMENDATIONS_TABLE ? { recommendationsTable: env.RECOMMENDATIONS_TABLE } : {}),
    ...(env.GATE_MIN_PRECISION_AT_10 !== undefined && env.GATE_MIN_LIFT_OVER_BASELINE !== undefined
      ? {
          gate: {
            minPrecisionAt10: env.GATE_MIN_PRECISION_AT_10,
            minLiftOverBaseline: env.GATE_MIN_LIFT_OVER_BASELINE,
          },
        }
      : {}),
    log: (message, details = {}) => logger.info(message, details),
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    logger.error('training failed', { error: err.message });
    process.exit(1);
  },
);
