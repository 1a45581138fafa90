import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { s3Client, secretsManagerClient } from '../../layers/aws/clients';
import { lakeKeys } from '../../layers/lake/keys';
import { buildManifest } from '../../layers/lake/manifest';
import { putWithManifest } from '../../layers/lake/s3-io';
import { runEvent, writeRunEvent } from '../../layers/lineage/openlineage';
import { MetadataPullError, pullAllProducts } from '../../layers/metadata/client';
import { EXTERNAL_METADATA_COLUMNS, EXTERNAL_METADATA_SCHEMA_VERSION, toRows } from '../../layers/metadata/schema';
import { toCsvLine } from '../../layers/util/csv-write';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { MetadataPullEnv } from './env';

const logger = new Logger({ serviceName: 'metadata-pull' });
const s3 = s3Client();
const secrets = secretsManagerClient();
const env = readEnv(MetadataPullEnv);
const bucket = env.LAKE_BUCKET;
const baseUrl = env.METADATA_BASE_URL;
const secretArn = env.METADATA_API_KEY_SECRET_ARN;
const timeoutMs = env.METADATA_TIMEOUT_MS;
const attempts = env.METADATA_ATTEMPTS;
let apiKey: string | undefined;

/**
 * On its schedule: every page of the external product metadata API → one flat CSV at
 * raw/external_metadata/dt=<today>/external_metadata.csv (+ manifest, + lineage). All pages or nothing.
 */
export const handler = async (): Promise<{ key: string; products: number; pages: number; attempts: number }> => {
  if (!baseUrl)
    throw new Error(
      'The metadata API is not configured: deploy with -c recomart:config=\'{"metadata":{"baseUrl":"https://…"}}\' (the pull is scheduled once it is set).',
    );
  apiKey ??= (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  if (!apiKey) throw new Error(`Secret ${secretArn} has no string value: set the API key with put-secret-value.`);
  let pulled: Awaited<ReturnType<typeof pullAllProducts>>;
  try {
    pulled = await pullAllProducts({
      baseUrl,
      apiKey,
      attempts,
      timeoutMs,
      onAttemptFailed: (attempt, reason) => logger.warn('metadata API attempt failed', { attempt, reason }),
    });
  } catch (err) {
    if (err instanceof MetadataPullError)
      logger.error('metadata pull gave up; nothing written', { reasons: err.reasons });
    throw err;
  }
  const rows = toRows(pulled.products);
  const lines = [
    EXTERNAL_METADATA_COLUMNS.join(','),
    ...rows.map((r) => toCsvLine(EXTERNAL_METADATA_COLUMNS.map((c) => String(r[c])))),
  ];
  const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const now = new Date();
  const dt = now.toISOString().slice(0, 10);
  const dataKey = lakeKeys.rawExternalMetadata(dt);
  const manifest = buildManifest({
    dataset: 'external_metadata',
    dataKey,
    contentType: 'text/csv',
    body,
    records: rows.length,
    schemaVersion: EXTERNAL_METADATA_SCHEMA_VERSION,
    source: {
      url: new URL('v1/products', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString(),
      pages: pulled.pages,
    },
    writtenAt: now,
  });
  await putWithManifest(s3, bucket, body, manifest);
  const api = new URL(baseUrl);
  const lineageKey = await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'metadata-pull',
      codeVersion: codeVersionFromEnv(),
      inputs: [{ namespace: api.origin, name: `${api.pathname.replace(/\/$/, '')}/v1/products` }],
      outputs: [{ namespace: `s3://${bucket}`, name: dataKey, md5: manifest.md5, records: rows.length }],
      details: { pages: pulled.pages, attempts: pulled.attempts },
      eventTime: now,
    }),
  );
  logger.info('metadata pulled', {
    dataKey,
    products: rows.length,
    pages: pulled.pages,
    attempts: pulled.attempts,
    lineageKey,
  });
  return { key: dataKey, products: rows.length, pages: pulled.pages, attempts: pulled.attempts };
};
