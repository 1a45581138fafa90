import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as App from '../app';
import { codeVersion } from '../code-version';
import { resolveStageConfig } from '../config';
import { PROJECT_ROOT } from '../project-root';
import { stackIdFor } from '../stack-id';
import type { SynthesizedApp } from './profile';

/** Everything that feeds synth and bundling, relative to the project root. */
const SOURCES = ['bin', 'lib', 'lambdas', 'layers', 'containers', 'types'];
const SOURCE_FILES = ['package-lock.json', 'cdk.json', 'tsconfig.json', 'package.json'];
/** Cached assemblies kept (most recently used first). */
const KEEP = 4;

/**
 * Synthesize the CDK app once per distinct input: the assembly is cached under
 * `<tmp>/recomart-assemblies/<checkout>/<key>`, keyed by a hash of every source file that feeds synth
 * and bundling, the lock file, the context and the code version. An unchanged project starts from
 * the cached assembly instead of synthesizing again (docs/decisions/015-local-cloud-lifecycle.md).
 */
export function synthesizeCached(
  context: Record<string, unknown>,
  log: (line: string) => void,
  options: { verbose?: boolean } = {},
): SynthesizedApp {
  const config = resolveStageConfig(context.stage, context['recomart:config']);
  const stackName = stackIdFor(config.stage);
  const key = assemblyKey(context);
  const root = cacheRoot();
  const dir = path.join(root, key);
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    const now = new Date();
    fs.utimesSync(dir, now, now);
    return { dir, stackName, reused: true, key };
  }
  const staging = path.join(root, `.staging-${process.pid}-${randomUUID()}`);
  fs.mkdirSync(staging, { recursive: true });
  try {
    // The CDK loads only when the cache misses (README, "Development": a cached start stays fast).
    const { createApp } = require('../app') as typeof App;
    // The CDK announces every asset it bundles ("Bundling asset …", while the constructs are built):
    // shown with verbose, or when synth fails.
    const said = options.verbose ? undefined : captureStderr();
    try {
      const { app, stack } = createApp({ context, outdir: staging, nag: false });
      if (stack.stackName !== stackName) throw new Error(`expected stack ${stackName}, synthesized ${stack.stackName}`);
      app.synth();
    } catch (err) {
      if (said) process.stderr.write(said.release());
      throw err;
    } finally {
      said?.release();
    }
    try {
      fs.renameSync(staging, dir);
    } catch (err) {
      // Another process finished the same synth first: use its assembly.
      if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw err;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  prune(root, log);
  return { dir, stackName, reused: false, key };
}

export function assemblyKey(context: Record<string, unknown>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ context, codeVersion: codeVersion(), node: process.version, env: cdkEnv() }));
  for (const file of sourceFiles()) {
    hash.update(`\0${path.relative(PROJECT_ROOT, file)}\0`);
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 24);
}

function cdkEnv(): Record<string, string | undefined> {
  return { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(full);
      } else out.push(full);
    }
  };
  for (const dir of SOURCES) walk(path.join(PROJECT_ROOT, dir));
  for (const file of SOURCE_FILES)
    if (fs.existsSync(path.join(PROJECT_ROOT, file))) out.push(path.join(PROJECT_ROOT, file));
  return out;
}

/**
 * Outside the project on purpose: a bundle under the project would find the project's node_modules by
 * walking up from its folder, which the Lambda runtime never offers. One folder per checkout.
 */
function cacheRoot(): string {
  const checkout = createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 8);
  const root = process.env.RECOMART_ASSEMBLY_CACHE ?? path.join(os.tmpdir(), 'recomart-assemblies', checkout);
  fs.mkdirSync(root, { recursive: true });
  return root;
}

/** Drop all but the most recently used assemblies (and staging dirs of crashed synths older than an hour). */
function prune(root: string, log: (line: string) => void): void {
  const entries = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, mtime: fs.statSync(path.join(root, e.name)).mtimeMs }));
  const assemblies = entries.filter((e) => !e.name.startsWith('.staging-')).sort((a, b) => b.mtime - a.mtime);
  const stale = [
    ...assemblies.slice(KEEP),
    ...entries.filter((e) => e.name.startsWith('.staging-') && Date.now() - e.mtime > 3_600_000),
  ];
  for (const e of stale) {
    fs.rmSync(path.join(root, e.name), { recursive: true, force: true });
    log(`dropped the cached cloud assembly ${e.name}`);
  }
}

/** Hold what is written to this process's stderr until release(), which restores it and returns it. */
function captureStderr(): { release(): string } {
  const write = process.stderr.write.bind(process.stderr);
  let held = '';
  let released = false;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    held += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  return {
    release() {
      if (!released) {
        process.stderr.write = write;
        released = true;
      }
      const out = held;
      held = '';
      return out;
    },
  };
}
