/**
 * One transactions-ingest pass in its own process, so its peak RSS is its own: stream the CSV from
 * disk through partitionTransactions (csv-parse, spooled partitions, MD5s) and build the manifests.
 * Only the S3 uploads are left out. Prints one JSON object.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildManifest } from '../layers/lake/manifest';
import { partitionTransactions } from '../layers/transactions/partition';

async function main(): Promise<void> {
  const file = process.argv[2] as string;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-tx-bench-'));
  try {
    const t0 = performance.now();
    // 64 KiB chunks, about what an S3 GetObject stream delivers
    const result = await partitionTransactions(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), workDir);
    const manifests = result.partitions.map((p) =>
      buildManifest({
        dataset: 'transactions',
        dataKey: `raw/transactions/dt=${p.dt}/ingested_bench.csv`,
        contentType: 'text/csv',
        body: p,
        records: p.records,
        schemaVersion: '1',
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        rows: result.rowsRead,
        placed: manifests.reduce((n, m) => n + m.records, 0),
        quarantined: result.quarantine?.records ?? 0,
        partitions: manifests.length,
        seconds,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
      })}\n`,
    );
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
