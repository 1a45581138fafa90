import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { PartitionSpool, type SpooledFile } from '../lake/spool';
import { toCsvLine } from '../transactions/schema';
import { parseCsvRow } from '../util/csv-fields';
import { columnsOf, MASTER_ENTITIES, type MasterEntity } from './schema';

export interface MasterResult {
  /** The valid rows, header first, as a CSV file; undefined when no row is valid. */
  readonly rows: SpooledFile | undefined;
  /** JSON Lines of the rejected rows with their reasons; undefined when none. */
  readonly quarantine: SpooledFile | undefined;
  readonly rowsRead: number;
}

export class UnusableMasterFileError extends Error {
  override readonly name = 'UnusableMasterFileError';
}

/**
 * Stream a catalog or customers CSV: each row is validated with the entity's zod schema; invalid
 * rows and repeated keys (the first occurrence wins) go to quarantine with the reason.
 */
export async function validateMasterFile(
  input: Readable,
  entity: MasterEntity,
  workDir: string,
): Promise<MasterResult> {
  const columns = columnsOf(entity);
  const { schema, key } = MASTER_ENTITIES[entity];
  const header = columns.join(',');
  const rows = new PartitionSpool(`${workDir}/rows`, header);
  const rejects = new PartitionSpool(`${workDir}/quarantine`);
  const firstRowOf = new Map<string, number>();
  let row = 0;
  let seenHeader = false;
  const reject = (reason: string, fields: readonly string[]) =>
    rejects.append('quarantine', JSON.stringify({ row, reason, fields }));
  const parser = input.pipe(
    parse({ relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, bom: true }),
  );
  parser.on('skip', (err: Error & { raw?: string }) => {
    row++;
    reject(`malformed CSV: ${err.message}`, [err.raw ?? '']);
  });
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!seenHeader) {
        seenHeader = true;
        const found = record.map((h) => h.trim()).join(',');
        if (found !== header)
          throw new UnusableMasterFileError(`header is "${found.slice(0, 200)}", expected "${header}"`);
        continue;
      }
      row++;
      const parsed = parseCsvRow(schema, columns, record);
      if (!parsed.ok) {
        reject(parsed.reason, record);
        continue;
      }
      const id = (parsed.value as Record<string, unknown>)[key] as string;
      const first = firstRowOf.get(id);
      if (first !== undefined) {
        reject(`duplicate ${key} "${id}" (first at row ${first})`, record);
        continue;
      }
      firstRowOf.set(id, row);
      rows.append('rows', toCsvLine(record.map((f) => f.trim())));
    }
    if (!seenHeader) throw new UnusableMasterFileError('file is empty');
  } catch (err) {
    rows.dispose();
    rejects.dispose();
    throw err;
  }
  const [valid] = rows.close();
  const [quarantine] = rejects.close();
  return { rows: valid, quarantine, rowsRead: row };
}
