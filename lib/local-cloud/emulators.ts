import { type ChildProcess, fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export interface EmulatorEndpoints {
  readonly s3: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly kinesis: string;
}

/** Credentials every emulator accepts (s3rver insists on these exact ones). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** A raw S3 notification record as s3rver emits it (normalised to the AWS shape by s3-notifications.ts). */
export interface RawS3Record {
  readonly eventName: string;
  readonly eventTime: string;
  readonly s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string } };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Wait until kinesis-local answers on `port`. An open port alone proves nothing: if another process
 * took the port first, connecting succeeds while the child fails to bind, so the answer must be
 * Kinesis's own (its JSON protocol, refusing an unsigned call).
 */
async function waitForKinesis(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Give up only after a probe that began past the deadline: this thread may have been busy meanwhile.
    const probedAt = Date.now();
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`kinesis-local exited with ${child.exitCode ?? child.signalCode} while starting`);
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          agent: false,
          timeout: 1_000,
          headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams', 'content-type': 'application/x-amz-json-1.1' },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['content-type']).startsWith('application/x-amz-json-1.1'));
        },
      );
      req.once('timeout', () => req.destroy());
      req.once('error', () => resolve(false));
      req.end('{}');
    });
    if (answered && child.exitCode === null) return;
    if (probedAt > deadline) throw new Error(`kinesis-local did not answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Why an emulator process went away while the local cloud was running. */
export interface EmulatorExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Why a cloud whose emulator exited cannot go on, and where to look. */
export function exitError(exit: EmulatorExit, stateDir: string): Error {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  return new Error(
    `${exit.name} exited unexpectedly (${how}); the local cloud cannot go on (logs in ${path.join(stateDir, 'logs')})`,
  );
}

/**
 * The emulator processes of the local cloud: one child hosting S3, DynamoDB and SQS, and
 * kinesis-local (kinesis-mock) as another. Data lives under `stateDir`. The children run in process
 * groups of their own, so a Ctrl-C in the terminal reaches only the parent, which stops them in order;
 * if the parent dies, they follow it (parent-watchdog.cjs, and the IPC channel closing).
 */
export class Emulators {
  private host?: ChildProcess;
  private kinesis?: ChildProcess;
  private stopping = false;
  public endpoints?: EmulatorEndpoints;

  constructor(
    private readonly stateDir: string,
    private readonly onS3Event: (record: RawS3Record) => void,
    /** Called when an emulator exits while the cloud runs (not during stop()). */
    private readonly onUnexpectedExit: (exit: EmulatorExit) => void = () => undefined,
    private readonly options: {
      /** How a port for kinesis-local is chosen (tests hand out a taken one). @default freePort */
      readonly choosePort?: () => Promise<number>;
      /** How long each emulator may take to start. @default 15 s for the host, 20 s for kinesis-local */
      readonly startTimeoutMs?: number;
    } = {},
  ) {}

  /** Process ids of the emulator children (for status output and tests). */
  get pids(): { host?: number; kinesis?: number } {
    return { host: this.host?.pid, kinesis: this.kinesis?.pid };
  }

  async start(): Promise<EmulatorEndpoints> {
    fs.mkdirSync(path.join(this.stateDir, 'logs'), { recursive: true });
    fs.mkdirSync(path.join(this.stateDir, 'kinesis'), { recursive: true });
    const kinesisUp = this.startKinesis();
    kinesisUp.catch(() => undefined);
    // If this process exits without stop() (a crash, a closed stdout pipe), take the emulators with it.
    process.once('exit', this.killOnExit);

    this.host = fork(path.join(__dirname, 'emulator-host.mjs'), [], {
      execArgv: ['--openssl-legacy-provider'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    const ports = await new Promise<{ s3: number; dynamodb: number; sqs: number }>((resolve, reject) => {
      const host = this.host as ChildProcess;
      // The parent may be busy for longer than that (a cold synth runs on this thread while the host
      // starts): the deadline is judged only after pending messages have been read (setImmediate runs
      // after the poll phase), so a host that answered while this thread was busy is not called late.
      const limit = this.options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(
        () => setImmediate(() => reject(new Error(`emulator host did not start within ${limit} ms`))),
        limit,
      );
      host.on('message', (message: { type: string; ports?: never; message?: string; record?: RawS3Record }) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.ports as unknown as { s3: number; dynamodb: number; sqs: number });
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`emulator host failed: ${message.message}`));
        } else if (message.type === 's3event' && message.record) {
          this.onS3Event(message.record);
        } else if (message.type === 'synced') {
          const id = (message as unknown as { id: number }).id;
          this.syncs.get(id)?.();
          this.syncs.delete(id);
        }
      });
      host.once('exit', (code) => reject(new Error(`emulator host exited with code ${code}`)));
      host.send({ type: 'start', stateDir: this.stateDir });
    });
    const kinesisPort = await kinesisUp;
    const watch = (child: ChildProcess, name: string) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.onUnexpectedExit({ name, code, signal });
      });
    watch(this.host, 'the S3, DynamoDB and SQS emulator host');
    watch(this.kinesis as ChildProcess, 'the Kinesis emulator (kinesis-local)');
    const url = (port: number) => `http://127.0.0.1:${port}`;
    this.endpoints = {
      s3: url(ports.s3),
      dynamodb: url(ports.dynamodb),
      sqs: url(ports.sqs),
      kinesis: url(kinesisPort),
    };
    return this.endpoints;
  }

  /**
   * Start kinesis-local on a free port. The port is chosen, then bound by the child a second later, and
   * another process can take it in between (any outgoing connection may get it as its local port): the
   * child then exits with EADDRINUSE, and the start is tried again on other ports.
   */
  private async startKinesis(): Promise<number> {
    const kinesisMain = require.resolve('kinesis-local/main.js');
    const logPath = path.join(this.stateDir, 'logs', 'kinesis-local.log');
    for (let attempt = 1; ; attempt++) {
      const kinesisPort = await (this.options.choosePort ?? freePort)();
      const kinesisTlsPort = await freePort();
      const logStart = fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
      const kinesisLog = fs.openSync(logPath, 'a');
      this.kinesis = spawn(process.execPath, ['--require', path.join(__dirname, 'parent-watchdog.cjs'), kinesisMain], {
        env: {
          ...process.env,
          KINESIS_MOCK_PLAIN_PORT: String(kinesisPort),
          KINESIS_MOCK_TLS_PORT: String(kinesisTlsPort),
          KINESIS_MOCK_CERT_PATH: path.join(path.dirname(kinesisMain), 'server.json'),
          CREATE_STREAM_DURATION: '50ms',
          DELETE_STREAM_DURATION: '50ms',
          LOG_LEVEL: 'WARN',
          // Streams and their records survive a restart: written on a clean stop, and every 5 minutes in
          // case of a crash. Each write serializes every record the streams hold (about 1 s of CPU for a
          // finished demo's 2.5 MB), so writing every 5 s kept an idle cloud at 7-8 % of a core.
          SHOULD_PERSIST_DATA: 'true',
          LOAD_DATA_IF_EXISTS: 'true',
          PERSIST_PATH: path.join(this.stateDir, 'kinesis'),
          PERSIST_FILE_NAME: 'kinesis-data.json',
          PERSIST_INTERVAL: '300s',
        },
        stdio: ['ignore', kinesisLog, kinesisLog],
        detached: true,
      });
      fs.closeSync(kinesisLog);
      try {
        await waitForKinesis(kinesisPort, this.kinesis, this.options.startTimeoutMs ?? 20_000);
        return kinesisPort;
      } catch (err) {
        const said = fs.readFileSync(logPath).subarray(logStart).toString('utf8');
        const exited = this.kinesis.exitCode !== null || this.kinesis.signalCode !== null;
        if (!exited) this.kinesis.kill('SIGKILL');
        if (attempt < 3 && exited && said.includes('EADDRINUSE')) continue;
        const reason = said
          .split('\n')
          .find((line) => /Error|EADDR/.test(line))
          ?.trim();
        throw new Error(`${(err as Error).message}${reason ? ` (${reason.slice(0, 200)})` : ''}; log in ${logPath}`);
      }
    }
  }

  private readonly syncs = new Map<number, () => void>();
  private nextSync = 0;

  /**
   * Resolves once every S3 event for requests answered before this call has been handed to `onS3Event`
   * (events travel from the emulator host over IPC, so they can trail the HTTP response).
   */
  async sync(timeoutMs = 10_000): Promise<void> {
    const host = this.host;
    if (!host?.connected) return;
    const id = ++this.nextSync;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.syncs.delete(id);
        reject(new Error(`the emulator host did not answer a sync within ${timeoutMs} ms`));
      }, timeoutMs);
      this.syncs.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      host.send({ type: 'sync', id });
    });
  }

  private readonly killOnExit = (): void => {
    this.kinesis?.kill('SIGKILL');
    this.host?.kill('SIGKILL');
  };

  /**
   * Stop both emulators. `queues` are the SQS queues whose messages (ready, delayed and in flight) the
   * host saves to the state directory first, for the next start to restore.
   */
  async stop(queues: readonly string[] = []): Promise<void> {
    this.stopping = true;
    process.removeListener('exit', this.killOnExit);
    const host = this.host;
    const kinesis = this.kinesis;
    this.host = undefined;
    this.kinesis = undefined;
    await Promise.all([
      host && host.exitCode === null && host.signalCode === null
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              host.kill('SIGKILL');
              resolve();
            }, 10_000);
            host.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (host.connected) host.send({ type: 'stop', queues });
            else host.kill('SIGTERM');
          })
        : undefined,
      kinesis && kinesis.exitCode === null && kinesis.signalCode === null
        ? new Promise<void>((resolve) => {
            kinesis.once('exit', () => resolve());
            // SIGTERM lets kinesis-mock write its data file before it exits.
            kinesis.kill('SIGTERM');
            setTimeout(() => kinesis.kill('SIGKILL'), 5_000).unref();
          })
        : undefined,
    ]);
  }
}
