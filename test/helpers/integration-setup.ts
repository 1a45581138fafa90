import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCloud } from '../../lib/local-cloud';
import { recomartProfile } from '../../lib/local-profile';
import { TEST_CONFIG } from './own-cloud';

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
  // The shared test lake holds a few hundred interactions from many test files, so a model's precision
  // there says nothing: the stage gate's threshold is 0 here, and the rejection path is exercised with
  // a stricter per-run threshold (test/integration/slice.test.ts); the gate itself is unit-tested.
  // Small publishing shards, so that the pipeline's Map over user shards runs several of them.
  const cloud = new LocalCloud({ stateDir, profile: recomartProfile(), context: { 'recomart:config': TEST_CONFIG } });
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
