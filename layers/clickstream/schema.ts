import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { DEFAULT_YEARS, formatYearRange, type YearRange } from '../util/timestamps';

export const CLICKSTREAM_SCHEMA_VERSION = '1';
export const EVENT_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'search', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const id = z.string().min(1).max(128);

/** The clickstream event contract (README, "Streaming clicks"). Unknown extra fields are kept, never silently dropped. */
export const ClickEventSchema = z
  .looseObject({
    eventId: z.uuid(),
    eventType: z.enum(EVENT_TYPES),
    userId: id,
    sessionId: id,
    productId: id.optional(),
    searchTerm: z.string().min(1).max(512).optional(),
    timestamp: z.iso.datetime({ precision: undefined }),
    page: z.string().max(2048).optional(),
    referrer: z.string().max(2048).optional(),
    device: z.string().max(64).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.eventType === 'search') {
      if (event.searchTerm === undefined) {
        ctx.addIssue({ code: 'custom', path: ['searchTerm'], message: 'is required for search events' });
      }
    } else if (event.productId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['productId'], message: `is required for ${event.eventType} events` });
    }
  });

export type ClickEvent = z.infer<typeof ClickEventSchema>;

export type ParseResult =
  | { ok: true; event: ClickEvent; epochMs: number; line: string }
  | { ok: false; reason: string };

/**
 * Parse one record's bytes into a valid event, or say in one sentence why not. Never throws, whatever
 * the bytes (deep nesting, huge numbers, `__proto__` keys). `line` is the event as one JSON Lines
 * line: the producer's own text, byte for byte, with any line breaks between its tokens turned into
 * spaces (JSON forbids raw line breaks inside strings, so this changes whitespace only and needs no
 * re-serialisation, which deeply nested values would overflow).
 */
export function parseClickEvent(bytes: Uint8Array, years: YearRange = DEFAULT_YEARS): ParseResult {
  try {
    return parseUnsafe(bytes, years);
  } catch (err) {
    // Defence in depth: nothing above should throw, but a record must never crash its batch.
    return { ok: false, reason: `record could not be read: ${(err as Error).message}` };
  }
}

function parseUnsafe(bytes: Uint8Array, years: YearRange): ParseResult {
  if (!isUtf8(bytes)) return { ok: false, reason: 'record is not valid UTF-8' };
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `record is not valid JSON: ${(err as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, reason: 'record is not a JSON object' };
  }
  const parsed = ClickEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : 'event';
    return { ok: false, reason: `schema violation at ${path}: ${issue?.message ?? 'invalid'}` };
  }
  const year = Number(parsed.data.timestamp.slice(0, 4));
  if (year < years.min || year > years.max) {
    return {
      ok: false,
      reason: `schema violation at timestamp: year ${year} is outside the accepted years ${formatYearRange(years)}`,
    };
  }
  const trimmed = text.trim();
  const line = /[\r\n]/.test(trimmed) ? trimmed.replace(/[\r\n]/g, ' ') : trimmed;
  return { ok: true, event: parsed.data, epochMs: Date.parse(parsed.data.timestamp), line };
}
