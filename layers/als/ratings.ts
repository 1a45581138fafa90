/**
 * Ratings for ALS, held once in compact typed arrays with string ids mapped to dense indexes, plus the
 * CSR views the solvers iterate. Parses CSV with a header (`userId,itemId,rating[,timestamp]` or the
 * MovieLens names) and headerless tab- or `::`-separated `user item rating [timestamp]` lines.
 */
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';

export interface Ratings {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly values: Float32Array;
  /** Seconds since the epoch; NaN when the input had none. */
  readonly times: Float64Array;
  readonly userIds: string[];
  readonly itemIds: string[];
  readonly length: number;
}

export interface Csr {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export class RatingsFormatError extends Error {
  override readonly name = 'RatingsFormatError';
}

/** Growable columns while reading. */
export class RatingsBuilder {
  private users = new Int32Array(1024);
  private items = new Int32Array(1024);
  private values = new Float32Array(1024);
  private times = new Float64Array(1024);
  private n = 0;
  readonly userIndex = new Map<string, number>();
  readonly itemIndex = new Map<string, number>();

  add(user: string, item: string, value: number, time = Number.NaN): void {
    if (this.n === this.users.length) this.grow();
    let u = this.userIndex.get(user);
    if (u === undefined) {
      u = this.userIndex.size;
      this.userIndex.set(user, u);
    }
    let i = this.itemIndex.get(item);
    if (i === undefined) {
      i = this.itemIndex.size;
      this.itemIndex.set(item, i);
    }
    this.users[this.n] = u;
    this.items[this.n] = i;
    this.values[this.n] = value;
    this.times[this.n] = time;
    this.n++;
  }

  build(): Ratings {
    const ids = (m: Map<string, number>) => {
      const out = new Array<string>(m.size);
      for (const [k, v] of m) out[v] = k;
      return out;
    };
    return {
      users: this.users.slice(0, this.n),
      items: this.items.slice(0, this.n),
      values: this.values.slice(0, this.n),
      times: this.times.slice(0, this.n),
      userIds: ids(this.userIndex),
      itemIds: ids(this.itemIndex),
      length: this.n,
    };
  }

  private grow(): void {
    const size = this.users.length * 2;
    const next = <T extends Int32Array | Float32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.users = next(this.users, (n) => new Int32Array(n));
    this.items = next(this.items, (n) => new Int32Array(n));
    this.values = next(this.values, (n) => new Float32Array(n));
    this.times = next(this.times, (n) => new Float64Array(n));
  }
}

const USER_COLUMNS = ['userid', 'user_id', 'user', 'customer_id'];
const ITEM_COLUMNS = ['itemid', 'item_id', 'item', 'movieid', 'movie_id', 'productid', 'product_id'];
const RATING_COLUMNS = ['rating', 'value', 'score', 'confidence'];
const TIME_COLUMNS = ['timestamp', 'time', 'ts'];

/** Read ratings; a bad line throws one RatingsFormatError naming the line. */
export async function readRatings(input: Readable): Promise<Ratings> {
  const builder = new RatingsBuilder();
  await readRatingsInto(builder, input);
  const ratings = builder.build();
  if (ratings.length === 0) throw new RatingsFormatError('the input has no ratings');
  return ratings;
}

/** Append a file's ratings to `builder` (several files share one id space); returns how many were read. */
export async function readRatingsInto(builder: RatingsBuilder, input: Readable): Promise<number> {
  let count = 0;
  const lines = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let layout: { sep: string | RegExp; user: number; item: number; rating: number; time: number } | undefined;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    if (!layout) {
      const sep = line.includes('::') ? '::' : line.includes('\t') ? '\t' : line.includes(',') ? ',' : /\s+/;
      const cols = line.split(sep).map((c) => c.trim().toLowerCase());
      const find = (names: string[]) => cols.findIndex((c) => names.includes(c));
      const user = find(USER_COLUMNS);
      if (user >= 0) {
        const item = find(ITEM_COLUMNS);
        const rating = find(RATING_COLUMNS);
        if (item < 0 || rating < 0) {
          throw new RatingsFormatError(
            `line 1: the header "${line.slice(0, 80)}" has no item and rating columns (e.g. userId,itemId,rating)`,
          );
        }
        layout = { sep, user, item, rating, time: find(TIME_COLUMNS) };
        continue;
      }
      layout = { sep, user: 0, item: 1, rating: 2, time: 3 };
    }
    const fields = line.split(layout.sep);
    const user = fields[layout.user]?.trim();
    const item = fields[layout.item]?.trim();
    const rating = Number(fields[layout.rating]);
    if (!user || !item || fields[layout.rating] === undefined || !Number.isFinite(rating)) {
      throw new RatingsFormatError(
        `line ${lineNo}: expected "user item rating [timestamp]", got "${line.slice(0, 80)}"`,
      );
    }
    const time = layout.time >= 0 && fields[layout.time] !== undefined ? Number(fields[layout.time]) : Number.NaN;
    builder.add(user, item, rating, time);
    count++;
  }
  return count;
}

/**
 * Rows of a CSR matrix from coordinate arrays (rows = users, or items when `byItem`); on
 * SharedArrayBuffers when worker threads will read it (allocated there directly: no second copy).
 */
export function toCsr(r: Ratings, byItem: boolean, nRows: number, select?: Uint8Array, shared = false): Csr {
  const i32 = (n: number) => (shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n));
  const f32 = (n: number) => (shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n));
  const rows = byItem ? r.items : r.users;
  const cols = byItem ? r.users : r.items;
  const indptr = i32(nRows + 1);
  let n = 0;
  for (let j = 0; j < r.length; j++) {
    if (select && !select[j]) continue;
    const at = (rows[j] as number) + 1;
    indptr[at] = (indptr[at] as number) + 1;
    n++;
  }
  for (let i = 0; i < nRows; i++) indptr[i + 1] = (indptr[i + 1] as number) + (indptr[i] as number);
  const fill = indptr.slice(0, nRows);
  const indices = i32(n);
  const values = f32(n);
  for (let j = 0; j < r.length; j++) {
    if (select && !select[j]) continue;
    const row = rows[j] as number;
    const at = fill[row] as number;
    indices[at] = cols[j] as number;
    values[at] = r.values[j] as number;
    fill[row] = at + 1;
  }
  return { indptr, indices, values };
}
