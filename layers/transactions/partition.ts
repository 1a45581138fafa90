import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { PartitionSpool, type SpooledFile } from '../lake/spool';
import { classifyRow, TRANSACTION_COLUMNS, toCsvLine } from './schema';

export interface DatePartition extends SpooledFile {
  /** The partition's `dt` value. */
  readonly dt: string;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface PartitionResult {
  /** One spooled CSV file (header included) per transaction date. */
  readonly partitions: DatePartition[];
  /** JSON Lines of the rows that could not be placed, each with its reason; undefined when none. */
  readonly quarantine: SpooledFile | undefined;
  readonly rowsRead: number;
}

export class UnusableFileError extends Error {
  override readonly name = 'UnusableFileError';
}

const DAY_MS = 86_400_000;
const HEADER = TRANSACTION_COLUMNS.join(',');

/**
 * Stream a transactions CSV and sort each row into its transaction-date partition file, or into the
 * quarantine file with the reason (SPEC C2). Memory stays bounded whatever the file size: rows go
 * to files under `workDir` as they are read. Malformed CSV lines (unbalanced quotes) are quarantined,
 * not fatal; a file without the transactions header is unusable as a whole.
 */
export async function partitionTransactions(input: Readable, workDir: string): Promise<PartitionResult> {
  const rows = new PartitionSpool(`${workDir}/rows`, HEADER);
  const rejects = new PartitionSpool(`${workDir}/quarantine`);
  const range = new Map<string, { minMs: number; maxMs: number }>();
  const dtOfDay = new Map<number, string>();
  let header: string[] | undefined;
  let row = 0;
  const quarantine = (reason: string, fields: readonly string[]) =>
    rejects.append('quarantine', JSON.stringify({ row, reason, fields }));

  const parser = input.pipe(
    parse({ relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, bom: true }),
  );
  parser.on('skip', (err: Error & { raw?: string }) => {
    row++;
    quarantine(`malformed CSV: ${err.message}`, [err.raw ?? '']);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      input.on('error', reject);
      parser.on('error', reject);
      parser.on('end', resolve);
      parser.on('readable', () => {
        for (let record = parser.read() as string[] | null; record !== null; record = parser.read()) {
          if (header === undefined) {
            header = record.map((h) => h.trim());
            if (header.join(',') !== HEADER) {
              const found = header.join(',').slice(0, 200);
              parser.destroy(new UnusableFileError(`header is "${found}", expected "${HEADER}"`));
              return;
            }
            continue;
          }
          row++;
          const outcome = classifyRow(record);
          if (!outcome.ok) {
            quarantine(outcome.reason, record);
            continue;
          }
          const day = Math.floor(outcome.epochMs / DAY_MS);
          let dt = dtOfDay.get(day);
          if (dt === undefined) {
            dt = new Date(day * DAY_MS).toISOString().slice(0, 10);
            dtOfDay.set(day, dt);
            range.set(dt, { minMs: outcome.epochMs, maxMs: outcome.epochMs });
          }
          const r = range.get(dt) as { minMs: number; maxMs: number };
          if (outcome.epochMs < r.minMs) r.minMs = outcome.epochMs;
          if (outcome.epochMs > r.maxMs) r.maxMs = outcome.epochMs;
          rows.append(dt, toCsvLine(record));
        }
      });
    });
    if (header === undefined) throw new UnusableFileError('file is empty');
  } catch (err) {
    rows.dispose();
    rejects.dispose();
    throw err;
  }
  const partitions = rows
    .close()
    .map((file) => ({ ...file, dt: file.partition, ...(range.get(file.partition) ?? { minMs: 0, maxMs: 0 }) }));
  const [quarantined] = rejects.close();
  return { partitions, quarantine: quarantined, rowsRead: row };
}
