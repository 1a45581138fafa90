/**
 * Key design of the online feature store table (one table). The partition key is the entity
 * (`user#<id>`, `item#<id>`), so reads for one user are one partition and writes spread across all
 * users: no hot partition. The sort key names the feature set (`rt#session` for the real-time
 * session features, `fs#<featureSet>` for batch feature sets).
 */
export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** Epoch seconds after which DynamoDB TTL deletes the item; readers also filter on it. */
export const TTL_ATTRIBUTE = 'expiresAt';

export const REALTIME_SESSION_SK = 'rt#session';

export interface FeatureKey {
  readonly pk: string;
  readonly sk: string;
}

export function userKey(userId: string, sk: string): FeatureKey {
  return { pk: `user#${userId}`, sk };
}

export function itemKey(itemId: string, sk: string): FeatureKey {
  return { pk: `item#${itemId}`, sk };
}

/** True when an item carries a TTL that has passed (DynamoDB deletes such items only eventually). */
export function isExpired(item: Record<string, unknown>, now: Date = new Date()): boolean {
  const expiresAt = item[TTL_ATTRIBUTE];
  return typeof expiresAt === 'number' && expiresAt <= Math.floor(now.getTime() / 1000);
}
