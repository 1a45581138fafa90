import * as fc from 'fast-check';
import { parseClickEvent } from '../../../layers/clickstream/schema';

const valid = {
  eventId: '3f1f8a4e-2b7c-4d1e-9a3b-5c6d7e8f9a0b',
  eventType: 'view',
  userId: 'u1',
  sessionId: 's1',
  productId: 'p1',
  timestamp: '2026-11-21T10:15:00.000Z',
};
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('parseClickEvent', () => {
  it('accepts a valid view event and keeps unknown extra fields', () => {
    const result = parseClickEvent(bytes({ ...valid, campaign: 'x' }));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.campaign).toBe('x');
      expect(result.epochMs).toBe(Date.parse(valid.timestamp));
    }
  });

  it.each([
    ['not JSON', '{"eventId":', /not valid JSON/],
    ['a JSON array', [1, 2], /not a JSON object/],
    ['an unknown event type', { ...valid, eventType: 'teleport' }, /eventType/],
    ['a non-UTC timestamp', { ...valid, timestamp: '2026-11-21T10:15:00+02:00' }, /timestamp/],
    ['a product event without productId', { ...valid, productId: undefined }, /productId: is required for view events/],
    ['a search without searchTerm', { ...valid, eventType: 'search', productId: undefined }, /searchTerm/],
    ['a bad uuid', { ...valid, eventId: 'nope' }, /eventId/],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const result = parseClickEvent(bytes(input));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('rejects invalid UTF-8', () => {
    const result = parseClickEvent(Buffer.from([0xff, 0xfe, 0x7b]));
    expect(result).toEqual({ ok: false, reason: 'record is not valid UTF-8' });
  });

  it('keeps a single-line record as sent, and a multi-line one with its line breaks as spaces', () => {
    const sent = ` ${JSON.stringify({ ...valid, extra: 1.0e2 })} `;
    const single = parseClickEvent(Buffer.from(sent));
    expect(single.ok && single.line).toBe(sent.trim());
    const prettyText = JSON.stringify(valid, null, 2).replace(/\n/g, '\r\n');
    const pretty = parseClickEvent(Buffer.from(prettyText));
    expect(pretty.ok && pretty.line).not.toMatch(/[\r\n]/);
    expect(pretty.ok && JSON.parse(pretty.line)).toEqual(valid);
  });

  it('never throws on pathological input: deep nesting over two lines, huge numbers, __proto__ keys', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `{"eventId":"${valid.eventId}","eventType":"view","userId":"u1","sessionId":"s1",\n"productId":"p1","timestamp":"${valid.timestamp}","extra":${deep},"big":1e400,"__proto__":{"x":1}}`;
    const result = parseClickEvent(Buffer.from(text));
    expect(result.ok).toBe(true);
    // The raw line is the producer's text with the break as a space: nothing re-serialised, nothing lost.
    expect(result.ok && result.line).toBe(text.replace('\n', ' '));
    expect(parseClickEvent(Buffer.from(`[${deep}]`))).toMatchObject({ ok: false });
  });

  it.each([
    ['an impossible date', '2026-02-30T10:00:00Z'],
    ['hour 24', '2026-11-20T24:00:00Z'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['year 9999', '9999-01-01T00:00:00Z'],
  ])('rejects %s instead of rolling it over', (_name, timestamp) => {
    expect(parseClickEvent(bytes({ ...valid, timestamp }))).toMatchObject({ ok: false, reason: /timestamp/ });
  });

  it('accepts the years it is told to', () => {
    const old = bytes({ ...valid, timestamp: '1960-01-01T00:00:00Z' });
    expect(parseClickEvent(old).ok).toBe(false);
    expect(parseClickEvent(old, { min: 1900, max: 2100 }).ok).toBe(true);
  });

  it('accepts a leading byte-order mark', () => {
    const result = parseClickEvent(Buffer.from(`\ufeff${JSON.stringify(valid)}`));
    expect(result.ok && result.line).toBe(JSON.stringify(valid));
  });
});

describe('parseClickEvent on anything (property)', () => {
  it('accepts or gives a reason for arbitrary bytes and JSON, and never throws', () => {
    const deep = fc.integer({ min: 1, max: 50_000 }).map((n) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map((j) => Buffer.from(j)),
          deep.map((d) => Buffer.from(d)),
          fc
            .constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '1e99999', '{"a":1e400}')
            .map((s) => Buffer.from(s)),
        ),
        (bytes) => {
          const result = parseClickEvent(bytes);
          if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
          else expect(result.line).not.toMatch(/[\r\n]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
