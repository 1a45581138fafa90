/**
 * One validation pass in its own process (peak RSS is its own): the full transactions suite over a
 * CSV on disk read as `recomart validate` reads it (FILE_READ_BYTES at a time), with the catalog and customers
 * key sets loaded for the referential checks. With
 * `--reference`, the reference evaluation (rows as objects, every field through zod). Prints the
 * timing and a digest of everything the run decided (report and quarantined rows), which the
 * benchmark compares between the two.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { SUITES } from '../layers/quality/suites';
import { FILE_READ_BYTES, loadKeys, validateStream } from '../layers/quality/validate';

async function main(): Promise<void> {
  const [file, catalog, customers, mode] = process.argv.slice(2) as [string, string, string, string?];
  const references = {
    catalog: await loadKeys(fs.createReadStream(catalog), 'product_id'),
    customers: await loadKeys(fs.createReadStream(customers), 'customer_id'),
  };
  const quarantined = crypto.createHash('sha256');
  const t0 = performance.now();
  const result = await validateStream(
    fs.createReadStream(file, { highWaterMark: FILE_READ_BYTES }),
    SUITES.transactions,
    {
      source: file,
      references,
      now: new Date('2026-12-01T00:00:00Z'),
      compiled: mode !== '--reference',
      onBadRow: (row, record, reasons) => quarantined.update(JSON.stringify([row, record, reasons])),
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const { seconds: _seconds, startedAt: _startedAt, ...decided } = result;
  const digest = crypto.createHash('sha256').update(JSON.stringify(decided)).update(quarantined.digest()).digest('hex');
  process.stdout.write(
    `${JSON.stringify({ rows: result.rows, checks: result.checks.length, badRows: result.badRows, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, digest })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
