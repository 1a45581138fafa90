/**
 * The CloudFormation stack name of a stage, used by the CDK app, the local cloud and the CLI (which
 * finds the stack by it without loading the CDK).
 */
export function stackIdFor(stage: string): string {
  return `RecoMart-${stage}`;
}
