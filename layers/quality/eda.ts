/**
 * Exploratory plots the seeds asked for, over transactions (joined to the catalog for categories):
 * interactions per user and per item (the long tail), the rating distribution, activity over time and
 * the top categories. One streaming pass; memory grows with users and items, not rows.
 */
import type { Readable } from 'node:stream';
import { parseTransactionTime } from '../transactions/schema';
import { csvTableRows } from '../util/csv-records';

export interface EdaChart {
  readonly id: string;
  readonly title: string;
  readonly x: string;
  readonly y: string;
  readonly bars: { label: string; count: number }[];
}

export interface EdaResult {
  readonly source: string;
  readonly rows: number;
  /** Records that could not be read as rows of the header's columns (not plotted). */
  readonly unreadable: number;
  readonly users: number;
  readonly items: number;
  readonly charts: EdaChart[];
}

const BUCKETS: [number, number, string][] = [
  [1, 1, '1'],
  [2, 2, '2'],
  [3, 3, '3'],
  [4, 5, '4–5'],
  [6, 10, '6–10'],
  [11, 20, '11–20'],
  [21, 50, '21–50'],
  [51, Number.POSITIVE_INFINITY, '51+'],
];

export async function exploreTransactions(
  transactions: Readable,
  source: string,
  categoryOf?: ReadonlyMap<string, string>,
): Promise<EdaResult> {
  const perUser = new Map<string, number>();
  const perItem = new Map<string, number>();
  const ratings = new Map<string, number>();
  const perDay = new Map<string, number>();
  const perCategory = new Map<string, number>();
  let rows = 0;
  let unreadable = 0;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for await (const row of csvTableRows(transactions, () => unreadable++)) {
    if (rows === 0) {
      for (const c of ['customer_id', 'product_id', 'rating', 'timestamp']) {
        if (row[c] === undefined) throw new Error(`transactions file has no ${c} column`);
      }
    }
    rows++;
    const user = row.customer_id ?? '';
    const item = row.product_id ?? '';
    bump(perUser, user);
    bump(perItem, item);
    const rating = row.rating?.trim();
    if (rating) bump(ratings, rating);
    const t = parseTransactionTime(row.timestamp ?? '');
    if (Number.isFinite(t)) bump(perDay, new Date(t).toISOString().slice(0, 10));
    const category = categoryOf?.get(item);
    if (category) bump(perCategory, category);
  }
  const histogram = (m: Map<string, number>) =>
    BUCKETS.map(([lo, hi, label]) => ({ label, count: [...m.values()].filter((n) => n >= lo && n <= hi).length }));
  const charts: EdaChart[] = [
    {
      id: 'per_user',
      title: 'Interactions per customer (long tail)',
      x: 'interactions',
      y: 'customers',
      bars: histogram(perUser),
    },
    {
      id: 'per_item',
      title: 'Interactions of the 40 most popular items',
      x: 'item rank',
      y: 'interactions',
      bars: [...perItem.values()]
        .sort((a, b) => b - a)
        .slice(0, 40)
        .map((count, i) => ({ label: String(i + 1), count })),
    },
    {
      id: 'rating',
      title: 'Rating distribution',
      x: 'rating',
      y: 'transactions',
      bars: [...ratings]
        .sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
        .map(([label, count]) => ({ label, count })),
    },
    {
      id: 'per_day',
      title: 'Activity over time (transactions per day)',
      x: 'day',
      y: 'transactions',
      bars: [...perDay].sort((a, b) => a[0].localeCompare(b[0])).map(([label, count]) => ({ label, count })),
    },
  ];
  if (perCategory.size > 0) {
    charts.push({
      id: 'categories',
      title: 'Top categories',
      x: 'category',
      y: 'transactions',
      bars: [...perCategory]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([label, count]) => ({ label, count })),
    });
  }
  return { source, rows, unreadable, users: perUser.size, items: perItem.size, charts };
}

/** product_id → category from a catalog CSV. */
export async function loadCategories(catalog: Readable): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let checked = false;
  for await (const row of csvTableRows(catalog, () => undefined)) {
    if (!checked) {
      checked = true;
      if (row.product_id === undefined || row.category === undefined)
        throw new Error('catalog file needs product_id and category columns');
    }
    const id = row.product_id?.trim();
    const category = row.category?.trim();
    if (id && category) out.set(id, category);
  }
  return out;
}
