import * as fs from 'node:fs';
import type { LocalCloud } from '../../lib/local-cloud';

export default async function teardown(): Promise<void> {
  const cloud = (globalThis as { __recomartCloud?: LocalCloud }).__recomartCloud;
  if (!cloud) return;
  await cloud.stop();
  // RECOMART_KEEP_TEST_STATE=1 keeps the shared cloud's state (logs, lake) to look at after a failure.
  if (process.env.RECOMART_KEEP_TEST_STATE === '1') {
    process.stderr.write(`kept the test cloud's state in ${cloud.stateDir}\n`);
    return;
  }
  fs.rmSync(cloud.stateDir, { recursive: true, force: true });
}
