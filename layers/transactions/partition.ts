import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { partitionOf } from '../lake/zones';
import { classifyRow, TRANSACTION_COLUMNS, toCsvLine } from './schema';

export interface DatePartition {
  readonly dt: string;
  readonly lines: string[];
  minMs: number;
  maxMs: number;
}

export interface QuarantinedRow {
  readonly line: number;
  readonly reason: string;
  readonly fields: readonly string[];
}

export interface PartitionResult {
  readonly partitions: Map<string, DatePartition>;
  readonly quarantined: QuarantinedRow[];
  readonly rowsRead: number;
}

export class UnusableFileError extends Error {
  override readonly name = 'UnusableFileError';
}

/**
 * Stream a transactions CSV and sort each row into its transaction-date partition, or into
 * quarantine with the reason. Malformed CSV lines (unbalanced quotes) are quarantined, not fatal.
 */
export async function partitionTransactions(input: Readable): Promise<PartitionResult> {
  const parser = input.pipe(
    parse({ relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, info: true, bom: true }),
  );
  const partitions = new Map<string, DatePartition>();
  const quarantined: QuarantinedRow[] = [];
  let malformed = 0;
  parser.on('skip', (err: Error & { lines?: number; raw?: string }) => {
    malformed++;
    quarantined.push({ line: err.lines ?? -1, reason: `malformed CSV: ${err.message}`, fields: [err.raw ?? ''] });
  });
  let header: string[] | undefined;
  let rowsRead = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (header === undefined) {
      header = record.map((h) => h.trim());
      if (header.join(',') !== TRANSACTION_COLUMNS.join(',')) {
        throw new UnusableFileError(
          `header is "${header.join(',').slice(0, 200)}", expected "${TRANSACTION_COLUMNS.join(',')}"`,
        );
      }
      continue;
    }
    rowsRead++;
    const outcome = classifyRow(record);
    if (!outcome.ok) {
      quarantined.push({ line: info.lines, reason: outcome.reason, fields: record });
      continue;
    }
    const { dt } = partitionOf(outcome.epochMs);
    let partition = partitions.get(dt);
    if (!partition) {
      partition = { dt, lines: [], minMs: outcome.epochMs, maxMs: outcome.epochMs };
      partitions.set(dt, partition);
    }
    partition.lines.push(toCsvLine(record));
    partition.minMs = Math.min(partition.minMs, outcome.epochMs);
    partition.maxMs = Math.max(partition.maxMs, outcome.epochMs);
  }
  if (header === undefined) throw new UnusableFileError('file is empty');
  return { partitions, quarantined, rowsRead: rowsRead + malformed };
}
