import type { KinesisStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ingestKinesisBatch } from '../../layers/clickstream/ingest-batch';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { DEFAULT_YEARS } from '../../layers/util/timestamps';
import { useCaseLogger } from '../../layers/util/use-case-logger';
import { ClickstreamIngestEnv } from './env';

const { logger, traced, middlewares } = functionTools('clickstream-ingest');
const env = readEnv(ClickstreamIngestEnv);
const deps = {
  s3: traced(s3Client()),
  doc: traced(dynamoDbDocumentClient()),
  bucket: env.LAKE_BUCKET,
  featureTable: env.FEATURE_TABLE,
  sessionTtlSeconds: env.SESSION_TTL_SECONDS,
  years: DEFAULT_YEARS,
  codeVersion: codeVersionFromEnv(),
  now: () => new Date(),
  logger: useCaseLogger(logger),
};

/** Kinesis event source mapping → one batch landed (layers/clickstream/ingest-batch.ts), partial failures reported. */
export const handler = middy((event: KinesisStreamEvent) => ingestKinesisBatch(deps, event)).use(middlewares);
