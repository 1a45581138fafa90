import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { invoke } from '../../helpers/lambda';

process.env.MODEL_REGISTRY_TABLE = 'test-registry';
const doc = mockClient(DynamoDBDocumentClient);
// Loaded after the mock, as the handler creates its client at module load.
const { handler } =
  require('../../../lambdas/record-failure/index') as typeof import('../../../lambdas/record-failure/index');

beforeEach(() => doc.on(UpdateCommand).resolves({}));
afterEach(() => doc.reset());

const recordedKey = () => doc.commandCalls(UpdateCommand)[0]?.args[0].input.Key;

describe('record-failure handler', () => {
  it('records a scheduled run (no runId in its input) under its execution name, the key CheckInputs used', async () => {
    // EventBridge starts executions with generated names and the rule's fixed input.
    const executionName = 'a1b2c3d4-e5f6-47a8-99b0-c1d2e3f4a5b6';
    const out = await invoke(handler, {
      executionName,
      executionInput: { trigger: 'schedule' }, // the rule's input in the stack
      error: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"boom"}' },
    });
    expect(out).toEqual({ recorded: true, runId: executionName });
    expect(recordedKey()).toEqual({ pk: 'model#als', sk: executionName });
  });

  it('records a run that names its runId under that id, and says why a container failed', async () => {
    await invoke(handler, {
      executionName: 'generated-name',
      executionInput: { runId: 'nightly-42' },
      error: {
        Error: 'ContainerFailed',
        Cause: JSON.stringify({ TaskArn: 't', Containers: [{ Name: 'als-train', ExitCode: 3 }] }),
      },
    });
    expect(recordedKey()).toEqual({ pk: 'model#als', sk: 'nightly-42' });
    const values = doc.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect(Object.values(values)).toEqual(
      expect.arrayContaining(['FAILED', 'ContainerFailed', 'als-train exited with code 3']),
    );
  });

  it('says a task that never started did not run, instead of inventing an exit code', async () => {
    await invoke(handler, {
      executionName: 'x',
      executionInput: {},
      error: {
        Error: 'ContainerFailed',
        Cause: JSON.stringify({
          StoppedReason: 'CannotPullContainerError',
          Containers: [{ Name: 'lake-audit', Reason: 'image not found' }],
        }),
      },
    });
    const values = doc.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect(Object.values(values)).toContain('CannotPullContainerError: lake-audit did not run (image not found)');
  });
});
