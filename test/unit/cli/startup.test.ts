import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const bin = path.join(__dirname, '../../../bin/recomart.cjs');

/** The modules a CLI invocation loaded, from a preload script that lists require.cache at exit. */
function loadedBy(args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-startup-'));
  const out = path.join(dir, 'loaded.json');
  const preload = path.join(dir, 'preload.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  try {
    execFileSync(process.execPath, ['--require', preload, bin, ...args], { stdio: 'pipe' });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const heavy = (loaded: string[]) =>
  loaded
    .map((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? /\/lib\/(local-cloud)\/index\.ts$/.exec(m)?.[1])
    .filter((name): name is string =>
      ['aws-cdk-lib', 'cdk-nag', '@aws-sdk/client-s3', 'vega', 'pdfkit', 'local-cloud'].includes(name ?? ''),
    );

describe('CLI start-up', () => {
  it('answers --help and --version without loading the CDK, the AWS SDK, the renderers or the local cloud', () => {
    expect([...new Set(heavy(loadedBy(['--help'])))]).toEqual([]);
    expect([...new Set(heavy(loadedBy(['--version'])))]).toEqual([]);
  });

  it("loads a command's module only for that command, and never the CDK for a client command", () => {
    const recommend = loadedBy(['recommend', '--help']);
    expect(recommend.some((m) => m.endsWith(path.join('commands', 'recommend.ts')))).toBe(true);
    expect(recommend.some((m) => m.endsWith(path.join('commands', 'demo.ts')))).toBe(false);
    expect(heavy(recommend)).not.toContain('aws-cdk-lib');
    expect(heavy(recommend)).not.toContain('local-cloud');
  });
});

describe('CLI usage errors', () => {
  const run = (args: string[]) => {
    try {
      execFileSync(process.execPath, [bin, ...args], { stdio: 'pipe' });
      return { status: 0, stderr: '' };
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      return { status: e.status, stderr: e.stderr.toString() };
    }
  };

  it('exit with code 2 and one clear line: a missing or unknown --dataset, an unknown command', () => {
    const missing = run(['validate', '/dev/null']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error: required option '--dataset <name>' not specified$/m);
    const unknown = run(['validate', '--dataset', 'nosuch', '/dev/null']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/argument 'nosuch' is invalid\. Allowed choices are transactions/);
    expect(run(['nosuch']).status).toBe(2);
    expect(run(['--help']).status).toBe(0);
  });

  it('exit with code 2 for a number that is not a positive integer, and for empty SQL, before any AWS call', () => {
    const timeout = run(['query', 'SELECT 1', '--timeout', '0']);
    expect(timeout.status).toBe(2);
    expect(timeout.stderr).toMatch(/--timeout must be a positive integer, got "0"/);
    const empty = run(['query', '  ']);
    expect(empty.status).toBe(2);
    expect(empty.stderr.trim()).toBe('recomart: The SQL statement is empty.');
  });
});
