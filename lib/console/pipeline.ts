import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RunInputSchema, runInputProblem } from '../../layers/pipeline/run-input';
import type { ConsoleContext } from './context';
import { type MachineDefinition, type StateStatus, stateMachineSvg } from './graph';
import { esc, href, json, page, seconds, status, table } from './html';

async function definitionOf(ctx: ConsoleContext): Promise<MachineDefinition> {
  const out = await ctx.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ctx.stateMachineArn }));
  return JSON.parse(out.definition ?? '{}') as MachineDefinition;
}

const duration = (start?: Date, stop?: Date) =>
  start ? seconds((stop ?? new Date()).getTime() - start.getTime()) : '—';

/** The state machine, its executions, and a form to start one. */
export async function pipelinePage(
  ctx: ConsoleContext,
  form: { input?: string; problem?: string } = {},
): Promise<string> {
  const [definition, executions] = await Promise.all([
    definitionOf(ctx),
    ctx.sfn.send(new ListExecutionsCommand({ stateMachineArn: ctx.stateMachineArn, maxResults: 100 })),
  ]);
  const rows = (executions.executions ?? []).map((e) => [
    `<a href="${esc(href('/console/pipeline/execution', { arn: e.executionArn }))}">${esc(e.name)}</a>`,
    status(e.status ?? '?'),
    esc(e.startDate?.toISOString().replace('T', ' ').slice(0, 19) ?? ''),
    esc(duration(e.startDate, e.stopDate)),
  ]);
  const input = form.input ?? JSON.stringify({ runId: `console-${Date.now()}` }, null, 2);
  return page(
    'pipeline',
    'Training pipeline',
    `<p class="muted mono">${esc(ctx.stateMachineArn)}</p>
<div class="split"><div>
<h2>Start an execution</h2>
<form method="post" action="/console/pipeline/start" id="start">
<textarea name="input" aria-label="execution input">${esc(input)}</textarea>
${form.problem ? `<p class="error" id="input-problem">${esc(form.problem)}</p>` : ''}
<p class="muted">The input is checked as the pipeline's CheckInputs step checks it: <code>runId</code>, <code>params</code> (rank, λ, α, iterations, seed, budgetSeconds), <code>k</code>, <code>weights</code>, <code>minPrecisionAt10</code>, <code>featureVersion</code> or <code>dataKeys</code>.</p>
<button type="submit">Start execution</button></form>
<h2>Executions</h2>${table(['name', 'status', 'started (UTC)', 'duration'], rows)}
</div><div><h2>Definition</h2><div class="graph">${stateMachineSvg(definition)}</div></div></div>`,
  );
}

/** Validate the input as CheckInputs does, then start; returns the new execution's ARN or the problem. */
export async function startExecution(ctx: ConsoleContext, text: string): Promise<{ arn?: string; problem?: string }> {
  let document: unknown;
  try {
    document = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (err) {
    return { problem: `The input is not JSON: ${(err as Error).message}` };
  }
  const parsed = RunInputSchema.safeParse(document);
  if (!parsed.success) return { problem: runInputProblem(parsed.error) };
  const runId = parsed.data.runId;
  const out = await ctx.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ctx.stateMachineArn,
      input: JSON.stringify(document),
      ...(runId ? { name: runId } : {}),
    }),
  );
  return { arn: out.executionArn as string };
}

interface StateRun {
  name: string;
  type: string;
  status: StateStatus;
  entered?: Date;
  exited?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  times: number;
}

/** Each state's last run in an execution, from its history (as the Step Functions console reads it). */
export function stateRuns(
  events: readonly HistoryEvent[],
  execution: DescribeExecutionCommandOutput,
): Map<string, StateRun> {
  const runs = new Map<string, StateRun>();
  const open: StateRun[] = [];
  let lastFailed: StateRun | undefined;
  let lastEntered: StateRun | undefined;
  for (const ev of events) {
    const type = ev.type ?? '';
    if (ev.stateEnteredEventDetails?.name) {
      const name = ev.stateEnteredEventDetails.name;
      if (lastFailed && lastFailed.name !== name && lastFailed.status === 'failed') lastFailed.status = 'caught';
      const run: StateRun = {
        ...(runs.get(name) ?? { name, type: type.replace(/StateEntered$/, ''), times: 0 }),
        status: 'running',
        entered: ev.timestamp,
        input: ev.stateEnteredEventDetails.input,
      };
      run.times++;
      delete run.exited;
      delete run.output;
      runs.set(name, run);
      open.push(run);
      lastEntered = run;
    } else if (ev.stateExitedEventDetails?.name) {
      const run = runs.get(ev.stateExitedEventDetails.name);
      if (run) {
        if (run.status !== 'failed') run.status = 'succeeded';
        run.exited = ev.timestamp;
        run.output = ev.stateExitedEventDetails.output;
        const at = open.lastIndexOf(run);
        if (at >= 0) open.splice(at, 1);
      }
    } else if (ev.taskFailedEventDetails || (type.endsWith('Failed') && !type.startsWith('Execution'))) {
      // A state's failure: the state entered last and not left (Step Functions' TaskFailed names the
      // task, not the state); if it has been left already, the state entered last.
      const run = open.at(-1) ?? lastEntered;
      if (run) {
        run.status = 'failed';
        run.error = ev.taskFailedEventDetails?.error ?? run.error ?? type;
        run.cause = ev.taskFailedEventDetails?.cause ?? run.cause;
        run.exited = ev.timestamp;
        const at = open.lastIndexOf(run);
        if (at >= 0) open.splice(at, 1);
        lastFailed = run;
      }
    } else if (type === 'ExecutionFailed' || type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      for (const run of open) {
        run.status = 'failed';
        run.exited = ev.timestamp;
        run.error ??= execution.error;
        run.cause ??= execution.cause;
      }
      open.length = 0;
    }
  }
  return runs;
}

async function historyOf(ctx: ConsoleContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return events;
}

/** One execution: its graph coloured by state, each state's input/output/error, and the event history. */
export async function executionPage(ctx: ConsoleContext, executionArn: string): Promise<string> {
  const [execution, definition, events] = await Promise.all([
    ctx.sfn.send(new DescribeExecutionCommand({ executionArn })),
    definitionOf(ctx),
    historyOf(ctx, executionArn),
  ]);
  const runs = stateRuns(events, execution);
  const statuses = new Map([...runs].map(([name, run]) => [name, run.status]));
  const running = execution.status === 'RUNNING';
  const stateRows = [...runs.values()].map((r) => [
    `<a href="#state-${esc(r.name)}">${esc(r.name)}</a>${r.times > 1 ? ` <span class="muted">×${r.times}</span>` : ''}`,
    esc(r.type),
    status(r.status),
    esc(duration(r.entered, r.exited ?? (running ? undefined : r.entered))),
    r.error ? `<span class="error">${esc(r.error)}</span>` : '',
  ]);
  const details = [...runs.values()]
    .map(
      (
        r,
      ) => `<details id="state-${esc(r.name)}" ${r.status === 'failed' ? 'open' : ''}><summary><b>${esc(r.name)}</b> ${status(r.status)}</summary>
${r.error ? `<p class="error">${esc(r.error)}</p><p>${esc(r.cause ?? '')}</p>` : ''}
<h3>Input</h3>${json(r.input ?? null)}${r.output !== undefined ? `<h3>Output</h3>${json(r.output)}` : ''}</details>`,
    )
    .join('');
  const history = events.map((ev) => [
    String(ev.id),
    esc(ev.timestamp?.toISOString().slice(11, 23) ?? ''),
    esc(ev.type),
    esc(ev.stateEnteredEventDetails?.name ?? ev.stateExitedEventDetails?.name ?? ''),
    esc(
      (ev.taskFailedEventDetails ?? ev.executionFailedEventDetails)?.error ??
        (ev.type === 'ExecutionSucceeded' ? 'succeeded' : ''),
    ),
  ]);
  const body = `<p>${status(execution.status ?? '?')} <span class="mono">${esc(execution.name)}</span> · started ${esc(execution.startDate?.toISOString() ?? '')} · ${esc(duration(execution.startDate, execution.stopDate))}${running ? ' · <span class="muted">refreshing every 2 s</span>' : ''}</p>
${execution.error ? `<p class="error" id="execution-error">${esc(execution.error)}</p><pre id="execution-cause">${esc(execution.cause ?? '')}</pre>` : ''}
<div class="split"><div><h2>States</h2>${table(['state', 'type', 'status', 'duration', 'error'], stateRows)}
<h2>Execution input</h2>${json(execution.input ?? '{}')}
${execution.output ? `<h2>Output</h2>${json(execution.output)}` : ''}</div>
<div><h2>Graph</h2><div class="graph">${stateMachineSvg(definition, statuses)}</div></div></div>
<h2>State details</h2>${details}
<h2>Event history</h2>${table(['id', 'time (UTC)', 'type', 'state', 'error'], history, [0])}
<p><a href="/console/pipeline">← all executions</a></p>`;
  return page('pipeline', `Execution ${execution.name ?? ''}`, body, running ? { refreshSeconds: 2 } : {});
}
