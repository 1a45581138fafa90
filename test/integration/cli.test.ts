import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = path.join(__dirname, '../../bin/recomart.cjs');
const cloudInfo = JSON.parse(process.env.RECOMART_TEST_CLOUD ?? '{"external":true}') as {
  external: boolean;
  stateDir?: string;
};

/** The CLI finds a running local cloud through its state directory, as a user's shell would. */
(cloudInfo.external ? describe.skip : describe)('recomart run-pipeline against the local cloud', () => {
  // A clean environment: no AWS_ENDPOINT_URL, so the command must find the cloud through --state.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning',
  };
  const cli = async (args: string[]) => {
    try {
      const out = await run(process.execPath, [bin, ...args], { env, timeout: 120_000 });
      return { code: 0, stdout: out.stdout, stderr: out.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('follows a failing execution state by state and exits 1 with its cause', async () => {
    const out = await cli([
      'run-pipeline',
      '--state',
      cloudInfo.stateDir as string,
      '--input',
      '{"runId":"bad id!"}',
      '--json',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/→ CheckInputs/);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
  });

  it('refuses an input that is not a JSON object with exit code 2', async () => {
    const out = await cli(['run-pipeline', '--state', cloudInfo.stateDir as string, '--input', '[1]']);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n').at(-1)).toBe('recomart: --input must be a JSON object.');
  });
});
