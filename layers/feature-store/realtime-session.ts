/**
 * Reads and writes the real-time session features of the online feature store. Every write is a
 * conditional put on the item's version (optimistic concurrency): two consumers updating the same
 * user never lose each other's events, and a retried batch is a no-op because the fold skips what
 * the stored watermarks say was applied (layers/clickstream/session-features.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import {
  foldSessionEvents,
  SESSION_FEATURE_SET,
  type SequencedEvent,
  type SessionState,
} from '../clickstream/session-features';
import { mapSettled } from '../util/concurrency';
import { again, done, retrying } from '../util/retry';
import { REALTIME_SESSION_SK, TTL_ATTRIBUTE, userKey } from './keys';

export interface SessionStoreOptions {
  readonly tableName: string;
  /** Items expire this long after their last update. */
  readonly ttlSeconds: number;
  readonly now?: () => Date;
  /** Users written in parallel. @default 16 */
  readonly concurrency?: number;
  /** Re-reads after a lost version race, per user. @default 5 */
  readonly maxConflictRetries?: number;
  /** Rounds of retrying BatchGet's unprocessed keys. @default 8 */
  readonly maxUnprocessedRetries?: number;
}

interface StoredSession {
  readonly state: SessionState;
  readonly version: number;
}

export interface SessionUpdateSummary {
  readonly users: number;
  readonly written: number;
  readonly applied: number;
  readonly redelivered: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly failed: { userId: string; error: Error }[];
}

/** The DynamoDB item of a user's session features. */
export function sessionItem(state: SessionState, version: number, now: Date, ttlSeconds: number) {
  return {
    ...userKey(state.userId, REALTIME_SESSION_SK),
    featureSet: SESSION_FEATURE_SET.name,
    featureSetVersion: SESSION_FEATURE_SET.version,
    userId: state.userId,
    sessionId: state.sessionId,
    sessionStart: state.sessionStart,
    ...state.counters,
    lastSeen: state.lastSeen,
    eventTime: state.lastSeen,
    recentlyViewed: state.recentlyViewed,
    staleEvents: state.staleEvents,
    watermarks: state.watermarks,
    recentEventIds: state.recentEventIds,
    version,
    updatedAt: now.toISOString(),
    [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + ttlSeconds,
  };
}

/** The state stored in an item, or a clear error when the item is not a session item we wrote. */
export function sessionFromItem(item: Record<string, unknown>): StoredSession {
  const num = (name: string): number => {
    const value = item[name];
    if (typeof value !== 'number') throw new Error(`session item ${String(item.pk)} has no numeric ${name}`);
    return value;
  };
  return {
    version: num('version'),
    state: {
      userId: String(item.userId),
      sessionId: String(item.sessionId ?? ''),
      sessionStart: String(item.sessionStart ?? ''),
      counters: {
        views: num('views'),
        clicks: num('clicks'),
        addToCarts: num('addToCarts'),
        removeFromCarts: num('removeFromCarts'),
        searches: num('searches'),
        purchases: num('purchases'),
      },
      lastSeen: String(item.lastSeen ?? ''),
      recentlyViewed: (item.recentlyViewed as SessionState['recentlyViewed'] | undefined) ?? [],
      staleEvents: num('staleEvents'),
      watermarks: (item.watermarks as Record<string, string> | undefined) ?? {},
      recentEventIds: (item.recentEventIds as string[] | undefined) ?? [],
    },
  };
}

/**
 * Consistent BatchGet of many users' session items (100 keys per call, unprocessed keys retried). An
 * item that is not a session item we wrote goes to `unreadable` (when given) instead of failing the
 * whole read: one user's bad item must not stop everyone else's features.
 */
export async function readSessions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  userIds: readonly string[],
  maxUnprocessedRetries = 8,
  unreadable?: Map<string, Error>,
): Promise<Map<string, StoredSession>> {
  const found = new Map<string, StoredSession>();
  for (let i = 0; i < userIds.length; i += 100) {
    let keys: Record<string, unknown>[] = userIds
      .slice(i, i + 100)
      .map((id) => ({ ...userKey(id, REALTIME_SESSION_SK) }));
    await retrying(
      { attempts: maxUnprocessedRetries + 1, baseDelayMs: 50 },
      {
        giveUp: () =>
          new Error(`${keys.length} session reads were still unprocessed after ${maxUnprocessedRetries} retries`),
      },
      async () => {
        const out = await doc.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) {
          let stored: StoredSession;
          try {
            stored = sessionFromItem(item);
          } catch (err) {
            if (!unreadable) throw err;
            unreadable.set(String(item.pk).replace(/^user#/, ''), err as Error);
            continue;
          }
          found.set(stored.state.userId, stored);
        }
        keys = (out.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        return keys.length === 0 ? done(undefined) : again(`${keys.length} keys unprocessed`);
      },
    );
  }
  return found;
}

/** Fold each user's events into their stored state and write it back under a version condition. */
export async function applySessionEvents(
  doc: DynamoDBDocumentClient,
  byUser: ReadonlyMap<string, readonly SequencedEvent[]>,
  options: SessionStoreOptions,
): Promise<SessionUpdateSummary> {
  const now = options.now ?? (() => new Date());
  const userIds = [...byUser.keys()];
  const unreadable = new Map<string, Error>();
  const stored = await readSessions(doc, options.tableName, userIds, options.maxUnprocessedRetries, unreadable);
  let written = 0;
  let applied = 0;
  let redelivered = 0;
  let duplicates = 0;
  let conflicts = 0;

  const results = await mapSettled(userIds, options.concurrency ?? 16, async (userId) => {
    const events = byUser.get(userId) ?? [];
    const broken = unreadable.get(userId);
    if (broken) throw broken;
    let current = stored.get(userId);
    for (let attempt = 0; ; attempt++) {
      const fold = foldSessionEvents(userId, current?.state, events);
      if (fold.applied + fold.duplicates === 0) {
        redelivered += fold.redelivered;
        return; // every event was applied before: nothing to write
      }
      const version = (current?.version ?? 0) + 1;
      try {
        await doc.send(
          new PutCommand({
            TableName: options.tableName,
            Item: sessionItem(fold.state, version, now(), options.ttlSeconds),
            ...(current
              ? {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': current.version },
                }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        written++;
        applied += fold.applied;
        redelivered += fold.redelivered;
        duplicates += fold.duplicates;
        return;
      } catch (err) {
        if (!isConditionFailure(err) || attempt >= (options.maxConflictRetries ?? 5)) throw err;
        conflicts++;
        const out = await doc.send(
          new GetCommand({
            TableName: options.tableName,
            Key: userKey(userId, REALTIME_SESSION_SK),
            ConsistentRead: true,
          }),
        );
        current = out.Item ? sessionFromItem(out.Item) : undefined;
      }
    }
  });

  const failed: SessionUpdateSummary['failed'] = [];
  results.forEach((result, i) => {
    if (result.status === 'rejected') failed.push({ userId: userIds[i] ?? '?', error: result.reason as Error });
  });
  return { users: userIds.length, written, applied, redelivered, duplicates, conflicts, failed };
}

/** Every user's session state (a full scan: for summaries and operators, not for serving). */
export async function scanSessions(doc: DynamoDBDocumentClient, tableName: string): Promise<SessionState[]> {
  const states: SessionState[] = [];
  const pages = paginateScan(
    { client: doc },
    {
      TableName: tableName,
      FilterExpression: 'sk = :sk',
      ExpressionAttributeValues: { ':sk': REALTIME_SESSION_SK },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) states.push(sessionFromItem(item).state);
  return states;
}

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}
