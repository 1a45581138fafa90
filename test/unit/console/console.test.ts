import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type MachineDefinition, stateMachineSvg } from '../../../lib/console/graph';
import { esc } from '../../../lib/console/html';
import { stateRuns } from '../../../lib/console/pipeline';

const definition: MachineDefinition = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Task', Next: 'Gate', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record' }] },
    Gate: { Type: 'Choice', Choices: [{ Next: 'Publish' }], Default: 'Rejected' },
    Rejected: { Type: 'Fail' },
    Publish: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Shard', States: { Shard: { Type: 'Task', End: true } } },
      Next: 'Done',
    },
    Record: { Type: 'Task', Next: 'Failed' },
    Failed: { Type: 'Fail' },
    Done: { Type: 'Succeed' },
  },
};

let id = 0;
const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, s));
const entered = (name: string, type = 'Task'): HistoryEvent => ({
  id: ++id,
  type: `${type}StateEntered` as HistoryEvent['type'],
  timestamp: at(id),
  stateEnteredEventDetails: { name, input: '{}' },
});
const exited = (name: string, type = 'Task'): HistoryEvent => ({
  id: ++id,
  type: `${type}StateExited` as HistoryEvent['type'],
  timestamp: at(id),
  stateExitedEventDetails: { name, output: '{"ok":true}' },
});

describe('console: state machine graph', () => {
  it('draws every state, the Map around its item processor, and colours the ones given', () => {
    const svg = stateMachineSvg(definition, new Map([['Check', 'failed']]));
    for (const name of Object.keys(definition.States)) expect(svg).toContain(`data-state="${name}"`);
    expect(svg).toContain('data-state="Shard"');
    expect(svg).toMatch(/class="state container" data-state="Publish"/);
    expect(svg).toContain('data-state="Check" data-status="failed"');
    expect(svg).toContain('data-state="Done" data-status="none"');
    expect(svg).toContain('stroke-dasharray="5 4"'); // the Catch path
  });
});

describe('console: what each state did, from the history', () => {
  it('marks a caught failure, the path taken after it, and the failing end state', () => {
    id = 0;
    const events: HistoryEvent[] = [
      { id: ++id, type: 'ExecutionStarted', timestamp: at(0) },
      entered('Check'),
      {
        id: ++id,
        type: 'TaskFailed',
        timestamp: at(2),
        taskFailedEventDetails: {
          error: 'InvalidInputError',
          cause: 'no such version',
          resource: 'Check',
          resourceType: 'states',
        },
      },
      exited('Check'),
      entered('Record'),
      exited('Record'),
      entered('Failed', 'Fail'),
      { id: ++id, type: 'ExecutionFailed', timestamp: at(9), executionFailedEventDetails: { error: 'E', cause: 'C' } },
    ];
    const runs = stateRuns(events, { status: 'FAILED', error: 'E', cause: 'C' } as never);
    expect(runs.get('Check')).toMatchObject({ status: 'caught', error: 'InvalidInputError', cause: 'no such version' });
    expect(runs.get('Record')).toMatchObject({ status: 'succeeded', output: '{"ok":true}' });
    expect(runs.get('Failed')).toMatchObject({ status: 'failed', error: 'E', cause: 'C' });
  });

  it('puts a failure on the state entered last, even when the history has it after the state was left', () => {
    id = 0;
    const events: HistoryEvent[] = [
      entered('Check'),
      exited('Check'),
      { id: ++id, type: 'TaskFailed', timestamp: at(3) },
      entered('Record'),
    ];
    const runs = stateRuns(events, { status: 'RUNNING' } as never);
    expect(runs.get('Check')).toMatchObject({ status: 'caught', error: 'TaskFailed' });
    expect(runs.get('Record')).toMatchObject({ status: 'running' });
  });

  it('counts a Map item processor state once per iteration and keeps running states running', () => {
    id = 0;
    const events: HistoryEvent[] = [
      entered('Publish', 'Map'),
      entered('Shard'),
      entered('Shard'),
      exited('Shard'),
      exited('Shard'),
    ];
    const runs = stateRuns(events, { status: 'RUNNING' } as never);
    expect(runs.get('Shard')).toMatchObject({ status: 'succeeded', times: 2 });
    expect(runs.get('Publish')).toMatchObject({ status: 'running' });
  });
});

describe('console: html', () => {
  it('escapes what it shows', () => {
    expect(esc('<script>"x" & \'y\'</script>')).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
  });
});
