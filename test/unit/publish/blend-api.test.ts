import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/recommend-api/index';
import { blendRecentlyViewed } from '../../../layers/publish/blend';
import { invoke } from '../../helpers/lambda';

const model = ['a', 'b', 'c', 'd', 'e'].map((itemId, i) => ({ itemId, score: 1 - i / 10 }));

describe('blendRecentlyViewed', () => {
  it('gives every third slot to a recently viewed item the list does not hold', () => {
    const out = blendRecentlyViewed(
      model,
      [{ productId: 'b' }, { productId: 'x' }, { productId: 'y' }, { productId: 'x' }],
      6,
    );
    expect(out.map((o) => `${o.itemId}:${o.source}`)).toEqual([
      'a:model',
      'b:model',
      'x:recently_viewed',
      'c:model',
      'd:model',
      'y:recently_viewed',
    ]);
  });

  it('is the model list when there is no session', () => {
    expect(blendRecentlyViewed(model, [], 3).map((o) => o.itemId)).toEqual(['a', 'b', 'c']);
  });
});

describe('recommend-api handler', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  const get = (userId: string, k?: string) =>
    invoke(handler, {
      pathParameters: { userId },
      queryStringParameters: k === undefined ? undefined : { k },
    } as unknown as APIGatewayProxyEventV2);

  it.each([
    ['a bad k', 'u1', 'lots', /k must be a number/],
    ['k over 100', 'u1', '101', /k must be at most 100/],
    ['a bad user id', 'u 1', '5', /userId must be an id/],
  ])('answers 400 with a message for %s', async (_n, user, k, message) => {
    const out = await get(user, k);
    expect(out.statusCode).toBe(400);
    expect(JSON.parse(String(out.body)).message).toMatch(message);
  });

  it('says 503 before any model is published, then serves the production model blended with the session', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await get('u1')).statusCode).toBe(503);
    const later = Date.now() + 6_000; // the pointer is cached for 5 s
    jest.spyOn(Date, 'now').mockReturnValue(later);
    ddb.reset();
    ddb.on(GetCommand, { Key: { pk: 'pointer', sk: 'production' } }).resolves({ Item: { modelVersion: 'run-1' } });
    ddb.on(GetCommand, { Key: { pk: 'user#u1', sk: 'model#run-1' } }).resolves({ Item: { items: model } });
    ddb
      .on(QueryCommand)
      .resolves({ Items: [{ pk: 'user#u1', sk: 'rt#session', recentlyViewed: [{ productId: 'z' }] }] });
    const out = await get('u1', '3');
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(String(out.body))).toEqual({
      userId: 'u1',
      modelVersion: 'run-1',
      coldStart: false,
      items: [
        { itemId: 'a', score: 1, source: 'model' },
        { itemId: 'b', score: 0.9, source: 'model' },
        { itemId: 'z', score: 0, source: 'recently_viewed' },
      ],
    });
    jest.restoreAllMocks();
  });
});
