/**
 * What the quality report draws, gathered in the same pass as the checks: missing values per column
 * and each chart's counts (categories, fixed-width numeric bins, days, hours of day).
 */
import type { Row } from './checks';

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

const isMissing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export class Profiler {
  private rows = 0;
  private readonly missing = new Map<string, number>();
  private readonly counts: Map<string, number>[];
  /** Per chart: time bucket (day or hour index) → label, so each bucket is formatted once. */
  private readonly bucketLabels: Map<number, string>[];

  constructor(private readonly spec: ProfileSpec) {
    this.counts = spec.charts.map(() => new Map());
    this.bucketLabels = spec.charts.map(() => new Map());
    for (const c of spec.columns) this.missing.set(c, 0);
  }

  row(row: Row): void {
    this.rows++;
    for (const c of this.spec.columns) if (isMissing(row[c])) this.missing.set(c, (this.missing.get(c) ?? 0) + 1);
    this.spec.charts.forEach((chart, i) => {
      const raw = row[chart.column];
      if (isMissing(raw)) return;
      const value = typeof raw === 'string' ? raw.trim() : String(raw);
      let label: string | undefined;
      if (chart.kind === 'categorical') label = value;
      else if (chart.kind === 'numeric') {
        const n = Number(value);
        if (!Number.isFinite(n)) return;
        const clamped = Math.min(Math.max(n, chart.min), chart.max - chart.step / 2);
        const lo = chart.min + Math.floor((clamped - chart.min) / chart.step) * chart.step;
        label = String(Number(lo.toFixed(6)));
      } else {
        const t = chart.parse(value);
        if (!Number.isFinite(t)) return;
        const size = chart.kind === 'day' ? 86_400_000 : 3_600_000;
        const bucket = Math.floor(t / size);
        const labels = this.bucketLabels[i] as Map<number, string>;
        label = labels.get(bucket);
        if (label === undefined) {
          const iso = new Date(bucket * size).toISOString();
          label = chart.kind === 'day' ? iso.slice(0, 10) : iso.slice(11, 13);
          labels.set(bucket, label);
        }
      }
      const counts = this.counts[i] as Map<string, number>;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    });
  }

  finish(): Profile {
    return {
      rows: this.rows,
      missing: this.spec.columns.map((column) => {
        const m = this.missing.get(column) ?? 0;
        return { column, missing: m, share: this.rows === 0 ? 0 : Number((m / this.rows).toFixed(6)) };
      }),
      charts: this.spec.charts.map((chart, i) => {
        let bars = [...(this.counts[i] as Map<string, number>)].map(([label, count]) => ({ label, count }));
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
