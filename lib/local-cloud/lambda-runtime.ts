import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: FunctionError };

/** The error of an invocation that arrives after the local cloud stopped. */
export const STOPPED_ERROR = 'Runtime.LocalCloudStopped';

export interface LocalFunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the bundled `index.js`, or undefined for code the local cloud cannot run (inline Python). */
  readonly entry?: string;
  readonly handler: string;
  /** As the template declares them (`Runtime`, `Architectures`). */
  readonly runtime: string;
  readonly architectures: readonly string[];
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** At most this many invocations run at once (one worker each). */
  readonly concurrency: number;
}

interface Pending {
  resolve: (r: InvokeResult) => void;
  timer: NodeJS.Timeout;
}

class ExecutionEnvironment {
  readonly worker: Worker;
  private readonly pending = new Map<string, Pending>();

  constructor(spec: LocalFunctionSpec, env: Record<string, string>, log: fs.WriteStream, nodeModules: string) {
    const [file, handlerName] = splitHandler(spec.handler);
    this.worker = new Worker(path.join(__dirname, 'lambda-worker.cjs'), {
      env,
      workerData: { entry: spec.entry, handlerName, handler: spec.handler, file, nodeModules },
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.pipe(log, { end: false });
    this.worker.stderr.pipe(log, { end: false });
    this.worker.on(
      'message',
      (msg: { id: string } & ({ ok: true; result: unknown } | { ok: false; error: FunctionError })) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(msg.id);
        p.resolve(msg.ok ? { ok: true, payload: msg.result } : { ok: false, error: msg.error });
      },
    );
    this.worker.on('error', (err) => this.failAll({ errorType: 'Runtime.ExitError', errorMessage: err.message }));
    this.worker.on('exit', (code) =>
      this.failAll({ errorType: 'Runtime.ExitError', errorMessage: `execution environment exited with code ${code}` }),
    );
  }

  invoke(
    event: unknown,
    context: Record<string, unknown>,
    timeoutMs: number,
    onTimeout: () => void,
  ): Promise<InvokeResult> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          },
        });
        onTimeout();
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.worker.postMessage({
        id,
        event,
        context: { ...context, awsRequestId: id, deadline: Date.now() + timeoutMs },
      });
    });
  }

  private failAll(error: FunctionError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error });
      this.pending.delete(id);
    }
  }
}

/**
 * A Lambda function on the local cloud: its bundled asset runs in worker threads (one per concurrent
 * invocation, reused warm), each with the function's own environment variables.
 */
export class LocalFunction {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly waiting: ((env: ExecutionEnvironment) => void)[] = [];
  private readonly log: fs.WriteStream;
  invocations = 0;
  errors = 0;

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly baseEnv: Record<string, string>,
    logDir: string,
    private readonly nodeModules: string,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    this.log = fs.createWriteStream(path.join(logDir, `${spec.logicalId}.log`), { flags: 'a' });
  }

  private stopped = false;

  get runnable(): boolean {
    return this.spec.entry !== undefined;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    this.invocations++;
    if (this.stopped) {
      // A retry or a late event after the cloud stopped: no new execution environment outlives the cloud.
      this.errors++;
      return {
        ok: false,
        error: { errorType: STOPPED_ERROR, errorMessage: `${this.spec.name}: the local cloud has stopped` },
      };
    }
    if (!this.spec.entry) {
      this.errors++;
      return {
        ok: false,
        error: {
          errorType: 'Runtime.Unsupported',
          errorMessage: `${this.spec.name} has no bundled Node.js asset the local cloud can run`,
        },
      };
    }
    const env = await this.acquire();
    const context = {
      functionName: this.spec.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.spec.arn,
      memoryLimitInMB: String(this.spec.memoryMb),
      logGroupName: `/aws/lambda/${this.spec.name}`,
      logStreamName: `local/${this.spec.logicalId}`,
    };
    let timedOut = false;
    const result = await env.invoke(event, context, this.spec.timeoutSeconds * 1000, () => {
      timedOut = true;
    });
    if (!result.ok) this.errors++;
    if (timedOut) {
      // Like Lambda, a timed-out environment is not reused.
      this.all.delete(env);
      await env.worker.terminate();
      this.release(undefined);
    } else {
      this.release(env);
    }
    return result;
  }

  private acquire(): Promise<ExecutionEnvironment> {
    const env = this.idle.pop();
    if (env) return Promise.resolve(env);
    if (this.all.size < this.spec.concurrency) {
      const created = new ExecutionEnvironment(
        this.spec,
        { ...this.baseEnv, ...this.spec.environment, AWS_LAMBDA_FUNCTION_NAME: this.spec.name },
        this.log,
        this.nodeModules,
      );
      this.all.add(created);
      return Promise.resolve(created);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(env: ExecutionEnvironment | undefined): void {
    const next = this.waiting.shift();
    if (next) {
      if (env) next(env);
      else this.acquire().then(next);
      return;
    }
    if (env) this.idle.push(env);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const envs = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(envs.map((e) => e.worker.terminate()));
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

function splitHandler(handler: string): [string, string] {
  const i = handler.lastIndexOf('.');
  return i < 0 ? [handler, 'handler'] : [handler.slice(0, i), handler.slice(i + 1)];
}
