/**
 * The one place AWS SDK clients are created. Every Lambda, the CLI, the training container and the
 * local cloud build their clients here, so they all honour the standard SDK configuration:
 * region, credentials (default provider chain), `AWS_ENDPOINT_URL` and the per-service
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. When an endpoint is overridden (LocalStack, the embedded
 * local cloud) S3 is addressed path-style and uses HTTP/1.1 friendly settings the emulators need.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Service identifiers as used in `AWS_ENDPOINT_URL_<ID>` (the SDK's service-specific endpoint variables). */
export type ServiceId =
  | 'S3'
  | 'KINESIS'
  | 'DYNAMODB'
  | 'SQS'
  | 'SFN'
  | 'SECRETS_MANAGER'
  | 'LAMBDA'
  | 'CLOUDFORMATION'
  | 'GLUE'
  | 'ATHENA';

export type Env = Readonly<Record<string, string | undefined>>;

/** The endpoint override for a service, if any: the per-service variable wins over `AWS_ENDPOINT_URL`. */
export function endpointFor(service: ServiceId, env: Env = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  const value = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  return value ? value : undefined;
}

export interface ClientOptions {
  /** Environment to read configuration from. @default process.env */
  readonly env?: Env;
  /** Maximum sockets per client; raise for high-fan-out batch writers. @default 50 */
  readonly maxSockets?: number;
}

/** Settings every client shares (also used by ./control-plane-clients.ts). */
export function common(service: ServiceId, opts: ClientOptions) {
  const env = opts.env ?? process.env;
  const endpoint = endpointFor(service, env);
  // An explicit env (not process.env) carries its own credentials; otherwise the default provider chain.
  const credentials =
    env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return {
    endpoint,
    ...(credentials ? { credentials } : {}),
    ...(env.AWS_REGION || env.AWS_DEFAULT_REGION ? { region: env.AWS_REGION || env.AWS_DEFAULT_REGION } : {}),
    // HTTP/1.1 everywhere: kinesis-local breaks on the SDK's HTTP/2 handler, and nothing we call needs HTTP/2.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      httpAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? 50 },
      httpsAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? 50 },
    }),
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS ?? 5),
  };
}

export function s3Client(opts: ClientOptions = {}): S3Client {
  const base = common('S3', opts);
  return new S3Client({
    ...base,
    forcePathStyle: base.endpoint !== undefined,
    // Emulators store aws-chunked framing inside the object unless checksums are only sent when required.
    ...(base.endpoint !== undefined
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

export function kinesisClient(opts: ClientOptions = {}): KinesisClient {
  return new KinesisClient(common('KINESIS', opts));
}

export function dynamoDbClient(opts: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(common('DYNAMODB', opts));
}

export function dynamoDbDocumentClient(opts: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoDbClient(opts), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function sqsClient(opts: ClientOptions = {}): SQSClient {
  return new SQSClient(common('SQS', opts));
}

export function sfnClient(opts: ClientOptions = {}): SFNClient {
  return new SFNClient(common('SFN', opts));
}

export function secretsManagerClient(opts: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(common('SECRETS_MANAGER', opts));
}
