import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { MetadataPullEnv } from '../../lambdas/metadata-pull/env';
import { LAKE_ACCESS } from '../../layers/lake/access';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction } from './lambda-function';

export interface ExternalMetadataProps {
  readonly lakeBucket: s3.IBucket;
  /** The API's base URL. @default - none: the pull is deployed but not scheduled until one is set */
  readonly baseUrl?: string | null;
  /** EventBridge schedule expression, e.g. `cron(0 3 * * ? *)`. */
  readonly schedule: string;
  /** @default 10 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly attempts?: number;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/**
 * The scheduled pull of the external product metadata API into raw/external_metadata/. The API key
 * lives in Secrets Manager (the function gets the secret's ARN, never the key); a failed pull alarms.
 */
export class ExternalMetadata extends Construct {
  public readonly function: lambda.IFunction;
  public readonly apiKeySecret: secretsmanager.Secret;
  /** The daily schedule; undefined while no base URL is configured. */
  public readonly rule?: events.Rule;
  public readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ExternalMetadataProps) {
    super(scope, id);
    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKey', {
      description:
        'API key of the external product metadata API. Set it after deploy: aws secretsmanager put-secret-value.',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.apiKeySecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason: 'A third-party API key: the provider issues and rotates it; there is no rotation Lambda to write.',
      },
    ]);

    const timeoutSeconds = props.timeoutSeconds ?? 10;
    const attempts = props.attempts ?? 3;
    const fn = new RecoMartFunction(this, 'PullFunction', {
      functionDir: 'metadata-pull',
      environment: envFor(MetadataPullEnv, {
        LAKE_BUCKET: props.lakeBucket.bucketName,
        METADATA_BASE_URL: props.baseUrl || undefined,
        METADATA_API_KEY_SECRET_ARN: this.apiKeySecret.secretArn,
        METADATA_TIMEOUT_MS: timeoutSeconds * 1000,
        METADATA_ATTEMPTS: attempts,
      }),
      memorySize: 512,
      // every attempt of every page may time out, plus backoff: the function outlives its own retries
      timeout: Duration.seconds(Math.min(900, 60 + attempts * (timeoutSeconds + 8) * 4)),
      logRetentionDays: props.logRetentionDays,
    });
    this.function = fn;
    this.apiKeySecret.grantRead(fn);
    grantLakeAccess(props.lakeBucket, fn, LAKE_ACCESS['metadata-pull']);

    if (props.baseUrl) {
      this.rule = new events.Rule(this, 'Schedule', {
        description: 'Pull external product metadata into the raw zone.',
        schedule: events.Schedule.expression(props.schedule),
        // The function retries the API itself; a failed run alarms instead of re-running the whole pull.
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
      });
    }

    this.failureAlarm = new cloudwatch.Alarm(this, 'PullFailedAlarm', {
      alarmDescription: 'The external metadata pull gave up after its retries; nothing was written for that run.',
      metric: fn.metricErrors({ period: Duration.minutes(5) }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
