import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from './lambda-function';

/** The module name the report renderer has inside the layer (`/opt/nodejs/node_modules/...`). */
export const QUALITY_REPORT_MODULE = '@recomart/quality-report';
/** Packages the layer carries as real node_modules (pdfkit loads fonts and ICC data from its own files). */
const LAYER_PACKAGES = ['pdfkit', 'svg-to-pdfkit'];

/**
 * A Lambda layer with the quality report renderer (layers/quality/report.ts: vega-lite charts, HTML,
 * PDF). It is larger than a function bundle may be (1 MB): the charting code is bundled by esbuild
 * and pdfkit is copied with its dependency closure, so the validate function stays small. Built
 * locally at synth time (no Docker) into a staging folder keyed by content.
 */
export function qualityReportLayer(scope: Construct, id: string): lambda.LayerVersion {
  const result = buildSync({
    entryPoints: [path.join(PROJECT_ROOT, 'layers', 'quality', 'report.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    external: [...LAYER_PACKAGES, 'canvas'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('esbuild produced no output for layers/quality/report.ts');
  const packages = dependencyClosure(LAYER_PACKAGES);
  const hash = crypto.createHash('sha256').update(code);
  for (const dir of packages) hash.update(fs.readFileSync(path.join(dir, 'package.json')));
  const stage = path.join(os.tmpdir(), 'recomart-layer-staging', `quality-report-${hash.digest('hex').slice(0, 16)}`);
  if (!fs.existsSync(path.join(stage, 'complete'))) {
    fs.rmSync(stage, { recursive: true, force: true });
    const modules = path.join(stage, 'nodejs', 'node_modules');
    fs.mkdirSync(path.join(modules, QUALITY_REPORT_MODULE), { recursive: true });
    fs.writeFileSync(path.join(modules, QUALITY_REPORT_MODULE, 'index.js'), code);
    const root = path.join(PROJECT_ROOT, 'node_modules');
    for (const dir of packages) {
      const relative = path.relative(root, dir);
      fs.cpSync(dir, path.join(modules, relative), { recursive: true, dereference: true });
    }
    fs.writeFileSync(path.join(stage, 'complete'), '');
  }
  return new lambda.LayerVersion(scope, id, {
    code: lambda.Code.fromAsset(stage, { exclude: ['complete'] }),
    compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    description: 'RecoMart quality report renderer (vega-lite charts, HTML, PDF)',
  });
}

/** Package folders `names` need at run time, resolved the way Node does; nested copies come with their parent. */
function dependencyClosure(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        const pkg = JSON.parse(fs.readFileSync(path.join(candidate, 'package.json'), 'utf8')) as {
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
        };
        for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, candidate);
        return;
      }
      if (path.dirname(dir) === dir) {
        if (names.includes(name)) throw new Error(`${name} is not installed; run npm ci`);
        return; // an optional dependency that is not installed
      }
    }
  };
  for (const name of names) visit(name, PROJECT_ROOT);
  const all = [...seen];
  return all.filter((dir) => !all.some((other) => other !== dir && dir.startsWith(`${other}${path.sep}`)));
}
