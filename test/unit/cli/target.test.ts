import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveTarget } from '../../../lib/cli/target';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());
const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function stateDirWith(pid: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-target-'));
  made.push(dir);
  const info = {
    endpoint: 'http://127.0.0.1:4599',
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    outputs: { ClickstreamStreamName: 'local-stream' },
    pid,
  };
  fs.writeFileSync(path.join(dir, 'endpoint.json'), JSON.stringify(info));
  return dir;
}

describe('resolveTarget', () => {
  it('uses a running local cloud from its endpoint file', async () => {
    const target = resolveTarget({ state: stateDirWith(process.pid), stage: 'dev' }, { AWS_REGION: 'eu-west-1' });
    expect(target.description).toMatch(/local cloud at http:\/\/127.0.0.1:4599/);
    expect(target.env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4599', AWS_ACCESS_KEY_ID: 'S3RVER' });
    await expect(target.output('ClickstreamStreamName')).resolves.toBe('local-stream');
    await expect(target.output('Nope')).rejects.toThrow(/no output Nope/);
  });

  it('ignores an endpoint file left by a local cloud that is gone, and reads the stack outputs', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'RecoMart-prod' }).resolves({
      Stacks: [
        {
          StackName: 'RecoMart-prod',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'ClickstreamStreamName', OutputValue: 'prod-stream' }],
        },
      ],
    });
    const target = resolveTarget({ state: stateDirWith(2 ** 22 + 12345), stage: 'prod' }, { AWS_REGION: 'eu-west-1' });
    expect(target.description).toBe('AWS (stack RecoMart-prod)');
    await expect(target.output('ClickstreamStreamName')).resolves.toBe('prod-stream');
  });

  it('prefers an explicit endpoint (LocalStack) and says clearly when the stack is missing', async () => {
    cfn.on(DescribeStacksCommand).rejects(new Error('Stack with id RecoMart-dev does not exist'));
    const target = resolveTarget(
      { state: stateDirWith(process.pid), stage: 'dev' },
      { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_REGION: 'us-east-1' },
    );
    expect(target.description).toMatch(/^http:\/\/localhost:4566/);
    await expect(target.output('ClickstreamStreamName')).rejects.toThrow(
      /Could not read the outputs of stack RecoMart-dev \(Stack with id RecoMart-dev does not exist\)/,
    );
  });
});
