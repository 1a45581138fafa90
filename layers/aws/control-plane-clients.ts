/**
 * Clients the CLI and tests use to drive a deployment (stack outputs, direct invocations), built with
 * the same settings as ./clients.ts. A separate module so that Lambda and container bundles, which
 * import ./clients.ts, do not carry these SDK packages.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type ClientOptions, common } from './clients';

export function lambdaClient(opts: ClientOptions = {}): LambdaClient {
  return new LambdaClient(common('LAMBDA', opts));
}

/** Reads stack outputs (resource names) of a deployed stack. */
export function cloudFormationClient(opts: ClientOptions = {}): CloudFormationClient {
  return new CloudFormationClient(common('CLOUDFORMATION', opts));
}
