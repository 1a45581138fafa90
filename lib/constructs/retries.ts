import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A task's retry: twice, 2 s then 4 s, with full jitter. */
export const taskRetry: sfn.RetryProps = {
  errors: ['States.TaskFailed'],
  interval: Duration.seconds(2),
  maxAttempts: 2,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/** Failures of the Lambda service itself (not of our code): every kind Step Functions names. */
export const lambdaServiceRetry: sfn.RetryProps = {
  ...taskRetry,
  errors: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.TooManyRequestsException',
  ],
  maxAttempts: 3,
};

/**
 * For an idempotent Lambda step (it writes the same objects or items when run again): the service's
 * failures and any failure of our code.
 */
export const idempotentLambdaRetry: sfn.RetryProps = {
  ...lambdaServiceRetry,
  errors: [...(lambdaServiceRetry.errors ?? []), 'States.TaskFailed'],
};
