import { toCsvLine } from '../util/csv-write';
import { Rng, zipfSampler } from '../util/random';
import { TRANSACTION_COLUMNS } from './schema';

export interface SampleOptions {
  readonly rows: number;
  readonly users?: number;
  readonly products?: number;
  readonly days?: number;
  readonly seed?: number;
  /** Share of rows with a missing or unparseable timestamp or a wrong column count. @default 0.01 */
  readonly badShare?: number;
  readonly now?: Date;
}

/** A synthetic transactions export (header + rows), with a known number of unplaceable rows. */
export function sampleTransactionsCsv(options: SampleOptions): { csv: string; goodRows: number; badRows: number } {
  const rng = new Rng(options.seed ?? 7);
  const product = zipfSampler(rng, options.products ?? 300);
  const users = options.users ?? 500;
  const spanMs = (options.days ?? 7) * 86_400_000;
  const now = (options.now ?? new Date()).getTime();
  const lines = [TRANSACTION_COLUMNS.join(',')];
  let badRows = 0;
  for (let i = 0; i < options.rows; i++) {
    const at = now - rng.int(spanMs);
    const fields = [
      `t${String(i + 1).padStart(8, '0')}`,
      `u${String(rng.int(users) + 1).padStart(5, '0')}`,
      `p${String(product() + 1).padStart(5, '0')}`,
      String(1 + rng.int(3)),
      (5 + rng.int(9500) / 100).toFixed(2),
      rng.chance(0.6) ? String(1 + rng.int(5)) : '',
      rng.chance(0.5) ? new Date(at).toISOString() : String(Math.floor(at / 1000)),
    ];
    if (rng.chance(options.badShare ?? 0.01)) {
      badRows++;
      const kind = rng.int(3);
      if (kind === 0) fields[6] = '';
      else if (kind === 1) fields[6] = 'last tuesday';
      else fields.pop();
    }
    lines.push(toCsvLine(fields));
  }
  return { csv: `${lines.join('\n')}\n`, goodRows: options.rows - badRows, badRows };
}
