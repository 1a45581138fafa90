import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { dynamoDbClient, type Env, kinesisClient, s3Client, sqsClient } from '../../layers/aws/clients';
import { withConfigOverride } from '../config';
import { MockMetadataApi, type MockMetadataApiOptions } from '../mock-metadata-api';
import { synthesizeCached } from './assembly-cache';
import { Emulators, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';
import { type LocalCloudInfo, readEndpointFile } from './endpoint-file';
import { Gateway } from './gateway';
import { type HttpRoute, httpRoutes, serveHttpApi } from './http-api';
import { LocalIam } from './iam';
import { KinesisEventSourceMapping } from './kinesis-esm';
import type { InvokeResult, LocalFunction } from './lambda-runtime';
import { dynamoDbTables, kinesisStreams, SqsQueues, s3Buckets, secretsManagerSecrets } from './plugins/data-stores';
import { type AsyncFailure, LambdaFunctions } from './plugins/functions';
import type { LocalPlugin } from './plugins/plugin';
import { S3Notifications } from './plugins/s3-notifications';
import { findSchedule, type ScheduleInfo, scheduledEvent } from './schedules';
import { LocalSecrets } from './secrets';
import { acquireStateLock } from './state-lock';
import { LocalStepFunctions, type StateMachineSpec, type TaskDefinitionSpec } from './step-functions';
import { type CfnTemplate, TemplateResolver } from './template';

/** The metadata API base URL the local cloud synthesizes with; the running mock's URL replaces it. */
const MOCK_METADATA_PLACEHOLDER = 'http://mock-metadata-api.recomart.invalid';

/**
 * Families the engine still runs itself (functions and what invokes them); the data stores are
 * plugins (./plugins). The types the local cloud handles derive from both
 * (docs/decisions/022-local-cloud-plugins.md).
 */
const ENGINE_FAMILIES: LocalPlugin[] = [
  { name: 'kinesis-event-source-mappings', types: ['AWS::Lambda::EventSourceMapping'] },
  { name: 'step-functions', types: ['AWS::StepFunctions::StateMachine', 'AWS::ECS::TaskDefinition'] },
  { name: 'eventbridge', types: ['AWS::Events::Rule'] },
  {
    name: 'http-api',
    types: [
      'AWS::ApiGatewayV2::Api',
      'AWS::ApiGatewayV2::Route',
      'AWS::ApiGatewayV2::Integration',
      'AWS::ApiGatewayV2::Stage',
    ],
  },
];

/** Resource types with no local counterpart, and why that is safe. */
export const IGNORED: Record<string, string> = {
  'AWS::IAM::Role': 'not created: the local IAM reads roles from the template and enforces their policies',
  'AWS::IAM::Policy': 'not created: the local IAM reads policies from the template and enforces them',
  'AWS::IAM::ManagedPolicy': 'not created: the local IAM reads policies from the template and enforces them',
  'AWS::Lambda::Permission': "resource policies are not enforced locally (roles' identity policies are)",
  'AWS::S3::BucketPolicy': 'not created: the local IAM reads bucket policies from the template',
  'AWS::SQS::QueuePolicy': "resource policies are not enforced locally (roles' identity policies are)",
  'AWS::KMS::Key': 'emulators store data unencrypted',
  'AWS::KMS::Alias': 'emulators store data unencrypted',
  'AWS::Logs::LogGroup': 'logs go to files under <state>/logs',
  'AWS::CloudWatch::Alarm': 'no metrics locally',
  'AWS::EC2::VPC': 'no network isolation locally',
  'AWS::EC2::Subnet': 'no network isolation locally',
  'AWS::EC2::RouteTable': 'no network isolation locally',
  'AWS::EC2::SubnetRouteTableAssociation': 'no network isolation locally',
  'AWS::EC2::Route': 'no network isolation locally',
  'AWS::EC2::InternetGateway': 'no network isolation locally',
  'AWS::EC2::VPCGatewayAttachment': 'no network isolation locally',
  'AWS::EC2::SecurityGroup': 'no network isolation locally',
  'AWS::EC2::FlowLog': 'no network isolation locally',
  'AWS::ECS::Cluster': 'tasks run as local child processes',
  'AWS::CDK::Metadata': 'CDK bookkeeping',
  'Custom::S3AutoDeleteObjects':
    'empties a bucket when the stack is deleted; the local state is reset with recomart local reset',
  'AWS::Glue::Database':
    'the Glue catalog is query metadata for Athena; locally the lake is read directly (<state>/s3)',
  'AWS::Glue::Table': 'the Glue catalog is query metadata for Athena; locally the lake is read directly (<state>/s3)',
  'AWS::Athena::WorkGroup': 'no Athena locally; the lake is plain files under <state>/s3',
};

export interface LocalCloudOptions {
  /** Where emulator data, logs, the cloud assembly and endpoint.json live. @default '.recomart' */
  readonly stateDir?: string;
  /** CDK context for the synth (stage, recomart:config). @default { stage: 'dev' } */
  readonly context?: Record<string, unknown>;
  /**
   * The mock external metadata API the stack's metadata pull is pointed at (its base URL goes into the
   * synth as `metadata.baseUrl`, its key is the template's secret). `false`: keep the configured URL.
   * @default {} (a mock with 300 products)
   */
  readonly metadataApi?: MockMetadataApiOptions | false;
  /** Port of the single gateway endpoint. @default 0 (a free port) */
  readonly port?: number;
  /** Progress and diagnostics. @default - silent */
  readonly log?: (line: string) => void;
  /** Show what synth and bundling print (the CDK's "Bundling asset" lines). @default false */
  readonly verbose?: boolean;
  /** Delete emulator data left by an earlier run before starting. @default false */
  readonly fresh?: boolean;
  /** Step Functions retry waits, in ms, instead of the definition's. @default 100 */
  readonly retryIntervalMs?: number;
  /**
   * Evaluate every AWS call a function or task makes against its role's policies in the template, and
   * deny what AWS would deny. @default true
   */
  readonly enforceIam?: boolean;
  /** Change the template after synth (tests: take a grant away and watch the function fail). @default - none */
  readonly templateTransform?: (template: CfnTemplate) => CfnTemplate;
}

export { type LocalCloudInfo, readEndpointFile };

/**
 * The embedded local cloud: synthesizes the CDK app, starts emulators, brings the template's
 * resources up on them and wires its event sources and state machines to the bundled code.
 */
export class LocalCloud {
  readonly stateDir: string;
  private readonly log: (line: string) => void;
  private emulators?: Emulators;
  private gateway?: Gateway;
  private gatewayUrl?: string;
  private readonly lambdas: LambdaFunctions;
  private readonly notifications: S3Notifications;
  private iamPolicies?: LocalIam;
  private readonly mappings: KinesisEventSourceMapping[] = [];
  private stepFunctions?: LocalStepFunctions;
  private secrets?: LocalSecrets;
  private routes: HttpRoute[] = [];
  private schedules: ScheduleInfo[] = [];
  metadataApi?: MockMetadataApi;
  private readonly inflight = new Set<Promise<unknown>>();
  private clients?: { s3: S3Client; kinesis: KinesisClient; sqs: SQSClient };
  info?: LocalCloudInfo;

  constructor(private readonly options: LocalCloudOptions = {}) {
    this.stateDir = path.resolve(options.stateDir ?? '.recomart');
    this.log = options.log ?? (() => undefined);
    this.lambdas = new LambdaFunctions(this.stateDir, this.log);
    this.notifications = new S3Notifications(this.log);
    this.plugins = [
      s3Buckets,
      kinesisStreams,
      dynamoDbTables,
      this.sqsQueues,
      secretsManagerSecrets,
      this.lambdas,
      this.notifications,
    ];
    this.failure = new Promise<Error>((resolve) => {
      let failed = false;
      this.fail = (err) => {
        if (failed) return;
        failed = true;
        this.log(`FATAL: ${err.message}`);
        resolve(err);
      };
    });
  }

  /** Environment that points the SDK (via layers/aws/clients) at this cloud's emulators. */
  sdkEnv(): Record<string, string> {
    const e = this.requireInfo().endpoints;
    return {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL: this.requireInfo().endpoint,
      AWS_ENDPOINT_URL_S3: e.s3,
      // Kinesis goes through the gateway, which wakes the stream's pollers when records are put.
      AWS_ENDPOINT_URL_DYNAMODB: e.dynamodb,
      AWS_ENDPOINT_URL_SQS: e.sqs,
      AWS_ENDPOINT_URL_SFN: e.states,
    };
  }

  private requireInfo(): LocalCloudInfo {
    if (!this.info) throw new Error('The local cloud is not running.');
    return this.info;
  }

  /** Resolves with the reason when the cloud can no longer work (an emulator died); never rejects. */
  readonly failure: Promise<Error>;
  private fail: (err: Error) => void = () => undefined;
  private releaseLock?: () => void;
  private readonly sqsQueues = new SqsQueues();
  /** The resource families this cloud provisions (./plugins). */
  private readonly plugins: LocalPlugin[] = [
    s3Buckets,
    kinesisStreams,
    dynamoDbTables,
    this.sqsQueues,
    secretsManagerSecrets,
  ];
  private get handledTypes(): Set<string> {
    return new Set([...this.plugins, ...ENGINE_FAMILIES].flatMap((p) => p.types));
  }

  async start(): Promise<LocalCloudInfo> {
    // One cloud per state directory, and a bad port refused before any work: the gateway holds its port
    // from the first moment, so nothing can take it while the rest starts
    // (docs/decisions/015-local-cloud-lifecycle.md).
    const port = this.options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new Error(`Port ${port} is not a TCP port (1-65535, or 0 for any free one).`);
    this.releaseLock = acquireStateLock(this.stateDir);
    try {
      this.gateway = new Gateway();
      this.gatewayUrl = await this.gateway.start(port);
      return await this.startLocked();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  private async startLocked(): Promise<LocalCloudInfo> {
    const t0 = Date.now();
    fs.mkdirSync(this.stateDir, { recursive: true });
    if (this.options.fresh) {
      for (const dir of [
        's3',
        'dynamodb',
        'kinesis',
        'kinesis-esm',
        'sqs',
        'stepfunctions',
        'logs',
        'reports',
        'dataset',
      ]) {
        fs.rmSync(path.join(this.stateDir, dir), { recursive: true, force: true });
      }
    }
    this.emulators = new Emulators(
      this.stateDir,
      (record) => this.notifications.onEvent(record),
      (exit) =>
        this.fail(
          new Error(
            `${exit.name} exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}); ` +
              `the local cloud cannot go on (logs in ${path.join(this.stateDir, 'logs')})`,
          ),
        ),
    );
    const emulatorsUp = this.emulators.start();
    emulatorsUp.catch(() => undefined);

    let context: Record<string, unknown> = { stage: 'dev', ...this.options.context };
    if (this.options.metadataApi !== false) {
      this.metadataApi = new MockMetadataApi(this.options.metadataApi ?? {});
      const url = await this.metadataApi.start();
      // A fixed placeholder goes into the synth, so the assembly does not change with the mock's port.
      context = withConfigOverride(context, { metadata: { baseUrl: MOCK_METADATA_PLACEHOLDER } });
      this.log(`mock metadata API at ${url}`);
    }

    const synth = synthesizeCached(context, this.log, { verbose: this.options.verbose === true });
    const assemblyDir = synth.dir;
    this.log(
      synth.reused
        ? `reusing the cloud assembly ${synth.key} (sources unchanged) in ${Date.now() - t0} ms`
        : `synthesized the CDK app in ${Date.now() - t0} ms`,
    );
    let templateText = fs.readFileSync(path.join(assemblyDir, `${synth.stackName}.template.json`), 'utf8');
    if (this.metadataApi) templateText = templateText.split(MOCK_METADATA_PLACEHOLDER).join(this.metadataApi.url);
    const synthesized = JSON.parse(templateText) as CfnTemplate;
    const template = this.options.templateTransform ? this.options.templateTransform(synthesized) : synthesized;
    const stack = { stackName: synth.stackName };
    const assets = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${stack.stackName}.assets.json`), 'utf8')) as {
      dockerImages?: Record<string, { source: { directory: string } }>;
    };
    this.log(`${Object.keys(template.Resources).length} resources in the template`);

    const handled = this.handledTypes;
    const unknown = Object.entries(template.Resources).filter(([, r]) => !handled.has(r.Type) && !(r.Type in IGNORED));
    if (unknown.length > 0) {
      throw new Error(
        `The local cloud does not know how to run ${unknown.map(([id, r]) => `${r.Type} (${id})`).join(', ')}; ` +
          'teach the local cloud to create it (a plugin in lib/local-cloud/plugins/) or to ignore it with a reason.',
      );
    }

    const endpoints = await emulatorsUp;
    const resolver = new TemplateResolver(stack.stackName, template);
    resolver.sqsEndpoint = endpoints.sqs;
    this.iamPolicies = new LocalIam(resolver, this.options.enforceIam ?? true);
    this.secrets = new LocalSecrets(path.join(this.stateDir, 'secrets.json'));
    const gateway = this.gateway as Gateway;
    gateway.serve(endpoints, {
      stepFunctions: () => this.stepFunctions,
      invoke: async (ref, payload) => this.functionByRef(ref).invoke(payload),
      secrets: () => this.secrets,
      httpApi: (request) => serveHttpApi(this.routes, (arn, event) => this.functionByRef(arn).invoke(event), request),
      stack: () =>
        this.info
          ? { name: this.info.stackName, outputs: this.info.outputs, createdAt: this.info.startedAt }
          : undefined,
      functions: () => this.lambdas.all().map((f) => f.spec),
      kinesisWritten: () => {
        for (const m of this.mappings) m.poke();
      },
      iam: () => {
        const iam = this.iamPolicies;
        if (!iam?.enforce) return undefined;
        return {
          principalFor: (key) => iam.principalForAccessKey(key),
          check: (principal, requests) => iam.check(principal, requests),
          arns: {
            region: LOCAL_REGION,
            account: LOCAL_ACCOUNT,
            functionArn: (ref) => {
              try {
                return this.functionByRef(ref).spec.arn;
              } catch {
                return ref.startsWith('arn:') ? ref : `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${ref}`;
              }
            },
            secretArn: (id) => this.secrets?.find(id)?.arn ?? id,
          },
        };
      },
    });
    const endpoint = this.gatewayUrl as string;
    resolver.gatewayUrl = endpoint;
    this.info = {
      endpoint,
      endpoints: { ...endpoints, states: endpoint },
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      stackName: stack.stackName,
      outputs: {},
      resources: Object.entries(template.Resources)
        .filter(([, r]) => handled.has(r.Type))
        .map(([logicalId, r]) => ({ logicalId, type: r.Type, physicalName: resolver.physicalName(logicalId) })),
      pid: process.pid,
      emulatorPids: this.emulators.pids,
      startedAt: new Date().toISOString(),
      ...(this.metadataApi ? { metadataApi: this.metadataApi.url } : {}),
    };
    const env = this.sdkEnv() as Env;
    // The event source mappings poll the emulator itself (their own reads wake no one).
    const kinesisEnv = { ...env, AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis };
    this.clients = { s3: s3Client({ env }), kinesis: kinesisClient({ env: kinesisEnv }), sqs: sqsClient({ env }) };

    await this.provision(template, resolver);
    this.lambdas.load(resolver, assemblyDir, (role, session) => this.roleEnv(role, session));
    const { s3, sqs } = this.clients;
    this.notifications.wire({
      resolver,
      s3,
      sqs,
      functions: this.lambdas,
      region: LOCAL_REGION,
      track: (task) => {
        this.inflight.add(task);
        task.finally(() => this.inflight.delete(task));
      },
    });
    this.wireSchedules(resolver);
    this.routes = httpRoutes(resolver);
    for (const route of this.routes)
      this.log(`HTTP API ${endpoint}/_api/${route.apiId} ${route.routeKey} → ${route.functionArn}`);
    this.info = { ...this.info, schedules: this.schedules };
    if (this.metadataApi) {
      // The mock accepts exactly the key the pull function will read from its secret.
      const secretArns = new Set(
        this.lambdas
          .all()
          .map((f) => f.spec.environment.METADATA_API_KEY_SECRET_ARN)
          .filter(Boolean),
      );
      const [arn] = [...secretArns];
      if (arn) this.metadataApi.apiKey = this.secrets?.find(arn)?.value;
    }
    this.stepFunctions = new LocalStepFunctions(this.stateMachines(resolver), {
      invokeFunction: (ref, payload) => this.functionByRef(ref).invoke(payload),
      taskDefinitions: this.taskDefinitions(resolver, assemblyDir, assets.dockerImages ?? {}),
      // Local only: the SDK's Node 22 notice would drown the container's own log lines.
      // Credentials and endpoints come with each task definition (its role's: see roleEnv).
      containerEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stateDir: this.stateDir,
      retryIntervalMs: this.options.retryIntervalMs ?? 100,
      log: this.log,
    });
    await this.startMappings(resolver);

    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {}))
      outputs[name] = String(resolver.resolve(output.Value));
    this.info = { ...this.info, outputs };
    fs.writeFileSync(path.join(this.stateDir, 'endpoint.json'), `${JSON.stringify(this.info, null, 2)}\n`);
    this.log(`local cloud up in ${Date.now() - t0} ms at ${endpoint}`);
    return this.info;
  }

  private async provision(template: CfnTemplate, resolver: TemplateResolver): Promise<void> {
    const { s3, kinesis, sqs } = this.clients as NonNullable<typeof this.clients>;
    const dynamodb = dynamoDbClient({ env: this.sdkEnv() });
    const context = {
      template,
      resolver,
      stateDir: this.stateDir,
      log: this.log,
      clients: { s3, kinesis, sqs, dynamodb },
      secrets: this.secrets as LocalSecrets,
    };
    try {
      await Promise.all(this.plugins.map((p) => p.provision?.(context)));
    } finally {
      dynamodb.destroy();
    }
  }

  /**
   * The SDK environment of code running as a role: the role's own credentials and every service through
   * the gateway, where IAM checks each call. Without a role (or with IAM off), the cloud's own access.
   */
  private roleEnv(roleLogicalId: string | undefined, session: string): Record<string, string> {
    const iam = this.iamPolicies;
    if (!roleLogicalId || !iam?.enforce) return this.sdkEnv();
    const principal = iam.principalOfRole(roleLogicalId, session);
    return {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: principal.accessKeyId,
      AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
      AWS_ENDPOINT_URL: this.requireInfo().endpoint,
    };
  }

  /** A function by logical id, name or ARN (with or without a qualifier). */
  functionByRef(ref: string): LocalFunction {
    return this.lambdas.byRef(ref);
  }

  /** Events whose asynchronous invocation failed every attempt. */
  get asyncFailures(): readonly AsyncFailure[] {
    return this.lambdas.asyncFailures;
  }

  private async startMappings(resolver: TemplateResolver): Promise<void> {
    const { kinesis, sqs } = this.clients as NonNullable<typeof this.clients>;
    for (const [id, r] of resolver.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
      const props = resolver.resolve(r.Properties ?? {}) as Record<string, unknown>;
      const sourceArn = String(props.EventSourceArn ?? '');
      if (!sourceArn.startsWith('arn:aws:kinesis:')) {
        throw new Error(`Event source mapping ${id} reads ${sourceArn}; only Kinesis sources are emulated so far.`);
      }
      const fn = this.functionByRef(String(props.FunctionName));
      const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure
        ?.Destination;
      let onFailureQueueUrl: string | undefined;
      if (destination) {
        if (!destination.startsWith('arn:aws:sqs:'))
          throw new Error(`${id}: only SQS on-failure destinations are emulated`);
        onFailureQueueUrl = resolver.queueUrlForArn(destination);
      }
      const mapping = new KinesisEventSourceMapping(
        {
          logicalId: id,
          streamName: sourceArn.split('/').pop() ?? '',
          streamArn: sourceArn,
          functionArn: fn.spec.arn,
          batchSize: Number(props.BatchSize ?? 100),
          maxBatchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes(
            'ReportBatchItemFailures',
          ),
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
          onFailureQueueUrl,
          region: LOCAL_REGION,
          checkpointFile: path.join(this.stateDir, 'kinesis-esm', `${id}.json`),
        },
        kinesis,
        sqs,
        (event) => fn.invoke(event),
        this.log,
      );
      await mapping.start();
      this.mappings.push(mapping);
      this.log(`Kinesis ${mapping.config.streamName} → ${fn.spec.name} (batch ${mapping.config.batchSize})`);
    }
  }

  private stateMachines(resolver: TemplateResolver): StateMachineSpec[] {
    return resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(([id, r]) => {
      const props = r.Properties ?? {};
      const definition =
        props.DefinitionString !== undefined
          ? JSON.parse(resolver.resolveString(props.DefinitionString))
          : (resolver.resolve(props.Definition) as Record<string, unknown>);
      return { logicalId: id, name: resolver.physicalName(id), arn: resolver.arn(id), definition };
    });
  }

  private taskDefinitions(
    resolver: TemplateResolver,
    assemblyDir: string,
    dockerImages: Record<string, { source: { directory: string } }>,
  ): Map<string, TaskDefinitionSpec> {
    const out = new Map<string, TaskDefinitionSpec>();
    for (const [id, r] of resolver.resourcesOfType('AWS::ECS::TaskDefinition')) {
      const props = resolver.resolve(r.Properties ?? {}) as { ContainerDefinitions?: Record<string, unknown>[] };
      const containers = (props.ContainerDefinitions ?? []).map((c) => {
        const image = String(c.Image ?? '');
        const hash = image.split(':').pop() ?? '';
        const asset = dockerImages[hash];
        if (!asset)
          throw new Error(`Task definition ${id} uses image ${image}, which is not a container asset of this app`);
        return {
          name: String(c.Name),
          assetDir: path.join(assemblyDir, asset.source.directory),
          environment: Object.fromEntries(
            ((c.Environment as { Name: string; Value: string }[]) ?? []).map((e) => [e.Name, String(e.Value)]),
          ),
          command: c.Command as string[] | undefined,
          entryPoint: c.EntryPoint as string[] | undefined,
          essential: c.Essential !== false,
        };
      });
      const family = resolver.physicalName(id);
      const spec: TaskDefinitionSpec = {
        family,
        arn: resolver.arn(id),
        containers,
        env: this.roleEnv(LocalIam.roleOf(r.Properties?.TaskRoleArn), family),
      };
      out.set(spec.arn, spec);
      out.set(id, spec);
    }
    return out;
  }

  /**
   * Serve plain HTTP pages under `prefix` on the gateway endpoint (the console): the engine routes,
   * the caller renders. Call after start.
   */
  mount(prefix: string, handler: import('node:http').RequestListener): void {
    if (!this.gateway) throw new Error('The local cloud is not started.');
    this.gateway.mount(prefix, handler);
  }

  /** The local Step Functions runner (for in-process callers; others use the gateway's API). */
  get states(): LocalStepFunctions {
    if (!this.stepFunctions) throw new Error('The local cloud is not running.');
    return this.stepFunctions;
  }

  /** Resolves once every stream has been read to its end and every triggered invocation has finished. */
  private wireSchedules(resolver: TemplateResolver): void {
    for (const [id, r] of resolver.resourcesOfType('AWS::Events::Rule')) {
      const props = resolver.resolve(r.Properties ?? {}) as {
        ScheduleExpression?: string;
        Targets?: { Arn: string; Input?: string }[];
      };
      if (!props.ScheduleExpression) {
        throw new Error(`EventBridge rule ${id} matches an event pattern; the local cloud only runs schedules.`);
      }
      const targets = (props.Targets ?? []).map((t) => t.Arn);
      for (const arn of targets) {
        // fail now if a target is neither a local function nor a state machine of the template
        if (!arn.startsWith('arn:aws:states:')) this.functionByRef(arn);
      }
      const input = props.Targets?.find((t) => t.Input)?.Input;
      this.schedules.push({
        ...(input ? { input: JSON.parse(input) as unknown } : {}),
        logicalId: id,
        name: resolver.physicalName(id),
        arn: resolver.arn(id),
        expression: props.ScheduleExpression,
        targets,
      });
      this.log(
        `schedule ${props.ScheduleExpression} → ${targets.join(', ')} (run it with \`recomart schedule fire ${id}\`)`,
      );
    }
  }

  /**
   * Run a schedule's targets now, as EventBridge would at its time (a schedule does not fire on its
   * own locally: a daily pull should not start while you work). Matches logical id, name or a
   * target function's name. Returns each target's result.
   */
  async fireSchedule(ref: string): Promise<InvokeResult[]> {
    const schedule = findSchedule(this.schedules, ref, (t) => this.functionByRef(t).spec.name);
    if (!schedule)
      throw new Error(`No schedule ${ref}; schedules: ${this.schedules.map((s) => s.logicalId).join(', ')}`);
    const event = scheduledEvent(schedule.arn, LOCAL_ACCOUNT, LOCAL_REGION);
    return Promise.all(
      schedule.targets.map(async (t): Promise<InvokeResult> => {
        if (!t.startsWith('arn:aws:states:')) return this.functionByRef(t).invoke(event);
        // A state machine target starts an execution with the rule's input (EventBridge passes it as is).
        const execution = this.stepFunctions?.start(t, schedule.input ?? event);
        return { ok: true, payload: { executionArn: execution?.executionArn } };
      }),
    );
  }

  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = Date.now();
      // Idle shards are polled about once a second: have them read now.
      for (const m of this.mappings) m.poke();
      await new Promise((r) => setTimeout(r, 150));
      // S3 events trail their requests over IPC: the barrier makes every one of them a dispatch in flight.
      await this.emulators?.sync();
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      const caughtUp = () => this.mappings.every((m) => m.caughtUpSince(since));
      while (!caughtUp()) {
        if (Date.now() > deadline) throw new Error('The local cloud did not settle in time');
        await new Promise((r) => setTimeout(r, 50));
        for (const m of this.mappings) m.poke();
      }
      await this.emulators?.sync();
      if (this.inflight.size === 0) return;
    }
  }

  get kinesisMappings(): readonly KinesisEventSourceMapping[] {
    return this.mappings;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.mappings.map((m) => m.stop()));
    await this.stepFunctions?.stopAll();
    await Promise.allSettled([...this.inflight]);
    await this.lambdas.stop();
    await this.gateway?.stop();
    await this.metadataApi?.stop();
    // Close our keep-alive connections first: kinesis-mock waits for open connections before it exits.
    for (const client of Object.values(this.clients ?? {})) client.destroy();
    await this.emulators?.stop(this.sqsQueues.queueNames);
    fs.rmSync(path.join(this.stateDir, 'endpoint.json'), { force: true });
    this.info = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
  }
}
