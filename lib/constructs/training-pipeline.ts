import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { AlsTrainEnv } from '../../containers/als-train/env';
import { LakeAuditEnv } from '../../containers/lake-audit/env';
import { CheckInputsEnv } from '../../lambdas/check-inputs/env';
import { EvaluateModelEnv } from '../../lambdas/evaluate-model/env';
import { PublishEnv } from '../../lambdas/publish/env';
import { RecordFailureEnv } from '../../lambdas/record-failure/env';
import { LAKE_ACCESS } from '../../layers/lake/access';
import { LAKE_PREFIXES } from '../../layers/lake/keys';
import { RECOMMENDATIONS_TTL_DAYS } from '../../layers/publish/publish';
import { codeVersion } from '../code-version';
import { bundledContainerImage } from './bundled-container';
import { envFor, envPart, overridesFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction, retentionFor } from './lambda-function';
import { idempotentLambdaRetry, lambdaServiceRetry, taskRetry } from './retries';
import { recomartTable } from './table';

export interface TrainingPipelineProps {
  readonly lakeBucket: s3.IBucket;
  /** The feature build's state machine, run before training. */
  readonly featureBuild: sfn.IStateMachine;
  /** @default false */
  readonly retainData?: boolean;
  /** EventBridge schedule expression of the daily run. */
  readonly schedule: string;
  /** The quality gate and how many recommendations to publish per user. */
  readonly gate: { readonly minPrecisionAt10: number; readonly minLiftOverBaseline: number; readonly topN: number };
  /** Publishing: users per shard of the Map, and how many shards are written at once. */
  readonly publish: { readonly usersPerShard: number; readonly maxConcurrency: number };
  /** Fargate task CPU units. @default 1024 */
  readonly cpu?: number;
  /** Fargate task memory. @default 4096 */
  readonly memoryMiB?: number;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/**
 * The Step Functions "training-pipeline": check inputs (λ) → audit the raw zone against its manifests
 * (ECS task) → build features (a child state machine: plan λ, Athena UNLOADs, load λ) → train ALS (ECS task; artifacts under models/<runId>/, a record in
 * the model registry table) → evaluate against the gate (λ) → Choice → publish: plan (λ), a Map over
 * user shards (λ per shard), complete (λ: check the shards, cold-start lists, switch the production
 * pointer) → done. Every task is retried with backoff and jitter; every failure is caught, recorded in
 * the registry with its cause, and ends in a Fail state (an alarm watches failed executions).
 */
export class TrainingPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly failedAlarm: cloudwatch.Alarm;
  public readonly checkInputsFunction: lambda.IFunction;
  public readonly trainTaskDefinition: ecs.FargateTaskDefinition;
  public readonly modelRegistry: dynamodb.Table;
  public readonly recommendations: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const retention = retentionFor(props.logRetentionDays ?? 7);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'AuditTask', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 4096,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const container = this.taskDefinition.addContainer('lake-audit', {
      image: bundledContainerImage('lake-audit'),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'lake-audit',
        logGroup: new logs.LogGroup(this, 'AuditLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
      }),
      environment: { ...envPart(LakeAuditEnv, { AUDIT_PREFIX: LAKE_PREFIXES.raw }), CODE_VERSION: codeVersion() },
    });
    grantLakeAccess(props.lakeBucket, this.taskDefinition.taskRole, LAKE_ACCESS['lake-audit']);
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [
      { id: 'AwsSolutions-ECS2', reason: 'The only environment variable is a non-secret key prefix.' },
    ]);

    this.modelRegistry = recomartTable(this, 'ModelRegistry', { retainData: props.retainData });
    this.recommendations = recomartTable(this, 'Recommendations', {
      retainData: props.retainData,
      timeToLiveAttribute: 'expiresAt',
    });
    this.trainTaskDefinition = new ecs.FargateTaskDefinition(this, 'TrainTask', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 4096,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const trainContainer = this.trainTaskDefinition.addContainer('als-train', {
      image: bundledContainerImage('als-train', {
        'worker.js': { bundle: 'layers/als/worker.ts' },
        'worker-entry.cjs': { copy: 'layers/als/worker-entry.cjs' },
      }),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'als-train',
        logGroup: new logs.LogGroup(this, 'TrainLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
      }),
      // The trainer reads the production model (the card says what it replaces) and the stage's gate
      // thresholds (the verdict the card expects); the gate step decides.
      environment: {
        ...envPart(AlsTrainEnv, {
          MODEL_REGISTRY_TABLE: this.modelRegistry.tableName,
          RECOMMENDATIONS_TABLE: this.recommendations.tableName,
          GATE_MIN_PRECISION_AT_10: props.gate.minPrecisionAt10,
          GATE_MIN_LIFT_OVER_BASELINE: props.gate.minLiftOverBaseline,
        }),
        CODE_VERSION: codeVersion(),
      },
    });
    grantLakeAccess(props.lakeBucket, this.trainTaskDefinition.taskRole, LAKE_ACCESS.train);
    this.modelRegistry.grant(this.trainTaskDefinition.taskRole, 'dynamodb:PutItem', 'dynamodb:GetItem');
    this.recommendations.grant(this.trainTaskDefinition.taskRole, 'dynamodb:GetItem');
    NagSuppressions.addResourceSuppressions(this.trainTaskDefinition, [
      { id: 'AwsSolutions-ECS2', reason: 'The environment holds table names and gate thresholds, not secrets.' },
    ]);

    const checkInputsFn = new RecoMartFunction(this, 'CheckInputsFunction', {
      functionDir: 'check-inputs',
      environment: envFor(CheckInputsEnv, { LAKE_BUCKET: props.lakeBucket.bucketName }),
      // It reads two small objects per raw version (thousands a day for clickstream), 32 at a time.
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
    });
    this.checkInputsFunction = checkInputsFn;
    grantLakeAccess(props.lakeBucket, checkInputsFn, LAKE_ACCESS['check-inputs']);

    const retry = taskRetry;
    const lambdaRetry = lambdaServiceRetry;
    // A task ECS could not start (capacity, throttling, an image pull): started again. A task that ran
    // and exited non-zero is not retried; the exit-code check below fails the run.
    const ecsRetry: sfn.RetryProps = {
      ...retry,
      errors: ['ECS.AmazonECSException', 'ECS.ServerException', 'ECS.ThrottlingException', 'States.TaskFailed'],
      interval: Duration.seconds(10),
      maxAttempts: 3,
    };
    const pipelineFailed = new sfn.Fail(this, 'PipelineFailed', {
      comment: 'A step failed; its error and cause are in $.error.',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const recordFailureFn = new RecoMartFunction(this, 'RecordFailureFunction', {
      functionDir: 'record-failure',
      environment: envFor(RecordFailureEnv, { MODEL_REGISTRY_TABLE: this.modelRegistry.tableName }),
      logRetentionDays: props.logRetentionDays,
    });
    this.modelRegistry.grant(recordFailureFn, 'dynamodb:UpdateItem');
    // Every step's Catch comes here: the run is recorded as FAILED with its cause, then the execution fails.
    // The run id is the input's runId or else the execution name (CheckInputs applies the same rule), so
    // a failure is recorded under the run's key even before CheckInputs ran, and for scheduled runs.
    const failed = new tasks.LambdaInvoke(this, 'RecordFailure', {
      lambdaFunction: recordFailureFn,
      payload: sfn.TaskInput.fromObject({
        'executionName.$': '$$.Execution.Name',
        'executionInput.$': '$$.Execution.Input',
        'error.$': '$.error',
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    failed.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(1),
      maxAttempts: 2,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    failed.addCatch(pipelineFailed, { resultPath: '$.recordError' });
    failed.next(pipelineFailed);

    const checkInputs = new tasks.LambdaInvoke(this, 'CheckInputs', {
      lambdaFunction: checkInputsFn,
      payload: sfn.TaskInput.fromObject({ 'document.$': '$', 'executionName.$': '$$.Execution.Name' }),
      payloadResponseOnly: false,
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    })
      .addRetry(lambdaRetry)
      .addCatch(failed, { resultPath: '$.error' });

    /**
     * `ecs:runTask.sync` succeeds once the task stops, whatever its container's exit code, and a task that
     * never started has no exit code at all. Only fields every stopped task has are selected; this Choice
     * lets the run go on only when the container ran and exited 0, else the task goes to RecordFailure.
     */
    const exitedZero = (name: string, resultPath: string, next: sfn.IChainable) => {
      const containerFailed = new sfn.Pass(this, `${name}ContainerFailed`, {
        parameters: {
          Error: 'ContainerFailed',
          'Cause.$': `States.JsonToString(${resultPath})`,
        },
        resultPath: '$.error',
      }).next(failed);
      const exit = `${resultPath}.Containers[0].ExitCode`;
      return new sfn.Choice(this, `${name}Exited0`)
        .when(sfn.Condition.and(sfn.Condition.isPresent(exit), sfn.Condition.numberEquals(exit, 0)), next)
        .otherwise(containerFailed);
    };
    const ecsResult = { 'TaskArn.$': '$.TaskArn', 'Containers.$': '$.Containers' };

    const audit = new tasks.EcsRunTask(this, 'AuditLake', {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
      assignPublicIp: true,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      containerOverrides: [
        {
          containerDefinition: container,
          environment: overridesFor(LakeAuditEnv, {
            LAKE_BUCKET: sfn.JsonPath.stringAt('$.bucket'),
            RUN_ID: sfn.JsonPath.stringAt('$.runId'),
          }),
        },
      ],
      resultPath: '$.audit',
      resultSelector: ecsResult,
    })
      .addRetry(ecsRetry)
      .addCatch(failed, { resultPath: '$.error' });

    // The feature build is its own state machine (./feature-build.ts), run to its end as a child
    // execution; its output is the load's summary.
    const buildFeatures = new tasks.StepFunctionsStartExecution(this, 'BuildFeatures', {
      stateMachine: props.featureBuild,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      associateWithParent: true,
      input: sfn.TaskInput.fromObject({ 'dataKeys.$': '$.dataKeys', 'weights.$': '$.weights' }),
      resultSelector: { 'version.$': '$.Output.version', 'interactions.$': '$.Output.interactions' },
      resultPath: '$.features',
    })
      // Too many running executions: start it again later. AWS does not document whether the error
      // name carries the SDK's "Exception" suffix; both are listed (docs/decisions/024-feature-build-in-sql.md).
      .addRetry({
        ...taskRetry,
        errors: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.ExecutionLimitExceededException'],
        interval: Duration.seconds(30),
        maxAttempts: 4,
      })
      .addCatch(failed, { resultPath: '$.error' });

    const train = new tasks.EcsRunTask(this, 'TrainModel', {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: this.cluster,
      taskDefinition: this.trainTaskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
      assignPublicIp: true,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      containerOverrides: [
        {
          containerDefinition: trainContainer,
          environment: overridesFor(AlsTrainEnv, {
            LAKE_BUCKET: sfn.JsonPath.stringAt('$.bucket'),
            RUN_ID: sfn.JsonPath.stringAt('$.runId'),
            FEATURE_VERSION: sfn.JsonPath.stringAt('$.features.version'),
            ALS_PARAMS: sfn.JsonPath.stringAt('$.alsParams'),
          }),
        },
      ],
      resultPath: '$.training',
      resultSelector: ecsResult,
    })
      .addRetry(ecsRetry)
      .addCatch(failed, { resultPath: '$.error' });

    const tables = {
      MODEL_REGISTRY_TABLE: this.modelRegistry.tableName,
      RECOMMENDATIONS_TABLE: this.recommendations.tableName,
    };
    const evaluateFn = new RecoMartFunction(this, 'EvaluateFunction', {
      functionDir: 'evaluate-model',
      environment: envFor(EvaluateModelEnv, {
        ...tables,
        GATE_MIN_PRECISION_AT_10: props.gate.minPrecisionAt10,
        GATE_MIN_LIFT_OVER_BASELINE: props.gate.minLiftOverBaseline,
      }),
      logRetentionDays: props.logRetentionDays,
    });
    this.modelRegistry.grant(evaluateFn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.recommendations.grant(evaluateFn, 'dynamodb:GetItem');
    const publishFn = new RecoMartFunction(this, 'PublishFunction', {
      functionDir: 'publish',
      environment: envFor(PublishEnv, {
        ...tables,
        TOP_N: props.gate.topN,
        RECOMMENDATIONS_TTL_DAYS,
        USERS_PER_SHARD: props.publish.usersPerShard,
      }),
      memorySize: 2048,
      timeout: Duration.minutes(15),
      ephemeralStorageMiB: 2048,
      logRetentionDays: props.logRetentionDays,
    });
    grantLakeAccess(props.lakeBucket, publishFn, LAKE_ACCESS.publish);
    this.modelRegistry.grant(publishFn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.recommendations.grant(publishFn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem');

    const evaluateModel = new tasks.LambdaInvoke(this, 'EvaluateModel', {
      lambdaFunction: evaluateFn,
      payload: sfn.TaskInput.fromObject({ 'runId.$': '$.runId', 'minPrecisionAt10.$': '$.minPrecisionAt10' }),
      resultSelector: {
        'pass.$': '$.Payload.pass',
        'cause.$': '$.Payload.cause',
        'production.$': '$.Payload.production',
      },
      resultPath: '$.gate',
      retryOnServiceExceptions: false,
    })
      .addRetry(lambdaRetry)
      .addCatch(failed, { resultPath: '$.error' });
    // Publishing: plan the user shards, write them in parallel (Map), then check them all and switch the
    // production pointer. Until that switch the previous model's recommendations stay served.
    const planPublish = new tasks.LambdaInvoke(this, 'PlanPublish', {
      lambdaFunction: publishFn,
      payload: sfn.TaskInput.fromObject({ step: 'plan', 'runId.$': '$.runId', 'bucket.$': '$.bucket', 'k.$': '$.k' }),
      resultSelector: {
        'runId.$': '$.Payload.runId',
        'generatedAt.$': '$.Payload.generatedAt',
        'topN.$': '$.Payload.topN',
        'users.$': '$.Payload.users',
        'shards.$': '$.Payload.shards',
      },
      resultPath: '$.publishPlan',
      retryOnServiceExceptions: false,
    })
      .addRetry(lambdaRetry)
      .addCatch(failed, { resultPath: '$.error' });
    const publishShard = new tasks.LambdaInvoke(this, 'PublishShard', {
      lambdaFunction: publishFn,
      resultSelector: { 'shard.$': '$.Payload.shard', 'users.$': '$.Payload.users', 'written.$': '$.Payload.written' },
      retryOnServiceExceptions: false,
    })
      // A shard rewrites the same keys, so any failure of one may be retried on its own.
      .addRetry(idempotentLambdaRetry);
    const publishShards = new sfn.Map(this, 'PublishShards', {
      comment: 'Top-N for each shard of users, written under the new model version; not served yet.',
      itemsPath: '$.publishPlan.shards',
      maxConcurrency: props.publish.maxConcurrency,
      itemSelector: {
        step: 'shard',
        'runId.$': '$.runId',
        'bucket.$': '$.bucket',
        'generatedAt.$': '$.publishPlan.generatedAt',
        'topN.$': '$.publishPlan.topN',
        'shard.$': '$$.Map.Item.Value',
      },
      resultPath: '$.publishShards',
    })
      .itemProcessor(publishShard)
      .addCatch(failed, { resultPath: '$.error' });
    const completePublish = new tasks.LambdaInvoke(this, 'CompletePublish', {
      lambdaFunction: publishFn,
      payload: sfn.TaskInput.fromObject({
        step: 'complete',
        'bucket.$': '$.bucket',
        'plan.$': '$.publishPlan',
        'results.$': '$.publishShards',
        'expected.$': '$.gate.production',
      }),
      resultSelector: {
        'users.$': '$.Payload.users',
        'shards.$': '$.Payload.shards',
        'previous.$': '$.Payload.previous',
      },
      resultPath: '$.published',
      retryOnServiceExceptions: false,
    })
      .addRetry(lambdaRetry)
      .addCatch(failed, { resultPath: '$.error' });
    const publish = planPublish.next(publishShards).next(completePublish);
    const rejected = new sfn.Fail(this, 'ModelRejected', {
      comment: 'The new model did not pass the quality gate; the production model stays served.',
      error: 'ModelRejected',
      causePath: '$.gate.cause',
    });
    const gateChoice = new sfn.Choice(this, 'PassesGate')
      .when(sfn.Condition.booleanEquals('$.gate.pass', true), publish.next(new sfn.Succeed(this, 'Done')))
      .otherwise(rejected);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    // A run may pin an existing feature version (CheckInputs checked it exists): then nothing is rebuilt.
    const usePinnedFeatures = new sfn.Pass(this, 'UsePinnedFeatures', {
      parameters: { 'version.$': '$.featureVersion', pinned: true },
      resultPath: '$.features',
    });
    train.next(exitedZero('TrainModel', '$.training', evaluateModel.next(gateChoice)));
    const featuresChoice = new sfn.Choice(this, 'FeaturesPinned')
      .when(sfn.Condition.isString('$.featureVersion'), usePinnedFeatures.next(train))
      .otherwise(buildFeatures.next(train));

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        checkInputs.next(audit).next(exitedZero('AuditLake', '$.audit', featuresChoice)),
      ),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    new events.Rule(this, 'DailyRun', {
      description: 'Run the training pipeline (features, ALS, gate, publish) on its schedule.',
      schedule: events.Schedule.expression(props.schedule),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }),
          retryAttempts: 2,
        }),
      ],
    });

    this.failedAlarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmDescription: 'A training-pipeline execution failed.',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
