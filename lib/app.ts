import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveStageConfig } from './config';
import { RecoMartStack, stackIdFor } from './recomart-stack';

export interface CreateAppOptions {
  /** CDK context (stage, recomart:config, ...). @default - from cdk.json / the command line */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory. @default - CDK's default (cdk.out or CDK_OUTDIR) */
  readonly outdir?: string;
  /** Add the cdk-nag AwsSolutions checks. @default true */
  readonly nag?: boolean;
}

/** Build the CDK app: one stack per stage. Used by bin/app.ts, the local cloud and the infra tests. */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: RecoMartStack } {
  // Asset metadata (aws:asset:path) tells the local cloud where each function's bundle is; the CDK CLI
  // turns it on itself, an in-process synth has to ask for it.
  const app = new App({
    outdir: options.outdir,
    context: { 'aws:cdk:enable-asset-metadata': true, ...options.context },
  });
  const config = resolveStageConfig(app.node.tryGetContext('stage'), app.node.tryGetContext('recomart:config'));
  const stack = new RecoMartStack(app, stackIdFor(config.stage), {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: `RecoMart recommendation data pipeline (${config.stage})`,
  });
  if (options.nag ?? true) Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, stack };
}
