import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from './lambda-function';

/**
 * A container image whose entrypoint is a TypeScript file bundled by the local esbuild at synth time.
 * The image context is a staging folder holding the Dockerfile and `index.js`; `cdk synth` copies it
 * into cdk.out (no Docker needed), `cdk deploy` builds and pushes it. The local cloud runs the same
 * `index.js` as a child process.
 */
export function bundledContainerImage(
  containerDir: string,
  /** Extra files next to index.js: name → TypeScript entry to bundle, or a file to copy as is. */
  extras: Record<string, { bundle?: string; copy?: string }> = {},
  /**
   * The image's platform: it must match the task definition's CPU architecture, or `cdk deploy` from an
   * x86 machine builds an image the ARM64 task cannot start. @default linux/arm64
   */
  platform: Platform = Platform.LINUX_ARM64,
): ecs.ContainerImage {
  const sourceDir = path.join(PROJECT_ROOT, 'containers', containerDir);
  const result = buildSync({
    entryPoints: [path.join(sourceDir, 'entrypoint.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    // No source map: an inline one tripled the file (15 MB), and nothing in the container reads it.
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced no output for containers/${containerDir}/entrypoint.ts`);
  const dockerfile = fs.readFileSync(path.join(sourceDir, 'Dockerfile'));
  const extraFiles = Object.entries(extras).map(([name, extra]) => {
    if (extra.copy) return [name, fs.readFileSync(path.join(PROJECT_ROOT, extra.copy))] as const;
    const out = buildSync({
      entryPoints: [path.join(PROJECT_ROOT, extra.bundle as string)],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      write: false,
      logLevel: 'silent',
    }).outputFiles[0]?.contents;
    if (!out) throw new Error(`esbuild produced no output for ${extra.bundle}`);
    return [name, out] as const;
  });
  const digest = crypto.createHash('sha256').update(code).update(dockerfile);
  for (const [name, content] of extraFiles) digest.update(name).update(content);
  const hash = digest.digest('hex').slice(0, 16);
  const stage = path.join(os.tmpdir(), 'recomart-container-staging', `${containerDir}-${hash}`);
  if (!fs.existsSync(path.join(stage, 'index.js'))) {
    fs.mkdirSync(stage, { recursive: true });
    fs.writeFileSync(path.join(stage, 'Dockerfile'), dockerfile);
    fs.writeFileSync(path.join(stage, 'index.js'), code);
    for (const [name, content] of extraFiles) fs.writeFileSync(path.join(stage, name), content);
  }
  return ecs.ContainerImage.fromAsset(stage, { platform });
}
