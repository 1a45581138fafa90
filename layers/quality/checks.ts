/**
 * A declarative data-quality check library (in the spirit of Great Expectations / Glue Data Quality
 * rules): each dataset declares a suite of checks next to its zod schema, and `SuiteRun` evaluates a
 * suite over rows in one streaming pass with bounded memory (uniqueness keeps a set of keys).
 * Every check has a severity and a `mostly` tolerance: it passes when at least that share of the
 * rows it looks at pass.
 */
import type { z } from 'zod';

export type Severity = 'critical' | 'warning';
export type Row = Readonly<Record<string, unknown>>;

interface Base {
  readonly id: string;
  readonly severity: Severity;
  /** Share of evaluated rows that must pass (0..1). @default 1 */
  readonly mostly?: number;
  readonly description?: string;
}

export type CheckSpec = Base &
  (
    | { readonly kind: 'columns'; readonly expected: readonly string[] }
    | { readonly kind: 'schema'; readonly schema: z.ZodObject }
    | { readonly kind: 'completeness'; readonly column: string }
    | { readonly kind: 'unique'; readonly column: string }
    | { readonly kind: 'uniqueRows' }
    | {
        readonly kind: 'range';
        readonly column: string;
        readonly min?: number;
        readonly max?: number;
        readonly integer?: boolean;
      }
    | { readonly kind: 'set'; readonly column: string; readonly values: readonly string[] }
    | { readonly kind: 'pattern'; readonly column: string; readonly pattern: RegExp; readonly patternName: string }
    | { readonly kind: 'timestamp'; readonly column: string; readonly parse: (value: string) => number }
    | { readonly kind: 'referential'; readonly column: string; readonly reference: string }
    | {
        readonly kind: 'freshness';
        readonly column: string;
        readonly parse: (value: string) => number;
        readonly maxAgeHours: number;
      }
    | { readonly kind: 'rowCount' }
  );

export interface Example {
  readonly row: number;
  readonly value: string;
  readonly reason: string;
}

export interface CheckResult {
  readonly id: string;
  readonly kind: CheckSpec['kind'];
  readonly column?: string;
  readonly severity: Severity;
  readonly description: string;
  readonly passed: boolean;
  /** What was measured: a pass rate, a count, an age, a row count. */
  readonly observed: number | string | null;
  readonly threshold: string;
  readonly evaluated: number;
  readonly failures: number;
  readonly examples: Example[];
}

export interface RunContext {
  /** Reference key sets for referential checks, by name (`catalog`, `customers`). */
  readonly references?: Readonly<Record<string, ReadonlySet<string>>>;
  /** Records the manifest says the object holds (rowCount check). */
  readonly expectedRows?: number;
  readonly now?: Date;
  /** Keep at most this many failing examples per check. @default 20 */
  readonly maxExamples?: number;
}

/** A reader marks a record it could not parse with this field (its reason); the schema check fails it. */
export const UNREADABLE = '__unreadable';

const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
const missing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** One evaluator per check; `row` returns a failure reason or undefined. */
interface Evaluator {
  readonly spec: CheckSpec;
  readonly rowLevel: boolean;
  evaluated: number;
  failures: number;
  readonly examples: Example[];
  row?(row: Row, index: number): string | undefined;
  finish(rows: number): { passed?: boolean; observed: number | string | null; threshold: string };
}

function rateOutcome(e: Evaluator, mostly: number) {
  const rate = e.evaluated === 0 ? 1 : (e.evaluated - e.failures) / e.evaluated;
  return { passed: rate >= mostly, observed: Number(rate.toFixed(6)), threshold: `≥ ${mostly} of rows` };
}

/** A row-level check of one column's present values: missing values pass (completeness reports them). */
function valueCheck(
  spec: CheckSpec,
  column: string,
  mostly: number,
  test: (value: unknown) => string | undefined,
): Evaluator {
  return {
    spec,
    evaluated: 0,
    failures: 0,
    examples: [],
    rowLevel: true,
    row: (row) => {
      const v = row[column];
      return missing(v) ? undefined : test(v);
    },
    finish() {
      return rateOutcome(this, mostly);
    },
  };
}

function evaluatorFor(spec: CheckSpec, ctx: RunContext): Evaluator {
  const mostly = spec.mostly ?? 1;
  const base = { spec, evaluated: 0, failures: 0, examples: [] as Example[] };
  switch (spec.kind) {
    case 'columns':
      // Evaluated against the header by SuiteRun.header().
      return { ...base, rowLevel: false, finish: () => ({ observed: null, threshold: spec.expected.join(',') }) };
    case 'schema': {
      const fields = (Object.entries(spec.schema.shape) as [string, z.ZodType][]).map(([name, field]) => ({
        name,
        field,
        cache: new VerdictCache(),
      }));
      return {
        ...base,
        rowLevel: true,
        row: (row) => {
          if (typeof row[UNREADABLE] === 'string') return row[UNREADABLE] as string;
          for (const f of fields) {
            const value = row[f.name];
            let verdict = f.cache.get(value);
            if (verdict === undefined) {
              const parsed = f.field.safeParse(value);
              verdict = parsed.success ? null : `${f.name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
              f.cache.set(value, verdict);
            }
            if (verdict !== null) return verdict;
          }
          return undefined;
        },
        finish() {
          return rateOutcome(this, mostly);
        },
      };
    }
    case 'completeness':
      return {
        ...base,
        rowLevel: true,
        row: (row) => (missing(row[spec.column]) ? `${spec.column} is missing` : undefined),
        finish() {
          return rateOutcome(this, mostly);
        },
      };
    case 'unique': {
      const firstRow = new Map<string, number>();
      return {
        ...base,
        rowLevel: true,
        row: (row, index) => {
          const key = text(row[spec.column]);
          if (key === '') return undefined; // completeness reports missing keys
          const first = firstRow.get(key);
          if (first !== undefined) return `duplicate ${spec.column} "${key}" (first at row ${first})`;
          firstRow.set(key, index);
          return undefined;
        },
        finish() {
          return { ...rateOutcome(this, mostly), observed: this.failures, threshold: 'no duplicate keys' };
        },
      };
    }
    case 'uniqueRows': {
      // A 53-bit hash per row keeps memory at ~16 bytes a row; a false "duplicate" needs a hash
      // collision (about 1 in 10^4 over a million rows), and then only costs a warning.
      const seen = new Set<number>();
      return {
        ...base,
        rowLevel: true,
        row: (row) => {
          let key = '';
          for (const k in row) key += `${text(row[k])}\u0001`;
          const digest = cyrb53(key);
          if (seen.has(digest)) return 'duplicate row';
          seen.add(digest);
          return undefined;
        },
        finish() {
          return {
            ...rateOutcome(this, mostly),
            observed: this.failures,
            threshold: mostly === 1 ? 'no duplicate rows' : `≥ ${mostly} of rows unique`,
          };
        },
      };
    }
    case 'range':
      return valueCheck(spec, spec.column, mostly, (raw) => {
        const n = typeof raw === 'number' ? raw : Number(text(raw).trim());
        if (!Number.isFinite(n)) return `${spec.column} "${text(raw)}" is not a number`;
        if (spec.integer && !Number.isInteger(n)) return `${spec.column} ${n} is not a whole number`;
        if (spec.min !== undefined && n < spec.min) return `${spec.column} ${n} is below ${spec.min}`;
        if (spec.max !== undefined && n > spec.max) return `${spec.column} ${n} is above ${spec.max}`;
        return undefined;
      });
    case 'set': {
      const allowed = new Set(spec.values);
      return valueCheck(spec, spec.column, mostly, (v) =>
        allowed.has(text(v)) ? undefined : `${spec.column} "${text(v)}" is not one of ${spec.values.join(', ')}`,
      );
    }
    case 'pattern':
      return valueCheck(spec, spec.column, mostly, (v) =>
        spec.pattern.test(text(v)) ? undefined : `${spec.column} "${text(v).slice(0, 60)}" is not ${spec.patternName}`,
      );
    case 'timestamp':
      return valueCheck(spec, spec.column, mostly, (v) =>
        Number.isFinite(spec.parse(text(v)))
          ? undefined
          : `${spec.column} "${text(v).slice(0, 40)}" is not a valid timestamp`,
      );
    case 'referential': {
      const keys = ctx.references?.[spec.reference];
      return {
        ...base,
        rowLevel: keys !== undefined,
        row: keys
          ? (row) => {
              const v = row[spec.column];
              if (missing(v)) return undefined;
              return keys.has(text(v)) ? undefined : `${spec.column} "${text(v)}" is not in ${spec.reference}`;
            }
          : undefined,
        finish() {
          if (!keys)
            return { passed: undefined, observed: null, threshold: `${spec.reference} not available: not evaluated` };
          return rateOutcome(this, mostly);
        },
      };
    }
    case 'freshness': {
      let newest = Number.NEGATIVE_INFINITY;
      return {
        ...base,
        rowLevel: false,
        row: (row) => {
          const v = row[spec.column];
          if (!missing(v)) {
            const t = spec.parse(text(v));
            if (Number.isFinite(t) && t > newest) newest = t;
          }
          return undefined;
        },
        finish: () => {
          const now = (ctx.now ?? new Date()).getTime();
          if (!Number.isFinite(newest))
            return { passed: false, observed: null, threshold: `newest row ≤ ${spec.maxAgeHours} h old` };
          const ageHours = (now - newest) / 3_600_000;
          return {
            passed: ageHours <= spec.maxAgeHours,
            observed: Number(ageHours.toFixed(2)),
            threshold: `newest row ≤ ${spec.maxAgeHours} h old`,
          };
        },
      };
    }
    case 'rowCount':
      return {
        ...base,
        rowLevel: false,
        finish: (rows) =>
          ctx.expectedRows === undefined
            ? { passed: undefined, observed: rows, threshold: 'no manifest: not evaluated' }
            : { passed: rows === ctx.expectedRows, observed: rows, threshold: `= ${ctx.expectedRows} (manifest)` },
      };
  }
}

function describe(spec: CheckSpec): string {
  if (spec.description) return spec.description;
  switch (spec.kind) {
    case 'columns':
      return 'expected columns, in order';
    case 'schema':
      return 'every field has its type';
    case 'completeness':
      return `${spec.column} is present`;
    case 'unique':
      return `${spec.column} is unique`;
    case 'uniqueRows':
      return 'no duplicate rows';
    case 'range':
      return `${spec.column} within [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]${spec.integer ? ', whole' : ''}`;
    case 'set':
      return `${spec.column} in {${spec.values.join(', ')}}`;
    case 'pattern':
      return `${spec.column} is ${spec.patternName}`;
    case 'timestamp':
      return `${spec.column} is a valid timestamp`;
    case 'referential':
      return `${spec.column} exists in ${spec.reference}`;
    case 'freshness':
      return `newest ${spec.column} within ${spec.maxAgeHours} h`;
    case 'rowCount':
      return 'row count matches the manifest';
  }
}

export interface RowVerdict {
  /** Reasons from failing row-level critical checks: the row should be quarantined. */
  readonly reasons: string[];
}

/** Evaluates a suite over a stream of rows. */
export class SuiteRun {
  private readonly evaluators: Evaluator[];
  private readonly maxExamples: number;
  private headerProblem: string | undefined;
  rows = 0;
  badRows = 0;

  constructor(
    readonly checks: readonly CheckSpec[],
    ctx: RunContext = {},
  ) {
    this.evaluators = checks.map((c) => evaluatorFor(c, ctx));
    this.maxExamples = ctx.maxExamples ?? 20;
  }

  /** Check the header (CSV datasets); returns the problem, if any. */
  header(columns: readonly string[]): string | undefined {
    for (const e of this.evaluators) {
      if (e.spec.kind !== 'columns') continue;
      const expected = e.spec.expected.join(',');
      const found = columns.join(',');
      if (found !== expected) {
        this.headerProblem = `columns are "${found.slice(0, 200)}", expected "${expected}"`;
        e.failures = 1;
        e.examples.push({ row: 0, value: found.slice(0, 200), reason: this.headerProblem });
      }
      e.evaluated = 1;
    }
    return this.headerProblem;
  }

  /** Evaluate one row (1-based index); returns the reasons it should be quarantined. */
  row(row: Row, index = this.rows + 1): RowVerdict {
    this.rows++;
    const reasons: string[] = [];
    for (const e of this.evaluators) {
      if (!e.row) continue;
      const failure = e.row(row, index);
      if (e.rowLevel) e.evaluated++;
      if (failure === undefined) continue;
      e.failures++;
      if (e.examples.length < this.maxExamples)
        e.examples.push({ row: index, value: exampleValue(e.spec, row), reason: failure });
      if (e.spec.severity === 'critical' && e.rowLevel) reasons.push(failure);
    }
    if (reasons.length > 0) this.badRows++;
    return { reasons };
  }

  finish(): CheckResult[] {
    return this.evaluators.map((e) => {
      const outcome = e.finish(this.rows);
      const passed = e.spec.kind === 'columns' ? e.failures === 0 : (outcome.passed ?? true);
      return {
        id: e.spec.id,
        kind: e.spec.kind,
        ...('column' in e.spec ? { column: e.spec.column } : {}),
        severity: e.spec.severity,
        description: describe(e.spec),
        passed,
        observed: outcome.observed,
        threshold: outcome.threshold,
        evaluated: e.evaluated,
        failures: e.failures,
        examples: e.examples,
      };
    });
  }
}

function exampleValue(spec: CheckSpec, row: Row): string {
  if ('column' in spec) return text(row[spec.column]).slice(0, 200);
  return JSON.stringify(row).slice(0, 200);
}

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain, bryc). */
function cyrb53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Wrap a parser so repeated calls with the same value (several checks on one field) parse once. */
export function memoLast<T>(fn: (value: string) => T): (value: string) => T {
  let lastIn: string | undefined;
  let lastOut: T;
  return (value: string) => {
    if (value !== lastIn) {
      lastIn = value;
      lastOut = fn(value);
    }
    return lastOut;
  };
}

/**
 * Remembers a field's verdict per string value while that pays: ids, prices and ratings repeat, so
 * most rows skip zod; a field of unique values (timestamps, transaction ids) stops caching after a
 * trial of 20,000 lookups with a hit rate under a half.
 */
class VerdictCache {
  private readonly verdicts = new Map<string, string | null>();
  private lookups = 0;
  private hits = 0;
  private enabled = true;

  get(value: unknown): string | null | undefined {
    if (!this.enabled || typeof value !== 'string') return undefined;
    this.lookups++;
    const verdict = this.verdicts.get(value);
    if (verdict !== undefined) this.hits++;
    if (this.lookups === 20_000 && this.hits < 10_000) {
      this.enabled = false;
      this.verdicts.clear();
    }
    return verdict;
  }

  set(value: unknown, verdict: string | null): void {
    if (!this.enabled || typeof value !== 'string' || value.length > 64) return;
    if (this.verdicts.size >= 100_000) this.verdicts.clear();
    this.verdicts.set(value, verdict);
  }
}
