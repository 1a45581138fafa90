import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { s3Client, secretsManagerClient } from '../../layers/aws/clients';
import { pullExternalMetadata } from '../../layers/metadata/pull-job';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { useCaseLogger } from '../../layers/util/use-case-logger';
import { MetadataPullEnv } from './env';

const { logger, traced, middlewares } = functionTools('metadata-pull');
const secrets = traced(secretsManagerClient());
const env = readEnv(MetadataPullEnv);
let apiKey: string | undefined;

const deps = {
  s3: traced(s3Client()),
  bucket: env.LAKE_BUCKET,
  baseUrl: env.METADATA_BASE_URL,
  // Read once per cold start.
  apiKey: async () => {
    const secretArn = env.METADATA_API_KEY_SECRET_ARN;
    apiKey ??= (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    if (!apiKey) throw new Error(`Secret ${secretArn} has no string value: set the API key with put-secret-value.`);
    return apiKey;
  },
  attempts: env.METADATA_ATTEMPTS,
  timeoutMs: env.METADATA_TIMEOUT_MS,
  codeVersion: codeVersionFromEnv(),
  now: () => new Date(),
  logger: useCaseLogger(logger),
};

/** On its schedule (EventBridge): pull the product metadata API into the lake (layers/metadata/pull-job.ts). */
export const handler = middy(() => pullExternalMetadata(deps)).use(middlewares);
