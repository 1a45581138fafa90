import { z } from 'zod';
import { ImplicitWeightsSchema } from '../layers/features/builders';
import { parseYearRange } from '../layers/util/timestamps';

/**
 * Stage configuration. Defaults per stage live here; any field can be overridden at synth time with
 * `-c recomart:config='{"clickstream":{"batchSize":500}}'` (deep-merged over the stage defaults).
 */
export const StageConfigSchema = z.object({
  stage: z.enum(['dev', 'prod']),
  /** Removal policy for stateful resources: dev stacks clean up after themselves, prod keeps data. */
  retainData: z.boolean(),
  logRetentionDays: z.number().int().positive(),
  clickstream: z.object({
    /** 0 = on-demand capacity mode; a positive number = provisioned with that many shards. */
    shardCount: z.number().int().min(0),
    batchSize: z.number().int().min(1).max(10_000),
    maxBatchingWindowSeconds: z.number().int().min(0).max(300),
    maxRecordAgeSeconds: z.number().int().min(60).max(604_800),
    retryAttempts: z.number().int().min(0).max(10_000),
    parallelizationFactor: z.number().int().min(1).max(10),
    /** Hours a user's real-time session features live after their last update (DynamoDB TTL). */
    sessionTtlHours: z.number().int().min(1).max(8760),
  }),
  lake: z.object({
    /** Prefix under which transaction CSV drops trigger ingestion. */
    transactionsPrefix: z.string().regex(/^[a-z0-9_\-/]+\/$/, 'must be a key prefix ending in /'),
    /** Prefix under which catalog and customer CSV drops trigger master-data ingestion. */
    masterPrefix: z.string().regex(/^[a-z0-9_\-/]+\/$/, 'must be a key prefix ending in /'),
    /** Days after which archived source files move to a cheaper storage class. */
    archiveTransitionDays: z.number().int().min(30),
    /** Years an event or transaction time may fall in (`min-max`); other times are quarantined. */
    acceptedYears: z.string().refine((v) => {
      try {
        parseYearRange(v);
        return true;
      } catch {
        return false;
      }
    }, 'must be written as "1970-2100"'),
  }),
  training: z.object({
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
  }),
  /** When the training pipeline runs on its own (EventBridge schedule expression). */
  pipelineSchedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'must be an EventBridge rate(...) or cron(...) expression'),
  /** The quality gate a new model must pass before it is published. */
  gate: z.object({
    /** Minimum precision@10 on the held-out split. */
    minPrecisionAt10: z.number().min(0).max(1),
    /**
     * The new model's precision@10 must be at least this multiple of the popularity baseline's on the
     * same hold-out (1 = never worse than popularity; a published popularity model passes).
     */
    minLiftOverBaseline: z.number().min(0).max(100),
    /** Recommendations written per user. */
    topN: z.number().int().min(1).max(100),
  }),
  publish: z.object({
    /** Users per shard of the publishing Map: one Lambda invocation writes one shard. */
    usersPerShard: z.number().int().min(1).max(1_000_000),
    /** Shards written at once (the Map's MaxConcurrency). */
    maxConcurrency: z.number().int().min(1).max(40),
  }),
  features: z.object({
    /** Days batch feature items live in the online store after a build (DynamoDB TTL). */
    ttlDays: z.number().int().min(1).max(365),
    /** Implicit-feedback weights of the interaction matrix. */
    weights: ImplicitWeightsSchema,
  }),
  api: z.object({
    /**
     * How callers of the recommendations API authenticate: `iam` (SigV4, `execute-api:Invoke`), or
     * `none` (a stage that puts its own gateway in front may opt out explicitly).
     */
    auth: z.enum(['iam', 'none']),
  }),
  metadata: z.object({
    /**
     * Base URL of the external product metadata API (`GET <base>/v1/products`). Null until you set it:
     * then the pull is deployed but not scheduled (a daily run against no API would only fail).
     */
    baseUrl: z.url().nullable(),
    /** EventBridge schedule expression of the pull. */
    schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'must be an EventBridge rate(...) or cron(...) expression'),
    timeoutSeconds: z.number().int().min(1).max(120),
    attempts: z.number().int().min(1).max(10),
  }),
});

export type StageConfig = z.infer<typeof StageConfigSchema>;
export type Stage = StageConfig['stage'];

const DEFAULTS: Record<Stage, StageConfig> = {
  dev: {
    stage: 'dev',
    retainData: false,
    logRetentionDays: 7,
    clickstream: {
      shardCount: 0,
      batchSize: 500,
      maxBatchingWindowSeconds: 1,
      maxRecordAgeSeconds: 3600,
      retryAttempts: 3,
      parallelizationFactor: 1,
      sessionTtlHours: 48,
    },
    lake: {
      transactionsPrefix: 'landing/transactions/',
      masterPrefix: 'landing/master/',
      archiveTransitionDays: 30,
      acceptedYears: '1970-2100',
    },
    training: { cpu: 1024, memoryMiB: 4096 },
    features: { ttlDays: 14, weights: { view: 1, click: 2, add_to_cart: 4, purchase: 8 } },
    gate: { minPrecisionAt10: 0.01, minLiftOverBaseline: 1, topN: 20 },
    publish: { usersPerShard: 200, maxConcurrency: 4 },
    pipelineSchedule: 'cron(0 5 * * ? *)',
    api: { auth: 'iam' },
    metadata: {
      baseUrl: null,
      schedule: 'cron(0 3 * * ? *)',
      timeoutSeconds: 10,
      attempts: 3,
    },
  },
  prod: {
    stage: 'prod',
    retainData: true,
    logRetentionDays: 90,
    clickstream: {
      shardCount: 0,
      batchSize: 1000,
      maxBatchingWindowSeconds: 5,
      maxRecordAgeSeconds: 86_400,
      retryAttempts: 10,
      parallelizationFactor: 2,
      sessionTtlHours: 168,
    },
    lake: {
      transactionsPrefix: 'landing/transactions/',
      masterPrefix: 'landing/master/',
      archiveTransitionDays: 90,
      acceptedYears: '1970-2100',
    },
    training: { cpu: 4096, memoryMiB: 16_384 },
    features: { ttlDays: 14, weights: { view: 1, click: 2, add_to_cart: 4, purchase: 8 } },
    gate: { minPrecisionAt10: 0.05, minLiftOverBaseline: 1, topN: 20 },
    publish: { usersPerShard: 20_000, maxConcurrency: 10 },
    pipelineSchedule: 'cron(0 4 * * ? *)',
    api: { auth: 'iam' },
    metadata: {
      baseUrl: null,
      schedule: 'cron(0 3 * * ? *)',
      timeoutSeconds: 10,
      attempts: 3,
    },
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function deepMerge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (patch === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof current === 'object'
        ? deepMerge(current, value as DeepPartial<unknown>)
        : value;
  }
  return out as T;
}

/**
 * A CDK context with `patch` deep-merged into its `recomart:config` (an object or a JSON string, as
 * context values arrive).
 */
export function withConfigOverride(
  context: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const current = context['recomart:config'];
  const base = (typeof current === 'string' ? JSON.parse(current) : (current ?? {})) as Record<string, unknown>;
  return { ...context, 'recomart:config': deepMerge(base, patch as DeepPartial<Record<string, unknown>>) };
}

/**
 * Resolve the configuration of a stage, with optional overrides (an object or a JSON string, as CDK
 * context values arrive). Throws one clear error naming the offending field.
 */
export function resolveStageConfig(stage: unknown, overrides?: unknown): StageConfig {
  const stageName = stage ?? 'dev';
  if (stageName !== 'dev' && stageName !== 'prod') {
    throw new Error(`Unknown stage "${String(stageName)}": use -c stage=dev or -c stage=prod.`);
  }
  let patch: unknown = overrides;
  if (typeof overrides === 'string') {
    try {
      patch = JSON.parse(overrides);
    } catch {
      throw new Error('Context value recomart:config is not valid JSON.');
    }
  }
  const merged = deepMerge(DEFAULTS[stageName], patch as DeepPartial<StageConfig> | undefined);
  const parsed = StageConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid stage configuration at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}
