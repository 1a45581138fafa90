/**
 * The Powertools every function uses, for one service name: the Logger, with the Lambda context on
 * each line, and the Tracer, with a subsegment for the handler and one per AWS call of each client it
 * captures. On AWS the functions have active X-Ray tracing; outside Lambda's runtime (the local cloud,
 * the tests) Powertools turns the Tracer off and a captured client is the client itself (README,
 * "What the local cloud does not do").
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

export function functionTools(serviceName: string) {
  const logger = new Logger({ serviceName });
  const tracer = new Tracer({ serviceName });
  return {
    logger,
    tracer,
    /** The client, each of its calls traced as a subsegment. */
    traced: <T>(client: T): T => tracer.captureAWSv3Client(client),
    /**
     * The Logger's and the Tracer's middlewares for `middy(...).use(...)`. A handler's response is not
     * recorded in the trace: it can be large, and it can carry users' data.
     */
    middlewares: [injectLambdaContext(logger), captureLambdaHandler(tracer, { captureResponse: false })],
  };
}
