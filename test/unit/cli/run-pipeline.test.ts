import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { runPipeline } from '../../../lib/cli/commands/run-pipeline';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

/** A history of `n` events: a Map entering its item state many times, then the last states. */
function history(n: number, head: string[], tail: string[], firstId = 1): HistoryEvent[] {
  const names = [...head, ...Array.from({ length: n - head.length - tail.length }, () => 'PublishShard'), ...tail];
  return names.map((name, i) => ({
    id: firstId + i,
    timestamp: new Date(),
    type: 'TaskStateEntered',
    stateEnteredEventDetails: { name },
  }));
}

describe('runPipeline', () => {
  it('reads every page of a long history and the states entered after its last look, however the run ends', async () => {
    const client = new SFNClient({ region: 'us-east-1' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    // While running, the history has 1,500 events; by the time the status says it ended, 2,600.
    const running = history(1500, ['CheckInputs'], []);
    const ended = [...running, ...history(1100, [], ['CompletePublish', 'Done'], 1501)];
    let describes = 0;
    sfn.on(DescribeExecutionCommand).callsFake(() => {
      describes++;
      return { executionArn: 'arn:x', status: describes < 2 ? 'RUNNING' : 'SUCCEEDED' };
    });
    sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; maxResults?: number }) => {
      const events = describes < 2 ? running : ended;
      const from = input.nextToken ? Number(input.nextToken) : 0;
      const size = Math.min(input.maxResults ?? 100, 1000);
      return {
        events: events.slice(from, from + size),
        ...(from + size < events.length ? { nextToken: String(from + size) } : {}),
      };
    });
    const states: string[] = [];
    const done = await runPipeline(client, 'arn:sm', { runId: 'r1' }, (s) => states.push(s), 1);
    expect(done.status).toBe('SUCCEEDED');
    expect(states).toEqual(['CheckInputs', 'PublishShard', 'CompletePublish', 'Done']);
    // Every page was asked for with a token after the first (no page read twice from the start).
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.nextToken);
    expect(calls.filter((t) => t === undefined)).toHaveLength(1);
  });
});
