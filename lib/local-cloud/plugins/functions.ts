/**
 * Lambda functions (and their layers) of the template, run by the local Lambda runtime
 * (../lambda-runtime.ts) from the assembly's bundles, each with its role's credentials; and Lambda's
 * asynchronous invocation, which retries a failed event twice and then records it (never drops it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { again, done, retrying } from '../../../layers/util/retry';
import { LocalIam } from '../iam';
import { LocalFunction, STOPPED_ERROR } from '../lambda-runtime';
import { IamEnforcement } from './iam';
import type { LocalPlugin, WireContext } from './plugin';

/** An asynchronous invocation that failed every attempt, already recorded (not an error of the cloud). */
class RecordedAsyncFailure extends Error {}

export interface AsyncFailure {
  readonly functionName: string;
  readonly error: string;
  readonly event: unknown;
}

export class LambdaFunctions implements LocalPlugin {
  readonly name = 'lambda';
  readonly types = ['AWS::Lambda::Function', 'AWS::Lambda::LayerVersion'];
  private readonly byId = new Map<string, LocalFunction>();
  /** Events whose asynchronous invocation failed every attempt (also in <state>/logs/async-invoke-failures.jsonl). */
  readonly asyncFailures: AsyncFailure[] = [];

  private stateDir = '';
  private log: (line: string) => void = () => undefined;

  /** Load every function of the template from its bundle, to run with its role's credentials. */
  wire({ resolver, assemblyDir, stateDir, log, plugin }: WireContext): void {
    this.stateDir = stateDir;
    this.log = log;
    const iam = plugin(IamEnforcement);
    for (const [id, r] of resolver.resourcesOfType('AWS::Lambda::Function')) {
      const props = resolver.resolve(r.Properties ?? {}) as Record<string, unknown>;
      const assetPath = r.Metadata?.['aws:asset:path'];
      const runtime = String(props.Runtime ?? '');
      const handler = String(props.Handler ?? 'index.handler');
      const file = handler.slice(0, handler.lastIndexOf('.'));
      const entry =
        typeof assetPath === 'string' && runtime.startsWith('nodejs')
          ? path.join(assemblyDir, assetPath, `${file}.js`)
          : undefined;
      const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}) as Record<string, unknown>;
      // Layers are unpacked where Lambda puts /opt/nodejs/node_modules: ahead of the project's modules.
      const layerPaths = ((r.Properties?.Layers as unknown[] | undefined) ?? []).map((layer) => {
        const logicalId = (layer as { Ref?: string }).Ref;
        const layerAsset = logicalId ? resolver.template.Resources[logicalId]?.Metadata?.['aws:asset:path'] : undefined;
        if (typeof layerAsset !== 'string')
          throw new Error(`Function ${id} uses layer ${JSON.stringify(layer)}, which has no local asset`);
        return path.join(assemblyDir, layerAsset, 'nodejs', 'node_modules');
      });
      const fn = new LocalFunction(
        {
          logicalId: id,
          name: resolver.physicalName(id),
          arn: resolver.arn(id),
          entry,
          handler,
          runtime,
          architectures: (props.Architectures as string[] | undefined) ?? ['x86_64'],
          environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
          timeoutSeconds: Number(props.Timeout ?? 3),
          memoryMb: Number(props.MemorySize ?? 128),
          concurrency: Number(props.ReservedConcurrentExecutions ?? 4),
        },
        {
          ...iam.roleEnv(LocalIam.roleOf(r.Properties?.Role), resolver.physicalName(id)),
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
          TZ: 'UTC',
        },
        path.join(this.stateDir, 'logs', 'lambda'),
        layerPaths.join(path.delimiter),
      );
      this.byId.set(id, fn);
    }
  }

  all(): LocalFunction[] {
    return [...this.byId.values()];
  }

  /** A function by logical id, name or ARN (with or without a qualifier). */
  byRef(ref: string): LocalFunction {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const bare = ref.replace(/:(\$LATEST|\d+)$/, '');
    for (const fn of this.byId.values()) if (fn.spec.name === bare || fn.spec.arn === bare) return fn;
    throw new Error(`No function ${ref} in the template`);
  }

  /** Asynchronous invocation like Lambda's: up to 2 retries, then recorded as failed (never silently dropped). */
  async invokeAsync(fn: LocalFunction, event: unknown): Promise<void> {
    let last = '';
    const recordFailure = () => {
      const failure = { functionName: fn.spec.name, error: last, event };
      this.asyncFailures.push(failure);
      try {
        fs.appendFileSync(
          path.join(this.stateDir, 'logs', 'async-invoke-failures.jsonl'),
          `${JSON.stringify(failure)}\n`,
        );
      } catch (err) {
        this.log(`could not record the failed event of ${fn.spec.name}: ${(err as Error).message}`);
      }
      return new RecordedAsyncFailure(last);
    };
    await retrying({ attempts: 3, baseDelayMs: 200 }, { giveUp: recordFailure }, async (attempt) => {
      const result = await fn.invoke(event);
      if (result.ok) return done(undefined);
      last = `${result.error.errorType}: ${result.error.errorMessage}`;
      this.log(`${fn.spec.name} failed (attempt ${attempt}/3): ${last}`);
      // A stop ends the retries: the event is recorded as failed, not retried into a stopped cloud.
      if (result.error.errorType === STOPPED_ERROR) throw recordFailure();
      return again(last);
    }).catch((err: unknown) => {
      if (!(err instanceof RecordedAsyncFailure)) throw err;
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.all().map((f) => f.stop()));
  }
}
