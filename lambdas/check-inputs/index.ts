import { s3Client } from '../../layers/aws/clients';
import { checkRunInputs } from '../../layers/pipeline/check-inputs';
import { readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { useCaseLogger } from '../../layers/util/use-case-logger';
import { CheckInputsEnv } from './env';

const { logger, traced, middlewares } = functionTools('check-inputs');
const deps = {
  s3: traced(s3Client()),
  bucket: readEnv(CheckInputsEnv).LAKE_BUCKET,
  now: () => new Date(),
  logger: useCaseLogger(logger),
};

/**
 * The training pipeline's first step (layers/pipeline/check-inputs.ts). The state machine passes
 * `{ document, executionName }`; a direct invocation may pass the document alone.
 */
export const handler = middy(async (event: unknown) => checkRunInputs(deps, event)).use(middlewares);
