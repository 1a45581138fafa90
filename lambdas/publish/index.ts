import { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { completePublish, type PublishContext, planPublish, publishShard } from '../../layers/publish/publish';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { PublishEnv } from './env';

const { logger, traced, middlewares } = functionTools('publish');

const Shard = z.object({ shard: z.number().int().min(0), from: z.number().int().min(0), to: z.number().int().min(0) });
const Plan = z.object({
  runId: z.string().min(1),
  generatedAt: z.iso.datetime(),
  topN: z.number().int().min(1).max(100),
  users: z.number().int().min(0),
  shards: z.array(Shard),
});
/** The three publishing steps of the state machine: PlanPublish, each PublishShard, CompletePublish. */
const Input = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('plan'),
    runId: z.string().min(1),
    bucket: z.string().min(1),
    /** The run's `k` (recommendations per user), or null for the stage's default. */
    k: z.number().int().min(1).max(100).nullable().optional(),
  }),
  z.object({
    step: z.literal('shard'),
    runId: z.string().min(1),
    bucket: z.string().min(1),
    generatedAt: z.iso.datetime(),
    topN: z.number().int().min(1).max(100),
    shard: Shard,
  }),
  z.object({
    step: z.literal('complete'),
    bucket: z.string().min(1),
    plan: Plan,
    results: z.array(z.object({ shard: z.number().int(), users: z.number().int(), written: z.number().int() })),
    /** The production model the gate compared against (the pointer must still name it). */
    expected: z.string().min(1).nullable(),
  }),
]);

export const handler = middy(async (event: unknown) => {
  const env = readEnv(PublishEnv);
  const input = Input.parse(event);
  const ctx: PublishContext = {
    s3: traced(s3Client()),
    doc: traced(dynamoDbDocumentClient()),
    bucket: input.bucket,
    registryTable: env.MODEL_REGISTRY_TABLE,
    recommendationsTable: env.RECOMMENDATIONS_TABLE,
    topN: env.TOP_N,
    ttlDays: env.RECOMMENDATIONS_TTL_DAYS,
    codeVersion: codeVersionFromEnv(),
    log: (message, details) => logger.info(message, details ?? {}),
  };
  switch (input.step) {
    case 'plan':
      return planPublish(ctx, input.runId, env.USERS_PER_SHARD, input.k);
    case 'shard':
      return publishShard(ctx, input.runId, input.generatedAt, input.topN, input.shard);
    case 'complete':
      return completePublish(ctx, input.plan, input.results, input.expected);
  }
}).use(middlewares);
