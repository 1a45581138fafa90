import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCloud } from '../../lib/local-cloud';

/**
 * One local cloud per test run, unless AWS_ENDPOINT_URL points the suite at another endpoint
 * (LocalStack with the stack deployed by cdklocal). Connection details reach the test workers
 * through RECOMART_TEST_CLOUD.
 */
export default async function setup(): Promise<void> {
  if (process.env.AWS_ENDPOINT_URL) {
    process.env.RECOMART_TEST_CLOUD = JSON.stringify({ external: true });
    return;
  }
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-it-'));
  const cloud = new LocalCloud({ stateDir });
  const info = await cloud.start();
  (globalThis as { __recomartCloud?: LocalCloud }).__recomartCloud = cloud;
  process.env.RECOMART_TEST_CLOUD = JSON.stringify({
    external: false,
    stateDir,
    env: cloud.sdkEnv(),
    outputs: info.outputs,
    metadataApi: info.metadataApi,
  });
}
