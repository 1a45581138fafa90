import * as fs from 'node:fs';
import type { LocalCloud } from '../../lib/local-cloud';

export default async function teardown(): Promise<void> {
  const cloud = (globalThis as { __recomartCloud?: LocalCloud }).__recomartCloud;
  if (!cloud) return;
  await cloud.stop();
  fs.rmSync(cloud.stateDir, { recursive: true, force: true });
}
