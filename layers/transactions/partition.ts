import type { Readable } from 'node:stream';
import { PartitionSpool, type SpooledFile } from '../lake/spool';
import { type ReadCsvOptions, readCsvRecords, rejectedLine } from '../util/csv-records';
import { DEFAULT_YEARS, type YearRange } from '../util/timestamps';
import { classifyRow, TRANSACTION_COLUMNS } from './schema';

export interface DatePartition extends SpooledFile {
  /** The partition's `dt` value. */
  readonly dt: string;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface PartitionResult {
  /** One spooled CSV file (header included) per transaction date. */
  readonly partitions: DatePartition[];
  /** JSON Lines of the rows that could not be placed, each with its line, reason and raw text; undefined when none. */
  readonly quarantine: SpooledFile | undefined;
  /** Data records read (accepted or not), the header excluded. */
  readonly rowsRead: number;
}

export interface PartitionOptions {
  /** Years a transaction may fall in. @default 1970-2100 */
  readonly years?: YearRange;
  /** The source's declared charset, when not UTF-8. @default - UTF-8 */
  readonly encoding?: string;
  /** Limits of the CSV reader. */
  readonly csv?: Omit<ReadCsvOptions, 'encoding' | 'expectedFields'>;
}

export class UnusableFileError extends Error {
  override readonly name = 'UnusableFileError';
}

const DAY_MS = 86_400_000;
const HEADER = TRANSACTION_COLUMNS.join(',');

/**
 * Stream a transactions CSV and sort each row into its transaction-date partition file, or into the
 * quarantine file with its line number, reason and exact raw text. A row is written to its
 * partition as the source wrote it, byte for byte. Memory stays bounded whatever the file size: rows
 * go to files under `workDir` as they are read. A row that cannot be parsed costs only itself
 * (layers/util/csv-records.ts); a file without the transactions header is unusable as a whole.
 */
export async function partitionTransactions(
  input: Readable,
  workDir: string,
  options: PartitionOptions = {},
): Promise<PartitionResult> {
  const years = options.years ?? DEFAULT_YEARS;
  const rows = new PartitionSpool(`${workDir}/rows`, HEADER);
  const rejects = new PartitionSpool(`${workDir}/quarantine`);
  const range = new Map<string, { minMs: number; maxMs: number }>();
  const dtOfDay = new Map<number, string>();
  let header: string | undefined;
  let unusable: string | undefined;
  let rowsRead = 0;
  try {
    await readCsvRecords(
      input,
      (record, reader) => {
        if (header === undefined) {
          header = record.ok ? record.fields.map((h) => h.trim()).join(',') : record.raw;
          if (header !== HEADER) {
            unusable = `header is "${header.slice(0, 200)}", expected "${HEADER}"`;
            return false;
          }
          reader.expectedFields = TRANSACTION_COLUMNS.length;
          return undefined;
        }
        rowsRead++;
        if (!record.ok) {
          rejects.append('quarantine', rejectedLine(record));
          return undefined;
        }
        const outcome = classifyRow(record.fields, years);
        if (!outcome.ok) {
          rejects.append('quarantine', rejectedLine({ ...record, ok: false, reason: outcome.reason }));
          return undefined;
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
        rows.append(dt, record.raw);
        return undefined;
      },
      { ...options.csv, ...(options.encoding ? { encoding: options.encoding } : {}) },
    );
    if (header === undefined) throw new UnusableFileError('file is empty');
    if (unusable) throw new UnusableFileError(unusable);
  } catch (err) {
    rows.dispose();
    rejects.dispose();
    throw err;
  }
  const partitions = rows
    .close()
    .map((file) => ({ ...file, dt: file.partition, ...(range.get(file.partition) ?? { minMs: 0, maxMs: 0 }) }));
  const [quarantined] = rejects.close();
  return { partitions, quarantine: quarantined, rowsRead };
}
