import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ClickstreamIngestEnv } from '../../lambdas/clickstream-ingest/env';
import { LAKE_ACCESS } from '../../layers/lake/access';
import type { FeatureStore } from './feature-store';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction } from './lambda-function';

export interface ClickstreamIngestionProps {
  readonly lakeBucket: s3.IBucket;
  /** Where the real-time session features go. */
  readonly featureStore: FeatureStore;
  /** Hours a user's session features live after their last update (DynamoDB TTL). @default 48 */
  readonly sessionTtlHours?: number;
  /** 0 = on-demand capacity; > 0 = provisioned with that many shards. @default 0 */
  readonly shardCount?: number;
  /** @default 500 */
  readonly batchSize?: number;
  /** @default 1 */
  readonly maxBatchingWindowSeconds?: number;
  /** @default 3600 */
  readonly maxRecordAgeSeconds?: number;
  /** @default 3 */
  readonly retryAttempts?: number;
  /** @default 1 */
  readonly parallelizationFactor?: number;
  /** @default 7 */
  readonly logRetentionDays?: number;
  /** @default false */
  readonly retainData?: boolean;
}

/**
 * Kinesis "clickstream" → clickstream-ingest λ → raw/clickstream/ + quarantine/clickstream/ and the
 * real-time session features in the feature store; batches given up on go to an SQS DLQ.
 */
export class ClickstreamIngestion extends Construct {
  public readonly stream: kinesis.Stream;
  public readonly function: lambda.IFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  public readonly dlqDepthAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ClickstreamIngestionProps) {
    super(scope, id);
    const shardCount = props.shardCount ?? 0;
    const batchSize = props.batchSize ?? 500;
    if (batchSize < 1 || batchSize > 10_000) throw new Error('batchSize must be between 1 and 10000.');
    const removal = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: shardCount === 0 ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      ...(shardCount > 0 ? { shardCount } : {}),
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(24),
      removalPolicy: removal,
    });
    NagSuppressions.addResourceSuppressions(this.stream, [
      {
        id: 'AwsSolutions-KDS3',
        reason:
          'The AWS-managed aws/kinesis key encrypts at rest; access is controlled by IAM on the stream, so a CMK adds cost only.',
      },
    ]);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: removal,
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the on-failure destination (DLQ) of the stream consumer.' },
    ]);

    const fn = new RecoMartFunction(this, 'IngestFunction', {
      functionDir: 'clickstream-ingest',
      environment: envFor(ClickstreamIngestEnv, {
        LAKE_BUCKET: props.lakeBucket.bucketName,
        FEATURE_TABLE: props.featureStore.table.tableName,
        SESSION_TTL_SECONDS: (props.sessionTtlHours ?? 48) * 3600,
      }),
      memorySize: 512,
      timeout: Duration.seconds(60),
      logRetentionDays: props.logRetentionDays,
    });
    this.function = fn;
    // A failed batch takes its own objects back out before it is redelivered (never raw and DLQ both).
    grantLakeAccess(props.lakeBucket, fn, LAKE_ACCESS['clickstream-ingest']);
    props.featureStore.grantConditionalWrite(fn);

    fn.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow: Duration.seconds(props.maxBatchingWindowSeconds ?? 1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        maxRecordAge: Duration.seconds(props.maxRecordAgeSeconds ?? 3600),
        retryAttempts: props.retryAttempts ?? 3,
        parallelizationFactor: props.parallelizationFactor ?? 1,
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );

    this.iteratorAgeAlarm = new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: 'Clickstream consumer is falling behind (iterator age above 5 minutes).',
      metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: 300_000,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dlqDepthAlarm = new cloudwatch.Alarm(this, 'DlqDepthAlarm', {
      alarmDescription: 'Clickstream batches were given up on and sent to the DLQ.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
