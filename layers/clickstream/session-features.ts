/**
 * Real-time session features (the speed layer), as a pure fold of click events into a
 * per-user state. The handler reads the state, folds the batch's events in and writes it back with a
 * version condition; this module decides what an event does to the state and when it must be skipped.
 *
 * Idempotency: Kinesis delivers a partition key's records (we key by user) in sequence order per
 * shard, and Lambda retries redeliver records the function may already have applied. The state keeps,
 * per shard, the highest sequence number it has applied (its watermark): a redelivered record is at or
 * below it and is skipped. A short window of recent event ids also drops producer-side duplicates
 * (a PutRecords retry after a lost response puts the same event twice under new sequence numbers).
 */
import { compareSequenceNumbers } from './batch';
import type { ClickEvent, EventType } from './schema';

export const SESSION_FEATURE_SET = { name: 'realtime_session', version: '1' } as const;
export const RECENTLY_VIEWED_MAX = 20;
export const RECENT_EVENT_IDS_MAX = 50;

export interface RecentlyViewed {
  readonly productId: string;
  readonly viewedAt: string;
}

export interface SessionCounters {
  views: number;
  clicks: number;
  addToCarts: number;
  removeFromCarts: number;
  searches: number;
  purchases: number;
}

export interface SessionState {
  readonly userId: string;
  /** The current session: the session of the user's latest event by event time. */
  sessionId: string;
  sessionStart: string;
  counters: SessionCounters;
  /** Latest event time seen for the user (any session). */
  lastSeen: string;
  /** Most recent first, one entry per product, at most RECENTLY_VIEWED_MAX. */
  recentlyViewed: RecentlyViewed[];
  /** Events older than the current session's latest activity that belong to another session. */
  staleEvents: number;
  /** Per shard: the highest sequence number applied. */
  watermarks: Record<string, string>;
  /** The last RECENT_EVENT_IDS_MAX applied event ids, oldest first. */
  recentEventIds: string[];
}

export interface SequencedEvent {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly event: ClickEvent;
}

const COUNTER_OF: Record<EventType, keyof SessionCounters> = {
  view: 'views',
  click: 'clicks',
  add_to_cart: 'addToCarts',
  remove_from_cart: 'removeFromCarts',
  search: 'searches',
  purchase: 'purchases',
};

function zeroCounters(): SessionCounters {
  return { views: 0, clicks: 0, addToCarts: 0, removeFromCarts: 0, searches: 0, purchases: 0 };
}

function emptyState(userId: string): SessionState {
  return {
    userId,
    sessionId: '',
    sessionStart: '',
    counters: zeroCounters(),
    lastSeen: '',
    recentlyViewed: [],
    staleEvents: 0,
    watermarks: {},
    recentEventIds: [],
  };
}

function cloneState(state: SessionState): SessionState {
  return {
    ...state,
    counters: { ...state.counters },
    recentlyViewed: [...state.recentlyViewed],
    watermarks: { ...state.watermarks },
    recentEventIds: [...state.recentEventIds],
  };
}

export interface FoldResult {
  readonly state: SessionState;
  /** Events that changed the state. */
  readonly applied: number;
  /** Redelivered events: at or below their shard's watermark. */
  readonly redelivered: number;
  /** New records carrying an event id already applied (producer duplicates). */
  readonly duplicates: number;
}

/**
 * Fold one user's events (in delivery order) into their state. Never mutates `previous`.
 * Events of other users are a programming error and throw.
 */
export function foldSessionEvents(
  userId: string,
  previous: SessionState | undefined,
  events: readonly SequencedEvent[],
): FoldResult {
  const state = previous ? cloneState(previous) : emptyState(userId);
  let applied = 0;
  let redelivered = 0;
  let duplicates = 0;
  const seenIds = new Set(state.recentEventIds);
  for (const { shardId, sequenceNumber, event } of events) {
    if (event.userId !== userId) throw new Error(`event ${event.eventId} is for ${event.userId}, not ${userId}`);
    const watermark = state.watermarks[shardId];
    if (watermark !== undefined && compareSequenceNumbers(sequenceNumber, watermark) <= 0) {
      redelivered++;
      continue;
    }
    state.watermarks[shardId] = sequenceNumber;
    if (seenIds.has(event.eventId)) {
      duplicates++;
      continue;
    }
    seenIds.add(event.eventId);
    state.recentEventIds.push(event.eventId);
    applied++;
    applyEvent(state, event);
  }
  if (state.recentEventIds.length > RECENT_EVENT_IDS_MAX) {
    state.recentEventIds = state.recentEventIds.slice(-RECENT_EVENT_IDS_MAX);
  }
  return { state, applied, redelivered, duplicates };
}

function applyEvent(state: SessionState, event: ClickEvent): void {
  const at = Date.parse(event.timestamp);
  const lastSeen = state.lastSeen === '' ? Number.NEGATIVE_INFINITY : Date.parse(state.lastSeen);
  const iso = new Date(at).toISOString();
  if (event.sessionId !== state.sessionId) {
    if (at < lastSeen) {
      // Late event of a session that is no longer current: it does not reopen it.
      state.staleEvents++;
      if (event.eventType === 'view' && event.productId !== undefined) noteView(state, event.productId, iso);
      return;
    }
    state.sessionId = event.sessionId;
    state.sessionStart = iso;
    state.counters = zeroCounters();
  } else if (at < Date.parse(state.sessionStart)) {
    state.sessionStart = iso;
  }
  state.counters[COUNTER_OF[event.eventType]]++;
  if (at > lastSeen) state.lastSeen = iso;
  if (event.eventType === 'view' && event.productId !== undefined) noteView(state, event.productId, iso);
}

/** Keep the most recent view of each product, newest first, at most RECENTLY_VIEWED_MAX. */
function noteView(state: SessionState, productId: string, viewedAt: string): void {
  const existing = state.recentlyViewed.find((v) => v.productId === productId);
  if (existing && existing.viewedAt >= viewedAt) return;
  const others = state.recentlyViewed.filter((v) => v.productId !== productId);
  const index = others.findIndex((v) => v.viewedAt < viewedAt);
  if (index === -1) others.push({ productId, viewedAt });
  else others.splice(index, 0, { productId, viewedAt });
  state.recentlyViewed = others.slice(0, RECENTLY_VIEWED_MAX);
}

/** Group events by user, keeping delivery order within each user. */
export function eventsByUser(events: Iterable<SequencedEvent>): Map<string, SequencedEvent[]> {
  const byUser = new Map<string, SequencedEvent[]>();
  for (const item of events) {
    const list = byUser.get(item.event.userId);
    if (list) list.push(item);
    else byUser.set(item.event.userId, [item]);
  }
  return byUser;
}
