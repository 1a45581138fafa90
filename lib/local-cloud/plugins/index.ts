/**
 * The AWS resource families the local cloud runs, in wiring order, and what the gateway serves from
 * them (docs/decisions/022-local-cloud-plugins.md).
 */
import type { LocalServices } from '../gateway';
import type { CfnTemplate } from '../template';
import { AthenaQueries } from './athena';
import { dynamoDbTables, kinesisStreams, SecretsManager, SqsQueues, s3Buckets } from './data-stores';
import { EventSourceMappings } from './event-source-mappings';
import { LambdaFunctions } from './functions';
import { GlueCatalog } from './glue';
import { HttpApis } from './http-api';
import { IamEnforcement } from './iam';
import { notEmulated } from './not-emulated';
import type { LocalPlugin, PluginKind, ProvisionContext, WireContext } from './plugin';
import { S3Notifications } from './s3-notifications';
import { Schedules } from './schedules';
import { StateMachines } from './state-machines';

export {
  AthenaQueries,
  EventSourceMappings,
  GlueCatalog,
  IamEnforcement,
  LambdaFunctions,
  S3Notifications,
  Schedules,
  SecretsManager,
  SqsQueues,
  StateMachines,
};
export type { LocalPlugin, PluginKind, ProvisionContext, WireContext };

/**
 * One instance of each family. IAM comes first (code runs with its role's credentials), functions
 * before what invokes them, event source mappings last (they start invoking as soon as they are wired).
 */
export function awsPlugins(options: { readonly enforceIam: boolean }): LocalPlugin[] {
  return [
    new IamEnforcement(options.enforceIam),
    s3Buckets,
    kinesisStreams,
    dynamoDbTables,
    new SqsQueues(),
    new SecretsManager(),
    new GlueCatalog(),
    new AthenaQueries(),
    notEmulated,
    new LambdaFunctions(),
    new S3Notifications(),
    new Schedules(),
    new HttpApis(),
    new StateMachines(),
    new EventSourceMappings(),
  ];
}

/** The one plugin of that class among `plugins`. */
export function pluginOf<T extends LocalPlugin>(plugins: readonly LocalPlugin[], kind: PluginKind<T>): T {
  const found = plugins.find((p): p is T => p instanceof kind);
  if (!found) throw new Error(`The local cloud has no ${kind.name} plugin`);
  return found;
}

/** The template types the plugins run. */
export function runTypes(plugins: readonly LocalPlugin[]): Set<string> {
  return new Set(plugins.flatMap((p) => p.types));
}

/** Why the plugins cannot run `template` (types none runs or accepts), or undefined when they can. */
export function unrunnable(plugins: readonly LocalPlugin[], template: CfnTemplate): string | undefined {
  const known = new Set([...runTypes(plugins), ...plugins.flatMap((p) => Object.keys(p.accepted ?? {}))]);
  const unknown = Object.entries(template.Resources).filter(([, r]) => !known.has(r.Type));
  if (unknown.length === 0) return undefined;
  return (
    `The local cloud does not know how to run ${unknown.map(([id, r]) => `${r.Type} (${id})`).join(', ')}; ` +
    'teach the local cloud to create it (a plugin in lib/local-cloud/plugins/) or to accept it with a reason.'
  );
}

/** What the gateway serves from the plugins: their JSON APIs, Lambda, HTTP APIs, IAM checks. */
export function gatewayServices(
  plugins: readonly LocalPlugin[],
  stack: LocalServices['stack'],
  where: { readonly region: string; readonly account: string },
): LocalServices {
  const functions = pluginOf(plugins, LambdaFunctions);
  const secrets = pluginOf(plugins, SecretsManager);
  return {
    api: (service) => plugins.find((p) => p.api?.service === service)?.api,
    invoke: async (ref, payload) => functions.byRef(ref).invoke(payload),
    httpApi: (request) => pluginOf(plugins, HttpApis).serve(request),
    stack,
    functions: () => functions.all().map((f) => f.spec),
    kinesisWritten: () => pluginOf(plugins, EventSourceMappings).poke(),
    iam: () =>
      pluginOf(plugins, IamEnforcement).gateway({
        functionArn: (ref) => {
          try {
            return functions.byRef(ref).spec.arn;
          } catch {
            return ref.startsWith('arn:') ? ref : `arn:aws:lambda:${where.region}:${where.account}:function:${ref}`;
          }
        },
        secretArn: (id) => secrets.store?.find(id)?.arn ?? id,
        athenaWorkGroup: (queryExecutionId) => pluginOf(plugins, AthenaQueries).workGroupOf(queryExecutionId),
      }),
  };
}
