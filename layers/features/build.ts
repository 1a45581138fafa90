/**
 * The feature build step: from the raw dataset versions that passed validation to the online store
 * (user and item features in DynamoDB) and the offline store (`features/<set>/v=<version>/`), with a
 * feature-set registry entry and a lineage record per build.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseClickEvent } from '../clickstream/schema';
import { batchWriteItems, featureItem } from '../feature-store/online';
import { listKeys } from '../lake/inventory';
import { LAKE_PREFIXES, lakeKeys } from '../lake/keys';
import { getListedManifest, readListed, SUPERSEDED } from '../lake/listed';
import { buildManifest } from '../lake/manifest';
import { getStream, putJson, uploadFileWithManifest } from '../lake/s3-io';
import { PartitionSpool } from '../lake/spool';
import { isManifestKey, manifestKeyFor } from '../lake/zones';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { readStatus } from '../quality/status';
import { csvTableRows } from '../util/csv-records';
import { nonEmptyLines } from '../util/lines';
import {
  addCatalogRow,
  addMetadataRow,
  DEFAULT_WEIGHTS,
  FEATURE_SETS,
  FeatureBuilder,
  type ImplicitWeights,
  type ItemContext,
  transactionInput,
} from './builders';

export interface BuildOptions {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly tableName: string;
  readonly ttlDays: number;
  readonly codeVersion: string;
  readonly weights?: ImplicitWeights;
  /** Build from exactly these raw transactions / clickstream objects (when they are usable) instead of all. */
  readonly dataKeys?: readonly string[];
  readonly now?: Date;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export interface SourceRef {
  readonly key: string;
  readonly md5: string;
  readonly records: number;
}

export interface BuildSummary {
  readonly version: string;
  readonly sources: { used: number; skipped: { key: string; reason: string }[] };
  readonly transactions: number;
  readonly events: number;
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly onlineItems: number;
  readonly offline: Record<string, string>;
  readonly registry: Record<string, string>;
  readonly lineageKey: string;
  readonly seconds: number;
}

/** Versions sortable by time: `20261121T103000Z`. */
export function versionAt(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export async function buildFeatures(opts: BuildOptions): Promise<BuildSummary> {
  const t0 = performance.now();
  const now = opts.now ?? new Date();
  const version = versionAt(now);
  const log = opts.log ?? (() => undefined);
  const { s3, bucket } = opts;

  // 1. Which raw versions may be used: those whose quality status says usable for the same bytes.
  // A version a re-upload retires while the build runs is skipped as superseded (see lake/listed).
  const skipped: { key: string; reason: string }[] = [];
  const pinned = opts.dataKeys ? new Set(opts.dataKeys.map(manifestKeyFor)) : undefined;
  const usable = async (prefix: string, selectable = false): Promise<SourceRef[]> => {
    const out: SourceRef[] = [];
    for await (const manifestKey of listKeys(s3, bucket, prefix)) {
      if (!isManifestKey(manifestKey)) continue;
      if (selectable && pinned && !pinned.has(manifestKey)) continue; // not selected for this build
      const manifest = await getListedManifest(s3, bucket, manifestKey);
      if (!manifest) {
        skipped.push({ key: manifestKey, reason: SUPERSEDED });
        continue;
      }
      const status = await readStatus(s3, bucket, manifest.dataKey);
      if (!status) skipped.push({ key: manifest.dataKey, reason: 'not validated yet' });
      else if (status.md5 !== manifest.md5)
        skipped.push({ key: manifest.dataKey, reason: 'validated bytes differ from the current version' });
      else if (!status.usable)
        skipped.push({ key: manifest.dataKey, reason: `failed ${status.failedCritical.join(', ')}` });
      else out.push({ key: manifest.dataKey, md5: manifest.md5, records: manifest.records });
    }
    return out;
  };
  const transactions = await usable(LAKE_PREFIXES.rawTransactions, true);
  const clickstream = await usable(LAKE_PREFIXES.rawClickstream, true);
  const newest = (refs: SourceRef[]) => [...refs].sort((a, b) => a.key.localeCompare(b.key)).at(-1);
  const catalog = newest(
    (await usable(`${LAKE_PREFIXES.rawMaster}catalog/dt=`)).filter((r) => r.key.endsWith('/catalog.csv')),
  );
  const metadata = newest(await usable(LAKE_PREFIXES.rawExternalMetadata));
  const superseded = new Set<string>();
  const open = async (ref: SourceRef): Promise<Readable | undefined> => {
    const stream = await readListed(s3, bucket, ref.key, (key) => getStream(s3, bucket, key));
    if (!stream) {
      superseded.add(ref.key);
      skipped.push({ key: ref.key, reason: SUPERSEDED });
      log('source superseded while the build ran', { key: ref.key });
    }
    return stream;
  };
  log('feature sources', {
    transactions: transactions.length,
    clickstream: clickstream.length,
    catalog: catalog?.key,
    metadata: metadata?.key,
    skipped: skipped.length,
  });

  // 2. Item context from the catalog and the external metadata.
  let unusableRows = 0;
  const countUnusable = () => {
    unusableRows++;
  };
  const items = new Map<string, ItemContext>();
  const catalogStream = catalog && (await open(catalog));
  if (catalogStream) {
    for await (const row of csvTableRows(catalogStream, countUnusable)) addCatalogRow(items, row);
  }
  const metadataStream = metadata && (await open(metadata));
  if (metadataStream) {
    for await (const row of csvTableRows(metadataStream, countUnusable)) addMetadataRow(items, row);
  }

  // 3. One streaming pass over every usable transactions and clickstream object.
  const builder = new FeatureBuilder(items, opts.weights ?? DEFAULT_WEIGHTS, now);
  for (const ref of transactions) {
    const stream = await open(ref);
    if (!stream) continue;
    for await (const row of csvTableRows(stream, countUnusable)) {
      const input = transactionInput(row);
      if (input) builder.addTransaction(input);
      else unusableRows++;
    }
  }
  for (const ref of clickstream) {
    const stream = await open(ref);
    if (!stream) continue;
    for await (const line of nonEmptyLines(stream)) {
      const parsed = parseClickEvent(Buffer.from(line, 'utf8'));
      if (parsed.ok) builder.addEvent(parsed.event);
      else unusableRows++;
    }
  }

  const used = [...transactions, ...clickstream, ...(catalog ? [catalog] : []), ...(metadata ? [metadata] : [])].filter(
    (ref) => !superseded.has(ref.key),
  );

  // 4. Offline store (JSON Lines per feature set) and the registry; online store for users and items.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'features-'));
  const spool = new PartitionSpool(workDir);
  const expiresAt = Math.floor(now.getTime() / 1000) + opts.ttlDays * 86_400;
  const online: Record<string, unknown>[] = [];
  let users = 0;
  let itemCount = 0;
  let interactions = 0;
  for (const u of builder.userFeatures()) {
    users++;
    spool.append(FEATURE_SETS.users, JSON.stringify(u));
    const { userId, lastActivity, ...features } = u;
    online.push({ ...featureItem('user', userId, FEATURE_SETS.users, version, lastActivity, features, expiresAt) });
  }
  for (const i of builder.itemFeatures()) {
    itemCount++;
    spool.append(FEATURE_SETS.items, JSON.stringify(i));
    const { itemId, ...features } = i;
    online.push({
      ...featureItem('item', itemId, FEATURE_SETS.items, version, now.toISOString(), features, expiresAt),
    });
  }
  for (const x of builder.interactions()) {
    interactions++;
    spool.append(FEATURE_SETS.interactions, JSON.stringify(x));
  }
  const offline: Record<string, string> = {};
  const registry: Record<string, string> = {};
  const outputs: { namespace: string; name: string; md5: string; records: number }[] = [];
  try {
    for (const file of spool.close()) {
      const dataKey = lakeKeys.featureData(file.partition, version);
      const manifest = buildManifest({
        dataset: `features/${file.partition}`,
        dataKey,
        contentType: 'application/x-ndjson',
        body: file,
        records: file.records,
        schemaVersion: '1',
        source: { version },
        writtenAt: now,
      });
      await uploadFileWithManifest(s3, bucket, file.path, manifest);
      offline[file.partition] = dataKey;
      outputs.push({ namespace: `s3://${bucket}`, name: dataKey, md5: manifest.md5, records: file.records });
      const first = fs.readFileSync(file.path, 'utf8').split('\n', 1)[0] ?? '{}';
      const registryKey = lakeKeys.featureRegistry(file.partition, version);
      await putJson(s3, bucket, registryKey, {
        name: file.partition,
        version,
        createdAt: now.toISOString(),
        codeVersion: opts.codeVersion,
        schema: schemaOf(JSON.parse(first) as Record<string, unknown>),
        records: file.records,
        data: { key: dataKey, md5: manifest.md5 },
        sources: used,
        // What was left out, and why (not validated, failed checks, retired by a re-upload): all of it here.
        skipped,
        weights: opts.weights ?? DEFAULT_WEIGHTS,
        online:
          file.partition === FEATURE_SETS.interactions
            ? null
            : { table: opts.tableName, sortKey: `fs#${file.partition}`, ttlDays: opts.ttlDays },
      });
      registry[file.partition] = registryKey;
    }
  } finally {
    spool.dispose();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const written = await batchWriteItems(opts.doc, opts.tableName, online);
  log('online store written', written);
  const lineageKey = await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'features-build',
      codeVersion: opts.codeVersion,
      inputs: used.map((u) => ({ namespace: `s3://${bucket}`, name: u.key, md5: u.md5, records: u.records })),
      outputs,
      details: { version, unusableRows, skippedSources: skipped.length },
      eventTime: now,
    }),
  );
  return {
    version,
    sources: { used: used.length, skipped },
    transactions: builder.transactions,
    events: builder.events,
    users,
    items: itemCount,
    interactions,
    onlineItems: written.written,
    offline,
    registry,
    lineageKey,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
}

/** Field → JSON type of a feature record (the registry's schema). */
function schemaOf(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v === null ? 'number|null' : Array.isArray(v) ? 'array' : typeof v]),
  );
}
