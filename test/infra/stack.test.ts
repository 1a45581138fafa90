import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../../lib/app';
import { rulesFromNotificationResource } from '../../lib/local-cloud/s3-notifications';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';

describe('RecoMart stack', () => {
  let template: Template;
  let annotations: Annotations;

  beforeAll(() => {
    const { stack } = createApp({ context: { stage: 'dev' } });
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

  it('triggers ingestion only for CSVs under the two landing prefixes, each to its own function', () => {
    const resolver = new TemplateResolver('RecoMart-dev', template.toJSON() as CfnTemplate);
    const [[, notifications] = []] = resolver.resourcesOfType('Custom::S3BucketNotifications');
    const rules = rulesFromNotificationResource(resolver.resolve(notifications?.Properties) as never);
    expect(rules.map(({ events, prefix, suffix, target }) => ({ events, prefix, suffix, type: target.type }))).toEqual([
      { events: ['s3:ObjectCreated:*'], prefix: 'landing/transactions/', suffix: '.csv', type: 'lambda' },
      { events: ['s3:ObjectCreated:*'], prefix: 'landing/master/', suffix: '.csv', type: 'lambda' },
    ]);
    expect(new Set(rules.map((r) => r.target.arn)).size).toBe(2);
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
    template.resourceCountIs('AWS::DynamoDB::Table', 2); // the feature store and the ingestion ledger
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

  it('runs the pipeline with retries, catches, logging and tracing', () => {
    const [[, machine] = []] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
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
    expect(tasks.map(([name, st]) => [name, st.Resource])).toEqual([
      ['CheckInputs', 'arn:aws:states:::lambda:invoke'],
      ['AuditLake', 'arn:aws:states:::ecs:runTask.sync'],
    ]);
    for (const [, task] of tasks) {
      expect(task.Retry?.[0]?.JitterStrategy).toBe('FULL');
      expect(task.Catch?.[0]?.Next).toBe('PipelineFailed');
    }
    expect(definition.States.PipelineFailed?.Type).toBe('Fail');
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
    const { stack } = createApp({ context: { stage: 'prod' }, nag: false });
    const prod = Template.fromStack(stack);
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1000, MaximumRetryAttempts: 10 });
    prod.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });
});
