import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CATALOG_DATASETS } from '../../layers/catalog/datasets';
import { glueColumnsOf } from '../../layers/catalog/glue-columns';
import { LocalIam } from '../../lib/local-cloud/iam';
import { rulesFromNotificationResource } from '../../lib/local-cloud/s3-notifications';
import { validateDefinition } from '../../lib/local-cloud/step-functions';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { appWithoutBundling } from '../helpers/synth';

describe('RecoMart stack', () => {
  let template: Template;
  let annotations: Annotations;

  beforeAll(() => {
    const { stack } = appWithoutBundling({ stage: 'dev' }, true);
    template = Template.fromStack(stack);
    annotations = Annotations.fromStack(stack);
  });

  it('has zero unsuppressed cdk-nag AwsSolutions findings', () => {
    const errors = annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    const warnings = annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect([...errors, ...warnings].map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  it('would see findings if a resource broke the rules (the nag check can fail)', () => {
    const app = new App();
    const probe = new Stack(app, 'NagProbe');
    new sqs.Queue(probe, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Aspects.of(app).add(new AwsSolutionsChecks());
    app.synth();
    expect(Annotations.fromStack(probe).findError('*', Match.stringLikeRegexp('AwsSolutions-SQS'))).not.toHaveLength(0);
  });

  it('consumes the clickstream with the full failure-handling settings', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 3600,
      MaximumRetryAttempts: 3,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('ClickstreamDeadLetterQueue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('alarms on iterator age, DLQ depth and failed pipeline runs', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 300000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' });
  });

  it('triggers ingestion only for CSVs under the two landing prefixes, and validation on raw manifests', () => {
    const resolver = new TemplateResolver('RecoMart-dev', template.toJSON() as CfnTemplate);
    const [[, notifications] = []] = resolver.resourcesOfType('Custom::S3BucketNotifications');
    const rules = rulesFromNotificationResource(resolver.resolve(notifications?.Properties) as never);
    expect(rules.map(({ events, prefix, suffix, target }) => ({ events, prefix, suffix, type: target.type }))).toEqual([
      { events: ['s3:ObjectCreated:*'], prefix: 'landing/transactions/', suffix: '.csv', type: 'lambda' },
      { events: ['s3:ObjectCreated:*'], prefix: 'landing/master/', suffix: '.csv', type: 'lambda' },
      { events: ['s3:ObjectCreated:*'], prefix: 'raw/', suffix: '.manifest.json', type: 'lambda' },
    ]);
    expect(new Set(rules.map((r) => r.target.arn)).size).toBe(3);
    expect(rules[2]?.target.arn).toMatch(/QualityValidateFunction/);
  });

  it('validates with the report renderer in a layer, alarming on critical failures', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [Match.objectLike({ Ref: Match.stringLikeRegexp('QualityReportLayer') })],
      MemorySize: 1024,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RecoMart',
      MetricName: 'CriticalQualityFailures',
      Statistic: 'Sum',
    });
    const s3Resources = JSON.stringify(
      policyStatementsOf('ValidateFunction')
        .filter((st) => JSON.stringify(st.Action).includes('s3:'))
        .map((st) => st.Resource),
    );
    for (const prefix of ['raw/*', 'reports/quality/*', 'quarantine/quality/*', 'lineage/validate/*'])
      expect(s3Resources).toContain(`/${prefix}`);
  });

  it('keeps the lake encrypted, versioned, private and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'archive/', Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }] }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('grants the clickstream consumer writes only to its own prefixes', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('ClickstreamIngestFunction') },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const s3Resources = JSON.stringify(
      statements.filter((s) => JSON.stringify(s.Action).includes('s3:')).map((s) => s.Resource),
    );
    expect(s3Resources).toContain('/raw/clickstream/*');
    expect(s3Resources).toContain('/quarantine/clickstream/*');
    expect(s3Resources).not.toMatch(/"\/\*"/);
    const ddbActions = statements
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a) => String(a).startsWith('dynamodb:'));
    expect(ddbActions.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  it('keeps the feature store on demand, encrypted, recoverable and expiring', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4); // feature store, ingestion ledger, model registry, recommendations
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ FEATURE_TABLE: Match.anyValue(), SESSION_TTL_SECONDS: String(48 * 3600) }),
      },
    });
  });

  it('builds features in a state machine of its own: plan (λ), one Athena UNLOAD per set, load (λ)', () => {
    const [[, machine] = []] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(
      ([id]) => id.startsWith('FeaturesStateMachine'),
    );
    const props = (machine as { Properties: Record<string, unknown> }).Properties;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    const resolver = new TemplateResolver('RecoMart-dev', template.toJSON() as CfnTemplate);
    const definition = JSON.parse(resolver.resolveString(props.DefinitionString)) as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    expect(definition.StartAt).toBe('SelectFeatureSources');
    expect(definition.States.SelectFeatureSources).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { Payload: { step: 'select', 'dataKeys.$': '$.dataKeys', 'weights.$': '$.weights' } },
      ResultPath: '$.plan',
      Next: 'CurateSources',
    });
    // The curated files the statements read, written where the zone lacks them (a Map of runs of the plan's groups).
    const curate = definition.States.CurateSources as {
      ItemProcessor: { States: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts?: number }[] }> };
    };
    expect(curate).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.curate',
      ItemSelector: {
        step: 'curate',
        'planKey.$': '$.plan.planKey',
        'from.$': '$$.Map.Item.Value.from',
        'to.$': '$$.Map.Item.Value.to',
      },
      ResultPath: null,
      Next: 'UnloadFeatureSets',
    });
    // A changed selection is not retried (the build must select again); the first retrier naming an error wins.
    const [first, ...rest] = curate.ItemProcessor.States.CurateFiles?.Retry ?? [];
    expect(first).toMatchObject({ ErrorEquals: ['SelectionChangedError'], MaxAttempts: 0 });
    expect(rest.flatMap((r) => r.ErrorEquals)).toContain('States.TaskFailed');
    const unloads = definition.States.UnloadFeatureSets as {
      ItemProcessor: {
        States: Record<
          string,
          {
            Resource: string;
            Parameters: { WorkGroup: string; QueryExecutionContext: { Database: string } };
            Retry: { ErrorEquals: string[] }[];
          }
        >;
      };
    };
    expect(unloads).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.queries',
      ResultPath: null,
      MaxConcurrency: 3,
      Next: 'DescribeFeatureFiles',
    });
    const unload = unloads.ItemProcessor.States.UnloadFeatureSet;
    expect(unload?.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    // The statements run in the catalog's own workgroup and database (the template's, not a copy).
    const workGroups = Object.values(template.findResources('AWS::Athena::WorkGroup')).map(
      (r) => (r as { Properties: { Name: string } }).Properties.Name,
    );
    const databases = Object.values(template.findResources('AWS::Glue::Database')).map(
      (r) => (r as { Properties: { DatabaseInput: { Name: string } } }).Properties.DatabaseInput.Name,
    );
    expect(workGroups).toEqual([unload?.Parameters.WorkGroup]);
    expect(databases).toEqual([unload?.Parameters.QueryExecutionContext.Database]);
    // A query that ran may have written files (UNLOAD refuses a location holding any): only refused requests are retried.
    expect(unload?.Retry.flatMap((r) => r.ErrorEquals)).toEqual([
      'Athena.TooManyRequestsException',
      'Athena.InternalServerException',
    ]);
    // Then: describe the files, load each user and item file online in parallel (a Map), register.
    expect(definition.States.DescribeFeatureFiles).toMatchObject({
      Parameters: { Payload: { step: 'describe', 'planKey.$': '$.plan.planKey' } },
      ResultPath: '$.files',
      Next: 'LoadOnlineFeatures',
    });
    expect(definition.States.LoadOnlineFeatures).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.files.online',
      ItemSelector: {
        step: 'online',
        'version.$': '$.plan.version',
        'createdAt.$': '$.plan.createdAt',
        'descriptionKey.$': '$.files.descriptionKey',
        'from.$': '$$.Map.Item.Value.from',
        'to.$': '$$.Map.Item.Value.to',
      },
      ResultPath: null,
      Next: 'RegisterFeatures',
    });
    expect(definition.States.RegisterFeatures).toMatchObject({
      Parameters: { Payload: { step: 'register', 'descriptionKey.$': '$.files.descriptionKey' } },
      OutputPath: '$.Payload',
      End: true,
    });
  });

  it('lets the feature build run its statements and the pipeline start the build, and no more', async () => {
    const resolver = new TemplateResolver('RecoMart-dev', template.toJSON() as CfnTemplate);
    const iam = new LocalIam(resolver);
    const roleOf = (prefix: string) => {
      const [[id] = []] = resolver.resourcesOfType('AWS::IAM::Role').filter(([r]) => r.startsWith(prefix));
      return iam.principalOfRole(id as string, 'test');
    };
    const may = async (role: string, action: string, resource: string) =>
      (await iam.check(roleOf(role), [{ action, resource }])) === undefined;
    const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:000000000000:${resource}`;
    const features = 'FeaturesStateMachineRole';
    expect(await may(features, 'athena:StartQueryExecution', arn('athena', 'workgroup/recomart_dev'))).toBe(true);
    expect(await may(features, 'athena:StartQueryExecution', arn('athena', 'workgroup/primary'))).toBe(false);
    expect(await may(features, 'glue:GetTable', arn('glue', 'table/recomart_dev/transactions'))).toBe(true);
    expect(await may(features, 'glue:GetTable', arn('glue', 'table/other_db/transactions'))).toBe(false);
    expect(await may(features, 'glue:CreateTable', arn('glue', 'table/recomart_dev/x'))).toBe(false);
    const machines = resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(([id]) => resolver.arn(id));
    const featureMachine = machines.find((m) => m.includes('FeaturesStateMachine')) as string;
    expect(await may('TrainingPipelineStateMachineRole', 'states:StartExecution', featureMachine)).toBe(true);
    expect(
      await may(
        'TrainingPipelineStateMachineRole',
        'athena:StartQueryExecution',
        arn('athena', 'workgroup/recomart_dev'),
      ),
    ).toBe(false);
  });

  it('runs the pipeline with retries, catches, logging and tracing', () => {
    const [[, machine] = []] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(
      ([id]) => id.startsWith('TrainingPipeline'),
    );
    const props = (machine as { Properties: Record<string, unknown> }).Properties;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    const resolver = new TemplateResolver('RecoMart-dev', template.toJSON() as CfnTemplate);
    const definition = JSON.parse(resolver.resolveString(props.DefinitionString)) as {
      StartAt: string;
      States: Record<
        string,
        { Type: string; Resource?: string; Retry?: { JitterStrategy?: string }[]; Catch?: { Next: string }[] }
      >;
    };
    expect(definition.StartAt).toBe('CheckInputs');
    const tasks = Object.entries(definition.States).filter(([, st]) => st.Type === 'Task');
    expect(Object.fromEntries(tasks.map(([name, st]) => [name, st.Resource]))).toEqual({
      CheckInputs: 'arn:aws:states:::lambda:invoke',
      AuditLake: 'arn:aws:states:::ecs:runTask.sync',
      BuildFeatures: 'arn:aws:states:::states:startExecution.sync:2',
      TrainModel: 'arn:aws:states:::ecs:runTask.sync',
      EvaluateModel: 'arn:aws:states:::lambda:invoke',
      PlanPublish: 'arn:aws:states:::lambda:invoke',
      CompletePublish: 'arn:aws:states:::lambda:invoke',
      RecordFailure: 'arn:aws:states:::lambda:invoke',
    });
    // runTask.sync succeeds when the task stops, whatever the exit code: each ECS task is followed by a
    // Choice that lets the run go on only on exit code 0, and sends anything else to RecordFailure.
    for (const ecsTask of ['AuditLake', 'TrainModel']) {
      const state = definition.States[ecsTask] as unknown as { Next: string; ResultSelector: Record<string, string> };
      expect(state.ResultSelector).toEqual({ 'TaskArn.$': '$.TaskArn', 'Containers.$': '$.Containers' });
      const check = definition.States[state.Next] as unknown as {
        Type: string;
        Choices: { And: unknown[] }[];
        Default: string;
      };
      expect(check.Type).toBe('Choice');
      expect(JSON.stringify(check.Choices[0]?.And)).toMatch(/IsPresent.*NumericEquals":0/);
      expect((definition.States[check.Default] as unknown as { Next: string }).Next).toBe('RecordFailure');
      expect(JSON.stringify(definition.States[ecsTask])).toMatch(/ECS\.AmazonECSException/);
    }
    // Every Lambda task retries the Lambda service's own failures, all of them.
    expect(JSON.stringify(definition.States.CheckInputs)).toMatch(
      /Lambda\.SdkClientException.*Lambda\.ClientExecutionTimeoutException/,
    );
    // RecordFailure keys the run by its runId or execution name, never by a generated one alone.
    expect(JSON.stringify(definition.States.RecordFailure)).toMatch(/executionInput\.\$":"\$\$\.Execution\.Input/);
    expect(definition.States.PassesGate?.Type).toBe('Choice');
    // A pinned feature version skips the build: FeaturesPinned → UsePinnedFeatures (Pass) → TrainModel.
    expect(definition.States.FeaturesPinned).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.featureVersion', IsString: true, Next: 'UsePinnedFeatures' }],
      Default: 'BuildFeatures',
    });
    // The feature build is a child execution of its own state machine, run to its end.
    expect(definition.States.BuildFeatures).toMatchObject({
      ResultPath: '$.features',
      ResultSelector: { 'version.$': '$.Output.version', 'interactions.$': '$.Output.interactions' },
      Parameters: { Input: { 'dataKeys.$': '$.dataKeys', 'weights.$': '$.weights' } },
      Next: 'TrainModel',
    });
    expect(definition.States.UsePinnedFeatures).toMatchObject({ Type: 'Pass', Next: 'TrainModel' });
    expect(definition.States.ModelRejected?.Type).toBe('Fail');
    // Publishing fans out over user shards: a Map between the plan and the pointer switch.
    const map = definition.States.PublishShards as unknown as {
      Type: string;
      ItemsPath: string;
      MaxConcurrency: number;
      Next: string;
      Catch: { Next: string }[];
      ItemProcessor: {
        StartAt: string;
        States: Record<string, { Resource: string; Retry: { JitterStrategy: string }[] }>;
      };
    };
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.publishPlan.shards',
      MaxConcurrency: 4,
      Next: 'CompletePublish',
    });
    expect(map.Catch[0]?.Next).toBe('RecordFailure');
    expect(map.ItemProcessor.StartAt).toBe('PublishShard');
    expect(map.ItemProcessor.States.PublishShard?.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(map.ItemProcessor.States.PublishShard?.Retry[0]?.JitterStrategy).toBe('FULL');
    expect((definition.States.PlanPublish as unknown as { Next: string }).Next).toBe('PublishShards');
    for (const [name, task] of tasks) {
      expect(task.Retry?.[0]?.JitterStrategy).toBe('FULL');
      // every step fails into RecordFailure (which records the run, then fails the execution)
      expect(task.Catch?.[0]?.Next).toBe(name === 'RecordFailure' ? 'PipelineFailed' : 'RecordFailure');
    }
    expect(definition.States.PipelineFailed?.Type).toBe('Fail');

    // Golden file: any change to the definition shows up in review (UPDATE_GOLDEN=1 rewrites it).
    const golden = path.join(__dirname, '..', 'golden', 'training-pipeline.asl.json');
    const current = `${JSON.stringify(definition, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, current);
    expect(current).toBe(fs.readFileSync(golden, 'utf8'));

    // The Amazon States Language schema (asl-validator, through aws-local-stepfunctions), with ARNs and
    // paths checked as Step Functions checks them at CreateStateMachine; a dangling Next fails it.
    expect(() => validateDefinition(definition)).not.toThrow();
    const dangling = structuredClone(definition) as unknown as { States: Record<string, { Next?: string }> };
    (dangling.States.PlanPublish as { Next: string }).Next = 'NoSuchState';
    expect(() => validateDefinition(dangling)).toThrow(/NoSuchState|Next|invalid/i);
  });

  it('runs the task on Fargate ARM64 with CPU and memory from the stage config', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  it('follows stage configuration from context', () => {
    const { stack } = appWithoutBundling({ stage: 'prod' });
    const prod = Template.fromStack(stack);
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1000, MaximumRetryAttempts: 10 });
    prod.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  function policyStatementsOf(fnIdFragment: string) {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp(fnIdFragment) },
    });
    return Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties
          .PolicyDocument.Statement,
    );
  }

  it('scopes the ingest functions to their own landing prefix and zones', () => {
    for (const [fn, own] of [
      [
        'TransactionsFunction',
        ['landing/transactions/*', 'raw/transactions/*', 'archive/transactions/*', 'lineage/transactions-ingest/*'],
      ],
      ['MasterFunction', ['landing/master/*', 'raw/master/*', 'quarantine/master/*', 'lineage/master-ingest/*']],
      ['PullFunction', ['raw/external_metadata/*', 'lineage/metadata-pull/*']],
    ] as const) {
      const s3Resources = JSON.stringify(
        policyStatementsOf(fn)
          .filter((st) => JSON.stringify(st.Action).includes('s3:'))
          .map((st) => st.Resource),
      );
      for (const prefix of own) expect(s3Resources).toContain(`/${prefix}`);
      expect(s3Resources).not.toMatch(/"\/\*"/);
    }
  });

  it('keeps a ledger table for exactly-once ingestion', () => {
    const ledger = Object.entries(template.findResources('AWS::DynamoDB::Table')).find(([id]) => id.includes('Ledger'));
    expect(ledger?.[1]).toMatchObject({
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
    const actions = policyStatementsOf('TransactionsFunction')
      .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
      .filter((a) => String(a).startsWith('dynamodb:'));
    expect(actions.sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('does not schedule the metadata pull until its API is configured, and says so', () => {
    expect(
      template.findResources('AWS::Events::Rule', {
        Properties: {
          Targets: Match.arrayWith([
            Match.objectLike({
              Arn: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('PullFunction')]) }),
            }),
          ]),
        },
      }),
    ).toEqual({});
    template.hasOutput('MetadataPullSchedule', {
      Value: Match.stringLikeRegexp('^not scheduled: set metadata.baseUrl'),
    });
  });

  it('pulls metadata on a schedule with the API key in Secrets Manager, never in the environment', () => {
    const configured = Template.fromStack(
      appWithoutBundling({ stage: 'dev', 'recomart:config': { metadata: { baseUrl: 'https://api.example.net' } } })
        .stack,
    );
    const resolver = new TemplateResolver('RecoMart-dev', configured.toJSON() as CfnTemplate);
    const [[ruleId, rule] = []] = resolver.resourcesOfType('AWS::Events::Rule');
    expect(ruleId).toBeDefined();
    const props = resolver.resolve(rule?.Properties) as {
      ScheduleExpression: string;
      Targets: { Arn: string; RetryPolicy?: unknown }[];
    };
    expect(props.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(props.Targets[0]?.Arn).toMatch(/function:RecoMart-dev-ExternalMetadataPullFunction/);
    expect(props.Targets[0]?.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    configured.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.anyValue() });
    const [[, fn] = []] = resolver
      .resourcesOfType('AWS::Lambda::Function')
      .filter(([id]) => id.includes('PullFunction'));
    const env = (resolver.resolve(fn?.Properties) as { Environment: { Variables: Record<string, string> } }).Environment
      .Variables;
    expect(env.METADATA_API_KEY_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:/);
    expect(Object.keys(env).filter((k) => /KEY(?!_SECRET_ARN)|TOKEN|PASSWORD/.test(k))).toEqual([]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('metadata pull gave up'),
      MetricName: 'Errors',
    });
  });

  it('catalogs every raw dataset in Glue with columns from its zod schema and projected partitions', () => {
    const tables = Object.values(template.findResources('AWS::Glue::Table')) as {
      Properties: {
        TableInput: {
          Name: string;
          StorageDescriptor: { Columns: unknown[] };
          Parameters: Record<string, string>;
          PartitionKeys: { Name: string }[];
        };
      };
    }[];
    const datasets = CATALOG_DATASETS;
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(datasets.map((d) => d.table).sort());
    for (const dataset of datasets) {
      const input = tables.find((t) => t.Properties.TableInput.Name === dataset.table)?.Properties.TableInput;
      expect(input?.StorageDescriptor.Columns).toEqual(
        glueColumnsOf(dataset.schema, { csv: dataset.format === 'csv' }).map((c) => ({
          Name: c.name.toLowerCase(),
          Type: c.type,
          ...(c.comment ? { Comment: c.comment } : {}),
        })),
      );
      expect(input?.PartitionKeys.map((k) => k.Name)).toEqual([...dataset.partitions]);
      if (dataset.partitions.includes('dt')) {
        expect(input?.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.dt.type': 'date' });
      }
      if (dataset.partitions.includes('v')) {
        expect(input?.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.v.type': 'injected' });
      }
    }
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'recomart_dev' } });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true }),
    });
  });

  it('refuses landing prefixes that would let ingestion trigger itself', () => {
    expect(() =>
      appWithoutBundling({ stage: 'dev', 'recomart:config': { lake: { masterPrefix: 'raw/master/' } } }),
    ).toThrow(/masterPrefix must not be under a zone the pipeline writes to/);
    expect(() =>
      appWithoutBundling({
        stage: 'dev',
        'recomart:config': { lake: { masterPrefix: 'landing/', transactionsPrefix: 'landing/tx/' } },
      }),
    ).toThrow(/must not overlap/);
  });

  it('builds features with a function that reads validated raw data and writes the store in batches', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FEATURE_TTL_DAYS: '14',
          FEATURE_WEIGHTS: JSON.stringify({ view: 1, click: 2, add_to_cart: 4, purchase: 8 }),
        }),
      },
      Timeout: 900,
    });
    const statements = policyStatementsOf('FeaturesBuildFunction');
    const s3Resources = JSON.stringify(
      statements.filter((st) => JSON.stringify(st.Action).includes('s3:')).map((st) => st.Resource),
    );
    for (const prefix of ['raw/*', 'reports/quality/_status/*', 'features/*', 'lineage/features-build/*'])
      expect(s3Resources).toContain(`/${prefix}`);
    const ddb = statements
      .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
      .filter((a) => String(a).startsWith('dynamodb:'));
    expect(ddb).toEqual(['dynamodb:BatchWriteItem']);
  });

  it('trains in a Fargate task with a least-privilege role and registers models in DynamoDB', () => {
    const defs = template.findResources('AWS::ECS::TaskDefinition');
    const train = Object.entries(defs).find(([id]) => id.includes('TrainTask'))?.[1] as {
      Properties: {
        Cpu: string;
        Memory: string;
        RuntimePlatform: unknown;
        ContainerDefinitions: { Name: string; Environment: { Name: string }[] }[];
      };
    };
    expect(train.Properties).toMatchObject({
      Cpu: '1024',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
    });
    expect(train.Properties.ContainerDefinitions[0]?.Name).toBe('als-train');
    expect(train.Properties.ContainerDefinitions[0]?.Environment.map((e) => e.Name)).toEqual([
      'MODEL_REGISTRY_TABLE',
      'RECOMMENDATIONS_TABLE',
      'GATE_MIN_PRECISION_AT_10',
      'GATE_MIN_LIFT_OVER_BASELINE',
      'CODE_VERSION',
    ]);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('TrainTaskTaskRole') },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const s3Resources = JSON.stringify(
      statements.filter((st) => JSON.stringify(st.Action).includes('s3:')).map((st) => st.Resource),
    );
    for (const prefix of ['features/*', 'models/*', 'lineage/train/*']) expect(s3Resources).toContain(`/${prefix}`);
    expect(s3Resources).not.toContain('/raw/*');
    const ddb = statements
      .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
      .filter((a) => String(a).startsWith('dynamodb:'));
    // It registers its model, and reads the production model it would replace (for the model card).
    expect(ddb.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  it('serves recommendations through a throttled, logged HTTP API', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /users/{userId}/recommendations' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    const statements = policyStatementsOf('RecommendationsApiFunction');
    const ddb = statements
      .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
      .filter((a) => String(a).startsWith('dynamodb:'));
    expect(ddb.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('runs the training pipeline daily on the stage schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('TrainingPipelineStateMachine') },
          Input: '{"trigger":"schedule"}',
        }),
      ],
    });
  });
});
