import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import type { ClickEvent, EventType } from '../../../layers/clickstream/schema';
import {
  eventsByUser,
  foldSessionEvents,
  RECENT_EVENT_IDS_MAX,
  RECENTLY_VIEWED_MAX,
  type SequencedEvent,
} from '../../../layers/clickstream/session-features';

const SHARD = 'shardId-000000000000';
let seq = 10n ** 20n;
function at(minute: number, eventType: EventType, extra: Partial<ClickEvent> = {}): SequencedEvent {
  seq += 1n;
  return {
    shardId: SHARD,
    sequenceNumber: seq.toString(),
    event: {
      eventId: randomUUID(),
      eventType,
      userId: 'u1',
      sessionId: 's1',
      ...(eventType === 'search' ? { searchTerm: 'lamp' } : { productId: 'p1' }),
      timestamp: new Date(Date.UTC(2026, 10, 21, 12, minute)).toISOString(),
      ...extra,
    },
  };
}

describe('foldSessionEvents', () => {
  it('counts each event type in the current session and tracks last seen', () => {
    const events = [at(0, 'view'), at(1, 'click'), at(2, 'add_to_cart'), at(3, 'search'), at(4, 'purchase')];
    const { state, applied } = foldSessionEvents('u1', undefined, events);
    expect(applied).toBe(5);
    expect(state.counters).toEqual({
      views: 1,
      clicks: 1,
      addToCarts: 1,
      removeFromCarts: 0,
      searches: 1,
      purchases: 1,
    });
    expect(state).toMatchObject({
      sessionId: 's1',
      sessionStart: '2026-11-21T12:00:00.000Z',
      lastSeen: '2026-11-21T12:04:00.000Z',
    });
  });

  it('starts a new session when a later event has a new session id, and ignores late events of the old one', () => {
    const first = foldSessionEvents('u1', undefined, [at(0, 'view'), at(1, 'click')]).state;
    const { state } = foldSessionEvents('u1', first, [
      at(30, 'view', { sessionId: 's2', productId: 'p9' }),
      at(2, 'click', { sessionId: 's1' }), // arrives late, belongs to the session that ended
    ]);
    expect(state.sessionId).toBe('s2');
    expect(state.sessionStart).toBe('2026-11-21T12:30:00.000Z');
    expect(state.counters.views).toBe(1);
    expect(state.counters.clicks).toBe(0);
    expect(state.staleEvents).toBe(1);
    expect(state.lastSeen).toBe('2026-11-21T12:30:00.000Z');
  });

  it('keeps the last 20 viewed products, newest first, once each', () => {
    const views = Array.from({ length: 30 }, (_, i) => at(i, 'view', { productId: `p${i % 25}` }));
    const { state } = foldSessionEvents('u1', undefined, views);
    expect(state.recentlyViewed).toHaveLength(RECENTLY_VIEWED_MAX);
    expect(state.recentlyViewed[0]).toEqual({ productId: 'p4', viewedAt: '2026-11-21T12:29:00.000Z' });
    expect(new Set(state.recentlyViewed.map((v) => v.productId)).size).toBe(RECENTLY_VIEWED_MAX);
    const times = state.recentlyViewed.map((v) => v.viewedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('skips records at or below the shard watermark (a redelivered batch changes nothing)', () => {
    const batch = [at(0, 'view'), at(1, 'click')];
    const once = foldSessionEvents('u1', undefined, batch).state;
    const again = foldSessionEvents('u1', once, batch);
    expect(again.applied).toBe(0);
    expect(again.redelivered).toBe(2);
    expect(again.state).toEqual(once);
  });

  it('drops a producer duplicate: same event id under a new sequence number', () => {
    const original = at(0, 'view');
    const duplicate = { ...at(0, 'view'), event: original.event };
    const result = foldSessionEvents('u1', undefined, [original, duplicate]);
    expect(result.applied).toBe(1);
    expect(result.duplicates).toBe(1);
    expect(result.state.counters.views).toBe(1);
  });

  it('bounds the duplicate window', () => {
    const events = Array.from({ length: RECENT_EVENT_IDS_MAX + 10 }, (_, i) => at(i % 60, 'click'));
    const { state } = foldSessionEvents('u1', undefined, events);
    expect(state.recentEventIds).toHaveLength(RECENT_EVENT_IDS_MAX);
    expect(state.recentEventIds.at(-1)).toBe(events.at(-1)?.event.eventId);
  });

  it('does not mutate the previous state', () => {
    const previous = foldSessionEvents('u1', undefined, [at(0, 'view')]).state;
    const snapshot = structuredClone(previous);
    foldSessionEvents('u1', previous, [at(5, 'view', { productId: 'p2' }), at(6, 'click', { sessionId: 's2' })]);
    expect(previous).toEqual(snapshot);
  });

  it('refuses events of another user', () => {
    expect(() => foldSessionEvents('u2', undefined, [at(0, 'view')])).toThrow(/for u1, not u2/);
  });

  it('is idempotent under any redelivery pattern Lambda can produce (property)', () => {
    const types: EventType[] = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'search', 'purchase'];
    const arbEvent = fc.record({
      minute: fc.integer({ min: 0, max: 59 }),
      type: fc.constantFrom(...types),
      session: fc.constantFrom('s1', 's2', 's3'),
      product: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
    });
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 40 }),
        // Each delivery: [start, end) of the stream; Lambda only ever moves forward from a checkpoint,
        // but any delivery may repeat records from before it (retries, bisected halves).
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
        (specs, cuts) => {
          const stream = specs.map((s) =>
            at(s.minute, s.type, { sessionId: s.session, ...(s.type === 'search' ? {} : { productId: s.product }) }),
          );
          const reference = foldSessionEvents('u1', undefined, stream).state;
          let state = foldSessionEvents('u1', undefined, []).state;
          let checkpoint = 0;
          for (const [a, b] of cuts) {
            const start = a % (checkpoint + 1); // may replay anything already applied
            const end = Math.min(stream.length, checkpoint + 1 + (b % stream.length));
            state = foldSessionEvents('u1', state, stream.slice(start, end)).state;
            checkpoint = Math.max(checkpoint, end);
          }
          state = foldSessionEvents('u1', state, stream).state; // the final catch-up delivers the rest
          expect(state).toEqual(reference);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('eventsByUser', () => {
  it('groups by user and keeps delivery order', () => {
    const a = at(0, 'view');
    const b = at(1, 'view', { userId: 'u2' });
    const c = at(2, 'click');
    const groups = eventsByUser([a, b, c]);
    expect([...groups.keys()]).toEqual(['u1', 'u2']);
    expect(groups.get('u1')).toEqual([a, c]);
  });
});
