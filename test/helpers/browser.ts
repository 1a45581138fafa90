import * as fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Chromium for the browser tests: CHROMIUM_PATH, else Debian's package (`apt-get install chromium`,
 * which .ci/run does). Headless, with the flags that keep it off the network and quiet.
 */
export async function launchChromium(): Promise<Browser> {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => Boolean(p),
  );
  const executablePath = candidates.find((p) => fs.existsSync(p));
  if (!executablePath)
    throw new Error(
      `No Chromium for the browser tests (looked at ${candidates.join(', ')}): install Debian's package with \`apt-get install chromium\`, or set CHROMIUM_PATH.`,
    );
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}
