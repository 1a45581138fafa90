/**
 * One validation pass in its own process (peak RSS is its own): the full transactions suite over a
 * CSV on disk, with the catalog and customers key sets loaded for the referential checks.
 */
import * as fs from 'node:fs';
import { SUITES } from '../../layers/quality/suites';
import { loadKeys, validateStream } from '../../layers/quality/validate';

async function main(): Promise<void> {
  const [file, catalog, customers] = process.argv.slice(2) as [string, string, string];
  const references = {
    catalog: await loadKeys(fs.createReadStream(catalog), 'product_id'),
    customers: await loadKeys(fs.createReadStream(customers), 'customer_id'),
  };
  const t0 = performance.now();
  const result = await validateStream(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), SUITES.transactions, {
    source: file,
    references,
  });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ rows: result.rows, checks: result.checks.length, badRows: result.badRows, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
