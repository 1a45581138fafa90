import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ACCEPTED_YEARS_ENV } from '../layers/util/timestamps';
import type { StageConfig } from './config';
import { BatchIngestion } from './constructs/batch-ingestion';
import { ClickstreamIngestion } from './constructs/clickstream-ingestion';
import { DataCatalog } from './constructs/data-catalog';
import { DataLake } from './constructs/data-lake';
import { ExternalMetadata } from './constructs/external-metadata';
import { FeatureBuild } from './constructs/feature-build';
import { FeatureStore } from './constructs/feature-store';
import { QualityValidation } from './constructs/quality-validation';
import { RecommendationsApi } from './constructs/recommendations-api';
import { TrainingPipeline } from './constructs/training-pipeline';
import { stackIdFor } from './stack-id';

export interface RecoMartStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The whole pipeline in one stack; the local cloud brings up its synthesized template. */
export class RecoMartStack extends Stack {
  constructor(scope: Construct, id: string, props: RecoMartStackProps) {
    super(scope, id, props);
    const { config } = props;

    const lake = new DataLake(this, 'Lake', {
      retainData: config.retainData,
      archiveTransitionDays: config.lake.archiveTransitionDays,
    });
    const featureStore = new FeatureStore(this, 'FeatureStore', { retainData: config.retainData });
    const clickstream = new ClickstreamIngestion(this, 'Clickstream', {
      lakeBucket: lake.bucket,
      featureStore,
      ...config.clickstream,
      logRetentionDays: config.logRetentionDays,
      retainData: config.retainData,
    });
    const batch = new BatchIngestion(this, 'BatchIngestion', {
      lakeBucket: lake.bucket,
      transactionsPrefix: config.lake.transactionsPrefix,
      masterPrefix: config.lake.masterPrefix,
      logRetentionDays: config.logRetentionDays,
      retainData: config.retainData,
    });
    const metadata = new ExternalMetadata(this, 'ExternalMetadata', {
      lakeBucket: lake.bucket,
      ...config.metadata,
      logRetentionDays: config.logRetentionDays,
    });
    new QualityValidation(this, 'Quality', {
      lakeBucket: lake.bucket,
      logRetentionDays: config.logRetentionDays,
    });
    const catalog = new DataCatalog(this, 'Catalog', {
      lakeBucket: lake.bucket,
      databaseName: `recomart_${config.stage}`,
    });
    const features = new FeatureBuild(this, 'Features', {
      lakeBucket: lake.bucket,
      featureStore,
      workGroup: catalog.workGroupName,
      database: catalog.databaseName,
      ...config.features,
      logRetentionDays: config.logRetentionDays,
    });
    const pipeline = new TrainingPipeline(this, 'TrainingPipeline', {
      lakeBucket: lake.bucket,
      featureBuild: features.stateMachine,
      retainData: config.retainData,
      gate: config.gate,
      publish: config.publish,
      schedule: config.pipelineSchedule,
      cpu: config.training.cpu,
      memoryMiB: config.training.memoryMiB,
      logRetentionDays: config.logRetentionDays,
    });

    new CfnOutput(this, 'LakeBucketName', { value: lake.bucket.bucketName });
    new CfnOutput(this, 'ClickstreamStreamName', { value: clickstream.stream.streamName });
    new CfnOutput(this, 'FeatureTableName', { value: featureStore.table.tableName });
    new CfnOutput(this, 'ClickstreamFunctionName', { value: clickstream.function.functionName });
    new CfnOutput(this, 'ClickstreamDlqUrl', { value: clickstream.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'FeaturesBuildFunctionName', { value: features.function.functionName });
    new CfnOutput(this, 'FeatureBuildStateMachineArn', { value: features.stateMachine.stateMachineArn });
    new CfnOutput(this, 'LedgerTableName', { value: batch.ledger.tableName });
    new CfnOutput(this, 'MetadataPullFunctionName', { value: metadata.function.functionName });
    new CfnOutput(this, 'MetadataApiKeySecretArn', { value: metadata.apiKeySecret.secretArn });
    new CfnOutput(this, 'MetadataPullSchedule', {
      value: metadata.rule
        ? config.metadata.schedule
        : 'not scheduled: set metadata.baseUrl (-c recomart:config=...) and the API key secret, then deploy again',
    });
    new CfnOutput(this, 'GlueDatabaseName', { value: catalog.database.ref });
    new CfnOutput(this, 'AthenaWorkGroup', { value: catalog.workGroup.ref });
    new CfnOutput(this, 'CheckInputsFunctionName', { value: pipeline.checkInputsFunction.functionName });
    new CfnOutput(this, 'ModelRegistryTableName', { value: pipeline.modelRegistry.tableName });
    const api = new RecommendationsApi(this, 'RecommendationsApi', {
      recommendations: pipeline.recommendations,
      featureTable: featureStore.table,
      auth: config.api.auth,
      logRetentionDays: config.logRetentionDays,
    });
    new CfnOutput(this, 'ApiEndpoint', { value: api.api.apiEndpoint });
    if (api.invokePolicy)
      new CfnOutput(this, 'ApiInvokePolicyArn', {
        value: api.invokePolicy.managedPolicyArn,
        description: 'Attach to the role or user that calls the recommendations API (requests are SigV4-signed).',
      });
    new CfnOutput(this, 'RecommendationsTableName', { value: pipeline.recommendations.tableName });
    new CfnOutput(this, 'TrainingStateMachineArn', { value: pipeline.stateMachine.stateMachineArn });

    for (const child of this.node.findAll()) {
      // One setting for every parser of event times (layers/util/timestamps.ts).
      if (child instanceof lambda.Function) child.addEnvironment(ACCEPTED_YEARS_ENV, config.lake.acceptedYears);
      // Logs are evidence: a stage that keeps its data keeps its logs when the stack goes.
      if (config.retainData && child instanceof logs.LogGroup) child.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    NagSuppressions.addStackSuppressions(this, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaBasicExecutionRole / VPC access roles are the AWS-maintained minimum for writing logs.',
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Wildcards are object-key prefixes (raw/clickstream/*), X-Ray segments and CDK-generated log/ECS task ' +
          'permissions that AWS does not allow scoping further.',
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is pinned deliberately: it matches the engine the code is tested on.',
      },
    ]);
  }
}

export { stackIdFor };
