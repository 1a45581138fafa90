/**
 * Ratings for ALS, held once in compact typed arrays with string ids mapped to dense indexes, plus the
 * CSR views the solvers iterate. Parses CSV with a header (`userId,itemId,rating[,timestamp]` or the
 * MovieLens names) and headerless tab- or `::`-separated `user item rating [timestamp]` lines.
 */
import * as readline from 'node:readline';
import { Readable } from 'node:stream';
import { readCsvRecords } from '../util/csv-records';

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

export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

/** What one read took and what it left out, line by line (the first `SKIPPED_DETAILS` of them). */
export interface RatingsReadReport {
  readonly read: number;
  readonly skipped: number;
  readonly firstSkipped: SkippedLine[];
}

export interface RatingsReadOptions {
  /**
   * Implicit feedback: a blank value is an interaction (weight 1). Explicit: a blank rating is
   * missing, and the line is skipped and counted. @default false
   */
  readonly implicit?: boolean;
}

const SKIPPED_DETAILS = 20;

/**
 * Read ratings. Lines that are not ratings are skipped and reported with their line numbers; reading
 * goes on after them. Throws one RatingsFormatError when the input has no ratings, or when it is
 * mostly not ratings (more lines skipped than read).
 */
export async function readRatings(input: Readable, options: RatingsReadOptions = {}): Promise<Ratings> {
  const builder = new RatingsBuilder();
  const report = await readRatingsInto(builder, input, options);
  checkRatingsReport(report);
  return builder.build();
}

/** One sentence when a read found no ratings, or more lines it could not use than ratings. */
export function checkRatingsReport(report: RatingsReadReport): void {
  const first = report.firstSkipped[0];
  const example = first ? ` (line ${first.line}: ${first.reason})` : '';
  if (report.read === 0)
    throw new RatingsFormatError(
      report.skipped > 0 ? `none of its ${report.skipped} lines are ratings${example}` : 'the input has no ratings',
    );
  if (report.skipped > report.read)
    throw new RatingsFormatError(
      `it is mostly not ratings: ${report.skipped} lines skipped, ${report.read} read${example}; expected "user,item,rating[,timestamp]" lines`,
    );
}

interface Layout {
  readonly sep: string | RegExp;
  readonly user: number;
  readonly item: number;
  readonly rating: number;
  readonly time: number;
}

/**
 * Append a file's ratings to `builder` (several files share one id space). Comma-separated input
 * goes through the CSV reader (quoted ids, and a broken quote costs only its line); tab, `::` and
 * whitespace-separated input is read line by line.
 */
export async function readRatingsInto(
  builder: RatingsBuilder,
  input: Readable,
  options: RatingsReadOptions = {},
): Promise<RatingsReadReport> {
  let read = 0;
  let skipped = 0;
  const firstSkipped: SkippedLine[] = [];
  const skip = (line: number, reason: string, raw: string) => {
    skipped++;
    if (firstSkipped.length < SKIPPED_DETAILS) firstSkipped.push({ line, reason, raw: raw.slice(0, 200) });
  };
  let layout: Layout | undefined;
  const take = (fields: readonly string[], line: number, raw: string) => {
    const l = layout as Layout;
    const user = fields[l.user]?.trim();
    const item = fields[l.item]?.trim();
    const text = fields[l.rating]?.trim();
    if (!user || !item || text === undefined) {
      skip(line, 'expected "user item rating [timestamp]"', raw);
      return;
    }
    if (text === '' && !options.implicit) {
      skip(line, 'the rating is blank (missing, not zero)', raw);
      return;
    }
    const rating = text === '' ? 1 : Number(text);
    if (!Number.isFinite(rating)) {
      skip(line, `the rating "${text.slice(0, 20)}" is not a number`, raw);
      return;
    }
    const timeText = l.time >= 0 ? fields[l.time]?.trim() : undefined;
    builder.add(user, item, rating, timeText ? Number(timeText) : Number.NaN);
    read++;
  };
  /** The first non-empty line decides the layout; true when it was a header. */
  const detect = (line: string): boolean => {
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
      return true;
    }
    layout = { sep, user: 0, item: 1, rating: 2, time: 3 };
    return false;
  };

  // Peek at the first non-blank line to choose the reader.
  const iterator = input[Symbol.asyncIterator]();
  let buffered = Buffer.alloc(0);
  let first: string | undefined;
  for (;;) {
    const text = buffered.toString('utf8').replace(/^\ufeff/, '');
    const m = /^(?:[ \t]*(?:\r\n|\r|\n))*([^\r\n]*\S[^\r\n]*)(?:\r\n|\r|\n)/.exec(text);
    if (m) {
      first = m[1];
      break;
    }
    const next = await iterator.next();
    if (next.done) {
      first = text.split(/\r\n|\r|\n/).find((l) => l.trim() !== '');
      break;
    }
    const chunk = next.value as Buffer | string;
    buffered = Buffer.concat([buffered, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
  }
  if (first === undefined) return { read, skipped, firstSkipped };
  const hasHeader = detect(first.trim());
  const rest = Readable.from(
    (async function* () {
      yield buffered;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    })(),
  );

  if ((layout as Layout).sep === ',') {
    let headerSeen = !hasHeader;
    await readCsvRecords(rest, (record) => {
      if (!headerSeen) {
        headerSeen = true;
        return undefined;
      }
      if (!record.ok) skip(record.line, record.reason, record.raw);
      else take(record.fields, record.line, record.raw);
      return undefined;
    });
  } else {
    let lineNo = 0;
    let headerSeen = !hasHeader;
    for await (const raw of readline.createInterface({ input: rest, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNo++;
      const line = (lineNo === 1 ? raw.replace(/^\ufeff/, '') : raw).trim();
      if (line === '') continue;
      if (!headerSeen) {
        headerSeen = true;
        continue;
      }
      take(line.split((layout as Layout).sep), lineNo, line);
    }
  }
  return { read, skipped, firstSkipped };
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
