import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import * as fc from 'fast-check';
import { type CsvLineLane, type CsvRecord, CsvRecordReader, readCsvRecords } from '../../../layers/util/csv-records';

/**
 * The oracle never asks the reader how many lines there were: it splits the input bytes into
 * physical lines itself (LF, CRLF or a lone CR) and checks that the records the reader emits tile
 * those lines exactly, with each record's raw text equal to the bytes of its lines, and that every
 * accepted record's fields are what an independent parser (csv-parse) reads from that raw text.
 */
interface PhysicalLine {
  readonly bytes: Buffer;
  /** The bytes including the line's own break. */
  readonly withBreak: Buffer;
}

function physicalLines(input: Buffer): PhysicalLine[] {
  let body = input;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  const lines: PhysicalLine[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b !== 10 && b !== 13) continue;
    const end = b === 13 && body[i + 1] === 10 ? i + 2 : i + 1;
    lines.push({ bytes: body.subarray(start, i), withBreak: body.subarray(start, end) });
    start = end;
    i = end - 1;
  }
  if (start < body.length) lines.push({ bytes: body.subarray(start), withBreak: body.subarray(start) });
  return lines;
}

/** Write `input` to the reader cut at `cuts` (in any order; out-of-range cuts ignored), then end it. */
function writeInChunks(reader: CsvRecordReader, input: Buffer, cuts: number[]): void {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= input.length) continue;
    reader.write(input.subarray(at, cut));
    at = cut;
  }
  reader.write(input.subarray(at));
  reader.end();
}

function readAll(input: Buffer, cuts: number[], expectedFields?: number, limits = {}): CsvRecord[] {
  const out: CsvRecord[] = [];
  const reader = new CsvRecordReader((r) => out.push(r), { ...limits, ...(expectedFields ? { expectedFields } : {}) });
  writeInChunks(reader, input, cuts);
  return out;
}

function checkTiling(input: Buffer, records: CsvRecord[], expectedFields?: number): void {
  const lines = physicalLines(input);
  let next = 0; // index of the next physical line not yet covered
  for (const record of records) {
    const first = record.line - 1;
    // Lines skipped between records must be empty.
    for (let i = next; i < first; i++) expect(lines[i]?.bytes.length).toBe(0);
    expect(first).toBeGreaterThanOrEqual(next);
    const covered = lines.slice(first, first + record.lines);
    expect(covered).toHaveLength(record.lines);
    const exact = Buffer.concat(covered.map((l, i) => (i === covered.length - 1 ? l.bytes : l.withBreak)));
    if (!record.ok && record.rawTruncatedFrom !== undefined) {
      expect(record.rawTruncatedFrom).toBe(exact.length);
      const kept = record.rawBase64 !== undefined ? Buffer.from(record.rawBase64, 'base64') : Buffer.from(record.raw);
      expect(kept.length).toBeGreaterThan(0);
      expect(exact.subarray(0, kept.length).equals(kept)).toBe(true);
    } else if (!record.ok && record.rawBase64 !== undefined) {
      expect(Buffer.from(record.rawBase64, 'base64').equals(exact)).toBe(true);
    } else {
      expect(Buffer.from(record.raw, 'utf8').equals(exact)).toBe(true);
    }
    if (record.ok) {
      const reference = parse(record.raw, { relax_quotes: true, relax_column_count: true, record_delimiter: [] });
      expect(reference).toEqual([record.fields]);
      if (expectedFields !== undefined) expect(record.fields).toHaveLength(expectedFields);
    } else {
      expect(record.reason.length).toBeGreaterThan(0);
    }
    next = first + record.lines;
  }
  for (let i = next; i < lines.length; i++) expect(lines[i]?.bytes.length).toBe(0);
}

/** Hostile CSV: quoted and unbalanced fields, embedded breaks, mixed line ends, BOM, NUL, bad bytes. */
const field = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => Buffer.from(s.replace(/[",\r\n]/g, ''))),
  fc.string({ maxLength: 8 }).map((s) => Buffer.from(`"${s.replace(/"/g, '""')}"`)),
  fc
    .tuple(fc.string({ maxLength: 4 }), fc.constantFrom('\n', '\r\n', '\r', ',', '""'), fc.string({ maxLength: 4 }))
    .map(([a, sep, b]) => Buffer.from(`"${a.replace(/"/g, '')}${sep}${b.replace(/"/g, '')}"`)),
  fc
    .constantFrom('"unclosed', 'a"b', '"27" monitor"', '""x', '"a""', '"', '\u0000', '\ufeff', 'é€😀')
    .map((s) => Buffer.from(s)),
  fc.constantFrom(Buffer.from([0xe9]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80])),
  fc.integer({ min: 200, max: 3000 }).map((n) => Buffer.from('x'.repeat(n))),
);
const lineEnd = fc.constantFrom('\n', '\r\n', '\r', '\n\n');
const row = fc.tuple(fc.array(field, { minLength: 1, maxLength: 5 }), lineEnd);
const csv = fc.tuple(fc.boolean(), fc.array(row, { maxLength: 25 }), fc.boolean()).map(([bom, rows, finalBreak]) => {
  const parts: Buffer[] = bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  rows.forEach(([fields, end], i) => {
    fields.forEach((f, j) => {
      if (j > 0) parts.push(Buffer.from(','));
      parts.push(f);
    });
    if (i < rows.length - 1 || finalBreak) parts.push(Buffer.from(end));
  });
  return Buffer.concat(parts);
});

describe('CsvRecordReader', () => {
  it('keeps reading after one unescaped quote: 1000 rows, row 11 broken, 999 accepted', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `t${i},c${i},"27 monitor",1,9.99,,2026-11-20T10:00:00Z`);
    rows[10] = 't10,c10,"27" monitor",1,9.99,,2026-11-20T10:00:00Z';
    const input = Buffer.from(`${rows.join('\n')}\n`);
    const records = readAll(input, [], 7);
    expect(records.filter((r) => r.ok)).toHaveLength(999);
    const rejected = records.filter((r) => !r.ok);
    expect(rejected).toEqual([expect.objectContaining({ line: 11, raw: rows[10] })]);
    checkTiling(input, records, 7);
  });

  it('rejects only the line of an unclosed quote and resumes on the next line', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `t${i},c${i},p${i},1,9.99,,2026-11-20T10:00:00Z`);
    rows[50] = 't50,c50,"p50,1,9.99,,2026-11-20T10:00:00Z';
    const input = Buffer.from(`${rows.join('\r\n')}\r\n`);
    const records = readAll(input, [1000, 5000], 7);
    expect(records.filter((r) => r.ok)).toHaveLength(299);
    expect(records.find((r) => !r.ok)).toMatchObject({ line: 51, raw: rows[50] });
    checkTiling(input, records, 7);
  });

  it('accepts a quoted field over several lines when it closes into a whole row', () => {
    const input = Buffer.from('a,b,c\n1,"two\r\nlines",3\n4,5,6');
    const records = readAll(input, [12], 3);
    expect(records.map((r) => [r.line, r.lines, r.ok])).toEqual([
      [1, 1, true],
      [2, 2, true],
      [4, 1, true],
    ]);
    expect(records[1]?.ok && records[1].fields).toEqual(['1', 'two\r\nlines', '3']);
  });

  it('keeps the exact bytes of a row that is not UTF-8, and reads a declared latin-1 file', async () => {
    const latin1 = Buffer.concat([Buffer.from('id,name\n1,Caf'), Buffer.from([0xe9]), Buffer.from('\n2,ok\n')]);
    const records = readAll(latin1, [], 2);
    expect(records.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = records[1];
    expect(bad?.ok === false && Buffer.from(bad.rawBase64 ?? '', 'base64').toString('latin1')).toBe('1,Café');
    checkTiling(latin1, records, 2);

    const decoded: CsvRecord[] = [];
    await readCsvRecords(Readable.from([latin1]), (r) => void decoded.push(r), { encoding: 'iso-8859-1' });
    expect(decoded[1]).toMatchObject({ ok: true, fields: ['1', 'Café'] });
  });

  it('rejects an overlong line with its first bytes and goes on', () => {
    const input = Buffer.from(`a,b\n${'x'.repeat(5000)},y\r\n1,2\n`);
    const records = readAll(input, [100, 2000, 5006], 2, { maxLineBytes: 1000 });
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(records[1]).toMatchObject({ rawTruncatedFrom: 5002 });
    checkTiling(input, records, 2);
  });

  it('accounts for every physical line of hostile input, however it is chunked (property)', () => {
    fc.assert(
      fc.property(
        csv,
        fc.array(fc.nat({ max: 4000 }), { maxLength: 6 }),
        fc.option(fc.integer({ min: 1, max: 5 })),
        (input, cuts, expected) => {
          const records = readAll(input, cuts, expected ?? undefined, { maxLineBytes: 2000 });
          checkTiling(input, records, expected ?? undefined);
          // The same records whatever the chunking.
          expect(readAll(input, [], expected ?? undefined, { maxLineBytes: 2000 })).toEqual(records);
        },
      ),
      { numRuns: 400 },
    );
  });
});

/**
 * A lane as validation's takes lines: only plain ones (printable ASCII, no quote, `fields` fields,
 * ended by LF, no longer than the reader allows), and it stops where told (`stops`, one decision per line offered). It keeps what it
 * took as the records the reader would have emitted, numbered from the reader's next line.
 */
function fakeLane(reader: CsvRecordReader, fields: number, stops: boolean[], took: CsvRecord[]): CsvLineLane {
  let decision = 0;
  const lane = {
    taken: 0,
    take(region: Buffer, offset: number, maxLineBytes: number): number {
      let pos = offset;
      let line = reader.nextLine;
      lane.taken = 0;
      for (;;) {
        const end = region.indexOf(10, pos);
        if (end < 0 || end === pos || end - pos > maxLineBytes || stops[decision++ % stops.length]) break;
        const bytes = region.subarray(pos, end);
        if (bytes.some((b) => b < 32 || b > 126 || b === 34)) break;
        const raw = bytes.toString('latin1');
        if (raw.split(',').length !== fields) break;
        took.push({ ok: true, line: line++, lines: 1, raw, fields: raw.split(',') });
        lane.taken++;
        pos = end + 1;
      }
      return pos;
    },
  };
  return lane;
}

function readWithLane(input: Buffer, cuts: number[], fields: number, stops: boolean[]) {
  const emitted: CsvRecord[] = [];
  const took: CsvRecord[] = [];
  const reader: CsvRecordReader = new CsvRecordReader(
    (r) => {
      emitted.push(r);
      if (emitted.length === 1) {
        reader.expectedFields = fields;
        reader.lane = fakeLane(reader, fields, stops, took);
      }
    },
    { maxLineBytes: 2000 },
  );
  writeInChunks(reader, input, cuts);
  return { emitted, took };
}

describe('CsvRecordReader with a lane', () => {
  /** Hostile CSV, then plain lines of `fields` fields mixed with hostile ones. */
  const mixed = fc.integer({ min: 1, max: 4 }).chain((fields) => {
    const plainLine = fc
      .array(fc.stringMatching(/^[a-z0-9 .:-]{0,6}$/), { minLength: fields, maxLength: fields })
      .map((f) => Buffer.from(`${f.join(',')}\n`));
    const hostileLine = row.map(([f, end]) => Buffer.concat([...f, Buffer.from(end)]));
    return fc
      .tuple(csv, fc.array(fc.oneof(plainLine, plainLine, plainLine, hostileLine), { maxLength: 30 }))
      .map(([head, lines]) => ({
        fields,
        input: Buffer.concat([head.length > 0 ? Buffer.concat([head, Buffer.from('\n')]) : head, ...lines]),
      }));
  });

  it('reads the same records whether a lane took some lines or not, however it is chunked (property)', () => {
    let taken = 0;
    fc.assert(
      fc.property(
        mixed,
        fc.array(fc.nat({ max: 4000 }), { maxLength: 6 }),
        fc.array(fc.constantFrom(false, false, false, false, false, false, false, true), {
          minLength: 1,
          maxLength: 8,
        }),
        ({ input, fields }, cuts, stops) => {
          const plain: CsvRecord[] = [];
          const reader = new CsvRecordReader(
            (r) => {
              plain.push(r);
              if (plain.length === 1) reader.expectedFields = fields;
            },
            { maxLineBytes: 2000 },
          );
          reader.write(input);
          reader.end();
          const { emitted, took } = readWithLane(input, cuts, fields, stops);
          const merged = [...emitted, ...took].sort((a, b) => a.line - b.line);
          expect(merged).toEqual(plain);
          taken += took.length;
        },
      ),
      { numRuns: 150 },
    );
    expect(taken).toBeGreaterThan(60);
  });

  it('lets the lane take the plain lines of a clean file, reading the header and the odd line itself', () => {
    const lines = ['a,b,c', ...Array.from({ length: 5000 }, (_, i) => `${i},x${i},${i % 7}`)];
    lines[2500] = '"quoted",x,1';
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const { emitted, took } = readWithLane(input, [65536, 70000], 3, [false]);
    expect(emitted.map((r) => r.line)).toEqual([1, 2501]);
    expect(took).toHaveLength(4999);
    expect(took[0]).toMatchObject({ line: 2, raw: '0,x0,0' });
    expect(took.at(-1)).toMatchObject({ line: 5001, raw: '4999,x4999,1' });
  });
});

describe('CsvRecordReader memory bounds', () => {
  it('gives up on a quoted field that never closes before a huge line, and keeps the rest', () => {
    const input = Buffer.from(`a,b\n1,"open\n${'y'.repeat(6000)}\n2,3\n`);
    const chunks = [...Array(Math.ceil(input.length / 500)).keys()].map((i) => i * 500);
    const records = readAll(input, chunks, 2, { maxLineBytes: 1000, maxRecordBytes: 1000 });
    expect(records.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, true],
    ]);
    checkTiling(input, records, 2);
  });
});
