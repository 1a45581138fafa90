/**
 * The external metadata pull: every page of the product metadata API → one flat CSV at
 * raw/external_metadata/dt=<today>/external_metadata.csv (+ manifest, + lineage). All pages or nothing:
 * a pull that gives up writes nothing.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { lakeKeys } from '../lake/keys';
import { buildManifest } from '../lake/manifest';
import { putWithManifest } from '../lake/s3-io';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { toCsvLine } from '../util/csv-write';
import type { UseCaseLogger } from '../util/use-case-logger';
import { MetadataPullError, pullAllProducts } from './client';
import { EXTERNAL_METADATA_COLUMNS, EXTERNAL_METADATA_SCHEMA_VERSION, toRows } from './schema';

/** What the use case is given. */
export interface MetadataPullDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Unset until the stage config names the API. */
  readonly baseUrl: string | undefined;
  readonly apiKey: () => Promise<string>;
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly codeVersion: string;
  readonly now: () => Date;
  readonly logger: UseCaseLogger;
  readonly fetch?: typeof fetch;
}

export async function pullExternalMetadata(
  deps: MetadataPullDeps,
): Promise<{ key: string; products: number; pages: number; attempts: number }> {
  const { s3, bucket, baseUrl } = deps;
  if (!baseUrl)
    throw new Error(
      'The metadata API is not configured: deploy with -c recomart:config=\'{"metadata":{"baseUrl":"https://…"}}\' (the pull is scheduled once it is set).',
    );
  let pulled: Awaited<ReturnType<typeof pullAllProducts>>;
  try {
    pulled = await pullAllProducts({
      baseUrl,
      apiKey: await deps.apiKey(),
      attempts: deps.attempts,
      timeoutMs: deps.timeoutMs,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      onAttemptFailed: (attempt, reason) => deps.logger.warn('metadata API attempt failed', { attempt, reason }),
    });
  } catch (err) {
    if (err instanceof MetadataPullError)
      deps.logger.error('metadata pull gave up; nothing written', { reasons: err.reasons });
    throw err;
  }
  const rows = toRows(pulled.products);
  const lines = [
    EXTERNAL_METADATA_COLUMNS.join(','),
    ...rows.map((r) => toCsvLine(EXTERNAL_METADATA_COLUMNS.map((c) => String(r[c])))),
  ];
  const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const now = deps.now();
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
      codeVersion: deps.codeVersion,
      inputs: [{ namespace: api.origin, name: `${api.pathname.replace(/\/$/, '')}/v1/products` }],
      outputs: [{ namespace: `s3://${bucket}`, name: dataKey, md5: manifest.md5, records: rows.length }],
      details: { pages: pulled.pages, attempts: pulled.attempts },
      eventTime: now,
    }),
  );
  deps.logger.info('metadata pulled', {
    dataKey,
    products: rows.length,
    pages: pulled.pages,
    attempts: pulled.attempts,
    lineageKey,
  });
  return { key: dataKey, products: rows.length, pages: pulled.pages, attempts: pulled.attempts };
}
