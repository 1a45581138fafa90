import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { kinesisClient, s3Client, sfnClient, sqsClient } from '../../layers/aws/clients';
import { putAllRecords } from '../../layers/clickstream/producer';
import { LocalCloud, readEndpointFile } from '../../lib/local-cloud';
import { isAlive, StateDirLockedError } from '../../lib/local-cloud/state-lock';
import { recomartProfile } from '../../lib/local-profile';
import { eventually } from '../helpers/cloud';
import { clickEvent } from '../helpers/fixtures';
import { accountFor, type SentRecord } from '../helpers/lake-accounting';
import { ownCloud, TEST_CONFIG } from '../helpers/own-cloud';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'recomart.cjs');
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `recomart-${name}-`));

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `recomart local up` in a process group of its own, as a terminal would run it. */
function localUp(stateDir: string, port: number): Run {
  const child = spawn(
    process.execPath,
    [BIN, 'local', 'up', '--state', stateDir, '--port', String(port), '--config', JSON.stringify(TEST_CONFIG)],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Wait for "up"; fail at once, with what it said, if the process exits first. */
async function untilUp(run: Run): Promise<void> {
  const up = eventually(
    async () => (run.stdout().includes('local cloud is up') ? true : undefined),
    120_000,
    'local up to start',
    100,
  );
  const died = run.exit.then(({ code, signal }) => {
    throw new Error(
      `local up exited (code ${code}, signal ${signal}) before it was up; stderr: ${run.stderr().slice(-800)}`,
    );
  });
  await Promise.race([up, died]).catch((err: Error) => {
    throw new Error(`${err.message}\nstderr so far: ${run.stderr().slice(-800)}`);
  });
  died.catch(() => undefined);
}

/** Wait for an exit, at most `ms` (then fail with what the process said). */
async function exited(run: Run, ms: number) {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no exit within ${ms} ms; stderr: ${run.stderr().slice(-800)}`)), ms).unref(),
  );
  return Promise.race([run.exit, timeout]);
}

describe('the local cloud as a long-running process', () => {
  const runs: Run[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.pid) process.kill(-r.child.pid, 'SIGKILL');
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  });

  it('refuses a second start on the same state directory in one sentence naming the holder', async () => {
    const stateDir = tmp('lock');
    // Port 0: any free port, held from the first moment (a port chosen here could be taken before use).
    const first = localUp(stateDir, 0);
    runs.push(first);
    await untilUp(first);
    const port = Number(new URL(readEndpointFile(stateDir)?.endpoint ?? '').port);
    const second = localUp(stateDir, 0);
    runs.push(second);
    const { code } = await exited(second, 30_000);
    expect(code).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`already running \\(pid ${first.child.pid},`));
    // In-process callers (npm start) get the same refusal, and the first cloud's state is untouched.
    await expect(new LocalCloud({ stateDir, profile: recomartProfile() }).start()).rejects.toThrow(StateDirLockedError);
    expect(readEndpointFile(stateDir)?.pid).toBe(first.child.pid);
    // A taken port is refused before any work.
    const third = localUp(tmp('port'), port);
    runs.push(third);
    expect((await exited(third, 30_000)).code).toBe(1);
    expect(third.stderr()).toMatch(/Port \d+ on 127.0.0.1 is already in use/);

    // Ctrl-C in the terminal: SIGINT to the whole process group. A clean stop, nothing left behind.
    const { emulatorPids } = readEndpointFile(stateDir) ?? {};
    process.kill(-(first.child.pid as number), 'SIGINT');
    expect(await exited(first, 30_000)).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toContain('stopped');
    expect(first.stderr()).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|Error:/);
    expect(fs.existsSync(path.join(stateDir, 'endpoint.json'))).toBe(false);
    expect(fs.existsSync(path.join(stateDir, 'cloud.lock'))).toBe(false);
    await eventually(
      async () => (!isAlive(emulatorPids?.host ?? 0) && !isAlive(emulatorPids?.kinesis ?? 0) ? true : undefined),
      10_000,
      'the emulators to stop',
    );
  }, 240_000);

  it('reports an emulator that dies within seconds and exits non-zero', async () => {
    const stateDir = tmp('death');
    const run = localUp(stateDir, 0);
    runs.push(run);
    await untilUp(run);
    const host = readEndpointFile(stateDir)?.emulatorPids?.host as number;
    const killedAt = Date.now();
    process.kill(host, 'SIGKILL');
    const { code } = await exited(run, 30_000);
    expect(code).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(run.stderr()).toMatch(
      /recomart: the S3, DynamoDB and SQS emulator host exited unexpectedly \(signal SIGKILL\)/,
    );
    expect(fs.existsSync(path.join(stateDir, 'cloud.lock'))).toBe(false);
  }, 180_000);

  it('keeps what it accepted across a clean restart: stream records, queue messages, executions', async () => {
    const stateDir = tmp('restart');
    let { cloud } = await ownCloud('restart', { stateDir });
    cleanups.push(() => cloud.stop());
    let env = cloud.sdkEnv();
    const outputs = cloud.info?.outputs ?? {};
    const sent: SentRecord[] = Array.from({ length: 300 }, (_, i) => ({
      partitionKey: `r${i % 7}`,
      data: Buffer.from(
        JSON.stringify(
          clickEvent(`2025-06-07T08:${String(i % 60).padStart(2, '0')}:00Z`, {
            eventId: randomUUID(),
            userId: `rs${i % 7}`,
          }),
        ),
      ),
      valid: true,
    }));
    let sqs = sqsClient({ env });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: outputs.ClickstreamDlqUrl, MessageBody: '{"kept":"across a restart"}' }),
    );
    sqs.destroy();
    let sfn = sfnClient({ env });
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: outputs.TrainingStateMachineArn,
        name: 'restart-check',
        input: '{"k":"no"}',
      }),
    );
    await eventually(
      async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status !== 'RUNNING' ? d.status : undefined;
      },
      60_000,
      'the execution to end',
    );
    sfn.destroy();
    // Accepted by the stream, then the cloud stops at once (the consumer batches for a second before it
    // delivers): records not consumed yet must be consumed after the restart, and none twice.
    const kinesis = kinesisClient({ env });
    await putAllRecords(kinesis, outputs.ClickstreamStreamName as string, sent);
    kinesis.destroy();
    await cloud.stop();

    ({ cloud } = await ownCloud('restart', { stateDir }));
    try {
      env = cloud.sdkEnv();
      // Endpoints (and so the queue URL) are new; names are the same.
      const now = cloud.info?.outputs ?? {};
      await cloud.settle(120_000);
      const s3 = s3Client({ env });
      expect(await accountFor(s3, outputs.LakeBucketName as string, sent, 'raw/clickstream/dt=2025-06-07/')).toEqual({
        raw: 300,
        quarantined: 0,
        duplicates: 0,
        misplaced: 0,
      });
      s3.destroy();
      sqs = sqsClient({ env });
      const messages = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: now.ClickstreamDlqUrl, MaxNumberOfMessages: 10 }),
      );
      expect(messages.Messages?.map((m) => m.Body)).toContain('{"kept":"across a restart"}');
      sqs.destroy();
      sfn = sfnClient({ env });
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(described.status).toBe('FAILED');
      sfn.destroy();
    } finally {
      await cloud.stop();
    }
  }, 240_000);
});
