import { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ImplicitWeightsSchema } from '../../layers/features/builders';
import { describeFeatureFiles, loadOnlineFiles, registerFeatureSets } from '../../layers/features/load';
import { curatePlanned, curationWork, planFeatureBuild } from '../../layers/features/select';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { FeaturesBuildEnv } from './env';

const { logger, traced, middlewares } = functionTools('features-build');
const s3 = traced(s3Client());
const doc = traced(dynamoDbDocumentClient());
const env = readEnv(FeaturesBuildEnv);

/** Skipped sources named in a result (all of them are in the plan, the registry entries and the log). */
const MAX_SKIPPED_LISTED = 25;

/**
 * The steps of the feature build the state machine runs around the statements (README, "Feature
 * store"): SelectFeatureSources plans the build, CurateSources writes the curated files it reads, the statements run on Athena, DescribeFeatureFiles
 * lists what they wrote, LoadOnlineFeatures loads the user and item files (a Map of runs of them), RegisterFeatures
 * writes the registry and lineage.
 */
const Input = z.discriminatedUnion('step', [
  z
    .object({
      step: z.literal('select'),
      /** Implicit-confidence weights for this build (defaults from the stack). */
      weights: ImplicitWeightsSchema.nullable().optional(),
      /** Build from exactly these raw objects (the run's pinned dataKeys); null or absent: every usable one. */
      dataKeys: z.array(z.string().min(1)).nullable().optional(),
    })
    .loose(),
  z
    .object({
      step: z.literal('curate'),
      planKey: z.string().min(1),
      from: z.number().int().min(0),
      to: z.number().int().min(1),
    })
    .loose(),
  z.object({ step: z.literal('describe'), planKey: z.string().min(1) }).loose(),
  z
    .object({
      step: z.literal('online'),
      version: z.string().min(1),
      createdAt: z.iso.datetime(),
      descriptionKey: z.string().min(1),
      from: z.number().int().min(0),
      to: z.number().int().min(1),
    })
    .loose(),
  z.object({ step: z.literal('register'), descriptionKey: z.string().min(1) }).loose(),
]);

const listed = <T>(list: readonly T[]) => ({ first: list.slice(0, MAX_SKIPPED_LISTED), count: list.length });

export const handler = middy(async (event: unknown) => {
  const parsed = Input.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`Feature build input is invalid: ${parsed.error.issues[0]?.message}`);
  const input = parsed.data;
  if (input.step === 'select') {
    const { plan, planKey } = await planFeatureBuild({
      s3,
      bucket: env.LAKE_BUCKET,
      weights: input.weights ?? env.FEATURE_WEIGHTS,
      ...(input.dataKeys ? { dataKeys: input.dataKeys } : {}),
    });
    const { transactions, clickstream, skipped } = plan.sources;
    logger.info('feature build planned', {
      version: plan.version,
      planKey,
      transactions: transactions.length,
      clickstream: clickstream.length,
      skipped: skipped.length,
      curated: { files: plan.curation.groups.length, toWrite: plan.curation.missing.length },
    });
    // The result travels through Step Functions (256 KB): the statements, and the first skipped sources.
    return {
      version: plan.version,
      createdAt: plan.createdAt,
      planKey,
      queries: plan.queries.map(({ set, query }) => ({ set, query })),
      curate: curationWork(plan),
      sources: { transactions: transactions.length, clickstream: clickstream.length, skipped: listed(skipped) },
    };
  }
  const log = (message: string, details?: Record<string, unknown>) => logger.info(message, details ?? {});
  switch (input.step) {
    case 'curate':
      return curatePlanned(
        { s3, bucket: env.LAKE_BUCKET, codeVersion: codeVersionFromEnv(), log },
        input.planKey,
        input,
      );
    case 'describe':
      return describeFeatureFiles({ s3, bucket: env.LAKE_BUCKET, planKey: input.planKey, log });
    case 'online':
      return loadOnlineFiles({
        s3,
        doc,
        bucket: env.LAKE_BUCKET,
        tableName: env.FEATURE_TABLE,
        ttlDays: env.FEATURE_TTL_DAYS,
        version: input.version,
        createdAt: input.createdAt,
        descriptionKey: input.descriptionKey,
        from: input.from,
        to: input.to,
        log,
      });
    default: {
      const summary = await registerFeatureSets({
        s3,
        bucket: env.LAKE_BUCKET,
        descriptionKey: input.descriptionKey,
        tableName: env.FEATURE_TABLE,
        ttlDays: env.FEATURE_TTL_DAYS,
        codeVersion: codeVersionFromEnv(),
        log,
      });
      logger.info('features built', {
        ...summary,
        sources: { used: summary.sources.used, skipped: summary.sources.skipped.length },
      });
      return { ...summary, sources: { used: summary.sources.used, skipped: listed(summary.sources.skipped) } };
    }
  }
}).use(middlewares);
