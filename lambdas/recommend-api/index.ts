import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDbDocumentClient } from '../../layers/aws/clients';
import { REALTIME_SESSION_SK } from '../../layers/feature-store/keys';
import { getUserFeatures } from '../../layers/feature-store/online';
import { blendRecentlyViewed } from '../../layers/publish/blend';
import { productionVersion, recommendationsFor } from '../../layers/publish/serving';
import { readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { RecommendApiEnv } from './env';

const { logger, traced, middlewares } = functionTools('recommend-api');
const doc = traced(dynamoDbDocumentClient());
const env = readEnv(RecommendApiEnv);
const recommendationsTable = env.RECOMMENDATIONS_TABLE;
const featureTable = env.FEATURE_TABLE;

const Params = z.object({
  userId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'userId must be an id of letters, digits and _.:- (at most 64)'),
  k: z.coerce
    .number({ error: 'k must be a number' })
    .int('k must be a whole number')
    .min(1, 'k must be at least 1')
    .max(100, 'k must be at most 100'),
});

/** The production pointer, cached for a few seconds: it changes once per publish, reads happen per request. */
const POINTER_TTL_MS = 5_000;
let pointer: { version: string | undefined; readAt: number } | undefined;
async function currentVersion(): Promise<string | undefined> {
  if (!pointer || Date.now() - pointer.readAt > POINTER_TTL_MS) {
    pointer = { version: await productionVersion(doc, recommendationsTable), readAt: Date.now() };
  }
  return pointer.version;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** GET /users/{userId}/recommendations?k=10 → the production model's top-k, blended with the live session. */
export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const parsed = Params.safeParse({
    userId: event.pathParameters?.userId ?? '',
    k: event.queryStringParameters?.k ?? '10',
  });
  if (!parsed.success) return json(400, { message: parsed.error.issues[0]?.message ?? 'bad request' });
  const { userId, k } = parsed.data;
  const version = await currentVersion();
  if (version === undefined) return json(503, { message: 'No model has been published yet.' });
  // The user's list and live session are independent reads: in parallel.
  const [served, features] = await Promise.all([
    recommendationsFor(doc, recommendationsTable, userId, k, new Date(), version),
    getUserFeatures(doc, featureTable, userId),
  ]);
  const session = features[REALTIME_SESSION_SK];
  const items = blendRecentlyViewed(
    served.items,
    (session?.recentlyViewed as { productId: string }[] | undefined) ?? [],
    k,
  );
  logger.info('served', {
    userId,
    k,
    coldStart: served.coldStart,
    modelVersion: served.modelVersion,
    blended: items.filter((i) => i.source === 'recently_viewed').length,
  });
  return json(200, { userId, modelVersion: served.modelVersion, coldStart: served.coldStart, items });
}).use(middlewares);
