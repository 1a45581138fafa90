import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Env } from '../../layers/aws/clients';
import { cloudFormationClient } from '../../layers/aws/control-plane-clients';
import { isAlive } from '../../lib/local-cloud/state-lock';

export interface TestCloud {
  /** SDK configuration for clients (pass as `{ env }` to layers/aws/clients). */
  readonly env: Env;
  readonly outputs: Record<string, string>;
  readonly external: boolean;
  /** Control URL of the embedded cloud's mock metadata API (POST /_control); absent on an external cloud. */
  readonly metadataApi?: string;
}

/** The cloud the integration suite runs against: the embedded one, or an external endpoint (LocalStack). */
export async function testCloud(): Promise<TestCloud> {
  const raw = process.env.RECOMART_TEST_CLOUD;
  if (!raw)
    throw new Error('RECOMART_TEST_CLOUD is not set: run integration tests through jest (npm run test:integration).');
  const parsed = JSON.parse(raw) as {
    external: boolean;
    env?: Record<string, string>;
    outputs?: Record<string, string>;
    metadataApi?: string;
  };
  if (!parsed.external) {
    return {
      env: parsed.env ?? {},
      outputs: parsed.outputs ?? {},
      external: false,
      ...(parsed.metadataApi ? { metadataApi: parsed.metadataApi } : {}),
    };
  }
  const stackName = process.env.RECOMART_STACK ?? 'RecoMart-dev';
  const cfn = cloudFormationClient();
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries(
    (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
  return { env: process.env, outputs, external: true };
}

/** Poll `probe` until it returns a value, or fail after `timeoutMs` with the last observation. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what = 'condition',
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Run `fn` while no other test file of this jest run uses the shared cloud's metadata API mock: its
 * injected failures are counters any caller consumes, so the files that drive it take turns (a lock
 * file named by the jest parent process, which every worker shares; a holder that died releases it).
 */
export async function withMetadataMock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), `recomart-metadata-mock-${process.ppid}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lock, { encoding: 'utf8', flag: 'a+' }));
      if (holder > 0 && !isAlive(holder)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`the metadata mock stayed locked by process ${holder}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
