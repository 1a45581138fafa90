/**
 * The ingestion ledger (docs/decisions/013-landing-versions.md): one item per version of a landing
 * object, keyed by (object key, ETag), and one lock item per object key that serialises its versions.
 * A duplicate S3 event or a re-upload of the same bytes finds its version done and is a no-op; new
 * bytes are a new version with the next number. A lock left by a crashed invocation can be taken over
 * once its lease has run out.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { again, done, retrying } from '../util/retry';

/**
 * IN_PROGRESS → DONE or FAILED (a failed version is retried); SUPERSEDED: its bytes were replaced in
 * landing before they could be archived, or a later `replace` version arrived first; RETIRED: a later
 * `replace` version took its raw data out.
 */
export type LedgerStatus = 'IN_PROGRESS' | 'DONE' | 'FAILED' | 'SUPERSEDED' | 'RETIRED';

/** How a version relates to the earlier versions of its key. */
export type IngestMode = 'append' | 'replace';

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
  /** S3's ordering of the events of this key (hex); versions compare by it. */
  readonly sequencer?: string;
  readonly mode?: IngestMode;
  /** Where the version's bytes were archived. */
  readonly archiveKey?: string;
  /** Data objects this version wrote (raw and quarantine keys). */
  readonly outputs?: string[];
  /** Objects a failed attempt had written before it failed (its retry rewrites the same keys). */
  readonly partialOutputs?: string[];
  readonly error?: string;
  /** The version whose `replace` retired or superseded this one. */
  readonly replacedBy?: number;
}

export interface LedgerKey {
  readonly sourceKey: string;
  readonly eTag: string;
}

export function ledgerKey({ sourceKey, eTag }: LedgerKey): { pk: string; sk: string } {
  return { pk: `object#${sourceKey}`, sk: `etag#${eTag.replace(/"/g, '')}` };
}

const LOCK_SK = 'lock';

/** S3 sequencers are hex strings of varying length: compare them as numbers. */
export function compareSequencers(a: string, b: string): number {
  const x = a.replace(/^0+/, '').toUpperCase();
  const y = b.replace(/^0+/, '').toUpperCase();
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

export class LandingKeyBusyError extends Error {
  override readonly name = 'LandingKeyBusyError';
}

export type ClaimResult =
  | {
      readonly outcome: 'claimed';
      readonly version: number;
      /** Every other version of the key the ledger knows. */
      readonly others: LedgerEntry[];
      /** Set when a `replace` version sequenced after this one is already done: this one must not land. */
      readonly replacedBy?: LedgerEntry;
    }
  | { readonly outcome: 'done' | 'superseded'; readonly entry: LedgerEntry };

export interface ClaimRequest extends LedgerKey {
  readonly dataset: string;
  readonly runId: string;
  readonly sequencer?: string;
  /** Wait for another run's lock on the key until this time (epoch ms), then throw LandingKeyBusyError. */
  readonly waitUntil?: number;
}

export class Ledger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** How long a lock holds without being released: longer than the function's timeout. */
    private readonly leaseSeconds = 900,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Take the key's lock (waiting for another run's), then claim this version under it. The lock is
   * held until `release`: versions of one key are never processed at the same time.
   */
  async claim(request: ClaimRequest, now: () => Date = () => new Date()): Promise<ClaimResult> {
    await this.lock(request, now);
    try {
      const versions = await this.versions(request.sourceKey);
      const id = ledgerKey(request);
      const existing = versions.find((v) => v.sk === id.sk);
      if (existing?.status === 'DONE' || existing?.status === 'RETIRED') {
        await this.release(request.sourceKey, request.runId);
        return { outcome: 'done', entry: existing };
      }
      if (existing?.status === 'SUPERSEDED') {
        await this.release(request.sourceKey, request.runId);
        return { outcome: 'superseded', entry: existing };
      }
      const others = versions.filter((v) => v.sk !== id.sk);
      const version = existing?.version ?? Math.max(0, ...versions.map((v) => v.version)) + 1;
      const entry: LedgerEntry = {
        ...id,
        sourceKey: request.sourceKey,
        eTag: request.eTag,
        dataset: request.dataset,
        status: 'IN_PROGRESS',
        runId: request.runId,
        version,
        claimedAt: now().toISOString(),
        ...(request.sequencer ? { sequencer: request.sequencer } : {}),
      };
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: entry }));
      const sequencer = request.sequencer;
      const replacedBy = sequencer
        ? others.find(
            (o) =>
              o.mode === 'replace' &&
              (o.status === 'DONE' || o.status === 'IN_PROGRESS') &&
              o.sequencer !== undefined &&
              compareSequencers(o.sequencer, sequencer) > 0,
          )
        : undefined;
      return { outcome: 'claimed', version, others, ...(replacedBy ? { replacedBy } : {}) };
    } catch (err) {
      await this.release(request.sourceKey, request.runId).catch(() => undefined);
      throw err;
    }
  }

  /** Take the key's lock for `runId`, waiting for a live holder until `waitUntil`. */
  private async lock(request: ClaimRequest, now: () => Date): Promise<void> {
    const start = now().getTime();
    // Wait for a live holder only while there is time left before `waitUntil` (none: do not wait).
    const policy = {
      attempts: request.waitUntil === undefined ? 1 : Number.POSITIVE_INFINITY,
      baseDelayMs: 200,
      budgetMs: request.waitUntil === undefined ? 0 : request.waitUntil - start,
      now: () => now().getTime(),
      sleep: this.sleep,
    };
    const busy = () =>
      new LandingKeyBusyError(
        `another version of ${request.sourceKey} is being ingested; this one (${request.eTag}) will be retried`,
      );
    await retrying(policy, { giveUp: busy }, async () => {
      const at = now();
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: `object#${request.sourceKey}`,
              sk: LOCK_SK,
              runId: request.runId,
              eTag: request.eTag,
              expiresAt: at.getTime() + this.leaseSeconds * 1000,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR runId = :runId',
            ExpressionAttributeValues: { ':now': at.getTime(), ':runId': request.runId },
          }),
        );
        return done(undefined);
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        return again('the key is locked by another run');
      }
    });
  }

  /** Release the key's lock if `runId` holds it. */
  async release(sourceKey: string, runId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `object#${sourceKey}`, sk: LOCK_SK },
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':runId': runId },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  /** Mark a claimed version done, with what it wrote. Only the claiming run may complete it. */
  async complete(
    key: LedgerKey,
    runId: string,
    result: { outputs: readonly string[]; archiveKey: string; mode: IngestMode },
    now = new Date(),
  ): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression:
          'SET #status = :done, completedAt = :now, outputs = :outputs, archiveKey = :archive, #mode = :mode REMOVE partialOutputs, #error',
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeNames: { '#status': 'status', '#mode': 'mode', '#error': 'error' },
        ExpressionAttributeValues: {
          ':done': 'DONE',
          ':now': now.toISOString(),
          ':outputs': result.outputs,
          ':archive': result.archiveKey,
          ':mode': result.mode,
          ':runId': runId,
        },
      }),
    );
  }

  /** Release a claim after a failure, recording what the attempt had written, so a retry can take it. */
  async fail(key: LedgerKey, runId: string, error: string, partialOutputs: readonly string[] = []): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: 'SET #status = :failed, #error = :error, partialOutputs = :partial',
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':error': error.slice(0, 1000),
          ':partial': [...partialOutputs],
          ':runId': runId,
        },
      }),
    );
  }

  /** A version that will not be ingested (its bytes are gone, or a later `replace` came first). */
  async supersede(key: LedgerKey, runId: string, reason: string, extra: Partial<LedgerEntry> = {}): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: `SET #status = :superseded, #error = :reason${extra.archiveKey ? ', archiveKey = :archive' : ''}${extra.replacedBy !== undefined ? ', replacedBy = :by' : ''}`,
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':superseded': 'SUPERSEDED',
          ':reason': reason,
          ':runId': runId,
          ...(extra.archiveKey ? { ':archive': extra.archiveKey } : {}),
          ...(extra.replacedBy !== undefined ? { ':by': extra.replacedBy } : {}),
        },
      }),
    );
  }

  /** An earlier version whose raw data a `replace` version took out. */
  async retire(key: LedgerKey, replacedBy: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: 'SET #status = :retired, replacedBy = :by',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':retired': 'RETIRED', ':by': replacedBy },
      }),
    );
  }

  async get(key: LedgerKey): Promise<LedgerEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(key), ConsistentRead: true }),
    );
    return out.Item as LedgerEntry | undefined;
  }

  /** Every version of a source key the ledger knows (the lock item left out). */
  async versions(sourceKey: string): Promise<LedgerEntry[]> {
    const items: LedgerEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :etag)',
          ExpressionAttributeValues: { ':pk': `object#${sourceKey}`, ':etag': 'etag#' },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((out.Items ?? []) as LedgerEntry[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function isConditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';
}
