/**
 * A CSV reader that never loses the rest of a file (docs/decisions/012-csv-recovery.md).
 *
 * Records are RFC 4180 (comma, `"` quoting, `""` for a quote inside a quoted field, line breaks
 * inside quoted fields), read from bytes with universal line ends (LF, CRLF or CR). A record that
 * cannot be parsed is reported with its physical line number and its exact raw text, and reading
 * resumes at the next physical line: a quoted field may only span lines when the lines it joins
 * close into a well-formed record with the expected number of fields, within `maxRecordLines` and
 * `maxRecordBytes`; otherwise only the line where it opened is rejected. A quote inside an unquoted
 * field is a literal character (as in Python's csv module). A line with bytes that are not UTF-8 is
 * rejected with its bytes kept in base64. Memory is bounded by the longest record accepted.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';

export interface CsvRecordBase {
  /** First physical line of the record in the source (1-based; the header is line 1). */
  readonly line: number;
  /** Physical lines the record spans (more than 1 when a quoted field holds line breaks). */
  readonly lines: number;
  /** The record's exact text without its final line break (U+FFFD where bytes were not UTF-8). */
  readonly raw: string;
}

export interface CsvAccepted extends CsvRecordBase {
  readonly ok: true;
  readonly fields: string[];
}

export interface CsvRejected extends CsvRecordBase {
  readonly ok: false;
  readonly reason: string;
  /** The record's exact bytes, when they are not valid UTF-8 (then `raw` is lossy). */
  readonly rawBase64?: string;
  /** Set when the line was longer than `maxLineBytes`: `raw` holds its first bytes only. */
  readonly rawTruncatedFrom?: number;
  /** The fields, when the record parsed but had the wrong number of them. */
  readonly fields?: string[];
}

export type CsvRecord = CsvAccepted | CsvRejected;

export interface CsvReaderOptions {
  /**
   * Fields every data record must have: records with another count are rejected. Set it once the
   * header is read (`reader.expectedFields = header.length`). @default - any count is accepted
   */
  expectedFields?: number;
  /** Longest span of one quoted field, in physical lines. @default 100 */
  readonly maxRecordLines?: number;
  /** Longest multi-line record, in bytes. @default 1 MiB */
  readonly maxRecordBytes?: number;
  /** Longest physical line kept whole; longer lines are rejected with their first bytes. @default 16 MiB */
  readonly maxLineBytes?: number;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const KEEP_OF_OVERLONG = 64 * 1024;

/**
 * Takes plain lines straight from the bytes, before the reader decodes them: validation's byte lane
 * (docs/decisions/027-validation-byte-lane.md). The reader offers it each region; the lane takes
 * whole lines from `offset` (each one a record the reader would have read as the same fields) and
 * returns where it stopped, at a line start; the reader reads the next record itself, then offers
 * the lane the rest.
 */
export interface CsvLineLane {
  take(region: Buffer, offset: number, maxLineBytes: number): number;
  /** Lines the last `take` took. */
  readonly taken: number;
}

type Parsed =
  | { kind: 'record'; end: number; fields: string[]; lines: number }
  | { kind: 'error'; reason: string }
  | { kind: 'more' };

/**
 * Push bytes in, get records out through `emit`, in source order. Call `end()` after the last chunk.
 */
export class CsvRecordReader {
  expectedFields: number | undefined;
  /** Offered the plain lines first, once set (after the header). */
  lane: CsvLineLane | undefined;
  /** No record has been emitted yet: the header is read on its own, so a lane set on it sees the rest. */
  private beforeFirst = true;
  private readonly maxRecordLines: number;
  private readonly maxRecordBytes: number;
  private readonly maxLineBytes: number;
  private pending: Buffer = Buffer.alloc(0);
  /** Physical line number of the first byte of `pending`. */
  private line = 1;
  private atStart = true;
  /** Bytes of an overlong line still to skip (until its line break), and what was kept of it. */
  private overlong: { line: number; kept: Buffer; bytes: number } | undefined;
  /** The previous chunk ended on the CR that ended an overlong line: an LF first in the next one is its pair. */
  private skipLeadingLf = false;

  private readonly emit: (record: CsvRecord) => void;

  constructor(emit: (record: CsvRecord) => void, options: CsvReaderOptions = {}) {
    this.emit = (record) => {
      this.beforeFirst = false;
      emit(record);
    };
    this.expectedFields = options.expectedFields;
    this.maxRecordLines = options.maxRecordLines ?? 100;
    this.maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  }

  /** The physical line the next record will start on (1-based). */
  get nextLine(): number {
    return this.line;
  }

  write(chunk: Uint8Array): void {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.skipLeadingLf && bytes.length > 0) {
      this.skipLeadingLf = false;
      if (bytes[0] === LF) bytes = bytes.subarray(1);
    }
    if (this.overlong) {
      bytes = this.skipOverlong(bytes);
      if (bytes.length === 0) return;
    }
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    if (this.atStart) {
      if (this.pending.length < 3 && this.pending.every((b, i) => b === [0xef, 0xbb, 0xbf][i])) return;
      this.atStart = false;
      if (this.pending[0] === 0xef && this.pending[1] === 0xbb && this.pending[2] === 0xbf)
        this.pending = this.pending.subarray(3);
    }
    this.drain();
  }

  /** Scan the complete lines of `pending`. */
  private drain(): void {
    // Complete lines only: up to the last line break (a CR at the very end may be half of a CRLF).
    const lf = this.pending.lastIndexOf(LF);
    let cr = this.pending.lastIndexOf(CR);
    if (cr === this.pending.length - 1) cr = cr > 0 ? this.pending.lastIndexOf(CR, cr - 1) : -1;
    const cut = Math.max(lf, cr);
    if (cut >= 0) {
      const consumed = this.scanRegion(this.pending.subarray(0, cut + 1), false);
      this.pending = this.pending.subarray(consumed);
    }
    this.checkOverlong();
  }

  /** `pending` holds at most one unfinished line: if it is already too long, reject it and skip the rest. */
  private checkOverlong(): void {
    const p = this.pending;
    const firstBreak = firstLineBreak(p);
    if (firstBreak >= 0 && firstBreak < p.length - 1 && p.length > this.maxRecordBytes + this.maxLineBytes) {
      // A multi-line record still waiting for its end has outgrown every limit: reject its first line.
      const bytes = p.subarray(0, firstBreak);
      const valid = isUtf8(bytes);
      this.emit({
        ok: false,
        line: this.line,
        lines: 1,
        raw: bytes.toString('utf8'),
        reason: `a quoted field opened on this line is not closed within ${this.maxRecordBytes} bytes`,
        ...(valid ? {} : { rawBase64: bytes.toString('base64') }),
      });
      this.line++;
      this.pending = p.subarray(p[firstBreak] === CR && p[firstBreak + 1] === LF ? firstBreak + 2 : firstBreak + 1);
      this.drain();
      return;
    }
    if (p.length <= this.maxLineBytes || p.indexOf(LF) >= 0) return;
    const endsWithCr = p[p.length - 1] === CR;
    const content = endsWithCr ? p.length - 1 : p.length;
    if (content <= this.maxLineBytes || p.subarray(0, content).indexOf(CR) >= 0) return;
    if (endsWithCr) {
      // The line ended with this CR; an LF first in the next chunk belongs to it.
      this.emitOverlong(this.line, p, content);
      this.line++;
      this.skipLeadingLf = true;
      this.pending = Buffer.alloc(0);
      return;
    }
    this.startOverlong();
  }

  end(): void {
    if (this.overlong) this.finishOverlong();
    this.atStart = false;
    if (this.pending.length > 0) {
      const consumed = this.scanRegion(this.pending, true);
      this.pending = this.pending.subarray(consumed);
    }
  }

  /**
   * Scan a region that ends on a line break (or at the end of input); returns the bytes consumed.
   * With a lane (or before the header), the reader itself reads the records between the lane's
   * runs: the window it decodes is the line the lane left (more when the lane keeps leaving the
   * first line it is offered) and, while a quoted field there needs more, twice as many lines each
   * time, up to the whole region.
   */
  private scanRegion(region: Buffer, final: boolean): number {
    let offset = 0;
    /** Lines in the next window: doubled while a quoted field needs more, or while the lane takes nothing. */
    let span = 1;
    while (offset < region.length) {
      const lane = this.expectedFields === undefined ? undefined : this.lane;
      if (lane) {
        offset = lane.take(region, offset, this.maxLineBytes);
        this.line += lane.taken;
        if (offset >= region.length) break;
        span = lane.taken > 0 ? 1 : span * 2;
      }
      const end = lane || this.beforeFirst ? endOfLines(region, offset, span) : region.length;
      const used = this.scanWindow(region.subarray(offset, end), final && end === region.length);
      if (used === 0) {
        if (end === region.length) break;
        span *= 2;
        continue;
      }
      offset += used;
    }
    return offset;
  }

  /** Scan decoded lines of a region; returns the bytes consumed (at a record start). */
  private scanWindow(region: Buffer, final: boolean): number {
    if (isUtf8(region)) {
      const text = region.toString('utf8');
      const used = this.scanText(text, final, undefined);
      return used === text.length ? region.length : Buffer.byteLength(text.slice(0, used), 'utf8');
    }
    // Rare path: some lines are not UTF-8. Decode (lossy) and remember each line's bytes.
    const lineBytes: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < region.length; i++) {
      const b = region[i];
      if (b === LF || b === CR) {
        const end = b === CR && region[i + 1] === LF ? i + 2 : i + 1;
        lineBytes.push(region.subarray(start, end));
        start = end;
        i = end - 1;
      }
    }
    if (start < region.length) lineBytes.push(region.subarray(start));
    const text = region.toString('utf8');
    const used = this.scanText(text, final, lineBytes);
    if (used === text.length) return region.length;
    // Records start at line starts: count the whole lines consumed.
    const linesUsed = countLineBreaks(text, 0, used);
    let bytes = 0;
    for (let i = 0; i < linesUsed; i++) bytes += (lineBytes[i] as Buffer).length;
    return bytes;
  }

  /**
   * Scan decoded text; emits every record that is complete. Returns the number of characters
   * consumed (always at a record start). `lineBytes` (rare path) holds the bytes of each line of the
   * text when some are not UTF-8.
   */
  private scanText(text: string, final: boolean, lineBytes: Buffer[] | undefined): number {
    const n = text.length;
    const firstLine = this.line;
    let pos = 0;
    // Positions of the next LF, CR and quote at or after `pos` (-1: none left; -2: not looked up yet).
    // Looked up lazily inside the loop: up-front searches here made V8 run this loop five times slower.
    let nextLf = -2;
    let nextCr = -2;
    let nextQuote = -2;
    while (pos < n) {
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
      let lineEnd = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (lineEnd === -1) {
        if (!final) break;
        lineEnd = n;
      }
      const after = breakEnd(text, lineEnd);
      if ((lineEnd - pos) * 3 > this.maxLineBytes) {
        const bytes = lineBytes
          ? recordBytes(lineBytes, this.line - firstLine, 1)
          : Buffer.from(text.slice(pos, lineEnd), 'utf8');
        if (bytes.length > this.maxLineBytes) {
          this.emitOverlong(this.line, bytes, bytes.length);
          pos = after;
          this.line++;
          continue;
        }
      }
      if (lineEnd === pos) {
        // an empty line is not a record
        pos = after;
        this.line++;
        continue;
      }
      if (nextQuote === -1 || nextQuote >= lineEnd) {
        this.finish(text.slice(pos, lineEnd), 1, undefined, lineBytes, firstLine);
        pos = after;
        this.line++;
        continue;
      }
      const parsed = this.parseQuoted(text, pos, final);
      if (parsed.kind === 'more') break;
      if (parsed.kind === 'record') {
        const raw = text.slice(pos, parsed.end);
        const wrongCount = this.expectedFields !== undefined && parsed.fields.length !== this.expectedFields;
        if (!(wrongCount && parsed.lines > 1)) {
          this.finish(raw, parsed.lines, parsed.fields, lineBytes, firstLine);
          pos = breakEnd(text, parsed.end);
          this.line += parsed.lines;
          continue;
        }
        this.reject(
          text.slice(pos, lineEnd),
          `a quoted field opened on this line runs over ${parsed.lines} lines without closing into a row of ${this.expectedFields} fields`,
          lineBytes,
          firstLine,
        );
      } else {
        this.reject(text.slice(pos, lineEnd), parsed.reason, lineBytes, firstLine);
      }
      pos = after;
      this.line++;
    }
    return pos;
  }

  /** A record whose extent is known: check the UTF-8 of its lines and its field count, then emit. */
  private finish(
    raw: string,
    lines: number,
    fields: string[] | undefined,
    lineBytes: Buffer[] | undefined,
    firstLine: number,
  ): void {
    if (lineBytes) {
      const bytes = recordBytes(lineBytes, this.line - firstLine, lines);
      if (!isUtf8(bytes)) {
        this.emit({
          ok: false,
          line: this.line,
          lines,
          raw,
          reason: 'the row is not valid UTF-8 (declare the encoding, e.g. Content-Type: text/csv; charset=iso-8859-1)',
          rawBase64: bytes.toString('base64'),
        });
        return;
      }
    }
    const parsed = fields ?? raw.split(',');
    if (this.expectedFields !== undefined && parsed.length !== this.expectedFields) {
      this.emit({
        ok: false,
        line: this.line,
        lines,
        raw,
        reason: `expected ${this.expectedFields} columns, found ${parsed.length}`,
        fields: parsed,
      });
      return;
    }
    this.emit({ ok: true, line: this.line, lines, raw, fields: parsed });
  }

  private reject(raw: string, reason: string, lineBytes: Buffer[] | undefined, firstLine: number): void {
    const bytes = lineBytes ? recordBytes(lineBytes, this.line - firstLine, 1) : undefined;
    const invalid = bytes !== undefined && !isUtf8(bytes);
    this.emit({
      ok: false,
      line: this.line,
      lines: 1,
      raw,
      reason: invalid ? 'the row is not valid UTF-8 and its quoting is broken' : reason,
      ...(invalid ? { rawBase64: bytes.toString('base64') } : {}),
    });
  }

  /** Parse one record that contains a quote, starting at `start`. */
  private parseQuoted(text: string, start: number, final: boolean): Parsed {
    const n = text.length;
    const fields: string[] = [];
    let lines = 1;
    let i = start;
    let fieldStart = start;
    for (;;) {
      // at the start of a field
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let value = '';
        let seg = i + 1;
        i++;
        for (;;) {
          if (i >= n) {
            if (!final) return { kind: 'more' };
            return {
              kind: 'error',
              reason:
                lines === 1
                  ? 'a quoted field is not closed (a quote inside a field must be doubled)'
                  : `a quoted field opened on this line is never closed (it would run over ${lines} lines to the end of the file)`,
            };
          }
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (i + 1 < n && text.charCodeAt(i + 1) === QUOTE) {
              value += text.slice(seg, i + 1);
              i += 2;
              seg = i;
              continue;
            }
            if (i + 1 >= n && !final) return { kind: 'more' };
            value += text.slice(seg, i);
            i++;
            break;
          }
          if (c === LF || c === CR) {
            i = breakEnd(text, i);
            lines++;
            if (lines > this.maxRecordLines || i - start > this.maxRecordBytes) {
              return {
                kind: 'error',
                reason: `a quoted field opened on this line is not closed within ${Math.min(lines - 1, this.maxRecordLines)} lines`,
              };
            }
            if (i >= n && !final) return { kind: 'more' };
            continue;
          }
          i++;
        }
        fields.push(value);
        if (i >= n) return { kind: 'record', end: i, fields, lines };
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
          fieldStart = i;
          continue;
        }
        if (c === LF || c === CR) return { kind: 'record', end: i, fields, lines };
        return {
          kind: 'error',
          reason:
            lines === 1
              ? `field ${fields.length} has text after its closing quote (a quote inside a quoted field must be doubled)`
              : 'a quoted field opened on this line is not closed on it, and the lines that follow do not complete the row',
        };
      }
      // an unquoted field: up to the next comma or line break; quotes inside it are literal
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === LF || c === CR) break;
        i++;
      }
      fields.push(text.slice(fieldStart, i));
      if (i >= n) {
        if (!final && lines > 1) return { kind: 'more' };
        return { kind: 'record', end: i, fields, lines };
      }
      if (text.charCodeAt(i) === COMMA) {
        i++;
        fieldStart = i;
        continue;
      }
      return { kind: 'record', end: i, fields, lines };
    }
  }

  private startOverlong(): void {
    this.overlong = {
      line: this.line,
      kept: Buffer.from(this.pending.subarray(0, Math.min(KEEP_OF_OVERLONG, this.maxLineBytes))),
      bytes: this.pending.length,
    };
    this.pending = Buffer.alloc(0);
  }

  /** Reject a line longer than `maxLineBytes`, keeping its first bytes (cut at a character boundary). */
  private emitOverlong(line: number, start: Buffer, bytes: number): void {
    const head = start.subarray(0, Math.min(KEEP_OF_OVERLONG, this.maxLineBytes));
    let kept = head;
    for (let drop = 0; drop < 4 && kept.length > 0 && !isUtf8(kept); drop++) kept = kept.subarray(0, -1);
    if (!isUtf8(kept)) kept = head;
    this.emit({
      ok: false,
      line,
      lines: 1,
      raw: kept.toString('utf8'),
      ...(isUtf8(kept) ? {} : { rawBase64: kept.toString('base64') }),
      reason: `the line is ${bytes} bytes long, more than the ${this.maxLineBytes} bytes a row may have`,
      rawTruncatedFrom: bytes,
    });
  }

  /** Drop the rest of an overlong line; returns what follows its line break. */
  private skipOverlong(bytes: Buffer): Buffer {
    const state = this.overlong as NonNullable<typeof this.overlong>;
    let i = 0;
    while (i < bytes.length && bytes[i] !== LF && bytes[i] !== CR) i++;
    state.bytes += i;
    if (i === bytes.length) return Buffer.alloc(0);
    this.finishOverlong();
    let next = i + 1;
    if (bytes[i] === CR) {
      if (next === bytes.length) this.skipLeadingLf = true;
      else if (bytes[next] === LF) next++;
    }
    return bytes.subarray(next);
  }

  private finishOverlong(): void {
    const state = this.overlong;
    this.overlong = undefined;
    if (!state) return;
    this.emitOverlong(state.line, state.kept, state.bytes);
    this.line = state.line + 1;
  }
}

/** Where the `count` lines from `from` end (past their line breaks), or the end of the bytes. */
function endOfLines(bytes: Buffer, from: number, count: number): number {
  let i = from;
  for (let k = 0; k < count; k++) {
    while (i < bytes.length && bytes[i] !== LF && bytes[i] !== CR) i++;
    if (i >= bytes.length) return bytes.length;
    i += bytes[i] === CR && bytes[i + 1] === LF ? 2 : 1;
  }
  return i;
}

function firstLineBreak(bytes: Buffer): number {
  const lf = bytes.indexOf(LF);
  const cr = bytes.indexOf(CR);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

/** Index just past the line break at `i` (CRLF counts as one). */
function breakEnd(text: string, i: number): number {
  if (i >= text.length) return i;
  return text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (text.charCodeAt(i + 1) === LF) i++;
    }
  }
  return count;
}

/** The bytes of `count` lines from line index `first` of a region, without the last line's break. */
function recordBytes(lineBytes: Buffer[], first: number, count: number): Buffer {
  const parts = lineBytes.slice(first, first + count);
  const joined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  let end = joined.length;
  if (end > 0 && joined[end - 1] === LF) end--;
  if (end > 0 && joined[end - 1] === CR) end--;
  return joined.subarray(0, end);
}

export interface ReadCsvOptions extends CsvReaderOptions {
  /**
   * The source's declared character encoding (from its Content-Type `charset`), when not UTF-8: the
   * bytes are transcoded to UTF-8 first. @default - UTF-8; bytes that are not UTF-8 are rejected
   */
  readonly encoding?: string;
}

/**
 * Read a stream through a CsvRecordReader. `onRecord` may set `reader.expectedFields` (after the
 * header) and return `false` to stop: the rest of the stream is then drained unparsed, so the
 * caller's view of the source (its MD5, its size) stays whole.
 */
export async function readCsvRecords(
  input: Readable,
  onRecord: (record: CsvRecord, reader: CsvRecordReader) => undefined | boolean,
  options: ReadCsvOptions = {},
): Promise<void> {
  let stopped = false;
  const reader: CsvRecordReader = new CsvRecordReader((record) => {
    if (!stopped && onRecord(record, reader) === false) stopped = true;
  }, options);
  const decoder = transcoderFor(options.encoding);
  for await (const chunk of input) {
    if (stopped) continue;
    const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    reader.write(decoder ? Buffer.from(decoder.decode(bytes, { stream: true }), 'utf8') : bytes);
  }
  if (stopped) return;
  if (decoder) reader.write(Buffer.from(decoder.decode(), 'utf8'));
  reader.end();
}

/** A decoder for a declared non-UTF-8 charset; one clear error for a charset we cannot read. */
function transcoderFor(encoding: string | undefined): TextDecoder | undefined {
  if (!encoding || /^utf-?8$/i.test(encoding.trim())) return undefined;
  try {
    return new TextDecoder(encoding.trim().toLowerCase(), { fatal: false });
  } catch {
    throw new UnsupportedEncodingError(`the declared charset "${encoding}" is not one this reader can transcode`);
  }
}

export class UnsupportedEncodingError extends Error {
  override readonly name = 'UnsupportedEncodingError';
}

/** The charset a Content-Type declares (`text/csv; charset=iso-8859-1` → `iso-8859-1`), if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([A-Za-z0-9._:-]+)"?/i.exec(contentType ?? '');
  return match?.[1];
}

/** The JSON line a quarantine file holds for a rejected record: line number, reason and the exact raw text. */
export function rejectedLine(record: CsvRejected, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    line: record.line,
    ...(record.lines > 1 ? { lines: record.lines } : {}),
    reason: record.reason,
    raw: record.raw,
    ...(record.rawBase64 !== undefined ? { rawBase64: record.rawBase64 } : {}),
    ...(record.rawTruncatedFrom !== undefined ? { rawTruncatedFrom: record.rawTruncatedFrom } : {}),
    ...extra,
  });
}

/**
 * The rows of a CSV with a header, as column → value (header names trimmed). A record that cannot
 * be read, or has another number of fields than the header, goes to `onRejected` with its reason:
 * counted by the caller, never silently skipped.
 */
export async function* csvTableRows(
  input: Readable,
  onRejected: (record: CsvRejected) => void,
  options: ReadCsvOptions = {},
): AsyncGenerator<Record<string, string>> {
  let columns: string[] | undefined;
  let batch: Record<string, string>[] = [];
  const reader = new CsvRecordReader((record) => {
    if (columns === undefined) {
      columns = (record.ok ? record.fields : record.raw.split(',')).map((c) => c.trim());
      reader.expectedFields = columns.length;
      return;
    }
    if (!record.ok) {
      onRejected(record);
      return;
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i] as string] = record.fields[i] as string;
    batch.push(row);
  }, options);
  const decoder = transcoderFor(options.encoding);
  for await (const chunk of input) {
    const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    reader.write(decoder ? Buffer.from(decoder.decode(bytes, { stream: true }), 'utf8') : bytes);
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      yield* out;
    }
  }
  if (decoder) reader.write(Buffer.from(decoder.decode(), 'utf8'));
  reader.end();
  yield* batch;
}
