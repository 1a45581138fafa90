/**
 * A resource family of the local cloud: the template types it runs, how it creates them, how it wires
 * them to the rest of the cloud, the AWS JSON API it answers on the gateway, and how it stops. The
 * engine (lib/local-cloud/index.ts) runs every plugin through the same steps and refuses a template
 * with a type no plugin runs or accepts (docs/decisions/022-local-cloud-plugins.md).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TemplateResolver } from '../template';

/** What a plugin gets to provision its resources: the resolved template, the emulators' clients, the state directory. */
export interface ProvisionContext {
  readonly resolver: TemplateResolver;
  readonly stateDir: string;
  readonly log: (line: string) => void;
  readonly clients: {
    readonly s3: S3Client;
    readonly kinesis: KinesisClient;
    readonly sqs: SQSClient;
    readonly dynamodb: DynamoDBClient;
  };
  /** The gateway's URL: the one endpoint of every service. */
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  /** The SDK environment of the cloud's own access (no role: not restricted by IAM). */
  readonly sdkEnv: Readonly<Record<string, string>>;
}

/** A class of plugin, to find the one instance a cloud has (see `WireContext.plugin`). */
// biome-ignore lint/suspicious/noExplicitAny: a constructor of any arguments
export type PluginKind<T extends LocalPlugin> = abstract new (...args: any[]) => T;

/** What a plugin gets to wire its resources, after every plugin has provisioned. */
export interface WireContext extends ProvisionContext {
  /** The cloud assembly directory (the functions' bundles, the container assets). */
  readonly assemblyDir: string;
  /** The assembly's container images by asset hash, with their source directories. */
  readonly dockerImages: Readonly<Record<string, { source: { directory: string } }>>;
  /** Step Functions retry waits, in ms, instead of the definition's. */
  readonly retryIntervalMs: number;
  /**
   * The cloud's plugin of that class. Plugins are wired in the order they are registered, so a plugin
   * uses at wiring time only those registered before it.
   */
  plugin<T extends LocalPlugin>(kind: PluginKind<T>): T;
  /** Work triggered by an event (an S3 notification's dispatch) that `settle` waits for. */
  track(task: Promise<unknown>): void;
}

/** An AWS JSON-protocol API (X-Amz-Target `<targetPrefix><Action>`) a plugin answers on the gateway. */
export interface JsonApi {
  /** The service name in the SigV4 credential scope (`states`, `secretsmanager`, `glue`). */
  readonly service: string;
  readonly targetPrefix: string;
  readonly version: '1.0' | '1.1';
  /** The action's answer; an error with a `type` is answered as that error type. */
  handle(action: string, body: Record<string, unknown>): unknown;
}

export interface LocalPlugin {
  readonly name: string;
  /** CloudFormation types this plugin runs. */
  readonly types: readonly string[];
  /** Types this plugin accepts without creating anything, each with why that is safe. */
  readonly accepted?: Readonly<Record<string, string>>;
  /** Create this family's resources (concurrently with the other plugins'). */
  provision?(context: ProvisionContext): Promise<void>;
  /** Connect this family's resources to the others' (in registration order). */
  wire?(context: WireContext): void | Promise<void>;
  /** The JSON API this family serves on the gateway, once wired. */
  readonly api?: JsonApi;
  /** Stop this family's work (in reverse registration order). */
  stop?(): Promise<void>;
}

/** An error an AWS JSON API answers with, as `{"__type": type, "message": ...}`. */
export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One page of `all` as AWS APIs page it: an opaque token says where the next page starts. The page size
 * is the request's within [1, max] (`fallback` when absent or 0); a token that is not one of ours is
 * refused with `invalid()`.
 */
export function pageOf<T>(
  all: readonly T[],
  request: { readonly token: unknown; readonly size: unknown },
  limits: { readonly fallback: number; readonly max: number },
  invalid: () => Error,
): { items: T[]; next?: string } {
  const size = Math.min(limits.max, Math.max(1, Number(request.size ?? limits.fallback) || limits.fallback));
  const from = request.token ? Number(Buffer.from(String(request.token), 'base64url').toString()) : 0;
  if (!Number.isInteger(from) || from < 0) throw invalid();
  const next = from + size < all.length ? Buffer.from(String(from + size)).toString('base64url') : undefined;
  return { items: all.slice(from, from + size), ...(next ? { next } : {}) };
}

/** Each resource of `type` with its resolved properties and physical name. */
export function resourcesOf(
  { resolver }: Pick<ProvisionContext, 'resolver'>,
  type: string,
): { id: string; name: string; props: Record<string, unknown> }[] {
  return resolver.resourcesOfType(type).map(([id, r]) => ({
    id,
    name: resolver.physicalName(id),
    props: (resolver.resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown>,
  }));
}
