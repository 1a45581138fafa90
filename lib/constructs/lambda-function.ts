import * as path from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { codeVersion } from '../code-version';
import { PROJECT_ROOT } from '../project-root';

/** Repository root (this file is lib/constructs/). */
export { PROJECT_ROOT };

export interface RecoMartFunctionProps {
  /** Folder name under `lambdas/` holding `index.ts`. */
  readonly functionDir: string;
  /** @default - no extra variables */
  readonly environment?: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 7 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** /tmp size in MiB (for spooling large files). @default 512 */
  readonly ephemeralStorageMiB?: number;
  /** Layers, and the modules they provide (left out of the bundle). */
  readonly layers?: lambda.ILayerVersion[];
  readonly layerModules?: string[];
}

/**
 * Our NodejsFunction defaults, in one place: ARM64, Node 22, JSON logs into an explicit log group with
 * retention, X-Ray tracing, source maps, bundled by the local esbuild (never Docker). Everything is
 * bundled, the AWS SDK included: the SDK the Lambda runtime ships is older than ours (our lib-storage
 * needs `@smithy/core/endpoints`, which it lacks), so a bundle must load with nothing beside it. Only the
 * modules of the function's own layers stay out.
 */
export class RecoMartFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RecoMartFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: retentionFor(props.logRetentionDays ?? 7),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'lambdas', props.functionDir, 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      ...(props.layers ? { layers: props.layers } : {}),
      ...(props.ephemeralStorageMiB ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } : {}),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: { NODE_OPTIONS: '--enable-source-maps', CODE_VERSION: codeVersion(), ...props.environment },
      bundling: {
        forceDockerBundling: false,
        // esbuild's per-bundle summary is noise in synth and deploy output; warnings and errors still show.
        logLevel: LogLevel.WARNING,
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        target: 'node22',
        // An explicit list: NodejsFunction would otherwise leave `@aws-sdk/*` out for Node 18+ runtimes.
        externalModules: [...(props.layerModules ?? [])],
      },
    });
  }
}

export function retentionFor(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  const match = allowed.filter((v) => v >= days).sort((a, b) => a - b)[0];
  return (match ?? logs.RetentionDays.INFINITE) as logs.RetentionDays;
}
