/**
 * Publish a trained model: top-N per user (excluding items the user already interacted with) and
 * cold-start lists of popular items per category, written as a new version of the recommendations
 * table in parallel batches; then the production pointer is switched and the registry updated.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadModel, recommendFor } from '../als/artifacts';
import { getModel, setModelStatus } from '../als/registry';
import { batchWriteItems } from '../feature-store/online';
import { listKeys } from '../lake/inventory';
import { getStream } from '../lake/s3-io';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { jsonLines } from '../util/lines';
import { modelSk, productionVersion, switchPointer } from './serving';

export interface PublishOptions {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly registryTable: string;
  readonly recommendationsTable: string;
  readonly runId: string;
  readonly topN: number;
  readonly ttlDays: number;
  readonly codeVersion: string;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export async function publishModel(opts: PublishOptions) {
  const { s3, doc, bucket, runId } = opts;
  const log = opts.log ?? (() => undefined);
  const record = await getModel(doc, opts.registryTable, runId);
  if (!record) throw new Error(`Model ${runId} is not in the registry.`);
  const data = record.data as { key: string; version: string };

  // The model, from its artifacts.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'));
  try {
    for await (const key of listKeys(s3, bucket, `models/${runId}/`)) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      fs.writeFileSync(
        path.join(dir, path.posix.basename(key)),
        await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    }
    const model = loadModel(dir);

    // What each user already has (interactions of the training version) is not recommended again.
    const seen = new Map<string, Set<string>>();
    for await (const x of jsonLines<{ userId: string; itemId: string }>(await getStream(s3, bucket, data.key))) {
      const set = seen.get(x.userId) ?? new Set<string>();
      set.add(x.itemId);
      seen.set(x.userId, set);
    }
    const expiresAt = Math.floor(Date.now() / 1000) + opts.ttlDays * 86_400;
    const generatedAt = new Date().toISOString();
    const items: Record<string, unknown>[] = [];
    for (const userId of model.userIndex.keys()) {
      const recs = recommendFor(model, userId, opts.topN, seen.get(userId)) ?? [];
      items.push({
        pk: `user#${userId}`,
        sk: modelSk(runId),
        items: recs,
        modelVersion: runId,
        generatedAt,
        expiresAt,
      });
    }

    // Cold start: the most popular items overall and per category (item features of the same build).
    const itemFeaturesKey = data.key.replace('features/interactions/', 'features/item_features/');
    const popular: { itemId: string; category: string | null; popularity: number }[] = [];
    for await (const f of jsonLines<{ itemId: string; category: string | null; popularity: number }>(
      await getStream(s3, bucket, itemFeaturesKey),
    ))
      popular.push(f);
    popular.sort((a, b) => b.popularity - a.popularity || a.itemId.localeCompare(b.itemId));
    const cold = new Map<string, { itemId: string; score: number }[]>([['all', []]]);
    for (const p of popular) {
      for (const list of ['all', ...(p.category ? [`category#${p.category}`] : [])]) {
        const l = cold.get(list) ?? [];
        if (l.length < opts.topN) l.push({ itemId: p.itemId, score: p.popularity });
        cold.set(list, l);
      }
    }
    for (const [list, recs] of cold)
      items.push({
        pk: `cold#${list.replace(/^category#/, '')}`,
        sk: modelSk(runId),
        items: recs,
        modelVersion: runId,
        generatedAt,
        expiresAt,
        coldStart: true,
      });

    const previous = await productionVersion(doc, opts.recommendationsTable);
    const written = await batchWriteItems(doc, opts.recommendationsTable, items, { concurrency: 8 });
    await switchPointer(doc, opts.recommendationsTable, runId, previous);
    await setModelStatus(doc, opts.registryTable, runId, 'PRODUCTION', {
      publishedAt: generatedAt,
      previousProduction: previous ?? null,
    });
    if (previous) await setModelStatus(doc, opts.registryTable, previous, 'RETIRED', { retiredAt: generatedAt });
    await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: 'publish',
        codeVersion: opts.codeVersion,
        inputs: [
          { namespace: `s3://${bucket}`, name: `models/${runId}/model.bin` },
          { namespace: `s3://${bucket}`, name: data.key },
        ],
        outputs: [
          { namespace: `dynamodb://${opts.recommendationsTable}`, name: `model#${runId}`, records: items.length },
        ],
        details: { runId, previous: previous ?? null },
      }),
    );
    log('published', { runId, users: model.userIndex.size, coldLists: cold.size, written: written.written, previous });
    return { runId, users: model.userIndex.size, coldLists: cold.size, previous: previous ?? null };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
