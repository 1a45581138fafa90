import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { getListedManifest, readListed } from './listed';
import { countCsvRows, countLines, type Manifest, verifyManifest } from './manifest';
import { countParquetRows, PARQUET_CONTENT_TYPE } from './parquet';
import { getBytes } from './s3-io';
import { isManifestKey } from './zones';

/** Every key under a prefix, following pagination. */
export async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** `raw/<dataset>/...` → dataset name. */
export function datasetOfKey(key: string): string {
  const parts = key.split('/');
  return parts[1] === 'master' ? `master/${parts[2] ?? 'unknown'}` : (parts[1] ?? 'unknown');
}

/** Manifest keys under `raw/`, grouped by dataset. */
export async function rawManifestsByDataset(s3: S3Client, bucket: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const key of listKeys(s3, bucket, 'raw/')) {
    if (!isManifestKey(key)) continue;
    const dataset = datasetOfKey(key);
    const list = out.get(dataset) ?? [];
    list.push(key);
    out.set(dataset, list);
  }
  return out;
}

export interface AuditEntry {
  readonly manifestKey: string;
  readonly dataKey: string;
  readonly records: number;
  readonly ok: boolean;
  /** Retired by a newer version between the listing and the read: not audited, not a failure. */
  readonly superseded?: true;
  readonly problems: string[];
}

/** Count records the way the manifest's content type defines them. */
export function recordCounter(manifest: Manifest): (body: Uint8Array) => number {
  if (manifest.contentType === 'text/csv') return countCsvRows;
  return manifest.contentType === PARQUET_CONTENT_TYPE ? countParquetRows : countLines;
}

/**
 * Re-read one listed data object and check it against its manifest (MD5, size, record count). A
 * version retired after the listing comes back as superseded, not as a failure (see ./listed).
 */
export async function auditManifest(s3: S3Client, bucket: string, manifestKey: string): Promise<AuditEntry> {
  const superseded = (dataKey: string): AuditEntry => ({
    manifestKey,
    dataKey,
    records: 0,
    ok: true,
    superseded: true,
    problems: [],
  });
  let manifest: Manifest | undefined;
  try {
    manifest = await getListedManifest(s3, bucket, manifestKey);
  } catch (err) {
    return { manifestKey, dataKey: '', records: 0, ok: false, problems: [`unreadable manifest: ${String(err)}`] };
  }
  if (!manifest) return superseded('');
  let body: Uint8Array | undefined;
  try {
    body = await readListed(s3, bucket, manifest.dataKey, (key) => getBytes(s3, bucket, key));
  } catch (err) {
    const problem = `data object unreadable: ${(err as Error).name ?? String(err)}`;
    return { manifestKey, dataKey: manifest.dataKey, records: manifest.records, ok: false, problems: [problem] };
  }
  if (!body) return superseded(manifest.dataKey);
  const check = verifyManifest(manifest, body, recordCounter(manifest));
  return { manifestKey, dataKey: manifest.dataKey, records: manifest.records, ...check };
}

export interface ZoneSummary {
  /** dataset → files and records, from the manifests under the zone. */
  readonly datasets: Record<string, { files: number; records: number }>;
  readonly files: number;
  readonly records: number;
}

/** Sum the manifests under a zone prefix (`raw/`, `quarantine/`) by dataset; versions retired meanwhile do not count. */
export async function summarizeZone(s3: S3Client, bucket: string, prefix: string): Promise<ZoneSummary> {
  const datasets: Record<string, { files: number; records: number }> = {};
  let files = 0;
  let records = 0;
  for await (const key of listKeys(s3, bucket, prefix)) {
    if (!isManifestKey(key)) continue;
    const manifest = await getListedManifest(s3, bucket, key);
    if (!manifest) continue;
    const name = datasetOfKey(key);
    const entry = datasets[name] ?? { files: 0, records: 0 };
    entry.files++;
    entry.records += manifest.records;
    datasets[name] = entry;
    files++;
    records += manifest.records;
  }
  return { datasets, files, records };
}
