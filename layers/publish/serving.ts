/**
 * The recommendations table: per model version, one item per user (`user#<id>`, `model#<v>`)
 * and cold-start lists (`cold#all`, `cold#category#<category>`), plus a pointer (`pointer`, `production`) to the
 * version being served. Publishing writes a whole new version and then switches the pointer, so readers
 * never see half of one model and half of another.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired } from '../feature-store/keys';

export const POINTER_KEY = { pk: 'pointer', sk: 'production' } as const;
export const modelSk = (version: string) => `model#${version}`;

export interface Recommendation {
  readonly itemId: string;
  readonly score: number;
}

export interface Served {
  readonly userId: string;
  readonly modelVersion: string | null;
  readonly coldStart: boolean;
  readonly items: Recommendation[];
}

export async function productionVersion(doc: DynamoDBDocumentClient, table: string): Promise<string | undefined> {
  const out = await doc.send(new GetCommand({ TableName: table, Key: POINTER_KEY, ConsistentRead: true }));
  return out.Item?.modelVersion as string | undefined;
}

/** Point readers at `version`, only if the pointer still says `expected` (no lost switch). */
export async function switchPointer(
  doc: DynamoDBDocumentClient,
  table: string,
  version: string,
  expected: string | undefined,
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { ...POINTER_KEY, modelVersion: version, previous: expected ?? null, switchedAt: new Date().toISOString() },
      ...(expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'modelVersion = :expected', ExpressionAttributeValues: { ':expected': expected } }),
    }),
  );
}

/** Top-k for a user from the production model, or the cold-start list (flagged) for an unknown user. */
export async function recommendationsFor(
  doc: DynamoDBDocumentClient,
  table: string,
  userId: string,
  k: number,
  now = new Date(),
  /** The production version when the caller already knows it (a short-lived cache). */
  knownVersion?: string,
): Promise<Served> {
  const version = knownVersion ?? (await productionVersion(doc, table));
  if (!version) return { userId, modelVersion: null, coldStart: true, items: [] };
  const own = await doc.send(new GetCommand({ TableName: table, Key: { pk: `user#${userId}`, sk: modelSk(version) } }));
  if (own.Item && !isExpired(own.Item, now)) {
    return { userId, modelVersion: version, coldStart: false, items: (own.Item.items as Recommendation[]).slice(0, k) };
  }
  const cold = await doc.send(new GetCommand({ TableName: table, Key: { pk: 'cold#all', sk: modelSk(version) } }));
  return {
    userId,
    modelVersion: version,
    coldStart: true,
    items: ((cold.Item?.items as Recommendation[] | undefined) ?? []).slice(0, k),
  };
}
