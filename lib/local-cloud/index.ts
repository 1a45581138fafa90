import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { dynamoDbClient, type Env, kinesisClient, s3Client, sqsClient } from '../../layers/aws/clients';
import { Emulators, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';
import { type LocalCloudInfo, readEndpointFile } from './endpoint-file';
import { Gateway } from './gateway';
import { LocalIam } from './iam';
import type { KinesisEventSourceMapping } from './kinesis-esm';
import type { InvokeResult, LocalFunction } from './lambda-runtime';
import { dynamoDbTables, kinesisStreams, SqsQueues, s3Buckets, secretsManagerSecrets } from './plugins/data-stores';
import { EventSourceMappings } from './plugins/event-source-mappings';
import { type AsyncFailure, LambdaFunctions } from './plugins/functions';
import { HttpApis } from './plugins/http-api';
import type { LocalPlugin } from './plugins/plugin';
import { S3Notifications } from './plugins/s3-notifications';
import { Schedules } from './plugins/schedules';
import { StateMachines } from './plugins/state-machines';
import type { LocalCloudProfile } from './profile';
import { LocalSecrets } from './secrets';
import { acquireStateLock } from './state-lock';
import type { LocalStepFunctions } from './step-functions';
import { type CfnTemplate, TemplateResolver } from './template';

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
  /** The application: how it is synthesized and what runs beside it (./profile.ts). */
  readonly profile: LocalCloudProfile;
  /** CDK context for the synth, as the profile reads it. @default {} */
  readonly context?: Record<string, unknown>;
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
  private readonly esm: EventSourceMappings;
  private readonly scheduled: Schedules;
  private readonly httpApis: HttpApis;
  private readonly machines = new StateMachines();
  private iamPolicies?: LocalIam;
  private stepFunctions?: LocalStepFunctions;
  private secrets?: LocalSecrets;
  private readonly inflight = new Set<Promise<unknown>>();
  private clients?: { s3: S3Client; kinesis: KinesisClient; sqs: SQSClient };
  info?: LocalCloudInfo;

  constructor(private readonly options: LocalCloudOptions) {
    this.stateDir = path.resolve(options.stateDir ?? '.recomart');
    this.log = options.log ?? (() => undefined);
    this.lambdas = new LambdaFunctions(this.stateDir, this.log);
    this.notifications = new S3Notifications(this.log);
    this.esm = new EventSourceMappings(this.stateDir, this.log);
    this.scheduled = new Schedules(this.log);
    this.httpApis = new HttpApis(this.log);
    this.plugins = [
      s3Buckets,
      kinesisStreams,
      dynamoDbTables,
      this.sqsQueues,
      secretsManagerSecrets,
      this.lambdas,
      this.notifications,
      this.esm,
      this.scheduled,
      this.httpApis,
      this.machines,
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
    return new Set(this.plugins.flatMap((p) => p.types));
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

    const prepared = await this.options.profile.prepare(this.options.context ?? {}, this.log);
    const synth = this.options.profile.synth(prepared.context, this.log, { verbose: this.options.verbose === true });
    const assemblyDir = synth.dir;
    this.log(
      synth.reused
        ? `reusing the cloud assembly ${synth.key} (sources unchanged) in ${Date.now() - t0} ms`
        : `synthesized the CDK app in ${Date.now() - t0} ms`,
    );
    let templateText = fs.readFileSync(path.join(assemblyDir, `${synth.stackName}.template.json`), 'utf8');
    for (const [placeholder, value] of Object.entries(prepared.replacements))
      templateText = templateText.split(placeholder).join(value);
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
      httpApi: (request) => this.httpApis.serve(this.lambdas, request),
      stack: () =>
        this.info
          ? { name: this.info.stackName, outputs: this.info.outputs, createdAt: this.info.startedAt }
          : undefined,
      functions: () => this.lambdas.all().map((f) => f.spec),
      kinesisWritten: () => this.esm.poke(),
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
      ...(prepared.metadataApi ? { metadataApi: prepared.metadataApi } : {}),
    };
    const env = this.sdkEnv() as Env;
    // The event source mappings poll the emulator itself (their own reads wake no one).
    const kinesisEnv = { ...env, AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis };
    this.clients = { s3: s3Client({ env }), kinesis: kinesisClient({ env: kinesisEnv }), sqs: sqsClient({ env }) };

    await this.provision(resolver);
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
    this.scheduled.wire(resolver, this.lambdas);
    this.httpApis.wire(resolver, endpoint);
    this.info = { ...this.info, schedules: this.scheduled.schedules };
    this.options.profile.started?.({
      functionEnvironments: this.lambdas.all().map((f) => f.spec.environment),
      secretValue: (id) => this.secrets?.find(id)?.value,
    });
    this.stepFunctions = this.machines.wire(resolver, this.lambdas, {
      assemblyDir,
      dockerImages: assets.dockerImages ?? {},
      stateDir: this.stateDir,
      retryIntervalMs: this.options.retryIntervalMs ?? 100,
      roleEnv: (role, session) => this.roleEnv(role, session),
      log: this.log,
    });
    await this.esm.start(resolver, this.clients, this.lambdas, LOCAL_REGION);

    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {}))
      outputs[name] = String(resolver.resolve(output.Value));
    this.info = { ...this.info, outputs };
    fs.writeFileSync(path.join(this.stateDir, 'endpoint.json'), `${JSON.stringify(this.info, null, 2)}\n`);
    this.log(`local cloud up in ${Date.now() - t0} ms at ${endpoint}`);
    return this.info;
  }

  private async provision(resolver: TemplateResolver): Promise<void> {
    const { s3, kinesis, sqs } = this.clients as NonNullable<typeof this.clients>;
    const dynamodb = dynamoDbClient({ env: this.sdkEnv() });
    const context = {
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

  /**
   * Run a schedule's targets now, as EventBridge would at its time (a schedule does not fire on its
   * own locally: a daily pull should not start while you work). Matches logical id, name or a
   * target function's name. Returns each target's result.
   */
  async fireSchedule(ref: string): Promise<InvokeResult[]> {
    return this.scheduled.fire(ref, this.lambdas, (arn, input) => this.stepFunctions?.start(arn, input), {
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
    });
  }

  /** Resolves once every stream has been read to its end and every triggered invocation has finished. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = Date.now();
      // Idle shards are polled about once a second: have them read now.
      this.esm.poke();
      await new Promise((r) => setTimeout(r, 150));
      // S3 events trail their requests over IPC: the barrier makes every one of them a dispatch in flight.
      await this.emulators?.sync();
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      while (!this.esm.caughtUpSince(since)) {
        if (Date.now() > deadline) throw new Error('The local cloud did not settle in time');
        await new Promise((r) => setTimeout(r, 50));
        this.esm.poke();
      }
      await this.emulators?.sync();
      if (this.inflight.size === 0) return;
    }
  }

  get kinesisMappings(): readonly KinesisEventSourceMapping[] {
    return this.esm.mappings;
  }

  async stop(): Promise<void> {
    await this.esm.stop();
    await this.machines.stop();
    await Promise.allSettled([...this.inflight]);
    await this.lambdas.stop();
    await this.gateway?.stop();
    await this.options.profile.stop?.();
    // Close our keep-alive connections first: kinesis-mock waits for open connections before it exits.
    for (const client of Object.values(this.clients ?? {})) client.destroy();
    await this.emulators?.stop(this.sqsQueues.queueNames);
    fs.rmSync(path.join(this.stateDir, 'endpoint.json'), { force: true });
    this.info = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
  }
}
