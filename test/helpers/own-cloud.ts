import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCloud, type LocalCloudOptions } from '../../lib/local-cloud';
import { recomartProfile } from '../../lib/local-profile';

/**
 * The stage configuration of every local cloud the tests start (the shared one and a test's own): one
 * configuration, so all of them reuse one cached cloud assembly instead of synthesizing again.
 */
export const TEST_CONFIG = { gate: { minPrecisionAt10: 0, minLiftOverBaseline: 0 }, publish: { usersPerShard: 25 } };

/** A local cloud of a test's own, for what must not touch the shared one (its stream, its DLQ, its lifetime). */
export async function ownCloud(
  name: string,
  options: Omit<LocalCloudOptions, 'context' | 'profile'> = {},
): Promise<{ cloud: LocalCloud; stateDir: string }> {
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `recomart-${name}-`));
  const cloud = new LocalCloud({
    ...options,
    stateDir,
    profile: recomartProfile(),
    context: { 'recomart:config': TEST_CONFIG },
  });
  await cloud.start();
  return { cloud, stateDir };
}
