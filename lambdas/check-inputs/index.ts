import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { s3Client } from '../../layers/aws/clients';
import { checkRunInputs } from '../../layers/pipeline/check-inputs';
import { readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { useCaseLogger } from '../../layers/util/use-case-logger';
import { CheckInputsEnv } from './env';

const logger = new Logger({ serviceName: 'check-inputs' });
const deps = {
  s3: s3Client(),
  bucket: readEnv(CheckInputsEnv).LAKE_BUCKET,
  now: () => new Date(),
  logger: useCaseLogger(logger),
};

/**
 * The training pipeline's first step (layers/pipeline/check-inputs.ts). The state machine passes
 * `{ document, executionName }`; a direct invocation may pass the document alone.
 */
export const handler = middy(async (event: unknown) => checkRunInputs(deps, event)).use(injectLambdaContext(logger));
