import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AREAS = ['bin', 'lib', 'lambdas', 'layers', 'containers', 'bench'] as const;
type Area = (typeof AREAS)[number] | 'test';

/**
 * What each area may import (docs/architecture.md): bin → lib → layers; lambdas and containers → layers.
 * The one way into a function from lib is its env schema (`lambdas/<fn>/env.ts`), which its construct sets.
 */
const MAY_IMPORT: Record<Area, readonly Area[]> = {
  bin: ['bin', 'lib', 'layers'],
  lib: ['lib', 'layers'],
  lambdas: ['lambdas', 'layers'],
  containers: ['containers', 'layers'],
  layers: ['layers'],
  bench: ['bench', 'lib', 'layers'],
  test: [],
};

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(full);
      } else if (/\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const area of AREAS) if (fs.existsSync(path.join(ROOT, area))) walk(path.join(ROOT, area));
  return out;
}

/** Relative imports of a file (static, dynamic, require and type-only), resolved to files. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), fileName);
    const found = ['', '.ts', '/index.ts', '.cjs', '.mjs', '.js']
      .map((ext) => base + ext)
      .find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    if (found) out.push(found);
  }
  return out;
}

const areaOf = (file: string): Area => path.relative(ROOT, file).split(path.sep)[0] as Area;
const isEnvSchemaFromLib = (file: string, target: string) =>
  areaOf(file) === 'lib' && ['lambdas', 'containers'].includes(areaOf(target)) && path.basename(target) === 'env.ts';

describe('the import graph', () => {
  const files = sources();
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('follows the layering rule', () => {
    const wrong: string[] = [];
    for (const [file, imports] of graph)
      for (const target of imports)
        if (!MAY_IMPORT[areaOf(file)].includes(areaOf(target)) && !isEnvSchemaFromLib(file, target))
          wrong.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
    expect(wrong).toEqual([]);
  });

  it('has no cycles, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open')
          cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(ROOT, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('sees the imports it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(path.join(ROOT, 'layers', 'als', 'parallel.ts'))).toContain(
      path.join(ROOT, 'layers', 'als', 'state.ts'),
    );
  });
});
