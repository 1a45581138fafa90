import './polyfills';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ContainerSpec, runContainers } from './ecs-tasks';
import type { AuthzRequest, Denial } from './iam';
import type { InvokeResult } from './lambda-runtime';
import type { AthenaTasks } from './plugins/athena';

type Asl = typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'import' }});
// The package is "type": "module" but ships a CommonJS build under its "require" export.
const { ExecutionError, StateMachine } = require('aws-local-stepfunctions') as Asl;

/**
 * Check a definition against the Amazon States Language schema (asl-validator), with resource ARNs and
 * JSONPaths checked as CreateStateMachine checks them; throws with the validator's findings.
 */
export function validateDefinition(definition: Record<string, unknown>): void {
  new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
}

export interface StateMachineSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
  /** The logical id of the role the state machine runs as (its service integrations are checked against it). */
  readonly role?: string;
}

/** What a state machine's role may do: the first request it may not make, or undefined. */
export type RoleCheck = (
  machine: StateMachineSpec,
  requests: readonly AuthzRequest[],
) => Promise<Pick<Denial, 'message'> | undefined>;

export interface TaskDefinitionSpec {
  readonly family: string;
  readonly arn: string;
  readonly containers: readonly ContainerSpec[];
  /** The task role's SDK environment (credentials, endpoint), over `containerEnv`. */
  readonly env?: Record<string, string>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  readonly id: number;
  readonly timestamp: string;
  readonly type: string;
  readonly stateName?: string;
  readonly details?: Record<string, unknown>;
}

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  readonly startDate: string;
  stopDate?: string;
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: HistoryEvent[];
}

export interface StepFunctionsDeps {
  readonly invokeFunction: (functionRef: string, payload: unknown) => Promise<InvokeResult>;
  /** Athena, for the `arn:aws:states:::athena:*` integrations. @default none: such states are refused */
  readonly athena?: AthenaTasks;
  /** IAM for the state machines' roles. @default every call is allowed */
  readonly checkRole?: RoleCheck;
  /** The partition, region and account ARNs are made in. @default aws, us-east-1, 000000000000 */
  readonly arns?: { readonly region: string; readonly account: string };
  readonly taskDefinitions: ReadonlyMap<string, TaskDefinitionSpec>;
  /** Environment given to every container (endpoints, credentials, region). */
  readonly containerEnv: Record<string, string>;
  readonly stateDir: string;
  /** Replace every Retry interval with this many ms (local runs should not sleep for minutes). */
  readonly retryIntervalMs?: number;
  readonly log?: (line: string) => void;
}

const ATHENA_PREFIX = 'arn:aws:states:::athena:';
const ATHENA_ACTIONS = new Set([
  'startQueryExecution',
  'startQueryExecution.sync',
  'getQueryExecution',
  'getQueryResults',
  'stopQueryExecution',
]);

/** Step Functions' own integration: start an execution of another state machine (and wait for it). */
const STATES_PREFIX = 'arn:aws:states:::states:';
const STATES_ACTIONS = new Set(['startExecution', 'startExecution.sync', 'startExecution.sync:2']);

/** Step Functions' limit on a state's input or output, and on an execution's input. */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** A task result over the payload limit fails the execution; no Retry or Catch applies (as on AWS). */
function limited(stateName: string, result: unknown): unknown {
  const size = Buffer.byteLength(JSON.stringify(result ?? null));
  if (size <= PAYLOAD_LIMIT_BYTES) return result;
  const err = new TaskError(
    'States.DataLimitExceeded',
    `The result of ${stateName} is ${size} bytes; Step Functions allows ${PAYLOAD_LIMIT_BYTES}.`,
  ) as TaskError & { isCatchable: boolean; isRetryable: boolean };
  err.isCatchable = false;
  err.isRetryable = false;
  return Promise.reject(err);
}

/** Step Functions' limit on the events of one (standard) execution's history. */
export const HISTORY_LIMIT_EVENTS = 25_000;

/** A Task state failure, named the way Step Functions names it so Retry/Catch match. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
}

/** Every Task state in a definition, including those inside Map and Parallel states. */
export function taskStates(definition: Record<string, unknown>): [string, TaskState][] {
  const out: [string, TaskState][] = [];
  const visit = (states: Record<string, Record<string, unknown>> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Task') out.push([name, state as unknown as TaskState]);
      const iterator = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      visit(iterator?.States);
      for (const branch of (state.Branches as { States?: Record<string, Record<string, unknown>> }[] | undefined) ??
        []) {
        visit(branch.States);
      }
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return out;
}

function lambdaError(result: Extract<InvokeResult, { ok: false }>): TaskError {
  const { errorType, errorMessage, trace } = result.error;
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/** Runs the template's state machines with aws-local-stepfunctions, wiring Task states to local resources. */
export class LocalStepFunctions {
  private readonly machines = new Map<string, StateMachineSpec>();
  private readonly executions = new Map<string, Execution>();
  private readonly running = new Map<string, Promise<Execution>>();
  private readonly aborts = new Map<string, () => void>();

  constructor(
    machines: readonly StateMachineSpec[],
    private readonly deps: StepFunctionsDeps,
  ) {
    for (const machine of machines) {
      this.machines.set(machine.arn, machine);
      for (const [name, state] of taskStates(machine.definition)) this.checkSupported(machine, name, state);
    }
    this.restore();
  }

  /**
   * Executions finished before the last stop (a clean stop aborts running ones and records them as
   * ABORTED): listed and described again after a restart. Running executions cannot be resumed.
   */
  private restore(): void {
    const dir = path.join(this.deps.stateDir, 'stepfunctions');
    if (!fs.existsSync(dir)) return;
    for (const file of fs.readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      try {
        const execution = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Execution;
        if (execution.executionArn && execution.status !== 'RUNNING')
          this.executions.set(execution.executionArn, execution);
      } catch {
        this.deps.log?.(`skipped the unreadable execution record ${path.join(dir, file)}`);
      }
    }
  }

  list(): StateMachineSpec[] {
    return [...this.machines.values()];
  }

  machine(arn: string): StateMachineSpec | undefined {
    return this.machines.get(arn);
  }

  private checkSupported(machine: StateMachineSpec, name: string, state: TaskState): void {
    const resource = state.Resource ?? '';
    if (
      resource === 'arn:aws:states:::lambda:invoke' ||
      resource.startsWith('arn:aws:lambda:') ||
      resource === 'arn:aws:states:::ecs:runTask.sync' ||
      resource === 'arn:aws:states:::ecs:runTask' ||
      (resource.startsWith(STATES_PREFIX) && STATES_ACTIONS.has(resource.slice(STATES_PREFIX.length))) ||
      (this.deps.athena !== undefined &&
        ATHENA_ACTIONS.has(resource.slice(ATHENA_PREFIX.length)) &&
        resource.startsWith(ATHENA_PREFIX))
    ) {
      return;
    }
    throw new Error(`State "${name}" of ${machine.name} uses ${resource}, which the local cloud cannot run yet.`);
  }

  private handlers(machine: StateMachineSpec): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of taskStates(machine.definition)) {
      const resource = state.Resource ?? '';
      if (resource === 'arn:aws:states:::lambda:invoke') {
        handlers[name] = async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
          await this.authorize(machine, 'Lambda.AWSLambdaException', [
            { action: 'lambda:InvokeFunction', resource: FunctionName },
          ]);
          const result = await this.deps.invokeFunction(FunctionName, Payload ?? {});
          if (!result.ok) throw lambdaError(result);
          return {
            ExecutedVersion: '$LATEST',
            Payload: result.payload,
            SdkHttpMetadata: { HttpStatusCode: 200 },
            StatusCode: 200,
          };
        };
      } else if (resource.startsWith('arn:aws:lambda:')) {
        handlers[name] = async (input) => {
          await this.authorize(machine, 'Lambda.AWSLambdaException', [{ action: 'lambda:InvokeFunction', resource }]);
          const result = await this.deps.invokeFunction(resource, input);
          if (!result.ok) throw lambdaError(result);
          return result.payload;
        };
      } else if (resource.startsWith(STATES_PREFIX)) {
        handlers[name] = (input) =>
          this.childExecution(machine, resource.slice(STATES_PREFIX.length), input as Record<string, unknown>);
      } else if (resource.startsWith(ATHENA_PREFIX)) {
        handlers[name] = (input) =>
          this.athenaTask(machine, resource.slice(ATHENA_PREFIX.length), input as Record<string, unknown>);
      } else {
        handlers[name] = (input) => this.runTask(name, input as EcsRunTaskInput, resource.endsWith('.sync'));
      }
      const run = handlers[name] as (input: unknown) => Promise<unknown>;
      handlers[name] = async (input) => limited(name, await run(input));
    }
    return handlers;
  }

  /**
   * Athena's integrations: `startQueryExecution` answers the id, `.sync` waits for the query and
   * answers GetQueryExecution's output, and fails with `States.TaskFailed` (the output as its cause)
   * when the query did not succeed; a rejected request fails as `Athena.<error type>`
   * (docs/decisions/023-sql-over-the-lake.md).
   */
  private async athenaTask(
    machine: StateMachineSpec,
    action: string,
    parameters: Record<string, unknown>,
  ): Promise<unknown> {
    const athena = this.deps.athena as AthenaTasks;
    // The call itself on the workgroup's ARN; the data the query reads and writes, as the role, by Athena.
    const { region, account } = this.deps.arns ?? { region: 'us-east-1', account: '000000000000' };
    const group = String(
      parameters.WorkGroup ?? athena.workGroupOf(String(parameters.QueryExecutionId ?? '')) ?? 'primary',
    );
    const calls: Record<string, string[]> = {
      startQueryExecution: ['athena:StartQueryExecution'],
      'startQueryExecution.sync': ['athena:StartQueryExecution', 'athena:GetQueryExecution'],
      getQueryExecution: ['athena:GetQueryExecution'],
      getQueryResults: ['athena:GetQueryResults'],
      stopQueryExecution: ['athena:StopQueryExecution'],
    };
    await this.authorize(
      machine,
      'Athena.AccessDeniedException',
      (calls[action] ?? []).map((a) => ({
        action: a,
        resource: `arn:aws:athena:${region}:${account}:workgroup/${group}`,
      })),
    );
    const caller = this.deps.checkRole
      ? (requests: Parameters<RoleCheck>[1]) => (this.deps.checkRole as RoleCheck)(machine, requests)
      : undefined;
    const request = <T>(call: () => T): T => {
      try {
        return call();
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        throw typeof type === 'string' ? new TaskError(`Athena.${type}`, (err as Error).message) : err;
      }
    };
    switch (action) {
      case 'startQueryExecution':
        return { QueryExecutionId: request(() => athena.start(parameters, caller)) };
      case 'startQueryExecution.sync': {
        const id = request(() => athena.start(parameters, caller));
        const out = await athena.finished(id);
        if (out.QueryExecution.Status.State !== 'SUCCEEDED')
          throw new TaskError('States.TaskFailed', JSON.stringify(out));
        return out;
      }
      case 'getQueryExecution':
        return request(() => athena.call('GetQueryExecution', parameters));
      case 'getQueryResults':
        return request(() => athena.call('GetQueryResults', parameters));
      default:
        return request(() => athena.call('StopQueryExecution', parameters));
    }
  }

  /**
   * Step Functions' own integration: `startExecution` answers the child's ARN; `.sync` and `.sync:2`
   * wait for it and answer DescribeExecution's output (its Input and Output as JSON text for `.sync`,
   * parsed for `.sync:2`), and fail with `States.TaskFailed` (that output as the cause) when the child
   * did not succeed. A rejected start fails as `StepFunctions.<API error code>`
   * (docs/decisions/024-feature-build-in-sql.md).
   */
  private async childExecution(
    machine: StateMachineSpec,
    action: string,
    parameters: Record<string, unknown>,
  ): Promise<unknown> {
    const arn = String(parameters.StateMachineArn ?? '');
    await this.authorize(machine, 'StepFunctions.AccessDeniedException', [
      { action: 'states:StartExecution', resource: arn },
      ...(action === 'startExecution'
        ? []
        : [{ action: 'states:DescribeExecution', resource: `${arn.replace(':stateMachine:', ':execution:')}:*` }]),
    ]);
    const raw = parameters.Input;
    const input = typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {});
    let child: Execution;
    try {
      child = this.start(arn, input, typeof parameters.Name === 'string' ? parameters.Name : undefined);
    } catch (err) {
      throw err instanceof TaskError ? new TaskError(`StepFunctions.${err.name}`, err.message) : err;
    }
    if (action === 'startExecution') return { ExecutionArn: child.executionArn, StartDate: child.startDate };
    const done = await this.waitFor(child.executionArn);
    const json = action === 'startExecution.sync:2';
    const described = {
      ExecutionArn: done.executionArn,
      StateMachineArn: done.stateMachineArn,
      Name: done.name,
      Status: done.status,
      StartDate: done.startDate,
      StopDate: done.stopDate,
      Input: json ? JSON.parse(done.input) : done.input,
      ...(done.output !== undefined ? { Output: json ? JSON.parse(done.output) : done.output } : {}),
      ...(done.error !== undefined ? { Error: done.error } : {}),
      ...(done.cause !== undefined ? { Cause: done.cause } : {}),
    };
    if (done.status !== 'SUCCEEDED') throw new TaskError('States.TaskFailed', JSON.stringify(described));
    return described;
  }

  /** A service integration's calls, as the state machine's role; a denial fails the task as `errorName`. */
  private async authorize(
    machine: StateMachineSpec,
    errorName: string,
    requests: Parameters<RoleCheck>[1],
  ): Promise<void> {
    const denial = await this.deps.checkRole?.(machine, requests);
    if (denial) throw new TaskError(errorName, denial.message);
  }

  private async runTask(stateName: string, input: EcsRunTaskInput, sync: boolean): Promise<unknown> {
    const ref = input.TaskDefinition;
    const def =
      this.deps.taskDefinitions.get(ref) ??
      [...this.deps.taskDefinitions.values()].find(
        (d) => d.family === ref || ref.startsWith(`${d.arn.replace(/:\d+$/, '')}`),
      );
    if (!def) throw new TaskError('ECS.InvalidParameterException', `Unknown task definition ${ref}`);
    const overrides = new Map((input.Overrides?.ContainerOverrides ?? []).map((o) => [o.Name, o]));
    const containers = def.containers.map((c) => {
      const o = overrides.get(c.name);
      const env = { ...c.environment };
      for (const { Name, Value } of o?.Environment ?? []) env[Name] = Value;
      return { ...c, environment: env, command: o?.Command ?? c.command };
    });
    this.deps.log?.(`${stateName}: running task ${def.family} locally`);
    const startedAt = new Date();
    const run = runContainers(
      def.family,
      containers,
      { ...this.deps.containerEnv, ...def.env },
      path.join(this.deps.stateDir, 'logs', 'ecs'),
      (line) => this.deps.log?.(line),
    );
    const toTask = (r: Awaited<typeof run>) => ({
      TaskArn: r.taskArn,
      TaskDefinitionArn: def.arn,
      ClusterArn: input.Cluster,
      LaunchType: input.LaunchType ?? 'FARGATE',
      LastStatus: 'STOPPED',
      DesiredStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      CreatedAt: r.startedAt.getTime(),
      StartedAt: r.startedAt.getTime(),
      StoppedAt: r.stoppedAt.getTime(),
      Containers: containers.map((c) => ({
        Name: c.name,
        ExitCode: r.exitCodes[c.name],
        LastStatus: 'STOPPED',
        TaskArn: r.taskArn,
      })),
      Overrides: input.Overrides ?? {},
      Group: `family:${def.family}`,
    });
    if (!sync) {
      run.catch(() => undefined);
      return { Tasks: [{ TaskArn: 'pending', LastStatus: 'PROVISIONING' }], Failures: [] };
    }
    let result: Awaited<typeof run>;
    try {
      result = await run;
    } catch (err) {
      // The task could not start (no entrypoint, say): it stops without exit codes, as on ECS.
      return {
        TaskArn: `arn:aws:ecs:us-east-1:000000000000:task/local/failed-${randomUUID().replace(/-/g, '')}`,
        TaskDefinitionArn: def.arn,
        LastStatus: 'STOPPED',
        StopCode: 'TaskFailedToStart',
        StoppedReason: (err as Error).message,
        CreatedAt: startedAt.getTime(),
        StoppedAt: Date.now(),
        Containers: containers.map((c) => ({ Name: c.name, LastStatus: 'STOPPED', Reason: (err as Error).message })),
      };
    }
    // As on AWS, the .sync integration succeeds once the task stopped, whatever the exit codes: the
    // definition checks them (docs/decisions/016-aws-faithful-local-cloud.md).
    return toTask(result);
  }

  start(stateMachineArn: string, input: unknown, name?: string): Execution {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new TaskError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const inputBytes = Buffer.byteLength(JSON.stringify(input ?? {}));
    if (inputBytes > PAYLOAD_LIMIT_BYTES)
      throw new TaskError(
        'InvalidExecutionInput',
        `The execution input is ${inputBytes} bytes; Step Functions accepts at most ${PAYLOAD_LIMIT_BYTES}.`,
      );
    const execName = name ?? randomUUID();
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${execName}`;
    if (this.executions.has(executionArn))
      throw new TaskError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const startDate = new Date().toISOString();
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name: execName,
      status: 'RUNNING',
      startDate,
      input: JSON.stringify(input ?? {}),
      events: [],
    };
    this.executions.set(executionArn, execution);
    const sm = new StateMachine(machine.definition as never, { validationOptions: { checkArn: false } });
    const retryIntervalOverrides =
      this.deps.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(taskStates(machine.definition).map(([n]) => [n, this.deps.retryIntervalMs as number]));
    const run = sm.run((input ?? {}) as never, {
      overrides: { taskResourceLocalHandlers: this.handlers(machine) as never, retryIntervalOverrides },
      context: {
        Execution: { Id: executionArn, Name: execName, StartTime: startDate, Input: input as never, RoleArn: 'local' },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    this.aborts.set(executionArn, run.abort);
    // What AWS stops an execution for, and a Catch cannot handle: a state's data over 256 KB, and a
    // history over 25,000 events. The run is aborted and recorded as failed with that error.
    let terminal: { error: string; cause: string } | undefined;
    const terminate = (error: string, cause: string) => {
      if (terminal) return;
      terminal = { error, cause };
      run.abort();
    };
    const push = (type: string, stateName?: string, details?: Record<string, unknown>, at = Date.now()) => {
      if (execution.events.length >= HISTORY_LIMIT_EVENTS) {
        terminate(
          'States.Runtime',
          `The execution history reached ${HISTORY_LIMIT_EVENTS} events, the Step Functions limit.`,
        );
        return;
      }
      execution.events.push({
        id: execution.events.length + 1,
        timestamp: new Date(at).toISOString(),
        type,
        stateName,
        details,
      });
    };
    const collect = (async () => {
      for await (const ev of run.eventLogs) {
        const e = ev as {
          type: string;
          timestamp: number;
          state?: { name: string; type: string; input?: unknown; output?: unknown };
          Error?: string;
          Cause?: unknown;
        };
        const prefix = e.state?.type ?? '';
        if (e.type === 'ExecutionStarted') push('ExecutionStarted', undefined, { input: execution.input }, e.timestamp);
        else if (e.type === 'StateEntered')
          push(`${prefix}StateEntered`, e.state?.name, { input: e.state?.input }, e.timestamp);
        else if (e.type === 'StateExited') {
          const size = Buffer.byteLength(JSON.stringify(e.state?.output ?? null));
          if (size > PAYLOAD_LIMIT_BYTES)
            terminate(
              'States.DataLimitExceeded',
              `The state ${e.state?.name} produced ${size} bytes of output; Step Functions allows ${PAYLOAD_LIMIT_BYTES}.`,
            );
          push(`${prefix}StateExited`, e.state?.name, { output: e.state?.output }, e.timestamp);
        } else if (e.type === 'StateFailed')
          push(`${prefix}Failed`, e.state?.name, { error: e.Error, cause: e.Cause }, e.timestamp);
        else if (e.type === 'StateRetried') push(`${prefix}Retried`, e.state?.name, {}, e.timestamp);
        else if (e.type === 'StateCaught') push(`${prefix}Caught`, e.state?.name, {}, e.timestamp);
        else if (e.type.startsWith('MapIteration')) push(e.type, undefined, {}, e.timestamp);
      }
    })().catch(() => undefined);
    const done = run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      },
      (err: unknown) => {
        const name = (err as Error).name;
        if (terminal) {
          execution.status = 'FAILED';
          execution.error = terminal.error;
          execution.cause = terminal.cause;
          return;
        }
        execution.status =
          name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
        const cause =
          err instanceof ExecutionError ? ((err as unknown as { cause?: Error }).cause ?? err) : (err as Error);
        execution.error = (cause as Error).name ?? 'States.Runtime';
        execution.cause = (cause as Error).message;
      },
    );
    this.running.set(
      executionArn,
      Promise.all([done, collect]).then(() => {
        execution.stopDate = new Date().toISOString();
        const last =
          execution.status === 'SUCCEEDED'
            ? 'ExecutionSucceeded'
            : `Execution${execution.status === 'FAILED' ? 'Failed' : execution.status === 'TIMED_OUT' ? 'TimedOut' : 'Aborted'}`;
        push(
          last,
          undefined,
          execution.status === 'SUCCEEDED'
            ? { output: execution.output }
            : { error: execution.error, cause: execution.cause },
        );
        this.persist(execution);
        this.aborts.delete(executionArn);
        return execution;
      }),
    );
    return execution;
  }

  describe(executionArn: string): Execution | undefined {
    return this.executions.get(executionArn);
  }

  executionsOf(stateMachineArn: string): Execution[] {
    return [...this.executions.values()].filter((e) => e.stateMachineArn === stateMachineArn);
  }

  stop(executionArn: string): void {
    this.aborts.get(executionArn)?.();
  }

  async waitFor(executionArn: string): Promise<Execution> {
    const running = this.running.get(executionArn);
    if (!running) throw new Error(`no execution ${executionArn}`);
    return running;
  }

  async stopAll(): Promise<void> {
    for (const abort of this.aborts.values()) abort();
    await Promise.allSettled(this.running.values());
  }

  private persist(execution: Execution): void {
    const dir = path.join(this.deps.stateDir, 'stepfunctions');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${execution.name}.json`), JSON.stringify(execution, null, 2));
  }
}

interface EcsRunTaskInput {
  readonly Cluster?: string;
  readonly TaskDefinition: string;
  readonly LaunchType?: string;
  readonly Overrides?: {
    ContainerOverrides?: { Name: string; Environment?: { Name: string; Value: string }[]; Command?: string[] }[];
  };
}
