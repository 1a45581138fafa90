import * as fs from 'node:fs';
import * as path from 'node:path';

/** Who holds a state directory (`<state>/cloud.lock`). */
export interface StateLockInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly command: string;
}

export class StateDirLockedError extends Error {
  override readonly name = 'StateDirLockedError';
  constructor(
    readonly stateDir: string,
    readonly holder: StateLockInfo,
  ) {
    super(
      `The local cloud in ${stateDir} is already running (pid ${holder.pid}, started ${holder.startedAt} by "${holder.command}"); ` +
        'stop it first (recomart local down, or Ctrl-C where it runs) or use another --state directory.',
    );
  }
}

const LOCK_FILE = 'cloud.lock';

export function lockFileOf(stateDir: string): string {
  return path.join(stateDir, LOCK_FILE);
}

/** Is a process with this pid alive (and visible to us)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the state directory, if any (a lock left by a dead process does not count). */
export function stateDirHolder(stateDir: string): StateLockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(lockFileOf(stateDir), 'utf8')) as StateLockInfo;
    return Number.isInteger(info.pid) && isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the state directory for this process, or throw StateDirLockedError naming the process that
 * holds it. A lock left by a process that is gone (a crash, a kill -9) is taken over.
 */
export function acquireStateLock(stateDir: string): () => void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = lockFileOf(stateDir);
  const info: StateLockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command:
      process.argv
        .slice(1)
        .map((a) => path.basename(a))
        .join(' ')
        .slice(0, 200) || 'node',
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      return () => {
        try {
          const current = JSON.parse(fs.readFileSync(file, 'utf8')) as StateLockInfo;
          if (current.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = stateDirHolder(stateDir);
    if (holder) throw new StateDirLockedError(stateDir, holder);
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`Could not take the lock ${file}: another process keeps re-creating it.`);
}

/** What a local cloud keeps in its state directory: the lake, tables, streams, queues, executions, logs. */
export const STATE_PARTS = [
  's3',
  'dynamodb',
  'kinesis',
  'kinesis-esm',
  'sqs',
  'stepfunctions',
  'logs',
  'reports',
  'dataset',
];

/** Delete a stopped cloud's data (its secrets stay: a value set with put-secret-value is the user's). */
export function wipeState(stateDir: string): void {
  for (const part of STATE_PARTS) fs.rmSync(path.join(stateDir, part), { recursive: true, force: true });
  fs.rmSync(path.join(stateDir, 'endpoint.json'), { force: true });
}
