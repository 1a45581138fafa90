/**
 * Clients the CLI and tests use to drive a deployment (stack outputs, direct invocations), built with
 * the same settings as ./clients.ts. A separate module so that Lambda and container bundles, which
 * import ./clients.ts, do not carry these SDK packages.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GlueClient } from '@aws-sdk/client-glue';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type ClientOptions, common } from './clients';

export function lambdaClient(opts: ClientOptions = {}): LambdaClient {
  return new LambdaClient(common('LAMBDA', opts));
}

/** Reads stack outputs (resource names) of a deployed stack. */
export function cloudFormationClient(opts: ClientOptions = {}): CloudFormationClient {
  return new CloudFormationClient(common('CLOUDFORMATION', opts));
}

/** Reads the Glue Data Catalog's table definitions. */
export function glueClient(opts: ClientOptions = {}): GlueClient {
  return new GlueClient(common('GLUE', opts));
}

/** Runs SQL over the lake (Athena on AWS; DuckDB behind the same API on the local cloud). */
export function athenaClient(opts: ClientOptions = {}): AthenaClient {
  return new AthenaClient(common('ATHENA', opts));
}
