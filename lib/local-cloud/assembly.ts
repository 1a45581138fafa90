/** A synthesized stack as the local cloud runs it: its template and its container assets. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SynthesizedApp } from './profile';
import type { CfnTemplate } from './template';

export interface StackAssembly {
  readonly template: CfnTemplate;
  /** Container images by asset hash, with their source directories in the assembly. */
  readonly dockerImages: Record<string, { source: { directory: string } }>;
}

/** The stack's template with each placeholder replaced by its run-time value, and its container assets. */
export function readStackAssembly(app: SynthesizedApp, replacements: Readonly<Record<string, string>>): StackAssembly {
  let text = fs.readFileSync(path.join(app.dir, `${app.stackName}.template.json`), 'utf8');
  for (const [placeholder, value] of Object.entries(replacements)) text = text.split(placeholder).join(value);
  const assets = JSON.parse(fs.readFileSync(path.join(app.dir, `${app.stackName}.assets.json`), 'utf8')) as {
    dockerImages?: StackAssembly['dockerImages'];
  };
  return { template: JSON.parse(text) as CfnTemplate, dockerImages: assets.dockerImages ?? {} };
}
