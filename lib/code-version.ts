import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The code version recorded in lineage and model records: the package version plus the git commit
 * the stack was synthesized from (`0.1.0+a1b2c3d`), or the package version alone outside a git checkout.
 */
export function codeVersion(root: string = path.resolve(__dirname, '..')): string {
  if (cached) return cached;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  let sha = '';
  try {
    sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout (an npm tarball): the package version is all we know
  }
  cached = sha ? `${pkg.version}+${sha}` : pkg.version;
  return cached;
}
