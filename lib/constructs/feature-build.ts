import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FeaturesBuildEnv } from '../../lambdas/features-build/env';
import type { ImplicitWeights } from '../../layers/features/builders';
import { LAKE_ACCESS } from '../../layers/lake/access';
import type { FeatureStore } from './feature-store';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction, retentionFor } from './lambda-function';
import { idempotentLambdaRetry, lambdaServiceRetry } from './retries';

/** A Map item that is a run `[from, to)` of a list the step reads from the lake (layers/features/select.ts mapRuns). */
const RUN_ITEM = { 'from.$': '$$.Map.Item.Value.from', 'to.$': '$$.Map.Item.Value.to' };

export interface FeatureBuildProps {
  readonly lakeBucket: s3.IBucket;
  readonly featureStore: FeatureStore;
  readonly ttlDays: number;
  readonly weights: ImplicitWeights;
  /** Where the statements run: the catalog's Athena workgroup and Glue database. */
  readonly workGroup: string;
  readonly database: string;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/**
 * The feature build, a state machine of its own (the training pipeline runs it as a child execution;
 * `recomart features build` starts it alone): plan the build (λ: the validated raw versions, one
 * statement per feature set), write the curated files of their partitions the lake lacks (a Map of λ),
 * run each statement on Athena (an UNLOAD of the set's version as Parquet
 * under features/<set>/v=<version>/), describe the files (λ), load each user and item file into the
 * online store (a Map of λ), and register (λ: the registry, lineage). Its input
 * is `{ dataKeys, weights }` (either may be null); its output the load's summary
 * (docs/decisions/024-feature-build-in-sql.md).
 */
export class FeatureBuild extends Construct {
  public readonly function: lambda.IFunction;
  public readonly stateMachine: sfn.StateMachine;

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
      logRetentionDays: props.logRetentionDays,
    });
    this.function = fn;
    grantLakeAccess(props.lakeBucket, fn, LAKE_ACCESS['features-build']);
    props.featureStore.table.grant(fn, 'dynamodb:BatchWriteItem');

    const select = new tasks.LambdaInvoke(this, 'SelectFeatureSources', {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ step: 'select', 'dataKeys.$': '$.dataKeys', 'weights.$': '$.weights' }),
      resultSelector: {
        'version.$': '$.Payload.version',
        'createdAt.$': '$.Payload.createdAt',
        'planKey.$': '$.Payload.planKey',
        'queries.$': '$.Payload.queries',
        'curate.$': '$.Payload.curate',
      },
      resultPath: '$.plan',
      retryOnServiceExceptions: false,
    }).addRetry(lambdaServiceRetry);
    // The selected transactions and click events as the curated zone's files (one per partition),
    // written where the zone does not hold them yet; the statements read those.
    const curateFiles = new tasks.LambdaInvoke(this, 'CurateFiles', {
      lambdaFunction: fn,
      resultSelector: { 'written.$': '$.Payload.written', 'records.$': '$.Payload.records' },
      retryOnServiceExceptions: false,
    })
      // A partition curated again writes the same file: any failure but a changed selection (the build
      // must select again) may be retried. Step Functions takes the first retrier that names the error.
      .addRetry({ errors: ['SelectionChangedError'], maxAttempts: 0 })
      .addRetry(idempotentLambdaRetry);
    const curate = new sfn.Map(this, 'CurateSources', {
      comment: "The selected versions' partitions the curated zone does not hold yet, as typed Parquet.",
      itemsPath: '$.plan.curate',
      maxConcurrency: 10,
      itemSelector: {
        step: 'curate',
        'planKey.$': '$.plan.planKey',
        ...RUN_ITEM,
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(curateFiles);
    // Only a request Athena refused before the query started is retried: a query that ran may have
    // written files, and UNLOAD refuses a location that holds any.
    const unload = new sfn.CustomState(this, 'UnloadFeatureSet', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
        Parameters: {
          'QueryString.$': '$.query',
          WorkGroup: props.workGroup,
          QueryExecutionContext: { Database: props.database, Catalog: 'AwsDataCatalog' },
        },
        ResultSelector: {
          'queryExecutionId.$': '$.QueryExecution.QueryExecutionId',
          'dataScannedInBytes.$': '$.QueryExecution.Statistics.DataScannedInBytes',
        },
        Retry: [
          {
            ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'],
            IntervalSeconds: 5,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
      },
    });
    const unloads = new sfn.Map(this, 'UnloadFeatureSets', {
      comment: "Each feature set's statement on Athena: an UNLOAD of its version as Parquet.",
      itemsPath: '$.plan.queries',
      maxConcurrency: 3,
      itemSelector: { 'set.$': '$$.Map.Item.Value.set', 'query.$': '$$.Map.Item.Value.query' },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(unload);
    // After the statements: describe their files, load the user and item files into the online store
    // (a Map of at most 100 runs of files, each its own invocation, so no one function holds the whole
    // load and the state holds the runs, not the files), then register.
    // The statements stay in the history, not in the output.
    const describe = new tasks.LambdaInvoke(this, 'DescribeFeatureFiles', {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ step: 'describe', 'planKey.$': '$.plan.planKey' }),
      resultSelector: { 'descriptionKey.$': '$.Payload.descriptionKey', 'online.$': '$.Payload.online' },
      resultPath: '$.files',
      retryOnServiceExceptions: false,
    }).addRetry(lambdaServiceRetry);
    const loadFile = new tasks.LambdaInvoke(this, 'LoadOnlineFiles', {
      lambdaFunction: fn,
      resultSelector: { 'files.$': '$.Payload.files', 'items.$': '$.Payload.items' },
      retryOnServiceExceptions: false,
    })
      // Files written again write the same items: any failure may be retried.
      .addRetry(idempotentLambdaRetry);
    const loadOnline = new sfn.Map(this, 'LoadOnlineFeatures', {
      comment: 'The user and item features files into the online store, a run of files per invocation.',
      itemsPath: '$.files.online',
      maxConcurrency: 8,
      itemSelector: {
        step: 'online',
        'version.$': '$.plan.version',
        'createdAt.$': '$.plan.createdAt',
        'descriptionKey.$': '$.files.descriptionKey',
        ...RUN_ITEM,
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(loadFile);
    const register = new tasks.LambdaInvoke(this, 'RegisterFeatures', {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ step: 'register', 'descriptionKey.$': '$.files.descriptionKey' }),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    }).addRetry(lambdaServiceRetry);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: retentionFor(props.logRetentionDays ?? 7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        select.next(curate).next(unloads).next(describe).next(loadOnline).next(register),
      ),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantQueries(props);
  }

  /**
   * Athena runs the statements with the state machine's role: the workgroup's query calls, the
   * catalog's table definitions, and the lake as the statements read and write it.
   */
  private grantQueries(props: FeatureBuildProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.database }),
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.database}/*` }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [props.lakeBucket.bucketArn] }),
    );
    grantLakeAccess(props.lakeBucket, role, LAKE_ACCESS['feature-queries']);
  }
}
