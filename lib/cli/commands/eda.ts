import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { exploreTransactions, loadCategories } from '../../../layers/quality/eda';
import { renderEda } from '../../../layers/quality/report';
import { CliError } from '../errors';

export function registerEda(program: Command): void {
  program
    .command('eda')
    .description(
      'Exploratory plots of transactions: interactions per user and item, ratings, activity over time, top categories.',
    )
    .argument('<transactions>', 'transactions CSV')
    .option('--catalog <file>', 'catalog CSV, for the top-categories chart')
    .requiredOption('--out <dir>', 'where eda.html and eda.pdf go')
    .action(async (file: string, opts: { catalog?: string; out: string }) => {
      const written = await writeEda(file, opts);
      process.stdout.write(`${written.join('\n')}\n`);
    });
}

export async function writeEda(file: string, opts: { catalog?: string; out: string }): Promise<string[]> {
  for (const f of [file, opts.catalog]) {
    if (f !== undefined && !(fs.existsSync(f) && fs.statSync(f).isFile())) throw new CliError(`${f} is not a file.`, 2);
  }
  const categories = opts.catalog ? await loadCategories(fs.createReadStream(opts.catalog)) : undefined;
  const eda = await exploreTransactions(fs.createReadStream(file), path.resolve(file), categories);
  const { html, pdf } = await renderEda(eda);
  fs.mkdirSync(opts.out, { recursive: true });
  const htmlPath = path.join(opts.out, 'eda.html');
  const pdfPath = path.join(opts.out, 'eda.pdf');
  fs.writeFileSync(htmlPath, html);
  fs.writeFileSync(pdfPath, pdf);
  return [htmlPath, pdfPath];
}
