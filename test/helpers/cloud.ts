import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Env } from '../../layers/aws/clients';
import { cloudFormationClient } from '../../layers/aws/control-plane-clients';

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
