import type { Context } from 'aws-lambda';

/** The Lambda context a handler gets (what the Powertools middlewares read). */
export const lambdaContext = {
  functionName: 'test-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
  memoryLimitInMB: '512',
  awsRequestId: 'test-request',
  logGroupName: '/aws/lambda/test-function',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** Call a (middy) handler as Lambda does, with a context, and get its answer. */
export async function invoke<TEvent, TResult>(
  // biome-ignore lint/suspicious/noConfusingVoidType: middy's handler type is `void & Promise<T>` beside `T`
  handler: (event: TEvent, context: Context) => TResult | Promise<TResult> | (void & Promise<TResult>),
  event: TEvent,
): Promise<Awaited<TResult>> {
  return (await handler(event, lambdaContext)) as Awaited<TResult>;
}
