import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { ManifestSchema } from '../../../layers/lake/manifest';
import type { KeyLookup } from '../../../layers/quality/checks';
import { renderCharts, renderHtml, renderPdf } from '../../../layers/quality/report';
import { QUALITY_DATASETS, type QualityDataset, SUITES } from '../../../layers/quality/suites';
import { FILE_READ_BYTES, loadKeys, type ValidationResult, validateStream } from '../../../layers/quality/validate';
import { CliError, firstNulByte } from '../errors';

interface ValidateCliOptions {
  dataset: QualityDataset;
  report?: string;
  json?: boolean;
  references?: string;
  manifest?: string;
}

const REFERENCE_KEY = { catalog: 'product_id', customers: 'customer_id' } as const;

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      "Run a dataset's quality suite on a local file. Exit 0: critical checks pass; 1: one fails; 2: unusable input.",
    )
    .argument('<file>', 'CSV (or JSON Lines for clickstream)')
    .addOption(new Option('--dataset <name>', 'which suite').choices(QUALITY_DATASETS).makeOptionMandatory())
    .option('--report <dir>', 'write <dataset>-quality.json/.html/.pdf and the failing rows there')
    .option(
      '--references <dir>',
      "folder with catalog.csv / customers.csv for referential checks (default: the file's folder)",
    )
    .option('--manifest <file>', "the file's .manifest.json, to check the row count against it")
    .option('--json', 'print the JSON result on stdout')
    .action(async (file: string, opts: ValidateCliOptions) => {
      const result = await validateFile(file, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`${summarize(result)}\n`);
      if (result.unusable) throw new CliError(`${file} cannot be validated as ${opts.dataset}: ${result.unusable}.`, 2);
      if (!result.passed) process.exitCode = 1;
    });
}

export async function validateFile(file: string, opts: ValidateCliOptions): Promise<ValidationResult> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new CliError(`${file} is not a file.`, 2);
  const nul = firstNulByte(file);
  if (nul >= 0)
    throw new CliError(
      `${file} is not a text file (byte ${nul} is NUL): a binary file cannot be validated as a dataset.`,
      2,
    );
  const suite = SUITES[opts.dataset];
  const refDir = opts.references ?? path.dirname(file);
  const references: Record<string, KeyLookup> = {};
  for (const name of suite.references) {
    const refFile = path.join(refDir, `${name}.csv`);
    if (fs.existsSync(refFile) && path.resolve(refFile) !== path.resolve(file)) {
      references[name] = await loadKeys(fs.createReadStream(refFile), REFERENCE_KEY[name]);
    }
  }
  let expectedRows: number | undefined;
  if (opts.manifest) {
    const parsed = ManifestSchema.safeParse(JSON.parse(fs.readFileSync(opts.manifest, 'utf8')));
    if (!parsed.success) throw new CliError(`${opts.manifest} is not a manifest.`, 2);
    expectedRows = parsed.data.records;
  }
  const bad: string[] = [];
  const result = await validateStream(fs.createReadStream(file, { highWaterMark: FILE_READ_BYTES }), suite, {
    source: path.resolve(file),
    references,
    ...(expectedRows !== undefined ? { expectedRows } : {}),
    onBadRow: (row, record, reasons) => {
      if (opts.report) bad.push(JSON.stringify({ row, reasons, record }));
    },
  });
  if (opts.report) {
    fs.mkdirSync(opts.report, { recursive: true });
    const base = path.join(opts.report, `${opts.dataset}-quality`);
    const charts = await renderCharts(result);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(`${base}.html`, await renderHtml(result, charts));
    fs.writeFileSync(`${base}.pdf`, await renderPdf(result, charts));
    fs.writeFileSync(
      path.join(opts.report, `${opts.dataset}-failing-rows.jsonl`),
      bad.length ? `${bad.join('\n')}\n` : '',
    );
  }
  return result;
}

function summarize(r: ValidationResult): string {
  const lines = [
    `${r.dataset}: ${r.rows} rows, ${r.badRows} failing a critical row check — ${r.unusable ? 'UNUSABLE' : r.passed ? 'PASSED' : 'FAILED'}`,
  ];
  for (const c of r.checks) {
    const mark = c.passed ? 'ok  ' : c.severity === 'critical' ? 'FAIL' : 'warn';
    lines.push(`  ${mark} ${c.id.padEnd(24)} observed ${String(c.observed ?? '—').padEnd(12)} ${c.threshold}`);
  }
  return lines.join('\n');
}
