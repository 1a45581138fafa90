/**
 * ALS training task: trains on the interactions of a feature-set version and registers the model
 * (layers/als/train-job.ts). Exit 0 trained, 1 failed, 2 bad configuration. Runs as an ECS Fargate task
 * in the pipeline and as a child process on the local cloud (same entrypoint, same environment).
 */

import { runTrainingJob } from '../../layers/als/train-job';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { codeVersionFromEnv } from '../../layers/util/env';

async function main(): Promise<number> {
  const bucket = process.env.LAKE_BUCKET;
  const runId = process.env.RUN_ID;
  const registryTable = process.env.MODEL_REGISTRY_TABLE;
  if (!bucket || !runId || !registryTable) {
    console.error('LAKE_BUCKET, RUN_ID and MODEL_REGISTRY_TABLE must be set (the state machine passes them).');
    return 2;
  }
  let params: Record<string, unknown> | undefined;
  try {
    params = process.env.ALS_PARAMS ? (JSON.parse(process.env.ALS_PARAMS) as Record<string, unknown>) : undefined;
  } catch {
    console.error('ALS_PARAMS is not valid JSON.');
    return 2;
  }
  const log = (message: string, details: Record<string, unknown> = {}) =>
    console.log(JSON.stringify({ level: 'INFO', message, ...details }));
  await runTrainingJob({
    s3: s3Client(),
    doc: dynamoDbDocumentClient(),
    bucket,
    registryTable,
    runId,
    codeVersion: codeVersionFromEnv(),
    ...(process.env.FEATURE_VERSION ? { featureVersion: process.env.FEATURE_VERSION } : {}),
    ...(params ? { params } : {}),
    ...(typeof params?.budgetSeconds === 'number' ? { budgetSeconds: params.budgetSeconds } : {}),
    ...(process.env.RECOMMENDATIONS_TABLE ? { recommendationsTable: process.env.RECOMMENDATIONS_TABLE } : {}),
    ...(process.env.GATE_MIN_PRECISION_AT_10 && process.env.GATE_MIN_LIFT_OVER_BASELINE
      ? {
          gate: {
            minPrecisionAt10: Number(process.env.GATE_MIN_PRECISION_AT_10),
            minLiftOverBaseline: Number(process.env.GATE_MIN_LIFT_OVER_BASELINE),
          },
        }
      : {}),
    log,
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(JSON.stringify({ level: 'ERROR', message: 'training failed', error: err.message }));
    process.exit(1);
  },
);
