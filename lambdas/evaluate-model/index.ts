import { z } from 'zod';
import { getModel, setModelStatus } from '../../layers/als/registry';
import { dynamoDbDocumentClient } from '../../layers/aws/clients';
import { gateVerdict, type ModelMetrics } from '../../layers/publish/gate';
import { productionVersion } from '../../layers/publish/serving';
import { readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { EvaluateModelEnv } from './env';

const { logger, traced, middlewares } = functionTools('evaluate-model');
const doc = traced(dynamoDbDocumentClient());
const env = readEnv(EvaluateModelEnv);
const registryTable = env.MODEL_REGISTRY_TABLE;
const recommendationsTable = env.RECOMMENDATIONS_TABLE;
const stageGate = {
  minPrecisionAt10: env.GATE_MIN_PRECISION_AT_10,
  minLiftOverBaseline: env.GATE_MIN_LIFT_OVER_BASELINE,
};

const Input = z.object({ runId: z.string().min(1), minPrecisionAt10: z.number().min(0).max(1).optional() }).loose();

/** The quality gate: does the run's model meet the thresholds and beat the production model? */
export const handler = middy(async (event: unknown) => {
  const { runId, minPrecisionAt10 } = Input.parse(event);
  // A run may tighten the stage's threshold, never loosen it.
  const gate = { ...stageGate, minPrecisionAt10: Math.max(stageGate.minPrecisionAt10, minPrecisionAt10 ?? 0) };
  const get = (id: string) => getModel(doc, registryTable, id);
  const candidate = await get(runId);
  if (!candidate) throw new Error(`Model ${runId} is not in the registry: did training finish?`);
  const productionId = await productionVersion(doc, recommendationsTable);
  const production = productionId ? await get(productionId) : undefined;
  const verdict = gateVerdict(
    candidate.metrics as ModelMetrics,
    production ? { ...(production.metrics as ModelMetrics), runId: productionId as string } : undefined,
    gate,
  );
  await setModelStatus(doc, registryTable, runId, verdict.pass ? 'GATE_PASSED' : 'REJECTED', {
    gate: { ...verdict, thresholds: gate, production: productionId ?? null },
  });
  logger.info('gate', { runId, ...verdict, production: productionId });
  return { ...verdict, production: productionId ?? null, cause: verdict.reasons.join('; ') || 'passed' };
}).use(middlewares);
