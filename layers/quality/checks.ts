/**
 * A declarative data-quality check library (in the spirit of Great Expectations / Glue Data Quality
 * rules): each dataset declares a suite of checks next to its zod schema, and `SuiteRun` evaluates a
 * suite over rows in one streaming pass with bounded memory (uniqueness keeps a set of keys).
 * Every check has a severity and a `mostly` tolerance: it passes when at least that share of the
 * rows it looks at pass.
 */
import type { z } from 'zod';
import { acceptanceOf } from '../util/csv-fields';
import { FirstSeen } from './first-seen';

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

/** A reference dataset's keys, as referential checks look them up (a Set, or loadKeys' packed set). */
export interface KeyLookup {
  has(key: string): boolean;
}

export interface RunContext {
  /** Reference key sets for referential checks, by name (`catalog`, `customers`). */
  readonly references?: Readonly<Record<string, KeyLookup>>;
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

/** Absent, or only whitespace. */
export function missing(v: unknown): boolean {
  if (typeof v !== 'string') return v === undefined || v === null;
  if (v.length === 0) return true;
  const first = v.charCodeAt(0);
  // A visible ASCII character first: not blank, without trimming.
  return !(first > 32 && first < 127) && v.trim() === '';
}

const NO_VALUES: readonly unknown[] = [];
const INDEX_LIKE = /^(0|[1-9]\d*)$/;

/**
 * One row as the checks see it: its values by column position, and the whole row (column → value)
 * only when something needs it (an example, a quarantined row). A CSV record is checked straight
 * from its fields; a JSON object, or a CSV record that could not be read, from its object.
 * docs/decisions/018-compiled-validation.md
 */
export class RowView {
  values: readonly unknown[] = NO_VALUES;
  unreadable: string | undefined;
  private object_: Row | undefined;
  /** The record's exact text when it is its values joined by commas (read without quoting). */
  private plain: string | undefined;
  /** A row's own keys iterate in column order (no duplicate or index-like names). */
  readonly columnOrder: boolean;
  private readonly scratch: unknown[];

  constructor(
    readonly columns: readonly string[],
    private readonly compiled = true,
  ) {
    this.columnOrder = new Set(columns).size === columns.length && !columns.some((c) => INDEX_LIKE.test(c));
    this.scratch = new Array(columns.length);
  }

  /** A CSV record read whole, with one field per column; `raw` is its text. */
  setFields(fields: readonly string[], raw: string): void {
    this.values = fields;
    this.unreadable = undefined;
    this.object_ = undefined;
    this.plain = undefined;
    if (this.compiled && this.columnOrder) {
      let length = fields.length - 1;
      for (let i = 0; i < fields.length; i++) length += (fields[i] as string).length;
      if (length === raw.length) this.plain = raw;
    }
  }

  /** A row as an object: a JSON line, or a CSV record with its reading problem. */
  setObject(row: Row): void {
    const values = this.scratch;
    for (let i = 0; i < this.columns.length; i++) values[i] = row[this.columns[i] as string];
    this.values = values;
    const unreadable = row[UNREADABLE];
    this.unreadable = typeof unreadable === 'string' ? unreadable : undefined;
    this.object_ = row;
    this.plain = undefined;
  }

  /** The whole row, column → value (as a CSV row object: the last of two same-named columns wins). */
  object(): Row {
    if (this.object_ === undefined) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < this.columns.length; i++) row[this.columns[i] as string] = this.values[i];
      this.object_ = row;
    }
    return this.object_;
  }

  /** A 53-bit digest of the row's values in key order, for duplicate-row detection. */
  digest(): number {
    if (this.plain !== undefined) return cyrb53Fields(this.plain);
    const row = this.object();
    let key = '';
    for (const k in row) key += `${text(row[k])}\u0001`;
    return cyrb53(key);
  }
}

/**
 * One evaluator per check; `row` returns a failure reason or undefined. The state a check keeps
 * across rows is on the evaluator, where the byte lane (layers/quality/byte-lane.ts) shares it.
 */
export interface Evaluator {
  readonly spec: CheckSpec;
  readonly rowLevel: boolean;
  evaluated: number;
  failures: number;
  readonly examples: Example[];
  row?(row: RowView, index: number): string | undefined;
  finish(rows: number): { passed?: boolean; observed: number | string | null; threshold: string };
  /** unique: first rows by key */
  readonly seen?: FirstSeen;
  /** uniqueRows: the rows' digests */
  readonly digests?: DigestSet;
  /** referential: the reference's keys, when given */
  readonly keys?: KeyLookup;
  /** freshness: the newest instant seen */
  newest?: number;
}

function rateOutcome(e: Evaluator, mostly: number) {
  const rate = e.evaluated === 0 ? 1 : (e.evaluated - e.failures) / e.evaluated;
  return { passed: rate >= mostly, observed: Number(rate.toFixed(6)), threshold: `≥ ${mostly} of rows` };
}

/** A row-level check of one column's present values: missing values pass (completeness reports them). */
function valueCheck(
  spec: CheckSpec,
  at: number,
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
      const v = row.values[at];
      return missing(v) ? undefined : test(v);
    },
    finish() {
      return rateOutcome(this, mostly);
    },
  };
}

interface EvaluatorContext extends RunContext {
  /** Position of a column in the row's values (beyond the end when the rows do not have it). */
  readonly at: (column: string) => number;
  readonly compiled: boolean;
}

function evaluatorFor(spec: CheckSpec, ctx: EvaluatorContext): Evaluator {
  const mostly = spec.mostly ?? 1;
  const base = { spec, evaluated: 0, failures: 0, examples: [] as Example[] };
  switch (spec.kind) {
    case 'columns':
      // Evaluated against the header by SuiteRun.header().
      return { ...base, rowLevel: false, finish: () => ({ observed: null, threshold: spec.expected.join(',') }) };
    case 'schema': {
      const fields = (Object.entries(spec.schema.shape) as [string, z.ZodType][]).map(([name, field]) => ({
        name,
        at: ctx.at(name),
        field,
        accepts: ctx.compiled ? acceptanceOf(field) : undefined,
        cache: new VerdictCache(),
      }));
      return {
        ...base,
        rowLevel: true,
        row: (row) => {
          if (row.unreadable !== undefined) return row.unreadable;
          for (const f of fields) {
            const value = row.values[f.at];
            if (f.accepts !== undefined && typeof value === 'string' && f.accepts(value)) continue;
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
    case 'completeness': {
      const at = ctx.at(spec.column);
      return {
        ...base,
        rowLevel: true,
        row: (row) => (missing(row.values[at]) ? `${spec.column} is missing` : undefined),
        finish() {
          return rateOutcome(this, mostly);
        },
      };
    }
    case 'unique': {
      const at = ctx.at(spec.column);
      const seen = new FirstSeen();
      return {
        ...base,
        rowLevel: true,
        seen,
        row: (row, index) => {
          const key = text(row.values[at]);
          if (key === '') return undefined; // completeness reports missing keys
          const first = seen.firstOrAdd(key, index);
          return first < 0 ? undefined : `duplicate ${spec.column} "${key}" (first at row ${first})`;
        },
        finish() {
          return { ...rateOutcome(this, mostly), observed: this.failures, threshold: 'no duplicate keys' };
        },
      };
    }
    case 'uniqueRows': {
      // A 53-bit digest per row keeps memory at 8 bytes a row; a false "duplicate" needs a digest
      // collision (about 1 in 10^4 over a million rows), and then only costs a warning.
      const digests = new DigestSet();
      return {
        ...base,
        rowLevel: true,
        digests,
        row: (row) => (digests.add(row.digest()) ? undefined : 'duplicate row'),
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
      return valueCheck(spec, ctx.at(spec.column), mostly, (raw) => {
        const n = typeof raw === 'number' ? raw : Number(text(raw).trim());
        if (!Number.isFinite(n)) return `${spec.column} "${text(raw)}" is not a number`;
        if (spec.integer && !Number.isInteger(n)) return `${spec.column} ${n} is not a whole number`;
        if (spec.min !== undefined && n < spec.min) return `${spec.column} ${n} is below ${spec.min}`;
        if (spec.max !== undefined && n > spec.max) return `${spec.column} ${n} is above ${spec.max}`;
        return undefined;
      });
    case 'set': {
      const allowed = new Set(spec.values);
      return valueCheck(spec, ctx.at(spec.column), mostly, (v) =>
        allowed.has(text(v)) ? undefined : `${spec.column} "${text(v)}" is not one of ${spec.values.join(', ')}`,
      );
    }
    case 'pattern':
      return valueCheck(spec, ctx.at(spec.column), mostly, (v) =>
        spec.pattern.test(text(v)) ? undefined : `${spec.column} "${text(v).slice(0, 60)}" is not ${spec.patternName}`,
      );
    case 'timestamp':
      return valueCheck(spec, ctx.at(spec.column), mostly, (v) =>
        Number.isFinite(spec.parse(text(v)))
          ? undefined
          : `${spec.column} "${text(v).slice(0, 40)}" is not a valid timestamp`,
      );
    case 'referential': {
      const keys = ctx.references?.[spec.reference];
      const at = ctx.at(spec.column);
      return {
        ...base,
        rowLevel: keys !== undefined,
        ...(keys ? { keys } : {}),
        row: keys
          ? (row) => {
              const v = row.values[at];
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
      const at = ctx.at(spec.column);
      const evaluator: Evaluator = {
        ...base,
        rowLevel: false,
        newest: Number.NEGATIVE_INFINITY,
        row: (row) => {
          const v = row.values[at];
          if (!missing(v)) {
            const t = spec.parse(text(v));
            if (Number.isFinite(t) && t > (evaluator.newest as number)) evaluator.newest = t;
          }
          return undefined;
        },
        finish: () => {
          const newest = evaluator.newest as number;
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
      return evaluator;
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
  readonly reasons: readonly string[];
}

const NO_REASONS: readonly string[] = Object.freeze([]);

export interface SuiteOptions extends RunContext {
  /**
   * Evaluate with the schema's acceptance predicates and CSV records read as field arrays (the
   * default), or the reference way: every row as an object and every field through zod. Both give
   * the same results; the benchmark and the tests hold them to it.
   * docs/decisions/018-compiled-validation.md
   */
  readonly compiled?: boolean;
}

/** The columns a suite's checks read, in first-mention order (rows given as objects). */
export function columnsOfChecks(checks: readonly CheckSpec[]): string[] {
  const columns: string[] = [];
  const add = (c: string) => {
    if (!columns.includes(c)) columns.push(c);
  };
  for (const c of checks) {
    if (c.kind === 'schema') for (const name of Object.keys(c.schema.shape)) add(name);
    else if ('column' in c) add(c.column);
  }
  return columns;
}

/** Evaluates a suite over a stream of rows. */
export class SuiteRun {
  private evaluators: Evaluator[] | undefined;
  private readonly maxExamples: number;
  private readonly compiled: boolean;
  private headerProblem: string | undefined;
  private view: RowView | undefined;
  rows = 0;
  badRows = 0;

  constructor(
    readonly checks: readonly CheckSpec[],
    private readonly ctx: SuiteOptions = {},
  ) {
    this.maxExamples = ctx.maxExamples ?? 20;
    this.compiled = ctx.compiled ?? true;
  }

  /** The columns rows arrive with (a CSV header, or the columns a JSON suite reads); call before the rows. */
  bind(columns: readonly string[]): RowView {
    const at = (column: string) => {
      const i = columns.lastIndexOf(column);
      return i < 0 ? columns.length : i;
    };
    this.evaluators = this.checks.map((c) => evaluatorFor(c, { ...this.ctx, at, compiled: this.compiled }));
    this.view = new RowView(columns, this.compiled);
    return this.view;
  }

  /** The evaluators and the examples limit, for the byte lane that shares their state. */
  get parts(): { readonly evaluators: readonly Evaluator[]; readonly maxExamples: number; readonly compiled: boolean } {
    return { evaluators: this.bound(), maxExamples: this.maxExamples, compiled: this.compiled };
  }

  /** The view rows are evaluated through, once bound (by `bind`, `header` or the first row). */
  get rowView(): RowView {
    this.bound();
    return this.view as RowView;
  }

  private bound(): Evaluator[] {
    if (this.evaluators === undefined) this.bind(columnsOfChecks(this.checks));
    return this.evaluators as Evaluator[];
  }

  /** Check the header (CSV datasets) and bind to its columns; returns the problem, if any. */
  header(columns: readonly string[]): string | undefined {
    this.bind(columns);
    for (const e of this.bound()) {
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

  /** Evaluate one row given as an object (1-based index); returns the reasons it should be quarantined. */
  row(row: Row, index = this.rows + 1): RowVerdict {
    this.bound();
    const view = this.view as RowView;
    view.setObject(row);
    return this.evaluate(view, index);
  }

  /** Evaluate the row `view` holds (the view `bind` returned). */
  evaluate(view: RowView, index = this.rows + 1): RowVerdict {
    const evaluators = this.bound();
    this.rows++;
    let reasons = NO_REASONS as string[];
    for (let i = 0; i < evaluators.length; i++) {
      const e = evaluators[i] as Evaluator;
      if (!e.row) continue;
      const failure = e.row(view, index);
      if (e.rowLevel) e.evaluated++;
      if (failure === undefined) continue;
      e.failures++;
      if (e.examples.length < this.maxExamples)
        e.examples.push({ row: index, value: exampleValue(e.spec, view), reason: failure });
      if (e.spec.severity === 'critical' && e.rowLevel) {
        if (reasons === NO_REASONS) reasons = [];
        reasons.push(failure);
      }
    }
    if (reasons.length > 0) this.badRows++;
    return { reasons };
  }

  finish(): CheckResult[] {
    return this.bound().map((e) => {
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

function exampleValue(spec: CheckSpec, row: RowView): string {
  if ('column' in spec) {
    const i = row.columns.lastIndexOf(spec.column);
    return text(i < 0 ? undefined : row.values[i]).slice(0, 200);
  }
  return JSON.stringify(row.object()).slice(0, 200);
}

/** cyrb53's two running hashes start here and take each character with these multipliers. */
export const CYRB_H1 = 0xdeadbeef;
export const CYRB_H2 = 0x41c6ce57;
export const CYRB_M1 = 2654435761;
export const CYRB_M2 = 1597334677;

/** cyrb53's final mix of its two running hashes into 53 bits. */
export function cyrbDigest(h1: number, h2: number): number {
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return 4294967296 * (2097151 & b) + (a >>> 0);
}

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain, bryc). */
function cyrb53(str: string): number {
  let h1 = CYRB_H1;
  let h2 = CYRB_H2;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, CYRB_M1);
    h2 = Math.imul(h2 ^ ch, CYRB_M2);
  }
  return cyrbDigest(h1, h2);
}

/**
 * cyrb53 of `fields.join('\u0001') + '\u0001'` computed from `fields.join(',')` (a record read
 * without quoting), without building the joined string: the same digest as `RowView.digest`'s
 * general path. The byte lane computes the same digest while it scans a line.
 */
function cyrb53Fields(raw: string): number {
  let h1 = CYRB_H1;
  let h2 = CYRB_H2;
  for (let i = 0; i <= raw.length; i++) {
    const c = i === raw.length ? 44 : raw.charCodeAt(i);
    const ch = c === 44 ? 1 : c;
    h1 = Math.imul(h1 ^ ch, CYRB_M1);
    h2 = Math.imul(h2 ^ ch, CYRB_M2);
  }
  return cyrbDigest(h1, h2);
}

/**
 * A set of 53-bit digests in flat typed arrays (open addressing, linear probing): a `Set<number>` of
 * a million such numbers boxes each one.
 */
export class DigestSet {
  /** Per slot: the high 21 bits + 1 (0 marks an empty slot), then the low 32 bits: one probe, one cache line. */
  private table = new Uint32Array(2 << 12);
  private size = 0;
  private lastSlot = 0;

  /** Is the digest there? When not, remembers where the probe stopped for `addLast`. */
  has(digest: number): boolean {
    const lo = digest >>> 0;
    const hi = Math.floor(digest / 4294967296) + 1;
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const h = table[slot * 2] as number;
      if (h === 0) break;
      if (h === hi && table[slot * 2 + 1] === lo) return true;
      slot = (slot + 1) & mask;
    }
    this.lastSlot = slot;
    return false;
  }

  /** Add the digest the last `has` did not find (nothing added since). */
  addLast(digest: number): void {
    this.table[this.lastSlot * 2] = Math.floor(digest / 4294967296) + 1;
    this.table[this.lastSlot * 2 + 1] = digest >>> 0;
    if (++this.size > this.table.length >> 2) this.grow();
  }

  /** Adds the digest; false when it was already there. */
  add(digest: number): boolean {
    if (this.has(digest)) return false;
    this.addLast(digest);
    return true;
  }

  private grow(): void {
    const old = this.table;
    const table = new Uint32Array(old.length * 2);
    const mask = (table.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i] as number;
      if (hi === 0) continue;
      const lo = old[i + 1] as number;
      let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
      while (table[slot * 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = hi;
      table[slot * 2 + 1] = lo;
    }
    this.table = table;
  }
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
