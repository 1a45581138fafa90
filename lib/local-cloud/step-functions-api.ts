/**
 * The Step Functions JSON API (the subset the CLI, the console and the tests use) over the local
 * runner, in the shapes the SDK reads.
 */
import { ApiError, pageOf } from './plugins/plugin';
import type { Execution, HistoryEvent, LocalStepFunctions } from './step-functions';

function toSdk(e: Execution) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: Date.parse(e.startDate) / 1000,
    ...(e.stopDate ? { stopDate: Date.parse(e.stopDate) / 1000 } : {}),
    input: e.input,
    ...(e.output !== undefined ? { output: e.output } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

/**
 * An event's details under the member Step Functions names for its type: a state's entry carries
 * its input, its exit its output, a failure (of a state or of the execution) its error and cause.
 */
function historyDetails(ev: HistoryEvent): Record<string, unknown> {
  const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? {}));
  if (ev.type.endsWith('StateEntered') && ev.stateName)
    return { stateEnteredEventDetails: { name: ev.stateName, input: json(ev.details?.input) } };
  if (ev.type.endsWith('StateExited') && ev.stateName)
    return { stateExitedEventDetails: { name: ev.stateName, output: json(ev.details?.output) } };
  const stateFailed = ev.type.endsWith('Failed') && !ev.type.startsWith('Execution');
  if (ev.details?.error === undefined && !stateFailed) return {};
  const failure = {
    error: String(ev.details?.error ?? 'States.TaskFailed'),
    cause: typeof ev.details?.cause === 'string' ? ev.details.cause : JSON.stringify(ev.details?.cause ?? null),
  };
  if (ev.type === 'ExecutionFailed') return { executionFailedEventDetails: failure };
  if (ev.type === 'ExecutionAborted') return { executionAbortedEventDetails: failure };
  if (ev.type === 'ExecutionTimedOut') return { executionTimedOutEventDetails: failure };
  // A state's failure: Step Functions names the task's (TaskFailed); the state is the one entered last.
  return { taskFailedEventDetails: { ...failure, resourceType: 'states', resource: ev.stateName ?? 'unknown' } };
}

/** The Step Functions JSON API (the subset the CLI and tests use) over the local runner. */
export function stepFunctionsApi(sfn: LocalStepFunctions, action: string, body: Record<string, unknown>): unknown {
  const execution = () => {
    const e = sfn.describe(String(body.executionArn));
    if (!e) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
    return e;
  };
  switch (action) {
    case 'ListStateMachines':
      return {
        stateMachines: sfn
          .list()
          .map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: 0 })),
      };
    case 'DescribeStateMachine': {
      const m = sfn.machine(String(body.stateMachineArn));
      if (!m) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: 'ACTIVE',
        definition: JSON.stringify(m.definition),
        type: 'STANDARD',
        roleArn: 'local',
        creationDate: 0,
      };
    }
    case 'StartExecution': {
      let input: unknown = {};
      try {
        input = body.input === undefined ? {} : JSON.parse(String(body.input));
      } catch {
        throw new ApiError('InvalidExecutionInput', 'Execution input is not valid JSON');
      }
      try {
        const e = sfn.start(String(body.stateMachineArn), input, body.name ? String(body.name) : undefined);
        return { executionArn: e.executionArn, startDate: Date.parse(e.startDate) / 1000 };
      } catch (err) {
        throw new ApiError((err as Error).name, (err as Error).message);
      }
    }
    case 'DescribeExecution':
      return toSdk(execution());
    case 'StopExecution':
      sfn.stop(String(body.executionArn));
      return { stopDate: Date.now() / 1000 };
    case 'ListExecutions':
      return { executions: sfn.executionsOf(String(body.stateMachineArn)).map(toSdk).reverse() };
    case 'GetExecutionHistory': {
      // Paged as Step Functions pages it: 100 events unless maxResults (at most 1,000) says otherwise.
      const page = pageOf(
        execution().events,
        { token: body.nextToken, size: body.maxResults },
        { fallback: 100, max: 1000 },
        () => new ApiError('InvalidToken', 'Invalid Token'),
      );
      return {
        ...(page.next ? { nextToken: page.next } : {}),
        events: page.items.map((ev) => ({
          id: ev.id,
          previousEventId: ev.id - 1,
          timestamp: Date.parse(ev.timestamp) / 1000,
          type: ev.type,
          ...historyDetails(ev),
        })),
      };
    }
    default:
      throw new ApiError('UnknownOperationException', `${action} is not supported by the local cloud`);
  }
}
