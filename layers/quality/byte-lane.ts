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
 */

import { type ByteTest, type ByteValue, byteTestOf, byteValueOf, decimalOf } from '../util/byte-forms';
import type { CsvLineLane } from '../util/csv-records';
import { CYRB_H1, CYRB_H2, CYRB_M1, CYRB_M2, cyrbDigest, type Evaluator, type RowView, type SuiteRun } from './checks';
import { PackedKeySet } from './first-seen';
import type { Profiler, Tally } from './profile';

/** Numeric bins and time buckets kept at hand per chart, around the first one seen. */
const DENSE = 4096;

const PASS = 0;
const FAIL = 1;
const UNSURE = 2;

/** The state of the line being checked: each field's bounds, whether it is missing, derived values. */
interface Line {
  bytes: Uint8Array;
  start: number;
  end: number;
  /** Row number of this line (1-based, as SuiteRun counts). */
  row: number;
  /** The duplicate-row digest of the line (RowView.digest's), computed while scanning it. */
  digest: number;
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** 1 when the field is empty or only spaces (one extra slot: a column the header lacks). */
  readonly absent: Uint8Array;
  readonly derived: Float64Array;
}

interface LaneCheck {
  readonly evaluator: Evaluator;
  /** A failure only counts (no example to keep, the row is not quarantined because of it). */
  tolerable: boolean;
  test(line: Line): number;
  commit?(line: Line): void;
}

/** The lane for a suite bound to these columns, or undefined when a check has no byte form. */
export function compileLane(run: SuiteRun, profiler: Profiler, view: RowView): CsvLineLane | undefined {
  const { evaluators, maxExamples, compiled } = run.parts;
  const columns = view.columns;
  if (!compiled || !view.columnOrder || columns.length === 0) return undefined;
  const at = (column: string) => {
    const i = columns.lastIndexOf(column);
    return i < 0 ? columns.length : i;
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
  const numberOf = (column: number) => derive(column, decimalOf, false);
  const timeOf = (column: number, parse: object) => {
    const bytes = byteValueOf(parse);
    return bytes ? derive(column, bytes, false) : undefined;
  };
  const testOf = (column: number, target: object) => {
    const test = byteTestOf(target);
    return test ? derive(column, test, true) : undefined;
  };
  const width = columns.length;
  const checks: LaneCheck[] = [];
  for (const evaluator of evaluators) {
    const check = laneCheck(evaluator, at, width, { numberOf, timeOf, testOf });
    if (check === false) return undefined;
    if (check) checks.push(check);
  }
  const charts = chartSteps(profiler, width, { numberOf, timeOf, testOf });
  if (!charts) return undefined;
  const counted = evaluators.filter((e) => e.row !== undefined && e.rowLevel);
  const line: Line = {
    bytes: new Uint8Array(0),
    start: 0,
    end: 0,
    row: 0,
    digest: 0,
    from: new Int32Array(width),
    to: new Int32Array(width),
    absent: new Uint8Array(width + 1).fill(1),
    derived: new Float64Array(derivations.length),
  };
  const failed: LaneCheck[] = [];
  let failures = 0;

  /** PASS when the line may be taken (then `failed` lists the tolerated failures), else UNSURE. */
  const judge = (): number => {
    failures = 0;
    const { bytes, from, to, absent, derived } = line;
    for (let d = 0; d < derivations.length; d++) {
      const { column, value, test } = derivations[d] as (typeof derivations)[number];
      const s = from[column] as number;
      const e = to[column] as number;
      if (test) derived[d] = (value as unknown as ByteTest)(bytes, s, e) ? 1 : 0;
      else derived[d] = absent[column] ? Number.NaN : value(bytes, s, e);
    }
    for (let c = 0; c < checks.length; c++) {
      const check = checks[c] as LaneCheck;
      const verdict = check.test(line);
      if (verdict === PASS) continue;
      if (verdict === UNSURE) return UNSURE;
      check.tolerable = check.evaluator.examples.length >= maxExamples && !isQuarantining(check.evaluator);
      if (!check.tolerable) return UNSURE;
      failed[failures++] = check;
    }
    return charts.sure(line) ? PASS : UNSURE;
  };

  const lane = {
    taken: 0,
    take(region: Buffer, offset: number, maxLineBytes: number): number {
      const n = region.length;
      const last = width - 1;
      const { from, to, absent } = line;
      line.bytes = region;
      let pos = offset;
      let taken = 0;
      const firstRow = run.rows + 1;
      for (;;) {
        // One line: printable ASCII without quotes, `width` fields, ended by LF or CRLF. Its digest on the
        // way: cyrb53 of the fields each followed by U+0001 (RowView.digest).
        let k = 0;
        from[0] = pos;
        let i = pos;
        let h1 = CYRB_H1;
        let h2 = CYRB_H2;
        for (; i < n; i++) {
          const c = region[i] as number;
          let ch = c;
          if (c === 44) {
            if (k === last) break;
            to[k] = i;
            from[++k] = i + 1;
            ch = 1;
          } else if (c < 32 || c > 126 || c === 34) break;
          h1 = Math.imul(h1 ^ ch, CYRB_M1);
          h2 = Math.imul(h2 ^ ch, CYRB_M2);
        }
        // ended by LF or CRLF (the reader takes a lone CR as a line break too, but that is left to it)
        const next = region[i] === 10 ? i + 1 : region[i] === 13 && region[i + 1] === 10 ? i + 2 : -1;
        if (next < 0 || k !== last || i === pos || i - pos > maxLineBytes) break;
        to[last] = i;
        line.digest = cyrbDigest(Math.imul(h1 ^ 1, CYRB_M1), Math.imul(h2 ^ 1, CYRB_M2));
        for (let f = 0; f < width; f++) {
          let s = from[f] as number;
          const e = to[f] as number;
          while (s < e && region[s] === 32) s++;
          absent[f] = s === e ? 1 : 0;
        }
        line.start = pos;
        line.end = i;
        line.row = firstRow + taken;
        if (judge() !== PASS) break;
        for (let c = 0; c < checks.length; c++) (checks[c] as LaneCheck).commit?.(line);
        for (let c = 0; c < failures; c++) (failed[c] as LaneCheck).evaluator.failures++;
        charts.count(line);
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

/** A failing critical row-level check sends its row to quarantine. */
function isQuarantining(e: Evaluator): boolean {
  return e.spec.severity === 'critical' && e.rowLevel;
}

interface Derive {
  /** The field as a decimal number. */
  numberOf(column: number): number;
  /** The field through the byte value declared for `parse` (a parser, or a schema type), if any. */
  timeOf(column: number, parse: object): number | undefined;
  /** The field through the byte test declared for `target` (a schema type, a pattern), if any. */
  testOf(column: number, target: object): number | undefined;
}

/** A check's byte form: undefined when it reads nothing per row, false when it has none. */
function laneCheck(
  e: Evaluator,
  at: (c: string) => number,
  width: number,
  { numberOf, timeOf, testOf }: Derive,
): LaneCheck | false | undefined {
  const spec = e.spec;
  if (e.row === undefined) return undefined;
  const check = (test: (line: Line) => number, commit?: (line: Line) => void): LaneCheck => ({
    evaluator: e,
    tolerable: false,
    test,
    ...(commit ? { commit } : {}),
  });
  // The check's column; one the header lacks is left to the string evaluation.
  const column = 'column' in spec ? at(spec.column) : -1;
  if (column >= width) return false;
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
      return check(({ derived }) => {
        for (let t = 0; t < tests.length; t++) if (derived[tests[t] as number] !== 1) return UNSURE;
        for (let v = 0; v < values.length; v++) if (!Number.isFinite(derived[values[v] as number])) return UNSURE;
        return PASS;
      });
    }
    case 'completeness':
      return check(({ absent }) => (absent[column] ? FAIL : PASS));
    case 'unique': {
      const seen = e.seen;
      if (!seen) return false;
      return check(
        ({ bytes, from, to }) => {
          const s = from[column] as number;
          const t = to[column] as number;
          return s === t || seen.lookupBytes(bytes, s, t) < 0 ? PASS : FAIL;
        },
        ({ bytes, from, to, row }) => {
          const s = from[column] as number;
          const t = to[column] as number;
          if (s !== t) seen.addLast(bytes, s, t, row);
        },
      );
    }
    case 'uniqueRows': {
      const digests = e.digests;
      if (!digests) return false;
      return check(
        ({ digest }) => (digests.has(digest) ? FAIL : PASS),
        ({ digest }) => digests.addLast(digest),
      );
    }
    case 'range': {
      const d = numberOf(column);
      const { min, max, integer } = spec;
      return check(({ absent, derived }) => {
        if (absent[column]) return PASS;
        const n = derived[d] as number;
        if (Number.isNaN(n)) return UNSURE;
        if (integer && !Number.isInteger(n)) return FAIL;
        if (min !== undefined && n < min) return FAIL;
        if (max !== undefined && n > max) return FAIL;
        return PASS;
      });
    }
    case 'set': {
      const allowed = new Set(spec.values);
      return check(({ bytes, from, to, absent }) =>
        absent[column] || allowed.has(latin1(bytes, from[column] as number, to[column] as number)) ? PASS : FAIL,
      );
    }
    case 'pattern': {
      if (spec.pattern.global || spec.pattern.sticky) return false;
      const test = testOf(column, spec.pattern);
      const pattern = spec.pattern;
      return check(({ bytes, from, to, absent, derived }) => {
        if (absent[column]) return PASS;
        if (test !== undefined) return derived[test] === 1 ? PASS : UNSURE;
        return pattern.test(latin1(bytes, from[column] as number, to[column] as number)) ? PASS : FAIL;
      });
    }
    case 'timestamp': {
      const d = timeOf(column, spec.parse);
      if (d === undefined) return false;
      return check(({ absent, derived }) => (absent[column] || Number.isFinite(derived[d]) ? PASS : UNSURE));
    }
    case 'referential': {
      const keys = e.keys;
      if (!keys) return undefined;
      const packed = keys instanceof PackedKeySet ? keys : undefined;
      return check(({ bytes, from, to, absent }) => {
        if (absent[column]) return PASS;
        const s = from[column] as number;
        const t = to[column] as number;
        return (packed ? packed.hasBytes(bytes, s, t) : keys.has(latin1(bytes, s, t))) ? PASS : FAIL;
      });
    }
    case 'freshness': {
      const d = timeOf(column, spec.parse);
      if (d === undefined) return false;
      return check(
        ({ absent, derived }) => (absent[column] || Number.isFinite(derived[d]) ? PASS : UNSURE),
        ({ absent, derived }) => {
          const t = derived[d] as number;
          if (!absent[column] && t > (e.newest as number)) e.newest = t;
        },
      );
    }
    default:
      return false;
  }
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return (bytes as Buffer).toString('latin1', start, end);
}

/** The profile's charts on the lane: `sure` in the judging phase, `count` once the line is taken. */
function chartSteps(profiler: Profiler, width: number, { numberOf, timeOf }: Derive) {
  const columnAt = profiler.columnAt;
  const steps: {
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
      steps.push({ chart: i, column, kind: 'categorical', derived: -1, min: 0, max: 0, step: 0 });
    else if (chart.kind === 'numeric')
      steps.push({
        chart: i,
        column,
        kind: 'numeric',
        derived: numberOf(column),
        min: chart.min,
        max: chart.max,
        step: chart.step,
      });
    else {
      const derived = timeOf(column, chart.parse);
      if (derived === undefined) return undefined;
      steps.push({ chart: i, column, kind: chart.kind, derived, min: 0, max: 0, step: 0 });
    }
  }
  /** Categorical labels of up to 6 characters by their packed bytes, straight to their tally. */
  const short = steps.map(() => new Map<number, Tally>());
  const dense = steps.map(() => new Array<Tally | undefined>(DENSE));
  const bases = new Float64Array(steps.length).fill(Number.NaN);
  return {
    sure({ absent, derived }: Line): boolean {
      for (const s of steps) if (s.derived >= 0 && !absent[s.column] && Number.isNaN(derived[s.derived])) return false;
      return true;
    },
    count({ bytes, from, to, absent, derived }: Line): void {
      for (let c = 0; c < columnAt.length; c++)
        if (absent[Math.min(columnAt[c] as number, width)]) profiler.missing[c] = (profiler.missing[c] as number) + 1;
      for (let k = 0; k < steps.length; k++) {
        const s = steps[k] as (typeof steps)[number];
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
          const cache = short[k] as Map<number, Tally>;
          let tally = cache.get(key);
          if (tally === undefined) {
            tally = profiler.tally(s.chart, latin1(bytes, a, b));
            cache.set(key, tally);
          }
          tally.n++;
          continue;
        }
        const v = derived[s.derived] as number;
        let key: number;
        if (s.kind === 'numeric') {
          const clamped = Math.min(Math.max(v, s.min), s.max - s.step / 2);
          key = Math.floor((clamped - s.min) / s.step);
        } else key = Math.floor(v / (s.kind === 'day' ? 86_400_000 : 3_600_000));
        // Bins and days by key, in a window of the keys around the first one seen.
        const window = dense[k] as (Tally | undefined)[];
        if (Number.isNaN(bases[k] as number)) bases[k] = key - DENSE / 2;
        const slot = key - (bases[k] as number);
        if (slot >= 0 && slot < DENSE) {
          let tally = window[slot];
          if (tally === undefined) {
            tally = profiler.tally(s.chart, key);
            window[slot] = tally;
          }
          tally.n++;
        } else profiler.tally(s.chart, key).n++;
      }
    },
  };
}
