import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Dockerfile {
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly entrypoint: string[];
  readonly cmd: string[];
}

function parseCommand(rest: string): string[] {
  const trimmed = rest.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed)) throw new Error(`exec-form instruction is not a JSON array: ${trimmed}`);
    return parsed.map(String);
  }
  return ['/bin/sh', '-c', trimmed];
}

/** The parts of a Dockerfile that decide how its container starts (the final stage wins). */
export function parseDockerfile(text: string): Dockerfile {
  let workdir = '/';
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    const instruction = (match[1] ?? '').toUpperCase();
    const rest = match[2] ?? '';
    if (instruction === 'FROM') {
      workdir = '/';
      entrypoint = [];
      cmd = [];
    } else if (instruction === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, rest.trim());
    } else if (instruction === 'ENV') {
      const pairs = rest.match(/(\w+)=("[^"]*"|\S+)/g);
      if (pairs) {
        for (const pair of pairs) {
          const i = pair.indexOf('=');
          env[pair.slice(0, i)] = pair.slice(i + 1).replace(/^"|"$/g, '');
        }
      } else {
        const [k, ...v] = rest.trim().split(/\s+/);
        if (k) env[k] = v.join(' ');
      }
    } else if (instruction === 'ENTRYPOINT') {
      entrypoint = parseCommand(rest);
    } else if (instruction === 'CMD') {
      cmd = parseCommand(rest);
    }
  }
  return { workdir, env, entrypoint, cmd };
}

export interface ContainerSpec {
  readonly name: string;
  /** The image's build context in cdk.out (holds the Dockerfile). */
  readonly assetDir: string;
  readonly environment: Record<string, string>;
  readonly command?: string[];
  readonly entryPoint?: string[];
  readonly essential: boolean;
}

export interface TaskRunResult {
  readonly taskArn: string;
  readonly exitCodes: Record<string, number>;
  readonly startedAt: Date;
  readonly stoppedAt: Date;
  readonly logFile: string;
}

/**
 * Run a task's containers as child processes: the image's entrypoint with paths under its WORKDIR
 * mapped to the asset folder, `node` mapped to this Node, and the environment of the task definition
 * plus the run's overrides. No Docker.
 */
export async function runContainers(
  family: string,
  containers: readonly ContainerSpec[],
  baseEnv: Record<string, string>,
  logDir: string,
  onLine?: (line: string) => void,
): Promise<TaskRunResult> {
  const taskId = randomUUID().replace(/-/g, '');
  const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/local/${taskId}`;
  fs.mkdirSync(path.join(logDir, family), { recursive: true });
  const logFile = path.join(logDir, family, `${taskId}.log`);
  const log = fs.createWriteStream(logFile);
  const startedAt = new Date();
  const exitCodes: Record<string, number> = {};
  // A task that cannot start still leaves its log (with the reason), closed before the result is known.
  const started = Promise.all(
    containers.map(async (container) => {
      const dockerfile = parseDockerfile(fs.readFileSync(path.join(container.assetDir, 'Dockerfile'), 'utf8'));
      const argv = [...(container.entryPoint ?? dockerfile.entrypoint), ...(container.command ?? dockerfile.cmd)];
      if (argv.length === 0) throw new Error(`container ${container.name} has no ENTRYPOINT or CMD`);
      const workdir = dockerfile.workdir.endsWith('/') ? dockerfile.workdir : `${dockerfile.workdir}/`;
      const mapped = argv.map((arg) =>
        arg === workdir.slice(0, -1)
          ? container.assetDir
          : arg.startsWith(workdir)
            ? path.join(container.assetDir, arg.slice(workdir.length))
            : arg,
      );
      const [command, ...args] = mapped;
      const executable = command === 'node' ? process.execPath : (command as string);
      const child = spawn(executable, args, {
        cwd: container.assetDir,
        env: { PATH: process.env.PATH ?? '', ...dockerfile.env, ...baseEnv, ...container.environment },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let carry = '';
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        const text = carry + chunk.toString('utf8');
        const parts = text.split('\n');
        carry = parts.pop() ?? '';
        for (const line of parts) onLine?.(`[${container.name}] ${line}`);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      exitCodes[container.name] = await new Promise<number>((resolve) => {
        child.on('error', (err) => {
          log.write(`failed to start: ${err.message}\n`);
          resolve(127);
        });
        child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      });
    }),
  );
  try {
    await started;
  } catch (err) {
    log.write(`failed to start: ${(err as Error).message}\n`);
    throw err;
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
  return { taskArn, exitCodes, startedAt, stoppedAt: new Date(), logFile };
}
