import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { foldSessionEvents } from '../../../layers/clickstream/session-features';
import { isExpired, userKey } from '../../../layers/feature-store/keys';
import { featureLines, readableUserFeatures } from '../../../layers/feature-store/readable';
import { readSessions, sessionFromItem, sessionItem } from '../../../layers/feature-store/realtime-session';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

function storedItem(userId: string): Record<string, unknown> {
  const { state } = foldSessionEvents(userId, undefined, [
    {
      shardId: 'shardId-0',
      sequenceNumber: '1',
      event: {
        eventId: '3f1f8a4e-2b7c-4d1e-9a3b-5c6d7e8f9a0b',
        eventType: 'view',
        userId,
        sessionId: 's1',
        productId: 'p1',
        timestamp: '2026-11-21T00:00:00Z',
      },
    },
  ]);
  return sessionItem(state, 3, new Date('2026-11-21T00:00:05Z'), 3600);
}

describe('session items', () => {
  it('round-trip through the DynamoDB item shape', () => {
    const item = storedItem('u7');
    const updatedAt = Date.parse('2026-11-21T00:00:05Z') / 1000;
    expect(item).toMatchObject({ pk: 'user#u7', sk: 'rt#session', version: 3, expiresAt: updatedAt + 3600 });
    const back = sessionFromItem(item);
    expect(back.version).toBe(3);
    expect(back.state.counters.views).toBe(1);
    expect(back.state.recentlyViewed).toEqual([{ productId: 'p1', viewedAt: '2026-11-21T00:00:00.000Z' }]);
  });

  it('refuse an item that is not a session item', () => {
    expect(() => sessionFromItem({ pk: 'user#x', sk: 'rt#session' })).toThrow(/no numeric version/);
  });

  it('are expired once their TTL has passed, even before DynamoDB deletes them', () => {
    const item = storedItem('u7');
    expect(isExpired(item, new Date('2026-11-21T00:30:00Z'))).toBe(false);
    expect(isExpired(item, new Date('2026-11-21T01:00:05Z'))).toBe(true);
    expect(isExpired({ ...userKey('u1', 'x') })).toBe(false);
  });
});

describe('readSessions', () => {
  it('reads in chunks of 100 keys and retries unprocessed keys', async () => {
    const users = Array.from({ length: 150 }, (_, i) => `u${i}`);
    let calls = 0;
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
      calls++;
      const keys = input.RequestItems.t?.Keys ?? [];
      expect(keys.length).toBeLessThanOrEqual(100);
      // The first call of each chunk leaves its last key unprocessed.
      const [answered, left] = calls % 2 === 1 ? [keys.slice(0, -1), keys.slice(-1)] : [keys, []];
      return {
        Responses: { t: answered.map((k) => storedItem(k.pk.slice('user#'.length))) },
        UnprocessedKeys: left.length > 0 ? { t: { Keys: left } } : {},
      };
    });
    const sessions = await readSessions(doc, 't', users);
    expect(sessions.size).toBe(150);
    expect(calls).toBe(4);
  });

  it('gives up with a clear error when keys stay unprocessed', async () => {
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({
      Responses: { t: [] },
      UnprocessedKeys: { t: { Keys: input.RequestItems.t?.Keys } },
    }));
    await expect(readSessions(doc, 't', ['u1'], 2)).rejects.toThrow(/1 session reads were still unprocessed after 2/);
  });
});

describe('readable features', () => {
  it('drops the store bookkeeping and puts the real-time session first', () => {
    const sets = readableUserFeatures({
      'fs#user_features': {
        pk: 'user#u1',
        sk: 'fs#user_features',
        featureSet: 'user_features',
        featureSetVersion: '20261130T000000Z',
        eventTime: '2026-11-30T00:00:00Z',
        expiresAt: 9,
        features: { purchaseCount: 3, topCategories: ['toys'] },
      },
      'rt#session': {
        pk: 'user#u1',
        sk: 'rt#session',
        featureSet: 'realtime_session',
        featureSetVersion: '1',
        userId: 'u1',
        sessionId: 's1',
        views: 2,
        watermarks: { 'shardId-0': '123' },
        recentEventIds: ['e1', 'e2'],
        updatedAt: '2026-11-30T01:00:00Z',
        expiresAt: 9,
      },
    });
    expect(sets).toEqual([
      {
        featureSet: 'realtime_session',
        version: '1',
        asOf: '2026-11-30T01:00:00Z',
        features: { sessionId: 's1', views: 2 },
      },
      {
        featureSet: 'user_features',
        version: '20261130T000000Z',
        asOf: '2026-11-30T00:00:00Z',
        features: { purchaseCount: 3, topCategories: ['toys'] },
      },
    ]);
    expect(featureLines('user u1', sets)).toEqual([
      'user u1',
      '  realtime_session (version 1, as of 2026-11-30T01:00:00Z)',
      '    sessionId  s1',
      '    views      2',
      '  user_features (version 20261130T000000Z, as of 2026-11-30T00:00:00Z)',
      '    purchaseCount  3',
      '    topCategories  ["toys"]',
    ]);
  });
});
