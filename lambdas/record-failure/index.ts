import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { setModelStatus } from '../../layers/als/registry';
import { dynamoDbDocumentClient } from '../../layers/aws/clients';
import { requireEnv } from '../../layers/util/env';

const logger = new Logger({ serviceName: 'record-failure' });
const doc = dynamoDbDocumentClient();
const registryTable = requireEnv('MODEL_REGISTRY_TABLE');

const Input = z.object({
  executionName: z.string().min(1),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

/** The pipeline's failure path: the run is recorded as FAILED in the model registry with its cause. */
export const handler = async (event: unknown) => {
  const { executionName, error } = Input.parse(event);
  let cause = error?.Cause ?? '';
  try {
    // Lambda and ECS errors arrive as JSON documents; keep their message (and an ECS task's exit codes).
    const parsed = JSON.parse(cause) as {
      errorMessage?: string;
      StoppedReason?: string;
      Containers?: { Name?: string; ExitCode?: number }[];
    };
    const exits = (parsed.Containers ?? [])
      .filter((c) => c.ExitCode !== undefined && c.ExitCode !== 0)
      .map((c) => `${c.Name} exited with code ${c.ExitCode}`);
    cause = parsed.errorMessage ?? (parsed.StoppedReason ? [parsed.StoppedReason, ...exits].join(': ') : cause);
  } catch {
    // a plain-text cause
  }
  await setModelStatus(doc, registryTable, executionName, 'FAILED', {
    failedAt: new Date().toISOString(),
    error: error?.Error ?? 'Unknown',
    cause: cause.slice(0, 2000),
  });
  logger.error('pipeline run failed', { executionName, error: error?.Error, cause });
  return { recorded: true };
};
