/**
 * The batch side of the online feature store: versioned feature items written with BatchWriteItem
 * (25 per request, UnprocessedItems retried with backoff until done or a clear failure; throttling
 * is retried by the SDK's own retry strategy, not again here), and the two serving reads — all features of one user (one Query) and the features of
 * many items (one BatchGetItem per 100) — which drop expired items, since TTL deletion is lazy.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mapSettled } from '../util/concurrency';
import { again, done, retrying } from '../util/retry';
import { isExpired, itemKey, TTL_ATTRIBUTE, userKey } from './keys';

export const featureSetSk = (featureSet: string) => `fs#${featureSet}`;

export interface FeatureItem {
  readonly pk: string;
  readonly sk: string;
  readonly featureSet: string;
  readonly featureSetVersion: string;
  readonly eventTime: string;
  readonly [TTL_ATTRIBUTE]: number;
  readonly features: Record<string, unknown>;
}

export function featureItem(
  entity: 'user' | 'item',
  id: string,
  featureSet: string,
  version: string,
  eventTime: string,
  features: Record<string, unknown>,
  expiresAt: number,
): FeatureItem {
  const key = entity === 'user' ? userKey(id, featureSetSk(featureSet)) : itemKey(id, featureSetSk(featureSet));
  return { ...key, featureSet, featureSetVersion: version, eventTime, [TTL_ATTRIBUTE]: expiresAt, features };
}

export interface BatchWriteOptions {
  /** Requests in flight. @default 4 */
  readonly concurrency?: number;
  /** Attempts per request of 25 items. @default 8 */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function batchWriteItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  options: BatchWriteOptions = {},
): Promise<{ written: number; requests: number; retriedItems: number }> {
  const maxAttempts = options.maxAttempts ?? 8;
  const policy = {
    attempts: maxAttempts,
    baseDelayMs: options.baseDelayMs ?? 100,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
  let requests = 0;
  let retriedItems = 0;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  const results = await mapSettled(chunks, options.concurrency ?? 4, async (chunk) => {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] = chunk.map((Item) => ({ PutRequest: { Item } }));
    await retrying(
      policy,
      {
        giveUp: () =>
          new Error(
            `${pending.length} feature items were still unprocessed after ${maxAttempts} BatchWriteItem attempts`,
          ),
      },
      async () => {
        requests++;
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        if (pending.length === 0) return done(undefined);
        retriedItems += pending.length;
        return again(`${pending.length} items unprocessed`);
      },
    );
  });
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return { written: items.length, requests, retriedItems };
}

/** Every live feature item of a user (real-time session and batch feature sets), by sort key. */
export async function getUserFeatures(
  doc: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
  now: Date = new Date(),
): Promise<Record<string, Record<string, unknown>>> {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': userKey(userId, '').pk },
    }),
  );
  const live: Record<string, Record<string, unknown>> = {};
  for (const item of out.Items ?? []) if (!isExpired(item, now)) live[String(item.sk)] = item;
  return live;
}

/** The live `featureSet` items of many items (BatchGet, 100 keys a request, unprocessed keys retried). */
export async function getItemFeatures(
  doc: DynamoDBDocumentClient,
  tableName: string,
  itemIds: readonly string[],
  featureSet = 'item_features',
  now: Date = new Date(),
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < itemIds.length; i += 100) {
    let keys: Record<string, unknown>[] = itemIds
      .slice(i, i + 100)
      .map((id) => ({ ...itemKey(id, featureSetSk(featureSet)) }));
    for (let round = 0; keys.length > 0; round++) {
      if (round > 8) throw new Error(`${keys.length} item feature reads were still unprocessed after 8 retries`);
      if (round > 0) await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** round));
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
      for (const item of out.Responses?.[tableName] ?? []) {
        if (!isExpired(item, now)) found.set(String(item.pk).slice('item#'.length), item);
      }
      keys = (out.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return found;
}
