import type { Readable } from 'node:stream';
import { csvTableRows, readCsvRecords } from '../util/csv-records';
import { nonEmptyLines } from '../util/lines';
import { type CheckResult, type Row, type RunContext, SuiteRun, UNREADABLE } from './checks';
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

export interface ValidateOptions extends RunContext {
  /** Where the data came from (a path or an S3 key), for the report. */
  readonly source: string;
  /** Called for every row that fails a critical row-level check. */
  readonly onBadRow?: (row: number, record: Row, reasons: string[]) => void;
}

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
  let unusable: string | undefined;
  const handle = (record: Row) => {
    const verdict = run.row(record);
    profiler.row(record);
    if (verdict.reasons.length > 0) options.onBadRow?.(run.rows, record, verdict.reasons);
  };
  if (suite.format === 'csv') {
    unusable = await readCsv(input, (header) => run.header(header), handle);
  } else {
    await readJsonLines(input, handle);
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

/** Returns the header problem when the columns are wrong (then no row is read). */
async function readCsv(
  input: Readable,
  onHeader: (columns: string[]) => string | undefined,
  onRow: (row: Row) => void,
): Promise<string | undefined> {
  let columns: string[] | undefined;
  let problem: string | undefined;
  await readCsvRecords(input, (record, reader) => {
    if (columns === undefined) {
      columns = (record.ok ? record.fields : record.raw.split(',')).map((f) => f.trim());
      problem = onHeader(columns);
      if (problem) return false;
      reader.expectedFields = columns.length;
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
    onRow(row);
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

/** The keys in one column of a CSV (for referential checks), streamed. */
export async function loadKeys(input: Readable, column: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let checked = false;
  for await (const row of csvTableRows(input, () => undefined)) {
    if (!checked) {
      checked = true;
      if (row[column] === undefined) throw new Error(`reference file has no ${column} column`);
    }
    const key = row[column]?.trim();
    if (key) keys.add(key);
  }
  return keys;
}
