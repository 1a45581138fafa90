/**
 * The ingestion ledger (SPEC C2): one item per (source object key, ETag), claimed with a conditional
 * put before any work starts. A duplicate S3 event or a re-upload of the same bytes finds the item
 * done and is a no-op; a re-upload of changed bytes has a new ETag, so it is a new version. A claim
 * left by a crashed invocation can be taken over after `staleAfterSeconds`, and a failed one at once.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

export type LedgerStatus = 'IN_PROGRESS' | 'DONE' | 'FAILED';

export interface LedgerEntry {
  readonly pk: string;
  readonly sk: string;
  readonly sourceKey: string;
  readonly eTag: string;
  readonly dataset: string;
  readonly status: LedgerStatus;
  readonly runId: string;
  readonly version: number;
  readonly claimedAt: string;
  readonly completedAt?: string;
  /** Data objects this version wrote (raw and quarantine keys). */
  readonly outputs?: string[];
  readonly error?: string;
}

export interface LedgerKey {
  readonly sourceKey: string;
  readonly eTag: string;
}

export function ledgerKey({ sourceKey, eTag }: LedgerKey): { pk: string; sk: string } {
  return { pk: `object#${sourceKey}`, sk: `etag#${eTag.replace(/"/g, '')}` };
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly version: number; readonly previous: LedgerEntry | undefined }
  | { readonly outcome: 'done' | 'busy'; readonly entry: LedgerEntry };

export class Ledger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly staleAfterSeconds = 900,
  ) {}

  /** Claim (key, ETag) for `runId`, or learn that it is done or being worked on. */
  async claim(key: LedgerKey, dataset: string, runId: string, now = new Date()): Promise<ClaimResult> {
    const versions = await this.versions(key.sourceKey);
    const id = ledgerKey(key);
    const existing = versions.find((v) => v.sk === id.sk);
    const previous = versions
      .filter((v) => v.sk !== id.sk && v.status === 'DONE')
      .sort((a, b) => b.version - a.version)[0];
    const version = existing?.version ?? Math.max(0, ...versions.map((v) => v.version)) + 1;
    const entry: LedgerEntry = {
      ...id,
      sourceKey: key.sourceKey,
      eTag: key.eTag,
      dataset,
      status: 'IN_PROGRESS',
      runId,
      version,
      claimedAt: now.toISOString(),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: entry,
          ConditionExpression:
            'attribute_not_exists(pk) OR #status = :failed OR (#status = :inProgress AND #claimedAt < :stale)',
          ExpressionAttributeNames: { '#status': 'status', '#claimedAt': 'claimedAt' },
          ExpressionAttributeValues: {
            ':failed': 'FAILED',
            ':inProgress': 'IN_PROGRESS',
            ':stale': new Date(now.getTime() - this.staleAfterSeconds * 1000).toISOString(),
          },
        }),
      );
      return { outcome: 'claimed', version, previous };
    } catch (err) {
      if (
        !(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')
      ) {
        throw err;
      }
      const current = await this.get(key);
      if (!current) throw new Error(`ledger entry for ${key.sourceKey} vanished during a claim; retry`);
      return { outcome: current.status === 'DONE' ? 'done' : 'busy', entry: current };
    }
  }

  /** Mark a claimed version done, with what it wrote. Only the claiming run may complete it. */
  async complete(key: LedgerKey, runId: string, outputs: readonly string[], now = new Date()): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: 'SET #status = :done, completedAt = :now, outputs = :outputs',
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'DONE', ':now': now.toISOString(), ':outputs': outputs, ':runId': runId },
      }),
    );
  }

  /** Release a claim after a failure, so the retry can take it at once. */
  async fail(key: LedgerKey, runId: string, error: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: 'SET #status = :failed, #error = :error',
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ':error': error.slice(0, 1000), ':runId': runId },
      }),
    );
  }

  async get(key: LedgerKey): Promise<LedgerEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(key), ConsistentRead: true }),
    );
    return out.Item as LedgerEntry | undefined;
  }

  /** Every version of a source key the ledger knows. */
  async versions(sourceKey: string): Promise<LedgerEntry[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `object#${sourceKey}` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []) as LedgerEntry[];
  }
}
