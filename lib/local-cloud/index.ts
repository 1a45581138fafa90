import * as fs from 'node:fs';
import * as path from 'node:path';
import { dynamoDbClient, type Env, kinesisClient, s3Client, sqsClient } from '../../layers/aws/clients';
import { readStackAssembly } from './assembly';
import { Emulators, exitError, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';
import { type LocalCloudInfo, localCloudEnv, readEndpointFile } from './endpoint-file';
import { Gateway } from './gateway';
import {
  awsPlugins,
  EventSourceMappings,
  GlueCatalog,
  gatewayServices,
  LambdaFunctions,
  type LocalPlugin,
  type PluginKind,
  type ProvisionContext,
  pluginOf,
  runTypes,
  S3Notifications,
  Schedules,
  SecretsManager,
  SqsQueues,
  StateMachines,
  unrunnable,
  type WireContext,
} from './plugins';
import type { LocalCloudOptions } from './profile';
import { acquireStateLock, wipeState } from './state-lock';
import { TemplateResolver } from './template';

export { type LocalCloudInfo, readEndpointFile };
export type { LocalCloudOptions };
export { EventSourceMappings, GlueCatalog, LambdaFunctions, Schedules, StateMachines };

/**
 * The embedded local cloud: synthesizes the app (through its profile), starts the emulators and the
 * gateway, and runs every resource family's plugin through the same steps: provision, wire, stop.
 */
export class LocalCloud {
  readonly stateDir: string;
  info?: LocalCloudInfo;
  /** Resolves with the reason when the cloud can no longer work (an emulator died); never rejects. */
  readonly failure: Promise<Error>;
  private fail: (err: Error) => void = () => undefined;
  private readonly log: (line: string) => void;
  private readonly plugins: readonly LocalPlugin[];
  private emulators?: Emulators;
  private gateway?: Gateway;
  /** The cloud's own SDK clients, closed at stop. */
  private clients: { destroy(): void }[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private releaseLock?: () => void;

  constructor(private readonly options: LocalCloudOptions) {
    this.stateDir = path.resolve(options.stateDir ?? '.recomart');
    this.log = options.log ?? (() => undefined);
    this.plugins = awsPlugins({ enforceIam: options.enforceIam ?? true });
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

  /** This cloud's plugin of that class. */
  plugin<T extends LocalPlugin>(kind: PluginKind<T>): T {
    return pluginOf(this.plugins, kind);
  }

  /** Environment that points the SDK (via layers/aws/clients) at this cloud: the gateway, S3 and DynamoDB direct. */
  sdkEnv(): Record<string, string> {
    if (!this.info) throw new Error('The local cloud is not running.');
    const { endpoints } = this.info;
    return {
      ...(localCloudEnv(this.info) as Record<string, string>),
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      // Kinesis goes through the gateway, which wakes the stream's pollers when records are put.
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SFN: endpoints.states,
    };
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
      return await this.startLocked(await this.gateway.start(port));
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  private async startLocked(endpoint: string): Promise<LocalCloudInfo> {
    const t0 = Date.now();
    const { options, log } = this;
    fs.mkdirSync(this.stateDir, { recursive: true });
    if (options.fresh) wipeState(this.stateDir);
    this.emulators = new Emulators(
      this.stateDir,
      (record) => this.plugin(S3Notifications).onEvent(record),
      (exit) => this.fail(exitError(exit, this.stateDir)),
    );
    const emulatorsUp = this.emulators.start();
    emulatorsUp.catch(() => undefined);

    const prepared = await options.profile.prepare(options.context ?? {}, log);
    const synth = options.profile.synth(prepared.context, log, { verbose: options.verbose === true });
    log(
      synth.reused
        ? `reusing the cloud assembly ${synth.key} (sources unchanged) in ${Date.now() - t0} ms`
        : `synthesized the CDK app in ${Date.now() - t0} ms`,
    );
    const assembly = readStackAssembly(synth, prepared.replacements);
    const template = options.templateTransform ? options.templateTransform(assembly.template) : assembly.template;
    log(`${Object.keys(template.Resources).length} resources in the template`);
    const refusal = unrunnable(this.plugins, template);
    if (refusal) throw new Error(refusal);

    const endpoints = await emulatorsUp;
    const resolver = new TemplateResolver(synth.stackName, template);
    resolver.sqsEndpoint = endpoints.sqs;
    resolver.gatewayUrl = endpoint;
    const where = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };
    const stack = () =>
      this.info ? { name: this.info.stackName, outputs: this.info.outputs, createdAt: this.info.startedAt } : undefined;
    (this.gateway as Gateway).serve(endpoints, gatewayServices(this.plugins, stack, where));
    const handled = runTypes(this.plugins);
    this.info = {
      endpoint,
      endpoints: { ...endpoints, states: endpoint },
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      stackName: synth.stackName,
      outputs: {},
      resources: Object.entries(template.Resources)
        .filter(([, r]) => handled.has(r.Type))
        .map(([logicalId, r]) => ({ logicalId, type: r.Type, physicalName: resolver.physicalName(logicalId) })),
      pid: process.pid,
      emulatorPids: this.emulators.pids,
      startedAt: new Date().toISOString(),
      ...(prepared.metadataApi ? { metadataApi: prepared.metadataApi } : {}),
    };
    const sdkEnv = this.sdkEnv();
    // The event source mappings poll the emulator itself (their own reads wake no one).
    const kinesisEnv = { ...sdkEnv, AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis } as Env;
    const clients = {
      s3: s3Client({ env: sdkEnv }),
      kinesis: kinesisClient({ env: kinesisEnv }),
      sqs: sqsClient({ env: sdkEnv }),
      dynamodb: dynamoDbClient({ env: sdkEnv }),
    };
    this.clients = Object.values(clients);
    const context: ProvisionContext = { resolver, stateDir: this.stateDir, log, clients, endpoint, sdkEnv, ...where };
    await Promise.all(this.plugins.map((p) => p.provision?.(context)));
    const wiring: WireContext = {
      ...context,
      assemblyDir: synth.dir,
      dockerImages: assembly.dockerImages,
      retryIntervalMs: options.retryIntervalMs ?? 100,
      plugin: (kind) => this.plugin(kind),
      track: (task) => {
        this.inflight.add(task);
        task.finally(() => this.inflight.delete(task));
      },
    };
    for (const plugin of this.plugins) await plugin.wire?.(wiring);
    options.profile.started?.({
      functionEnvironments: this.plugin(LambdaFunctions)
        .all()
        .map((f) => f.spec.environment),
      secretValue: (id) => this.plugin(SecretsManager).store?.find(id)?.value,
    });

    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {}))
      outputs[name] = String(resolver.resolve(output.Value));
    this.info = { ...this.info, outputs, schedules: this.plugin(Schedules).schedules };
    fs.writeFileSync(path.join(this.stateDir, 'endpoint.json'), `${JSON.stringify(this.info, null, 2)}\n`);
    log(`local cloud up in ${Date.now() - t0} ms at ${endpoint}`);
    return this.info;
  }

  /**
   * Serve plain HTTP pages under `prefix` on the gateway endpoint (the console): the engine routes,
   * the caller renders. Call after start.
   */
  mount(prefix: string, handler: import('node:http').RequestListener): void {
    if (!this.gateway) throw new Error('The local cloud is not started.');
    this.gateway.mount(prefix, handler);
  }

  /** Resolves once every stream has been read to its end and every triggered invocation has finished. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const esm = this.plugin(EventSourceMappings);
    for (;;) {
      const since = Date.now();
      // Idle shards are polled about once a second: have them read now.
      esm.poke();
      await new Promise((r) => setTimeout(r, 150));
      // S3 events trail their requests over IPC: the barrier makes every one of them a dispatch in flight.
      await this.emulators?.sync();
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      while (!esm.caughtUpSince(since)) {
        if (Date.now() > deadline) throw new Error('The local cloud did not settle in time');
        await new Promise((r) => setTimeout(r, 50));
        esm.poke();
      }
      await this.emulators?.sync();
      if (this.inflight.size === 0) return;
    }
  }

  async stop(): Promise<void> {
    // Reverse order: what invokes functions stops before the functions, which stop before the stores.
    for (const plugin of [...this.plugins].reverse()) await plugin.stop?.();
    await this.gateway?.stop();
    await this.options.profile.stop?.();
    // Close our keep-alive connections first: kinesis-mock waits for open connections before it exits.
    for (const client of this.clients) client.destroy();
    await this.emulators?.stop(this.plugin(SqsQueues).queueNames);
    fs.rmSync(path.join(this.stateDir, 'endpoint.json'), { force: true });
    this.info = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
  }
}
