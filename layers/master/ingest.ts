import type { Readable } from 'node:stream';
import { PartitionSpool, type SpooledFile } from '../lake/spool';
import { parseCsvRow } from '../util/csv-fields';
import { type ReadCsvOptions, readCsvRecords, rejectedLine } from '../util/csv-records';
import { toCsvLine } from '../util/csv-write';
import { columnsOf, MASTER_ENTITIES, type MasterEntity } from './schema';

export interface MasterResult {
  /** The valid rows, header first, as a CSV file; undefined when no row is valid. */
  readonly rows: SpooledFile | undefined;
  /** JSON Lines of the rejected rows with their line, reason and raw text; undefined when none. */
  readonly quarantine: SpooledFile | undefined;
  /** Data records read (accepted or not), the header excluded. */
  readonly rowsRead: number;
}

export class UnusableMasterFileError extends Error {
  override readonly name = 'UnusableMasterFileError';
}

/**
 * Stream a catalog or customers CSV: each row is validated with the entity's zod schema; invalid
 * rows and repeated keys (the first occurrence wins) go to quarantine with the line number, the
 * reason and the row's exact text. A row that cannot be parsed costs only itself.
 */
export async function validateMasterFile(
  input: Readable,
  entity: MasterEntity,
  workDir: string,
  options: Pick<ReadCsvOptions, 'encoding'> = {},
): Promise<MasterResult> {
  const columns = columnsOf(entity);
  const { schema, key } = MASTER_ENTITIES[entity];
  const header = columns.join(',');
  const rows = new PartitionSpool(`${workDir}/rows`, header);
  const rejects = new PartitionSpool(`${workDir}/quarantine`);
  const firstLineOf = new Map<string, number>();
  let rowsRead = 0;
  let found: string | undefined;
  try {
    await readCsvRecords(
      input,
      (record, reader) => {
        if (found === undefined) {
          found = record.ok ? record.fields.map((h) => h.trim()).join(',') : record.raw;
          if (found !== header) return false;
          reader.expectedFields = columns.length;
          return undefined;
        }
        rowsRead++;
        if (!record.ok) {
          rejects.append('quarantine', rejectedLine(record));
          return undefined;
        }
        const parsed = parseCsvRow(schema, columns, record.fields);
        if (!parsed.ok) {
          rejects.append('quarantine', rejectedLine({ ...record, ok: false, reason: parsed.reason }));
          return undefined;
        }
        const id = (parsed.value as Record<string, unknown>)[key] as string;
        const first = firstLineOf.get(id);
        if (first !== undefined) {
          const reason = `duplicate ${key} "${id}" (first on line ${first})`;
          rejects.append('quarantine', rejectedLine({ ...record, ok: false, reason }));
          return undefined;
        }
        firstLineOf.set(id, record.line);
        rows.append('rows', toCsvLine(record.fields.map((f) => f.trim())));
        return undefined;
      },
      options,
    );
    if (found === undefined) throw new UnusableMasterFileError('file is empty');
    if (found !== header) throw new UnusableMasterFileError(`header is "${found.slice(0, 200)}", expected "${header}"`);
  } catch (err) {
    rows.dispose();
    rejects.dispose();
    throw err;
  }
  const [valid] = rows.close();
  const [quarantine] = rejects.close();
  return { rows: valid, quarantine, rowsRead };
}
