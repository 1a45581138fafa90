import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ClickEvent } from '../../../layers/clickstream/schema';
import { batchWriteItems, featureItem, getItemFeatures, getUserFeatures } from '../../../layers/feature-store/online';
import { FeatureBuilder } from '../../../layers/features/builders';
import { versionAt } from '../../../layers/features/select';

const now = new Date('2026-11-21T00:00:00Z');
const ev = (over: Partial<ClickEvent> & Pick<ClickEvent, 'eventType' | 'timestamp'>): ClickEvent => ({
  eventId: '3f1f8a4e-2b7c-4d1e-9a3b-5c6d7e8f9a0b',
  userId: 'u1',
  sessionId: 's1',
  productId: 'p1',
  ...over,
});

describe('FeatureBuilder', () => {
  // Hand-computed fixture: two users, two items, categories from the catalog.
  const b = new FeatureBuilder(
    new Map([
      ['p1', { category: 'home', externalPopularity: 120, sentimentScore: 0.5, sentimentLabel: 'positive' }],
      ['p2', { category: 'toys' }],
    ]),
    { view: 1, click: 2, add_to_cart: 4, purchase: 8 },
    now,
  );
  b.addTransaction({
    customerId: 'u1',
    productId: 'p1',
    quantity: 2,
    unitPrice: 10,
    rating: 4,
    epochMs: Date.parse('2026-11-19T00:00:00Z'),
  });
  b.addTransaction({
    customerId: 'u1',
    productId: 'p2',
    quantity: 1,
    unitPrice: 5.5,
    epochMs: Date.parse('2026-11-18T00:00:00Z'),
  });
  b.addTransaction({
    customerId: 'u2',
    productId: 'p1',
    quantity: 1,
    unitPrice: 10,
    rating: 2,
    epochMs: Date.parse('2026-11-10T00:00:00Z'),
  });
  b.addEvent(ev({ eventType: 'view', timestamp: '2026-11-20T10:00:00Z' }));
  b.addEvent(ev({ eventType: 'view', timestamp: '2026-11-20T10:10:00Z' }));
  b.addEvent(ev({ eventType: 'add_to_cart', timestamp: '2026-11-20T10:20:00Z' }));
  b.addEvent(
    ev({ eventType: 'view', userId: 'u2', sessionId: 's2', productId: 'p2', timestamp: '2026-11-20T12:00:00Z' }),
  );
  b.addEvent(
    ev({
      eventType: 'search',
      userId: 'u2',
      sessionId: 's3',
      productId: undefined,
      searchTerm: 'x',
      timestamp: '2026-11-20T13:00:00Z',
    }),
  );
  const users = Object.fromEntries([...b.userFeatures()].map((u) => [u.userId, u]));
  const items = Object.fromEntries([...b.itemFeatures()].map((i) => [i.itemId, i]));
  const pairs = Object.fromEntries([...b.interactions()].map((x) => [`${x.userId}/${x.itemId}`, x]));

  it('computes user features', () => {
    expect(users.u1).toEqual({
      userId: 'u1',
      eventCounts: { view: 2, click: 0, add_to_cart: 1, remove_from_cart: 0, search: 0, purchase: 0 },
      purchaseCount: 2,
      totalSpend: 25.5, // 2 × 10 + 1 × 5.5
      avgRatingGiven: 4,
      recencyDays: 0.57, // last activity 2026-11-20T10:20Z → 13 h 40 min before now
      topCategories: ['home', 'toys'], // home: 1 purchase + 3 events, toys: 1 purchase
      sessions: 1,
      avgSessionMinutes: 20,
      lastActivity: '2026-11-20T10:20:00.000Z',
    });
    expect(users.u2).toMatchObject({
      purchaseCount: 1,
      avgRatingGiven: 2,
      sessions: 2,
      avgSessionMinutes: 0,
      topCategories: ['home', 'toys'],
    });
  });

  it('computes item features, joining the external metadata', () => {
    expect(items.p1).toEqual({
      itemId: 'p1',
      category: 'home',
      popularity: 2, // u1 and u2
      ratingCount: 2,
      ratingMean: 3,
      views: 2,
      purchases: 2,
      viewToPurchase: 1, // the one viewer (u1) also bought
      externalPopularity: 120,
      externalTrend: null,
      sentimentScore: 0.5,
      sentimentLabel: 'positive',
    });
    expect(items.p2).toMatchObject({ popularity: 2, ratingCount: 0, ratingMean: null, viewToPurchase: 0 });
  });

  it('builds the interaction matrix with explicit ratings and weighted implicit confidence', () => {
    expect(pairs['u1/p1']).toEqual({
      userId: 'u1',
      itemId: 'p1',
      rating: 4,
      confidence: 1 * 2 + 4 * 1 + 8 * 1,
      lastAt: '2026-11-20T10:20:00.000Z', // the add-to-cart, after the purchase of 2026-11-19
    });
    expect(pairs['u2/p2']).toEqual({
      userId: 'u2',
      itemId: 'p2',
      rating: null,
      confidence: 1,
      lastAt: '2026-11-20T12:00:00.000Z',
    });
    expect(pairs['u2/p1']?.lastAt).toBe('2026-11-10T00:00:00.000Z');
    expect(Object.keys(pairs).sort()).toEqual(['u1/p1', 'u1/p2', 'u2/p1', 'u2/p2']);
  });

  it('versions builds by time', () => {
    expect(versionAt(new Date('2026-11-21T10:30:00.123Z'))).toBe('20261121T103000Z');
  });
});

describe('online store', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const items = Array.from({ length: 60 }, (_, i) => ({
    ...featureItem('user', `u${i}`, 'user_features', 'v1', '2026-11-20T00:00:00Z', { n: i }, 2_000_000_000),
  }));

  it('writes 25 items a request and retries unprocessed items until done', async () => {
    let calls = 0;
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      calls++;
      const batch = input.RequestItems.t ?? [];
      expect(batch.length).toBeLessThanOrEqual(25);
      if (calls === 1) return { UnprocessedItems: { t: batch.slice(0, 7) } };
      if (calls === 2) return { UnprocessedItems: { t: batch.slice(0, 3) } };
      return { UnprocessedItems: {} };
    });
    const out = await batchWriteItems(doc, 't', items, { concurrency: 1, sleep: async () => undefined });
    expect(out.written).toBe(60);
    expect(out.retriedItems).toBe(7 + 3);
    expect(out.requests).toBe(3 + 1 + 1); // chunk 1: partial, partial, done; chunks 2 and 3: once each
  });

  it('leaves throttling to the SDK: a throttling error that reaches it is not retried again', async () => {
    ddb
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(batchWriteItems(doc, 't', items.slice(0, 1), { sleep: async () => undefined })).rejects.toThrow(
      'slow down',
    );
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(1);
  });

  it('fails clearly when items stay unprocessed', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: { t: input.RequestItems.t },
    }));
    await expect(
      batchWriteItems(doc, 't', items.slice(0, 5), { maxAttempts: 3, sleep: async () => undefined }),
    ).rejects.toThrow(/5 feature items were still unprocessed after 3 BatchWriteItem attempts/);
  });

  it('does not retry errors a retry cannot fix', async () => {
    ddb.on(BatchWriteCommand).rejects(Object.assign(new Error('bad key'), { name: 'ValidationException' }));
    await expect(batchWriteItems(doc, 't', items.slice(0, 1), { sleep: async () => undefined })).rejects.toThrow(
      'bad key',
    );
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(1);
  });

  it('reads all live features of a user in one query and drops expired ones', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { pk: 'user#u1', sk: 'rt#session', expiresAt: 1_795_000_000 },
        { pk: 'user#u1', sk: 'fs#user_features', expiresAt: 2_000_000_000 },
      ],
    });
    const found = await getUserFeatures(doc, 't', 'u1', new Date('2026-11-21T00:00:00Z'));
    expect(Object.keys(found)).toEqual(['fs#user_features']);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':pk': 'user#u1' });
  });

  it('reads many items in one BatchGet and drops expired ones', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        t: [
          { pk: 'item#p1', sk: 'fs#item_features', expiresAt: 2_000_000_000 },
          { pk: 'item#p2', sk: 'fs#item_features', expiresAt: 1 },
        ],
      },
    });
    const found = await getItemFeatures(
      doc,
      't',
      ['p1', 'p2', 'p3'],
      'item_features',
      new Date('2026-11-21T00:00:00Z'),
    );
    expect([...found.keys()]).toEqual(['p1']);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
  });
});
