import { z } from 'zod';
import { setModelStatus } from '../../layers/als/registry';
import { dynamoDbDocumentClient } from '../../layers/aws/clients';
import { readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { RecordFailureEnv } from './env';

const { logger, traced, middlewares } = functionTools('record-failure');
const doc = traced(dynamoDbDocumentClient());
const registryTable = readEnv(RecordFailureEnv).MODEL_REGISTRY_TABLE;

const Input = z.object({
  executionName: z.string().min(1),
  /** The execution's input document: its runId, when it names one, is the run's key. */
  executionInput: z.unknown().optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

/** The pipeline's failure path: the run is recorded as FAILED in the model registry with its cause. */
export const handler = middy(async (event: unknown) => {
  const { executionName, executionInput, error } = Input.parse(event);
  const named = (executionInput as { runId?: unknown } | null | undefined)?.runId;
  const runId = typeof named === 'string' && /^[A-Za-z0-9_.-]{1,80}$/.test(named) ? named : executionName;
  let cause = error?.Cause ?? '';
  try {
    // Lambda and ECS errors arrive as JSON documents; keep their message (and an ECS task's exit codes).
    const parsed = JSON.parse(cause) as {
      errorMessage?: string;
      StoppedReason?: string;
      Containers?: { Name?: string; ExitCode?: number; Reason?: string }[];
    };
    const exits = (parsed.Containers ?? [])
      .filter((c) => c.ExitCode !== 0)
      .map((c) =>
        c.ExitCode === undefined
          ? `${c.Name} did not run${c.Reason ? ` (${c.Reason})` : ''}`
          : `${c.Name} exited with code ${c.ExitCode}`,
      );
    const parts = [parsed.StoppedReason, ...exits].filter((p): p is string => Boolean(p));
    cause = parsed.errorMessage ?? (parts.length > 0 ? parts.join(': ') : cause);
  } catch {
    // a plain-text cause
  }
  await setModelStatus(doc, registryTable, runId, 'FAILED', {
    failedAt: new Date().toISOString(),
    error: error?.Error ?? 'Unknown',
    cause: cause.slice(0, 2000),
  });
  logger.error('pipeline run failed', { runId, executionName, error: error?.Error, cause });
  return { recorded: true, runId };
}).use(middlewares);
