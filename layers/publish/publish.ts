/**
 * Publish a trained model in three steps, which the state machine runs as PlanPublish → a Map over
 * user shards → CompletePublish:
 *
 * 1. plan: the model's users cut into shards of contiguous user indexes, and one generatedAt for all;
 * 2. shard: top-N for the shard's users (excluding items they already interacted with), written as
 *    `user#<id>` / `model#<runId>` items; shards are independent and a retried shard rewrites the same
 *    keys, so a retry is harmless;
 * 3. complete: check that every shard wrote every one of its users, write the cold-start lists (popular
 *    items overall and per category), then switch the production pointer, only if it still names the
 *    model the gate compared against, and update the registry and lineage.
 *
 * Nothing is served from the new version before step 3 switches the pointer, so a failed or partial
 * publish leaves the previous model's recommendations served; its orphaned items expire by TTL.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LoadedModel, loadModel, type ModelHeader, modelFiles, recommendFor } from '../als/artifacts';
import { getModel, setModelStatus } from '../als/registry';
import { batchWriteItems } from '../feature-store/online';
import { FEATURE_SETS } from '../features/builders';
import { featureRecords, readFeatureRegistry } from '../features/offline';
import { lakeKeys } from '../lake/keys';
import { getBytes } from '../lake/s3-io';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { modelSk, productionVersion, switchPointer } from './serving';

export interface PublishContext {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly registryTable: string;
  readonly recommendationsTable: string;
  /** Recommendations per user when the run does not ask for another number (the stage's `gate.topN`). */
  readonly topN: number;
  readonly ttlDays: number;
  readonly codeVersion: string;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

/** Users `from` (inclusive) to `to` (exclusive), by their index in the model. */
export interface ShardSpec {
  readonly shard: number;
  readonly from: number;
  readonly to: number;
}

export interface PublishPlan {
  readonly runId: string;
  readonly generatedAt: string;
  /** Recommendations per user for this publish (the run's `k`, or the stage's default). */
  readonly topN: number;
  readonly users: number;
  readonly shards: ShardSpec[];
}

export interface ShardResult {
  readonly shard: number;
  readonly users: number;
  readonly written: number;
}

export class PublishIncompleteError extends Error {
  override readonly name = 'PublishIncompleteError';
}

/** Cut `users` user indexes into shards of at most `usersPerShard`. */
export function planShards(users: number, usersPerShard: number): ShardSpec[] {
  if (!Number.isInteger(users) || users < 0) throw new RangeError(`users must be a count, not ${users}`);
  if (!Number.isInteger(usersPerShard) || usersPerShard < 1)
    throw new RangeError(`usersPerShard must be a positive integer, not ${usersPerShard}`);
  const shards: ShardSpec[] = [];
  for (let from = 0; from < users; from += usersPerShard)
    shards.push({ shard: shards.length, from, to: Math.min(users, from + usersPerShard) });
  return shards;
}

/** Why the shard results do not add up to the plan, or undefined when every user was written once. */
export function shardShortfall(plan: Pick<PublishPlan, 'users' | 'shards'>, results: readonly ShardResult[]) {
  const problems: string[] = [];
  const byShard = new Map<number, ShardResult>();
  for (const r of results) {
    if (byShard.has(r.shard)) problems.push(`shard ${r.shard} reported twice`);
    byShard.set(r.shard, r);
  }
  for (const spec of plan.shards) {
    const r = byShard.get(spec.shard);
    const expected = spec.to - spec.from;
    if (!r) problems.push(`shard ${spec.shard} has no result`);
    else if (r.users !== expected || r.written !== expected)
      problems.push(`shard ${spec.shard} wrote ${r.written} of ${expected} users`);
  }
  for (const r of results)
    if (!plan.shards.some((s) => s.shard === r.shard)) problems.push(`shard ${r.shard} is not in the plan`);
  return problems.length ? problems.join('; ') : undefined;
}

const modelPrefix = lakeKeys.modelPrefix;

/** Days a published recommendation item lives (its TTL); a retired model's items expire after this. */
export const RECOMMENDATIONS_TTL_DAYS = 30;

/** The registry record of a model that passed the gate, with the data version it was trained on. */
async function gatePassedModel(ctx: PublishContext, runId: string): Promise<{ key: string; version: string }> {
  const record = await getModel(ctx.doc, ctx.registryTable, runId);
  if (!record) throw new Error(`Model ${runId} is not in the registry.`);
  // RETIRED: it passed the gate when it was first published (a rollback publishes it again).
  if (record.status !== 'GATE_PASSED' && record.status !== 'PRODUCTION' && record.status !== 'RETIRED')
    throw new Error(
      `Model ${runId} is ${String(record.status)}, not GATE_PASSED: only a model that passed the gate is published.`,
    );
  return record.data as { key: string; version: string };
}

export async function planPublish(
  ctx: PublishContext,
  runId: string,
  usersPerShard: number,
  k?: number | null,
): Promise<PublishPlan> {
  await gatePassedModel(ctx, runId);
  const header = JSON.parse(
    Buffer.from(await getBytes(ctx.s3, ctx.bucket, `${modelPrefix(runId)}model.json`)).toString('utf8'),
  ) as ModelHeader;
  const shards = planShards(header.users, usersPerShard);
  ctx.log?.('publish planned', { runId, users: header.users, shards: shards.length });
  return { runId, generatedAt: new Date().toISOString(), topN: k ?? ctx.topN, users: header.users, shards };
}

async function downloadModel(ctx: PublishContext, runId: string): Promise<LoadedModel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'));
  try {
    const json = await getBytes(ctx.s3, ctx.bucket, `${modelPrefix(runId)}model.json`);
    const header = JSON.parse(Buffer.from(json).toString('utf8')) as ModelHeader;
    for (const name of modelFiles(header))
      fs.writeFileSync(path.join(dir, name), await getBytes(ctx.s3, ctx.bucket, `${modelPrefix(runId)}${name}`));
    return loadModel(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const expiresAtFor = (generatedAt: string, ttlDays: number) =>
  Math.floor(Date.parse(generatedAt) / 1000) + ttlDays * 86_400;

/** Top-N for the users of one shard, written to the recommendations table under the run's version. */
export async function publishShard(
  ctx: PublishContext,
  runId: string,
  generatedAt: string,
  topN: number,
  spec: ShardSpec,
): Promise<ShardResult> {
  const data = await gatePassedModel(ctx, runId);
  const model = await downloadModel(ctx, runId);
  if (spec.to > model.userIndex.size || spec.from > spec.to)
    throw new RangeError(
      `Shard ${spec.shard} [${spec.from}, ${spec.to}) is outside the model's ${model.userIndex.size} users.`,
    );
  const userIds = [...model.userIndex.keys()].slice(spec.from, spec.to);
  const mine = new Set(userIds);

  // What each user of the shard already has (interactions of the training version) is not recommended again.
  const seen = new Map<string, Set<string>>();
  const interactions = await readFeatureRegistry(ctx.s3, ctx.bucket, FEATURE_SETS.interactions, data.version);
  if (!interactions) throw new Error(`Publishing ${runId}: feature set v=${data.version} has no interactions.`);
  for await (const x of featureRecords<{ userId: string; itemId: string }>(ctx.s3, ctx.bucket, interactions)) {
    if (!mine.has(x.userId)) continue;
    const set = seen.get(x.userId) ?? new Set<string>();
    set.add(x.itemId);
    seen.set(x.userId, set);
  }
  const expiresAt = expiresAtFor(generatedAt, ctx.ttlDays);
  const items = userIds.map((userId) => ({
    pk: `user#${userId}`,
    sk: modelSk(runId),
    items: recommendForKnown(model, userId, topN, seen.get(userId)),
    modelVersion: runId,
    generatedAt,
    expiresAt,
  }));
  const written = await batchWriteItems(ctx.doc, ctx.recommendationsTable, items, { concurrency: 8 });
  ctx.log?.('shard published', { runId, shard: spec.shard, users: items.length, written: written.written });
  return { shard: spec.shard, users: items.length, written: written.written };
}

function recommendForKnown(model: LoadedModel, userId: string, n: number, exclude?: Set<string>) {
  const recs = recommendFor(model, userId, n, exclude);
  if (!recs) throw new Error(`User ${userId} is not in the model.`);
  return recs;
}

/**
 * Check the shards, write the cold-start lists, then switch the production pointer from `expected`
 * (the production model the gate compared against; null when there was none) to this run.
 */
export async function completePublish(
  ctx: PublishContext,
  plan: PublishPlan,
  results: readonly ShardResult[],
  expected: string | null,
) {
  const { s3, doc, bucket } = ctx;
  const { runId, generatedAt } = plan;
  const data = await gatePassedModel(ctx, runId);
  const shortfall = shardShortfall(plan, results);
  if (shortfall) throw new PublishIncompleteError(`Publishing ${runId} is incomplete: ${shortfall}.`);

  // Cold start: the most popular items overall and per category (item features of the same build).
  const itemFeatures = await readFeatureRegistry(s3, bucket, FEATURE_SETS.items, data.version);
  if (!itemFeatures)
    throw new Error(
      `Publishing ${runId}: feature set v=${data.version} has no item features for the cold-start lists.`,
    );
  const popular: { itemId: string; category: string | null; popularity: number }[] = [];
  for await (const f of featureRecords<{ itemId: string; category: string | null; popularity: number }>(
    s3,
    bucket,
    itemFeatures,
  ))
    popular.push(f);
  popular.sort((a, b) => b.popularity - a.popularity || a.itemId.localeCompare(b.itemId));
  const cold = new Map<string, { itemId: string; score: number }[]>([['all', []]]);
  for (const p of popular) {
    for (const list of ['all', ...(p.category ? [`category#${p.category}`] : [])]) {
      const l = cold.get(list) ?? [];
      if (l.length < plan.topN) l.push({ itemId: p.itemId, score: p.popularity });
      cold.set(list, l);
    }
  }
  const expiresAt = expiresAtFor(generatedAt, ctx.ttlDays);
  const coldItems = [...cold].map(([list, recs]) => ({
    pk: `cold#${list}`,
    sk: modelSk(runId),
    items: recs,
    modelVersion: runId,
    generatedAt,
    expiresAt,
    coldStart: true,
  }));
  await batchWriteItems(doc, ctx.recommendationsTable, coldItems, { concurrency: 8 });

  try {
    await switchPointer(doc, ctx.recommendationsTable, runId, expected ?? undefined);
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    // A retry of this step after the switch went through finds the pointer on this run already.
    const now = await productionVersion(doc, ctx.recommendationsTable);
    if (now !== runId)
      throw new Error(
        `The production pointer moved to ${now ?? 'nothing'} while ${runId} was being published (the gate compared against ${expected ?? 'no model'}); not switching.`,
      );
  }
  const publishedAt = new Date().toISOString();
  await setModelStatus(doc, ctx.registryTable, runId, 'PRODUCTION', {
    publishedAt,
    previousProduction: expected,
    publish: { users: plan.users, shards: plan.shards.length, coldLists: cold.size, generatedAt },
  });
  if (expected) await setModelStatus(doc, ctx.registryTable, expected, 'RETIRED', { retiredAt: publishedAt });
  await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'publish',
      codeVersion: ctx.codeVersion,
      inputs: [
        { namespace: `s3://${bucket}`, name: `${modelPrefix(runId)}model.bin` },
        { namespace: `s3://${bucket}`, name: data.key },
      ],
      outputs: [
        {
          namespace: `dynamodb://${ctx.recommendationsTable}`,
          name: modelSk(runId),
          records: plan.users + coldItems.length,
        },
      ],
      details: { runId, previous: expected, shards: plan.shards.length },
    }),
  );
  ctx.log?.('published', { runId, users: plan.users, shards: plan.shards.length, coldLists: cold.size, expected });
  return { runId, users: plan.users, shards: plan.shards.length, coldLists: cold.size, previous: expected };
}
