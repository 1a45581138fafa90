/**
 * Validation's byte lane (docs/decisions/027-validation-byte-lane.md): a suite compiled once, after
 * the header, into checks that read a CSV line's fields where they lie in the input buffer. The lane
 * takes the plain lines (printable ASCII, no quotes, the header's number of fields) that it can
 * prove clean, and hands every other line back to the reader, whose record goes through the
 * string evaluation (SuiteRun) as before. Both update the same state (the uniqueness tables, the
 * digests, failure counts, the profile's tallies), so a file's result does not depend on which
 * lines took which road; the tests and the benchmark hold the two to the same results.
 *
 * A line is taken only when every check either passes or fails without consequence for the row: a
 * failure of a warning check once its examples are full is only counted. A critical failure, a
 * failure that still needs its example, or anything a byte form is not sure of, sends the line
 * back before any state changes.
 *
 * The compiled checks are plain records of one shape, run by one switch: a loop over closures of
 * a dozen kinds costs an indirect call per check and line, which on a million lines is more than
 * most of the checks themselves.
 */

import { type ByteTest, type ByteValue, byteTestOf, byteValueOf, decimalOf } from '../util/byte-forms';
import type { CsvLineLane } from '../util/csv-records';
import {
  CYRB_H1,
  CYRB_H2,
  CYRB_M1,
  CYRB_M2,
  cyrbDigest,
  type DigestSet,
  type Evaluator,
  type KeyLookup,
  type RowView,
  type SuiteRun,
} from './checks';
import { type FirstSeen, PackedKeySet } from './first-seen';
import type { Profiler, Tally } from './profile';

/** Numeric bins, time buckets and short labels kept at hand per chart, around the first key seen. */
const DENSE = 4096;

const PASS = 0;
const FAIL = 1;
const UNSURE = 2;

// Kinds of compiled checks.
const COMPLETE = 0;
const UNIQUE = 1;
const UNIQUE_ROWS = 2;
const RANGE = 3;
const IN_SET = 4;
const TESTED = 5;
const PATTERN = 6;
const TIME = 7;
const REFERENCE = 8;
const FRESH = 9;
const SCHEMA = 10;

/** One compiled check; every kind has every field (one shape, so the switch reads them fast). */
interface Step {
  readonly kind: number;
  readonly evaluator: Evaluator;
  readonly column: number;
  /** The derivation the check reads (a number, a time, a test's 1 or 0), or -1. */
  readonly derived: number;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** schema: the derivations that must be 1 (tests) or finite (values). */
  readonly tests: Int32Array;
  readonly values: Int32Array;
  readonly seen: FirstSeen | null;
  readonly digests: DigestSet | null;
  readonly packed: PackedKeySet | null;
  readonly keys: KeyLookup | null;
  readonly allowed: ReadonlySet<string> | null;
  readonly pattern: RegExp | null;
}

const NONE = new Int32Array(0);

/** The lane for a suite bound to these columns, or undefined when a check has no byte form. */
export function compileLane(run: SuiteRun, profiler: Profiler, view: RowView): CsvLineLane | undefined {
  const { evaluators, maxExamples, compiled } = run.parts;
  const columns = view.columns;
  if (!compiled || !view.columnOrder || columns.length === 0) return undefined;
  const width = columns.length;
  const at = (column: string) => {
    const i = columns.lastIndexOf(column);
    return i < 0 ? width : i;
  };
  // What checks and charts read of a field, computed once per line: byte values (NaN when the
  // field is missing) and byte tests (1 or 0, on any field), each function once per column.
  const derivations: { column: number; value: ByteValue; test: boolean }[] = [];
  const derive = (column: number, fn: ByteValue | ByteTest, test: boolean): number => {
    const found = derivations.findIndex((d) => d.column === column && d.value === fn);
    if (found >= 0) return found;
    derivations.push({ column, value: fn as ByteValue, test });
    return derivations.length - 1;
  };
  const reads: FieldReads = {
    numberOf: (column) => derive(column, decimalOf, false),
    timeOf: (column, parse) => {
      const bytes = byteValueOf(parse);
      return bytes ? derive(column, bytes, false) : undefined;
    },
    testOf: (column, target) => {
      const test = byteTestOf(target);
      return test ? derive(column, test, true) : undefined;
    },
  };
  const steps: Step[] = [];
  for (const evaluator of evaluators) {
    const step = compileStep(evaluator, at, width, reads);
    if (step === false) return undefined;
    if (step) steps.push(step);
  }
  const charts = chartSteps(profiler, width, reads);
  if (!charts) return undefined;
  const counted = evaluators.filter((e) => e.row !== undefined && e.rowLevel);
  const n = steps.length;
  const derivedColumn = Int32Array.from(derivations, (d) => d.column);
  const derivedFn = derivations.map((d) => d.value);
  const derivedIsTest = Uint8Array.from(derivations, (d) => (d.test ? 1 : 0));

  // The line being checked: its fields' bounds, its digest, what was derived from its fields.
  let bytes: Buffer = Buffer.alloc(0);
  let digest = 0;
  const from = new Int32Array(width);
  const to = new Int32Array(width);
  /** 1 when the field is empty or only spaces (one extra slot: a column the header lacks). */
  const absent = new Uint8Array(width + 1).fill(1);
  const derived = new Float64Array(derivations.length);
  /** The steps that failed without consequence on this line (their failures are counted when it is taken). */
  const failed = new Int32Array(n);
  let failures = 0;
  /** Per step: 1 when it failed on this line (then a uniqueness step has nothing to add). */
  const failedHere = new Uint8Array(n);

  const verdictOf = (step: Step): number => {
    const c = step.column;
    switch (step.kind) {
      case COMPLETE:
        return absent[c] ? FAIL : PASS;
      case UNIQUE: {
        const s = from[c] as number;
        const t = to[c] as number;
        return s === t || (step.seen as FirstSeen).lookupBytes(bytes, s, t) < 0 ? PASS : FAIL;
      }
      case UNIQUE_ROWS:
        return (step.digests as DigestSet).has(digest) ? FAIL : PASS;
      case RANGE: {
        if (absent[c]) return PASS;
        const v = derived[step.derived] as number;
        if (Number.isNaN(v)) return UNSURE;
        if ((step.integer && !Number.isInteger(v)) || v < step.min || v > step.max) return FAIL;
        return PASS;
      }
      case IN_SET:
        return absent[c] || (step.allowed as ReadonlySet<string>).has(latin1(bytes, from[c] as number, to[c] as number))
          ? PASS
          : FAIL;
      case TESTED:
        return absent[c] || derived[step.derived] === 1 ? PASS : UNSURE;
      case PATTERN:
        return absent[c] || (step.pattern as RegExp).test(latin1(bytes, from[c] as number, to[c] as number))
          ? PASS
          : FAIL;
      case TIME:
      case FRESH:
        return absent[c] || Number.isFinite(derived[step.derived]) ? PASS : UNSURE;
      case REFERENCE: {
        if (absent[c]) return PASS;
        const s = from[c] as number;
        const t = to[c] as number;
        const found = step.packed
          ? step.packed.hasBytes(bytes, s, t)
          : (step.keys as KeyLookup).has(latin1(bytes, s, t));
        return found ? PASS : FAIL;
      }
      default: {
        // SCHEMA
        const { tests, values } = step;
        for (let i = 0; i < tests.length; i++) if (derived[tests[i] as number] !== 1) return UNSURE;
        for (let i = 0; i < values.length; i++) if (!Number.isFinite(derived[values[i] as number])) return UNSURE;
        return PASS;
      }
    }
  };

  /** Can the line be taken? (Then `failed` lists the failures that only count.) */
  const judge = (): boolean => {
    for (let d = 0; d < derivedColumn.length; d++) {
      const c = derivedColumn[d] as number;
      const fn = derivedFn[d] as ByteValue;
      if (derivedIsTest[d]) derived[d] = (fn as unknown as ByteTest)(bytes, from[c] as number, to[c] as number) ? 1 : 0;
      else derived[d] = absent[c] ? Number.NaN : fn(bytes, from[c] as number, to[c] as number);
    }
    for (let i = 0; i < failures; i++) failedHere[failed[i] as number] = 0;
    failures = 0;
    for (let i = 0; i < n; i++) {
      const step = steps[i] as Step;
      const verdict = verdictOf(step);
      if (verdict === PASS) continue;
      if (verdict === UNSURE) return false;
      const e = step.evaluator;
      if (e.examples.length < maxExamples || (e.spec.severity === 'critical' && e.rowLevel)) return false;
      failed[failures++] = i;
      failedHere[i] = 1;
    }
    return charts.sure(absent, derived);
  };

  /** Record the taken line in the checks' state. */
  const commit = (row: number): void => {
    for (let i = 0; i < n; i++) {
      const step = steps[i] as Step;
      const c = step.column;
      // A key or digest seen before (a failure that only counts) is not added again.
      if (step.kind === UNIQUE) {
        if (from[c] !== to[c] && !failedHere[i])
          (step.seen as FirstSeen).addLast(bytes, from[c] as number, to[c] as number, row);
      } else if (step.kind === UNIQUE_ROWS && !failedHere[i]) (step.digests as DigestSet).addLast(digest);
      else if (step.kind === FRESH) {
        const t = derived[step.derived] as number;
        const e = step.evaluator;
        if (!absent[c] && t > (e.newest as number)) e.newest = t;
      }
    }
    for (let i = 0; i < failures; i++) (steps[failed[i] as number] as Step).evaluator.failures++;
    charts.count(bytes, from, to, absent, derived);
  };

  /**
   * Scan the line at `pos`: printable ASCII without quotes, `width` fields, ended by LF or CRLF (a
   * lone CR, which the reader also takes as a line break, is left to it). Its digest on the way:
   * cyrb53 of the fields each followed by U+0001 (RowView.digest). Returns where the next line
   * starts, or -1 when this is not such a line.
   */
  const scan = (region: Buffer, pos: number, maxLineBytes: number): number => {
    const length = region.length;
    const last = width - 1;
    let k = 0;
    from[0] = pos;
    let i = pos;
    let h1 = CYRB_H1;
    let h2 = CYRB_H2;
    /** Nonzero once the current field has a character other than a space. */
    let shown = 0;
    for (; i < length; i++) {
      const c = region[i] as number;
      let ch = c;
      if (c === 44) {
        if (k === last) break;
        absent[k] = shown === 0 ? 1 : 0;
        shown = 0;
        to[k] = i;
        from[++k] = i + 1;
        ch = 1;
      } else if (c < 32 || c > 126 || c === 34) break;
      else shown |= c ^ 32;
      h1 = Math.imul(h1 ^ ch, CYRB_M1);
      h2 = Math.imul(h2 ^ ch, CYRB_M2);
    }
    const next = region[i] === 10 ? i + 1 : region[i] === 13 && region[i + 1] === 10 ? i + 2 : -1;
    if (next < 0 || k !== last || i === pos || i - pos > maxLineBytes) return -1;
    to[last] = i;
    absent[last] = shown === 0 ? 1 : 0;
    digest = cyrbDigest(Math.imul(h1 ^ 1, CYRB_M1), Math.imul(h2 ^ 1, CYRB_M2));
    return next;
  };

  const lane = {
    taken: 0,
    take(region: Buffer, offset: number, maxLineBytes: number): number {
      bytes = region;
      let pos = offset;
      let taken = 0;
      const firstRow = run.rows + 1;
      for (;;) {
        const next = scan(region, pos, maxLineBytes);
        if (next < 0 || !judge()) break;
        commit(firstRow + taken);
        taken++;
        pos = next;
      }
      run.rows += taken;
      profiler.rows += taken;
      for (const e of counted) e.evaluated += taken;
      lane.taken = taken;
      return pos;
    },
  };
  return lane;
}

interface FieldReads {
  /** The field as a decimal number. */
  numberOf(column: number): number;
  /** The field through the byte value declared for `parse` (a parser, or a schema type), if any. */
  timeOf(column: number, parse: object): number | undefined;
  /** The field through the byte test declared for `target` (a schema type, a pattern), if any. */
  testOf(column: number, target: object): number | undefined;
}

/** A check compiled: undefined when it reads nothing per row, false when it has no byte form. */
function compileStep(
  e: Evaluator,
  at: (c: string) => number,
  width: number,
  { numberOf, timeOf, testOf }: FieldReads,
): Step | false | undefined {
  const spec = e.spec;
  if (e.row === undefined) return undefined;
  // The check's column; one the header lacks is left to the string evaluation.
  const column = 'column' in spec ? at(spec.column) : -1;
  if (column >= width) return false;
  const step = (kind: number, more: Partial<Step> = {}): Step => ({
    kind,
    evaluator: e,
    column,
    derived: -1,
    min: Number.NEGATIVE_INFINITY,
    max: Number.POSITIVE_INFINITY,
    integer: false,
    tests: NONE,
    values: NONE,
    seen: null,
    digests: null,
    packed: null,
    keys: null,
    allowed: null,
    pattern: null,
    ...more,
  });
  switch (spec.kind) {
    case 'schema': {
      // Each field's byte test (1 when it accepts), or its byte value (finite when it accepts).
      const tests: number[] = [];
      const values: number[] = [];
      for (const [name, type] of Object.entries(spec.schema.shape)) {
        const c = at(name);
        if (c >= width) return false;
        const test = testOf(c, type as object);
        const value = test === undefined ? timeOf(c, type as object) : undefined;
        if (test !== undefined) tests.push(test);
        else if (value !== undefined) values.push(value);
        else return false;
      }
      return step(SCHEMA, { tests: Int32Array.from(tests), values: Int32Array.from(values) });
    }
    case 'completeness':
      return step(COMPLETE);
    case 'unique':
      return e.seen ? step(UNIQUE, { seen: e.seen }) : false;
    case 'uniqueRows':
      return e.digests ? step(UNIQUE_ROWS, { digests: e.digests }) : false;
    case 'range':
      return step(RANGE, {
        derived: numberOf(column),
        min: spec.min ?? Number.NEGATIVE_INFINITY,
        max: spec.max ?? Number.POSITIVE_INFINITY,
        integer: spec.integer === true,
      });
    case 'set':
      return step(IN_SET, { allowed: new Set(spec.values) });
    case 'pattern': {
      if (spec.pattern.global || spec.pattern.sticky) return false;
      const test = testOf(column, spec.pattern);
      return test === undefined ? step(PATTERN, { pattern: spec.pattern }) : step(TESTED, { derived: test });
    }
    case 'timestamp':
    case 'freshness': {
      const d = timeOf(column, spec.parse);
      return d === undefined ? false : step(spec.kind === 'timestamp' ? TIME : FRESH, { derived: d });
    }
    case 'referential':
      if (!e.keys) return undefined;
      return e.keys instanceof PackedKeySet ? step(REFERENCE, { packed: e.keys }) : step(REFERENCE, { keys: e.keys });
    default:
      return false;
  }
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return (bytes as Buffer).toString('latin1', start, end);
}

/** The profile's charts on the lane: `sure` while judging, `count` once the line is taken. */
function chartSteps(profiler: Profiler, width: number, { numberOf, timeOf }: FieldReads) {
  const columnAt = Int32Array.from(profiler.columnAt, (c) => Math.min(c, width));
  const charts: {
    chart: number;
    column: number;
    kind: string;
    derived: number;
    min: number;
    max: number;
    step: number;
  }[] = [];
  for (const [i, chart] of profiler.spec.charts.entries()) {
    const column = profiler.chartAt[i] as number;
    if (column >= width) continue; // never present: the chart counts nothing
    if (chart.kind === 'categorical')
      charts.push({ chart: i, column, kind: chart.kind, derived: -1, min: 0, max: 0, step: 0 });
    else if (chart.kind === 'numeric') {
      const { min, max, step } = chart;
      charts.push({ chart: i, column, kind: chart.kind, derived: numberOf(column), min, max, step });
    } else {
      const derived = timeOf(column, chart.parse);
      if (derived === undefined) return undefined;
      charts.push({ chart: i, column, kind: chart.kind, derived, min: 0, max: 0, step: 0 });
    }
  }
  // Tallies kept at hand per chart: by key in a window around the first key seen (bins, days, and
  // labels of one or two characters by their packed bytes), and other short labels in a map.
  const windows = charts.map(() => new Array<Tally | undefined>(DENSE));
  const bases = new Float64Array(charts.length).fill(Number.NaN);
  const short = charts.map(() => new Map<number, Tally>());
  /** The tally of chart `k`'s bar `key` (a categorical chart's label is the bytes [a, b)). */
  const tallyOf = (k: number, key: number, bytes: Buffer, a: number, b: number): Tally => {
    if (Number.isNaN(bases[k] as number)) bases[k] = key - DENSE / 2;
    const slot = key - (bases[k] as number);
    const window = windows[k] as (Tally | undefined)[];
    const inWindow = slot >= 0 && slot < DENSE;
    let tally = inWindow ? window[slot] : (short[k] as Map<number, Tally>).get(key);
    if (tally === undefined) {
      const chart = charts[k] as (typeof charts)[number];
      tally = profiler.tally(chart.chart, chart.kind === 'categorical' ? latin1(bytes, a, b) : key);
      if (inWindow) window[slot] = tally;
      else (short[k] as Map<number, Tally>).set(key, tally);
    }
    return tally;
  };
  return {
    sure(absent: Uint8Array, derived: Float64Array): boolean {
      for (let k = 0; k < charts.length; k++) {
        const s = charts[k] as (typeof charts)[number];
        if (s.derived >= 0 && !absent[s.column] && Number.isNaN(derived[s.derived])) return false;
      }
      return true;
    },
    count(bytes: Buffer, from: Int32Array, to: Int32Array, absent: Uint8Array, derived: Float64Array): void {
      const missing = profiler.missing;
      for (let c = 0; c < columnAt.length; c++)
        if (absent[columnAt[c] as number]) missing[c] = (missing[c] as number) + 1;
      for (let k = 0; k < charts.length; k++) {
        const s = charts[k] as (typeof charts)[number];
        if (absent[s.column]) continue;
        if (s.kind === 'categorical') {
          let a = from[s.column] as number;
          let b = to[s.column] as number;
          while (bytes[a] === 32) a++;
          while (bytes[b - 1] === 32) b--;
          if (b - a > 6) {
            profiler.tally(s.chart, latin1(bytes, a, b)).n++;
            continue;
          }
          let key = b - a;
          for (let i = a; i < b; i++) key = key * 256 + (bytes[i] as number);
          tallyOf(k, key, bytes, a, b).n++;
          continue;
        }
        const v = derived[s.derived] as number;
        let key: number;
        if (s.kind === 'numeric') {
          const clamped = Math.min(Math.max(v, s.min), s.max - s.step / 2);
          key = Math.floor((clamped - s.min) / s.step);
        } else key = Math.floor(v / (s.kind === 'day' ? 86_400_000 : 3_600_000));
        tallyOf(k, key, bytes, 0, 0).n++;
      }
    },
  };
}
