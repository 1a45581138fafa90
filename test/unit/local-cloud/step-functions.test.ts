import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AthenaTasks } from '../../../lib/local-cloud/plugins/athena';
import {
  HISTORY_LIMIT_EVENTS,
  LocalStepFunctions,
  PAYLOAD_LIMIT_BYTES,
  type RoleCheck,
} from '../../../lib/local-cloud/step-functions';

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

  // Our own definition (the golden file) under ECS's runTask.sync semantics: a container that exits
  // non-zero, and a task that never starts (no ExitCode at all), both end in RecordFailure with the
  // run's id, never in an uncaught States.Runtime.
  describe.each([
    ['exits with code 3', 'FROM node:22\nENTRYPOINT ["sh", "-c", "exit 3"]\n', /"ExitCode":3/],
    ['never starts', 'FROM node:22\n', /TaskFailedToStart|no ENTRYPOINT/],
  ])('the training pipeline when the audit container %s', (_what, dockerfile, cause) => {
    it('records the failure under the run id and fails the execution', async () => {
      const definition = JSON.parse(
        fs.readFileSync(path.join(__dirname, '..', '..', 'golden', 'training-pipeline.asl.json'), 'utf8'),
      ) as { States: { AuditLake: { Parameters: { TaskDefinition: string } } } };
      const family = definition.States.AuditLake.Parameters.TaskDefinition;
      const assetDir = fs.mkdtempSync(path.join(stateDir, 'asset-'));
      fs.writeFileSync(path.join(assetDir, 'Dockerfile'), dockerfile);
      const calls: { ref: string; input: Record<string, unknown> }[] = [];
      const sfn = new LocalStepFunctions([{ logicalId: 'M', name: 'm', arn, definition }], {
        invokeFunction: async (ref, input) => {
          calls.push({ ref, input: input as Record<string, unknown> });
          const payload = /CheckInputs/.test(ref) ? (input as { document: unknown }).document : {};
          return { ok: true, payload };
        },
        taskDefinitions: new Map([
          [
            family,
            {
              family,
              arn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:1`,
              containers: [{ name: 'lake-audit', assetDir, environment: {}, essential: true }],
            },
          ],
        ]),
        containerEnv: {},
        stateDir,
        retryIntervalMs: 1,
      });
      const done = await sfn.waitFor(sfn.start(arn, { runId: 'r-42', bucket: 'lake' }).executionArn);
      expect({ status: done.status, error: done.error }).toEqual({ status: 'FAILED', error: 'ContainerFailed' });
      const states = done.events.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
      expect(states).toEqual([
        'CheckInputs',
        'AuditLake',
        'AuditLakeExited0',
        'AuditLakeContainerFailed',
        'RecordFailure',
        'PipelineFailed',
      ]);
      const record = calls.find((c) => /RecordFailure/.test(c.ref))?.input as {
        executionInput: { runId: string };
        error: { Error: string; Cause: string };
      };
      expect(record.executionInput.runId).toBe('r-42');
      expect(record.error.Error).toBe('ContainerFailed');
      expect(record.error.Cause).toMatch(cause);
    });
  });
});

/** Step Functions' Athena integrations on the local runner (a stand-in for the local Athena). */
describe('LocalStepFunctions with Athena', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-sfn-athena-'));
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sql';
  const started: Record<string, unknown>[] = [];
  const athena: AthenaTasks = {
    start: (parameters) => {
      if (parameters.WorkGroup !== 'wg')
        throw Object.assign(new Error(`WorkGroup ${String(parameters.WorkGroup)} is not found.`), {
          type: 'InvalidRequestException',
        });
      started.push(parameters);
      return `q-${started.length}`;
    },
    workGroupOf: () => 'wg',
    call: (action, parameters) => ({ action, id: parameters.QueryExecutionId }),
    finished: async (id) =>
      ({
        QueryExecution: {
          QueryExecutionId: id,
          Status: { State: String(started.at(-1)?.QueryString).includes('broken') ? 'FAILED' : 'SUCCEEDED' },
        },
      }) as never,
  };
  const machine = (checkRole?: RoleCheck) =>
    new LocalStepFunctions(
      [
        {
          logicalId: 'M',
          name: 'sql',
          arn,
          role: 'SqlRole',
          definition: {
            StartAt: 'Query',
            States: {
              Query: {
                Type: 'Task',
                Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
                Parameters: { 'QueryString.$': '$.sql', 'WorkGroup.$': '$.workGroup' },
                Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'QueryFailed' }],
                Next: 'Results',
              },
              Results: {
                Type: 'Task',
                Resource: 'arn:aws:states:::athena:getQueryResults',
                Parameters: { 'QueryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
                End: true,
              },
              QueryFailed: { Type: 'Pass', End: true },
            },
          },
        },
      ],
      {
        invokeFunction: async () => ({ ok: true, payload: null }),
        taskDefinitions: new Map(),
        containerEnv: {},
        stateDir,
        athena,
        ...(checkRole ? { checkRole } : {}),
      },
    );

  it('checks the role’s Athena calls on the workgroup, and fails a denied one as Athena.AccessDeniedException', async () => {
    const asked: string[] = [];
    const sfn = machine(async (m, requests) => {
      asked.push(...requests.map((r) => `${m.role} ${r.action} ${r.resource}`));
      return requests.some((r) => r.action === 'athena:GetQueryExecution') ? { message: 'not allowed' } : undefined;
    });
    const before = started.length;
    const done = await sfn.waitFor(sfn.start(arn, { sql: 'SELECT 1', workGroup: 'wg' }).executionArn);
    expect(asked).toEqual([
      'SqlRole athena:StartQueryExecution arn:aws:athena:us-east-1:000000000000:workgroup/wg',
      'SqlRole athena:GetQueryExecution arn:aws:athena:us-east-1:000000000000:workgroup/wg',
    ]);
    const caught = done.events.find((e) => e.stateName === 'QueryFailed' && e.type === 'PassStateEntered');
    expect(caught?.details?.input).toEqual({ Error: 'Athena.AccessDeniedException', Cause: 'not allowed' });
    expect(started.length).toBe(before); // nothing started
  });

  it('waits for the query, passes GetQueryExecution’s output on, and reads the results', async () => {
    const sfn = machine();
    const done = await sfn.waitFor(sfn.start(arn, { sql: 'SELECT 1', workGroup: 'wg' }).executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(String(done.output))).toEqual({ action: 'GetQueryResults', id: `q-${started.length}` });
    expect(started.at(-1)).toEqual({ QueryString: 'SELECT 1', WorkGroup: 'wg' });
  });

  it('fails a query that did not succeed with States.TaskFailed, which a Catch takes', async () => {
    const sfn = machine();
    const done = await sfn.waitFor(sfn.start(arn, { sql: 'SELECT broken', workGroup: 'wg' }).executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.map((e) => e.stateName).filter(Boolean)).toContain('QueryFailed');
  });

  it('fails a rejected request as Athena.<error type> (States.TaskFailed matches it too, as on AWS)', async () => {
    const sfn = machine();
    const done = await sfn.waitFor(sfn.start(arn, { sql: 'SELECT 1', workGroup: 'nope' }).executionArn);
    const caught = done.events.find((e) => e.stateName === 'QueryFailed' && e.type === 'PassStateEntered');
    expect(caught?.details?.input).toEqual({
      Error: 'Athena.InvalidRequestException',
      Cause: 'WorkGroup nope is not found.',
    });
  });

  it('refuses a definition with Athena states when the cloud has no Athena', () => {
    expect(
      () =>
        new LocalStepFunctions(
          [
            {
              logicalId: 'M',
              name: 'sql',
              arn,
              definition: {
                StartAt: 'Q',
                States: {
                  Q: { Type: 'Task', Resource: 'arn:aws:states:::athena:startQueryExecution.sync', End: true },
                },
              },
            },
          ],
          {
            invokeFunction: async () => ({ ok: true, payload: null }),
            taskDefinitions: new Map(),
            containerEnv: {},
            stateDir,
          },
        ),
    ).toThrow(/athena:startQueryExecution.sync, which the local cloud cannot run yet/);
  });
});

/** Step Functions' own integration: a child execution, run to its end. */
describe('LocalStepFunctions starting another state machine', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-sfn-child-'));
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const parentArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:parent';
  const childArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:child';
  const runner = (checkRole?: RoleCheck) =>
    new LocalStepFunctions(
      [
        {
          logicalId: 'Parent',
          name: 'parent',
          arn: parentArn,
          role: 'ParentRole',
          definition: {
            StartAt: 'Child',
            States: {
              Child: {
                Type: 'Task',
                Resource: 'arn:aws:states:::states:startExecution.sync:2',
                Parameters: { StateMachineArn: childArn, Input: { 'n.$': '$.n' } },
                ResultSelector: { 'out.$': '$.Output', 'status.$': '$.Status' },
                Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
                End: true,
              },
              Failed: { Type: 'Pass', End: true },
            },
          },
        },
        {
          logicalId: 'Child',
          name: 'child',
          arn: childArn,
          definition: {
            StartAt: 'Check',
            States: {
              Check: {
                Type: 'Choice',
                Choices: [{ Variable: '$.n', NumericGreaterThan: 0, Next: 'Double' }],
                Default: 'Refuse',
              },
              Double: { Type: 'Pass', Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' }, End: true },
              Refuse: { Type: 'Fail', Error: 'NotPositive', Cause: 'n must be positive' },
            },
          },
        },
      ],
      {
        invokeFunction: async () => ({ ok: true, payload: null }),
        taskDefinitions: new Map(),
        containerEnv: {},
        // A directory per runner: a runner reads the executions a runner before it left there.
        stateDir: fs.mkdtempSync(path.join(stateDir, 'runner-')),
        ...(checkRole ? { checkRole } : {}),
      },
    );

  it('answers the child’s output as JSON (.sync:2)', async () => {
    const sfn = runner();
    const done = await sfn.waitFor(sfn.start(parentArn, { n: 21 }).executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(String(done.output))).toEqual({ out: { doubled: 42 }, status: 'SUCCEEDED' });
  });

  it('fails the task with States.TaskFailed when the child fails, its description as the cause', async () => {
    const sfn = runner();
    const done = await sfn.waitFor(sfn.start(parentArn, { n: 0 }).executionArn);
    const caught = done.events.find((e) => e.stateName === 'Failed' && e.type === 'PassStateEntered');
    const input = caught?.details?.input as { Error: string; Cause: string };
    expect(input.Error).toBe('States.TaskFailed');
    expect(JSON.parse(input.Cause)).toMatchObject({
      Status: 'FAILED',
      Error: 'NotPositive',
      Cause: 'n must be positive',
    });
  });

  it('starts the child only when the parent’s role may', async () => {
    const sfn = runner(async (_m, requests) =>
      requests.some((r) => r.action === 'states:StartExecution' && r.resource === childArn)
        ? { message: 'ParentRole may not start child' }
        : undefined,
    );
    const done = await sfn.waitFor(sfn.start(parentArn, { n: 1 }).executionArn);
    const caught = done.events.find((e) => e.stateName === 'Failed' && e.type === 'PassStateEntered');
    expect(caught?.details?.input).toEqual({
      Error: 'StepFunctions.AccessDeniedException',
      Cause: 'ParentRole may not start child',
    });
    expect(sfn.executionsOf(childArn)).toHaveLength(0);
  });
});
