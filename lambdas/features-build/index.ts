import { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { buildFeatures } from '../../layers/features/build';
import { type ImplicitWeights, ImplicitWeightsSchema } from '../../layers/features/builders';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { FeaturesBuildEnv } from './env';

const { logger, traced, middlewares } = functionTools('features-build');
const s3 = traced(s3Client());
const doc = traced(dynamoDbDocumentClient());
const env = readEnv(FeaturesBuildEnv);
const bucket = env.LAKE_BUCKET;
const tableName = env.FEATURE_TABLE;
const ttlDays = env.FEATURE_TTL_DAYS;

/** Skipped sources named in the result (all of them are in the registry entry and the log). */
const MAX_SKIPPED_LISTED = 25;

const InputSchema = z
  .object({
    /** Implicit-confidence weights for this build (defaults from the stack). */
    weights: ImplicitWeightsSchema.nullable().optional(),
    /** Build from exactly these raw objects (the run's pinned dataKeys); null or absent: every usable one. */
    dataKeys: z.array(z.string().min(1)).nullable().optional(),
  })
  .loose();

/** Build user features, item features and the interaction matrix from validated raw data (README, "Feature store"). */
export const handler = middy(async (event: unknown) => {
  const input = InputSchema.safeParse(event ?? {});
  if (!input.success) throw new Error(`Feature build input is invalid: ${input.error.issues[0]?.message}`);
  const weights: ImplicitWeights = input.data.weights ?? env.FEATURE_WEIGHTS;
  const summary = await buildFeatures({
    s3,
    doc,
    bucket,
    tableName,
    ttlDays,
    weights,
    ...(input.data.dataKeys ? { dataKeys: input.data.dataKeys } : {}),
    codeVersion: codeVersionFromEnv(),
    log: (message, details) => logger.info(message, details ?? {}),
  });
  const sources = {
    used: summary.sources.used,
    // The result travels through Step Functions (256 KB): the first skipped sources, and how many.
    skipped: summary.sources.skipped.slice(0, MAX_SKIPPED_LISTED),
    skippedCount: summary.sources.skipped.length,
  };
  logger.info('features built', { ...summary, sources: { used: sources.used, skipped: sources.skippedCount } });
  return { ...summary, sources };
}).use(middlewares);
