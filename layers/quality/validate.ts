import type { Readable } from 'node:stream';
import { type CsvRecordReader, csvTableRows, readCsvRecords } from '../util/csv-records';
import { nonEmptyLines } from '../util/lines';
import { compileLane } from './byte-lane';
import {
  type CheckResult,
  columnsOfChecks,
  type Row,
  type RowView,
  type SuiteOptions,
  SuiteRun,
  UNREADABLE,
} from './checks';
import { PackedKeySet } from './first-seen';
import { type Profile, Profiler } from './profile';
import type { DatasetSuite, QualityDataset } from './suites';

export interface ValidationResult {
  readonly dataset: QualityDataset;
  readonly source: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly rows: number;
  /** Rows failing at least one critical row-level check (they belong in quarantine). */
  readonly badRows: number;
  /** All critical checks passed: the dataset version may be used for training. */
  readonly passed: boolean;
  readonly failedCritical: string[];
  readonly failedWarnings: string[];
  /** Set when the input could not be evaluated at all (wrong columns, not the format). */
  readonly unusable?: string;
  readonly checks: CheckResult[];
  readonly profile: Profile;
}

export interface ValidateOptions extends SuiteOptions {
  /** Where the data came from (a path or an S3 key), for the report. */
  readonly source: string;
  /** Called for every row that fails a critical row-level check. */
  readonly onBadRow?: (row: number, record: Row, reasons: readonly string[]) => void;
}

/**
 * How much of a local file to read at a time: with 64 KiB reads the byte lane waited for the next
 * chunk (docs/decisions/027-validation-byte-lane.md).
 */
export const FILE_READ_BYTES = 1024 * 1024;

/** Evaluate a dataset's suite over a stream in one pass; memory stays bounded by the key sets. */
export async function validateStream(
  input: Readable,
  suite: DatasetSuite,
  options: ValidateOptions,
): Promise<ValidationResult> {
  const started = new Date();
  const t0 = performance.now();
  const run = new SuiteRun(suite.checks, options);
  const profiler = new Profiler(suite.profile);
  const compiled = options.compiled ?? true;
  let view: RowView | undefined;
  const evaluate = (row: RowView) => {
    const verdict = run.evaluate(row);
    profiler.row(row);
    if (verdict.reasons.length > 0) options.onBadRow?.(run.rows, row.object(), verdict.reasons);
  };
  let unusable: string | undefined;
  if (suite.format === 'csv') {
    unusable = await readCsv(
      input,
      (header, reader) => {
        const problem = run.header(header);
        view = run.rowView;
        profiler.bind(header);
        // Plain lines that pass are taken straight from the bytes (docs/decisions/027-validation-byte-lane.md).
        if (!problem && compiled) reader.lane = compileLane(run, profiler, view);
        return problem;
      },
      (fields, raw) => {
        const row = view as RowView;
        row.setFields(fields, raw);
        evaluate(row);
      },
      (record) => {
        const row = view as RowView;
        row.setObject(record);
        evaluate(row);
      },
      compiled,
    );
  } else {
    const columns = [...new Set([...suite.profile.columns, ...columnsOfChecks(suite.checks)])];
    const row = run.bind(columns);
    profiler.bind(columns);
    await readJsonLines(input, (record) => {
      row.setObject(record);
      evaluate(row);
    });
  }
  const checks = run.finish();
  const failedCritical = checks.filter((c) => !c.passed && c.severity === 'critical').map((c) => c.id);
  return {
    dataset: suite.dataset,
    source: options.source,
    startedAt: started.toISOString(),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    rows: run.rows,
    badRows: run.badRows,
    passed: failedCritical.length === 0 && unusable === undefined,
    failedCritical,
    failedWarnings: checks.filter((c) => !c.passed && c.severity === 'warning').map((c) => c.id),
    ...(unusable ? { unusable } : {}),
    checks,
    profile: profiler.finish(),
  };
}

/**
 * Returns the header problem when the columns are wrong (then no row is read). A record read whole
 * goes to `onFields`; one that could not be read goes to `onObject` as a row object carrying its
 * reason, line and exact text, for the quarantine (as does every record when not `compiled`).
 */
async function readCsv(
  input: Readable,
  onHeader: (columns: string[], reader: CsvRecordReader) => string | undefined,
  onFields: (fields: string[], raw: string) => void,
  onObject: (row: Row) => void,
  compiled: boolean,
): Promise<string | undefined> {
  let columns: string[] | undefined;
  let problem: string | undefined;
  await readCsvRecords(input, (record, reader) => {
    if (columns === undefined) {
      columns = (record.ok ? record.fields : record.raw.split(',')).map((f) => f.trim());
      problem = onHeader(columns, reader);
      if (problem) return false;
      reader.expectedFields = columns.length;
      return undefined;
    }
    if (record.ok && compiled) {
      onFields(record.fields, record.raw);
      return undefined;
    }
    const fields = record.fields;
    const row: Record<string, unknown> = {};
    if (fields) for (let i = 0; i < columns.length; i++) row[columns[i] as string] = fields[i];
    if (!record.ok) {
      // A record that cannot be read keeps its line and exact text, for the quarantine.
      row[UNREADABLE] = record.reason;
      row.__line = record.line;
      row.__raw = record.raw;
      if (record.rawBase64 !== undefined) row.__rawBase64 = record.rawBase64;
    }
    onObject(row);
    return undefined;
  });
  if (columns === undefined) return 'the file is empty';
  return problem;
}

async function readJsonLines(input: Readable, onRow: (row: Row) => void): Promise<void> {
  for await (const line of nonEmptyLines(input)) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      onRow({ [UNREADABLE]: `not valid JSON: ${(err as Error).message}` });
      continue;
    }
    onRow(
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Row)
        : { [UNREADABLE]: 'not a JSON object' },
    );
  }
}

/**
 * The keys in one column of a CSV (for referential checks), streamed into a packed key set: a lookup
 * touches two typed arrays, not a key string somewhere on the heap.
 */
export async function loadKeys(input: Readable, column: string): Promise<PackedKeySet> {
  const keys: string[] = [];
  let checked = false;
  for await (const row of csvTableRows(input, () => undefined)) {
    if (!checked) {
      checked = true;
      if (row[column] === undefined) throw new Error(`reference file has no ${column} column`);
    }
    const key = row[column]?.trim();
    if (key) keys.push(key);
  }
  return new PackedKeySet(keys);
}
