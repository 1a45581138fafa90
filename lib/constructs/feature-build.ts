import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FeaturesBuildEnv } from '../../lambdas/features-build/env';
import type { ImplicitWeights } from '../../layers/features/builders';
import { LAKE_ACCESS } from '../../layers/lake/access';
import type { FeatureStore } from './feature-store';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction } from './lambda-function';

export interface FeatureBuildProps {
  readonly lakeBucket: s3.IBucket;
  readonly featureStore: FeatureStore;
  readonly ttlDays: number;
  readonly weights: ImplicitWeights;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/**
 * The feature build step (a Lambda the training pipeline will run as a task): validated raw data →
 * online store (user and item features) + offline store and registry under features/.
 */
export class FeatureBuild extends Construct {
  public readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: FeatureBuildProps) {
    super(scope, id);
    const fn = new RecoMartFunction(this, 'BuildFunction', {
      functionDir: 'features-build',
      environment: envFor(FeaturesBuildEnv, {
        LAKE_BUCKET: props.lakeBucket.bucketName,
        FEATURE_TABLE: props.featureStore.table.tableName,
        FEATURE_TTL_DAYS: props.ttlDays,
        FEATURE_WEIGHTS: props.weights,
      }),
      memorySize: 3008,
      timeout: Duration.minutes(15),
      ephemeralStorageMiB: 4096,
      logRetentionDays: props.logRetentionDays,
    });
    this.function = fn;
    grantLakeAccess(props.lakeBucket, fn, LAKE_ACCESS['features-build']);
    props.featureStore.table.grant(fn, 'dynamodb:BatchWriteItem');
  }
}
