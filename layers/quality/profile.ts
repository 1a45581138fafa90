/**
 * What the quality report draws, gathered in the same pass as the checks: missing values per column
 * and each chart's counts (categories, fixed-width numeric bins, days, hours of day).
 */
import { missing, type RowView } from './checks';

export type ChartSpec = {
  readonly id: string;
  readonly title: string;
  readonly column: string;
} & (
  | {
      readonly kind: 'categorical';
      readonly top?: number /** Order bars by label (ratings), not by count. */;
      readonly byLabel?: boolean;
    }
  | { readonly kind: 'numeric'; readonly min: number; readonly max: number; readonly step: number }
  | { readonly kind: 'day' | 'hour'; readonly parse: (value: string) => number }
);

export interface ProfileSpec {
  readonly columns: readonly string[];
  readonly charts: readonly ChartSpec[];
}

export interface ChartData {
  readonly id: string;
  readonly title: string;
  readonly column: string;
  readonly kind: ChartSpec['kind'];
  readonly bars: { label: string; count: number }[];
}

export interface Profile {
  readonly rows: number;
  readonly missing: { column: string; missing: number; share: number }[];
  readonly charts: ChartData[];
}

/** One bar's count, as gathered (an object, so the byte lane can keep it at hand). */
export interface Tally {
  n: number;
}

export class Profiler {
  rows = 0;
  /** Missing values per profiled column, and where each column sits in a row's values. */
  readonly missing: Float64Array;
  columnAt: number[] = [];
  chartAt: number[] = [];
  /** Each chart's counts: by label, or by bin or time bucket (labelled when the pass ends). */
  private readonly counts: Map<string | number, Tally>[];

  constructor(readonly spec: ProfileSpec) {
    this.counts = spec.charts.map(() => new Map());
    this.missing = new Float64Array(spec.columns.length);
  }

  /** The columns rows arrive with (as given to SuiteRun.bind). */
  bind(columns: readonly string[]): void {
    const at = (column: string) => {
      const i = columns.lastIndexOf(column);
      return i < 0 ? columns.length : i;
    };
    this.columnAt = this.spec.columns.map(at);
    this.chartAt = this.spec.charts.map((c) => at(c.column));
  }

  row(row: RowView): void {
    this.rows++;
    const values = row.values;
    for (let c = 0; c < this.columnAt.length; c++)
      if (missing(values[this.columnAt[c] as number])) (this.missing[c] as number)++;
    for (let i = 0; i < this.spec.charts.length; i++) {
      const chart = this.spec.charts[i] as ChartSpec;
      const raw = values[this.chartAt[i] as number];
      if (missing(raw)) continue;
      const value = typeof raw === 'string' ? raw.trim() : String(raw);
      if (chart.kind === 'categorical') {
        this.tally(i, value).n++;
        continue;
      }
      let key: number;
      if (chart.kind === 'numeric') {
        const n = Number(value);
        if (!Number.isFinite(n)) continue;
        const clamped = Math.min(Math.max(n, chart.min), chart.max - chart.step / 2);
        key = Math.floor((clamped - chart.min) / chart.step);
      } else {
        const t = chart.parse(value);
        if (!Number.isFinite(t)) continue;
        key = Math.floor(t / (chart.kind === 'day' ? 86_400_000 : 3_600_000));
      }
      this.tally(i, key).n++;
    }
  }

  /** The count of one bar of chart `i`: a label (categorical), or a bin or time bucket. */
  tally(i: number, key: string | number): Tally {
    const counts = this.counts[i] as Map<string | number, Tally>;
    let tally = counts.get(key);
    if (tally === undefined) {
      tally = { n: 0 };
      counts.set(key, tally);
    }
    return tally;
  }

  /** A chart's counts by label, in the order labels first appeared. */
  private labelled(i: number): Map<string, number> {
    const chart = this.spec.charts[i] as ChartSpec;
    const byLabel = new Map<string, number>();
    for (const [key, { n: count }] of this.counts[i] as Map<string | number, Tally>) {
      if (chart.kind === 'categorical') {
        byLabel.set(key as string, count);
        continue;
      }
      let label: string;
      if (chart.kind === 'numeric') label = String(Number((chart.min + (key as number) * chart.step).toFixed(6)));
      else {
        const size = chart.kind === 'day' ? 86_400_000 : 3_600_000;
        const iso = new Date((key as number) * size).toISOString();
        label = chart.kind === 'day' ? iso.slice(0, 10) : iso.slice(11, 13);
      }
      byLabel.set(label, (byLabel.get(label) ?? 0) + count);
    }
    return byLabel;
  }

  finish(): Profile {
    return {
      rows: this.rows,
      missing: this.spec.columns.map((column, c) => {
        const m = this.missing[c] as number;
        return { column, missing: m, share: this.rows === 0 ? 0 : Number((m / this.rows).toFixed(6)) };
      }),
      charts: this.spec.charts.map((chart, i) => {
        let bars = [...this.labelled(i)].map(([label, count]) => ({ label, count }));
        if (chart.kind === 'categorical') {
          bars.sort((a, b) =>
            chart.byLabel ? a.label.localeCompare(b.label, 'en', { numeric: true }) : b.count - a.count,
          );
          const top = chart.top ?? 20;
          if (bars.length > top) {
            const rest = bars.slice(top).reduce((n, b) => n + b.count, 0);
            bars = [...bars.slice(0, top), { label: 'other', count: rest }];
          }
        } else {
          bars.sort((a, b) =>
            chart.kind === 'numeric' ? Number(a.label) - Number(b.label) : a.label.localeCompare(b.label),
          );
        }
        return { id: chart.id, title: chart.title, column: chart.column, kind: chart.kind, bars };
      }),
    };
  }
}
