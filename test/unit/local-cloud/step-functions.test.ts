import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HISTORY_LIMIT_EVENTS, LocalStepFunctions, PAYLOAD_LIMIT_BYTES } from '../../../lib/local-cloud/step-functions';

/** Step Functions' limits and error semantics, as the local runner must enforce them. */
describe('LocalStepFunctions as strict as AWS', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-sfn-'));
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:m';
  const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:f';
  const machine = (definition: Record<string, unknown>, payload: (input: unknown) => unknown) =>
    new LocalStepFunctions([{ logicalId: 'M', name: 'm', arn, definition }], {
      invokeFunction: async (_ref, input) => ({ ok: true, payload: payload(input) }),
      taskDefinitions: new Map(),
      containerEnv: {},
      stateDir,
      retryIntervalMs: 1,
    });
  const invokeThenCatch = {
    StartAt: 'Big',
    States: {
      Big: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: fnArn, 'Payload.$': '$' },
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
        End: true,
      },
      Handled: { Type: 'Pass', End: true },
    },
  };

  it('fails the execution when a task result is over 256 KB: no Retry or Catch applies', async () => {
    const sfn = machine(invokeThenCatch, () => ({ blob: 'x'.repeat(PAYLOAD_LIMIT_BYTES) }));
    const done = await sfn.waitFor(sfn.start(arn, {}).executionArn);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(done.events.map((e) => e.stateName).filter(Boolean)).not.toContain('Handled');
  });

  it('refuses an execution input over 256 KB', () => {
    const sfn = machine(invokeThenCatch, () => ({}));
    expect(() => sfn.start(arn, { blob: 'x'.repeat(PAYLOAD_LIMIT_BYTES) })).toThrow(/at most 262144/);
  });

  it('does not catch States.Runtime (a path that is not there) with States.ALL', async () => {
    const sfn = machine(
      {
        StartAt: 'Select',
        States: {
          Select: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fnArn, 'Payload.$': '$' },
            ResultSelector: { 'exit.$': '$.Payload.Containers[0].ExitCode' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      () => ({ Containers: [{ Name: 'c' }] }),
    );
    const done = await sfn.waitFor(sfn.start(arn, {}).executionArn);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('stops an execution whose history passes 25,000 events', async () => {
    const sfn = machine(
      {
        StartAt: 'Loop',
        States: {
          Loop: { Type: 'Pass', Next: 'Again' },
          Again: {
            Type: 'Choice',
            Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }],
            Default: 'Loop',
          },
          Done: { Type: 'Succeed' },
        },
      },
      () => ({}),
    );
    const done = await sfn.waitFor(sfn.start(arn, {}).executionArn);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'FAILED', error: 'States.Runtime' });
    expect(done.events.length).toBeLessThanOrEqual(HISTORY_LIMIT_EVENTS + 1);
  }, 60_000);
});
