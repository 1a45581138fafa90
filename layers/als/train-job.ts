/**
 * The training task: the interaction matrix of a feature-set version → ALS → evaluation
 * against the popularity baseline → artifacts under `models/<runId>/`, a model registry record and a
 * lineage event. Runs in the container (ECS Fargate) and, on the local cloud, as a child process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { FEATURE_SETS } from '../features/builders';
import { type FeatureRegistryEntry, featureFiles, featureRecords, readFeatureRegistry } from '../features/offline';
import { listKeys } from '../lake/inventory';
import { lakeKeys } from '../lake/keys';
import { getJson } from '../lake/s3-io';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { type GateConfig, gateVerdict, type ModelMetrics } from '../publish/gate';
import { productionVersion } from '../publish/serving';
import type { AlsParams } from './als';
import { writeModel } from './artifacts';
import { randomSplit } from './evaluate';
import { RatingsBuilder } from './ratings';
import { categoryIndex } from './recommenders';
import { getModel, modelKey } from './registry';
import { modelCard } from './report';
import { trainingRun } from './training';
import { DEFAULT_BUDGET_SECONDS, type Tunable } from './tuning';

export interface TrainJobOptions {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly registryTable: string;
  readonly runId: string;
  readonly codeVersion: string;
  /** Feature-set version of the interactions; default the newest. */
  readonly featureVersion?: string;
  readonly params?: Partial<AlsParams>;
  /** Seconds the hyper-parameter search may spend (DEFAULT_BUDGET_SECONDS otherwise). */
  readonly budgetSeconds?: number;
  /** The recommendations table, to compare with the model in production (the card says what it replaces). */
  readonly recommendationsTable?: string;
  /** The stage's gate thresholds, for the verdict the card expects. */
  readonly gate?: GateConfig;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export async function runTrainingJob(opts: TrainJobOptions) {
  const log = opts.log ?? (() => undefined);
  const { s3, bucket } = opts;
  const registryKeys: string[] = [];
  for await (const key of listKeys(s3, bucket, lakeKeys.featureRegistryOf('interactions'))) registryKeys.push(key);
  const registryKey = opts.featureVersion
    ? lakeKeys.featureRegistry('interactions', opts.featureVersion)
    : registryKeys.sort().at(-1);
  if (!registryKey || (opts.featureVersion && !registryKeys.includes(registryKey))) {
    throw new Error(
      `No interactions feature set${opts.featureVersion ? ` v=${opts.featureVersion}` : ''} in s3://${bucket}/${lakeKeys.featureRegistryOf('interactions')}: build features first.`,
    );
  }
  const registry = await getJson<FeatureRegistryEntry>(s3, bucket, registryKey);
  const window = dataWindow(registry.sources ?? []);
  const implicit = opts.params?.implicit ?? true;
  const seed = opts.params?.seed ?? 42;
  const fixed: { -readonly [K in Tunable]?: AlsParams[K] } = {};
  for (const name of ['rank', 'lambda', 'alpha', 'iterations'] as const)
    if (opts.params?.[name] !== undefined) fixed[name] = opts.params[name];

  // Interactions → ratings: explicit uses the mean rating (rated pairs only; a blank rating is missing,
  // never a zero), implicit the confidence. Each file's bytes must have the MD5 the registry recorded:
  // training refuses data that is not what the build wrote.
  const builder = new RatingsBuilder();
  type Interaction = {
    userId: string;
    itemId: string;
    rating: number | null;
    confidence: number;
    /** Absent in feature sets built before it was recorded: then validation holds out at random. */
    lastAt?: string;
  };
  let read = 0;
  let skipped = 0;
  for await (const x of featureRecords<Interaction>(s3, bucket, registry)) {
    read++;
    const value = implicit ? x.confidence : x.rating;
    const at = x.lastAt ? Date.parse(x.lastAt) / 1000 : Number.NaN;
    if (value !== null && value > 0) builder.add(x.userId, x.itemId, value, at);
    else skipped++;
  }
  const ratings = builder.build();
  if (ratings.length < 10)
    throw new Error(
      `Feature set v=${registry.version} has only ${ratings.length} usable interactions${implicit ? '' : ' with a rating'} (${skipped} of ${read} without one): too few to train.`,
    );
  const itemCategories = await readItemCategories(s3, bucket, registry.version, ratings.itemIds);
  log('training', {
    runId: opts.runId,
    version: registry.version,
    ratings: ratings.length,
    skipped,
    users: ratings.userIds.length,
    items: ratings.itemIds.length,
    fixed,
    budgetSeconds: opts.budgetSeconds ?? DEFAULT_BUDGET_SECONDS,
  });
  const mask = randomSplit(ratings, 0.2, seed);
  const run = await trainingRun(ratings, mask, {
    implicit,
    seed,
    fixed,
    ...(opts.budgetSeconds !== undefined ? { budgetSeconds: opts.budgetSeconds } : {}),
    ...(itemCategories ? { itemCategories } : {}),
    ratingRange: [1, 5],
    // Each trial is in metrics.json and the card; the log keeps the outcome.
    log: (message, details) => {
      if (message !== 'trial') log(message, details);
    },
  });
  const metrics = run.summary;
  const params = run.fitted.model.params;

  // What the card can say before the gate runs: the verdict the stage's thresholds imply, and the
  // production model this one would replace (the gate step decides and records its own verdict).
  const productionId = opts.recommendationsTable
    ? await productionVersion(opts.doc, opts.recommendationsTable)
    : undefined;
  const productionRecord = productionId ? await getModel(opts.doc, opts.registryTable, productionId) : undefined;
  const productionMetrics = productionRecord?.metrics as
    | (ModelMetrics & { recommender?: { kind: string } })
    | undefined;
  const expected = opts.gate
    ? gateVerdict(
        metrics,
        productionMetrics ? { ...productionMetrics, runId: productionId as string } : undefined,
        opts.gate,
      )
    : undefined;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-'));
  const prefix = lakeKeys.modelPrefix(opts.runId);
  const outputs: { namespace: string; name: string }[] = [];
  try {
    writeModel(dir, run.fitted, ratings.userIds, ratings.itemIds, itemCategories?.categories);
    fs.writeFileSync(path.join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    fs.writeFileSync(
      path.join(dir, 'model-card.html'),
      await modelCard(metrics, {
        runId: opts.runId,
        codeVersion: opts.codeVersion,
        data: { featureSet: 'interactions', version: registry.version, key: registry.data.key, window },
        rows: { read, skipped },
        ...(expected && opts.gate ? { gate: { thresholds: { ...opts.gate }, ...expected } } : {}),
        production:
          productionId && productionMetrics
            ? {
                runId: productionId,
                precisionAt10: productionMetrics.precisionAt10,
                ...(productionMetrics.recommender ? { kind: productionMetrics.recommender.kind } : {}),
              }
            : opts.recommendationsTable
              ? null
              : undefined,
      }),
    );
    for (const name of fs.readdirSync(dir)) {
      const key = `${prefix}${name}`;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: fs.readFileSync(path.join(dir, name)),
          ContentType: artifactContentType(name),
        }),
      );
      outputs.push({ namespace: `s3://${bucket}`, name: key });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const record = {
    ...modelKey(opts.runId),
    runId: opts.runId,
    status: 'TRAINED',
    createdAt: new Date().toISOString(),
    codeVersion: opts.codeVersion,
    params,
    metrics: { ...metrics, loss: undefined, tuning: undefined },
    recommender: metrics.recommender,
    tuning: metrics.tuning ? { ...metrics.tuning, trace: metrics.tuning.trace.slice(0, 40) } : undefined,
    rows: { read, skipped, ratings: ratings.length },
    replaces: productionId ?? null,
    data: {
      featureSet: 'interactions',
      version: registry.version,
      key: registry.data.key,
      files: featureFiles(registry).map(({ key, md5 }) => ({ key, md5 })),
      window,
    },
    artifacts: `s3://${bucket}/${prefix}`,
  };
  await opts.doc.send(
    new PutCommand({ TableName: opts.registryTable, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }),
  );
  await writeRunEvent(
    s3,
    bucket,
    runEvent({
      job: 'train',
      runId: undefined,
      codeVersion: opts.codeVersion,
      inputs: featureFiles(registry).map((f) => ({ namespace: `s3://${bucket}`, name: f.key, md5: f.md5 })),
      outputs,
      details: {
        runId: opts.runId,
        version: registry.version,
        recommender: metrics.recommender.kind,
        rmse: metrics.rmse,
        precisionAt10: metrics.precisionAt10,
        baselinePrecisionAt10: metrics.baseline.precisionAt10,
      },
    }),
  );
  log('trained', {
    runId: opts.runId,
    artifacts: record.artifacts,
    recommender: metrics.recommender.kind,
    precisionAt10: metrics.precisionAt10,
    baseline: metrics.baseline.precisionAt10,
  });
  return record;
}

/**
 * Item categories from the item features of the same feature-set version, for the category-aware recommender; undefined when that version has none or has
 * fewer than two categories.
 */
async function readItemCategories(s3: S3Client, bucket: string, version: string, itemIds: string[]) {
  const entry = await readFeatureRegistry(s3, bucket, FEATURE_SETS.items, version);
  if (!entry) return undefined;
  const categoryOf = new Map<string, string>();
  for await (const f of featureRecords<{ itemId: string; category: string | null }>(s3, bucket, entry))
    if (f.category) categoryOf.set(f.itemId, f.category);
  const { categories, names } = categoryIndex(itemIds, categoryOf);
  return names.length > 1 ? { categories, count: names.length } : undefined;
}

/** The first and last `dt=` partition date among a feature build's raw sources, or null. */
export function dataWindow(sources: readonly { key: string }[]): { from: string; to: string } | null {
  const dates = sources
    .map((s) => /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(s.key)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
  return dates.length ? { from: dates[0] as string, to: dates.at(-1) as string } : null;
}

/** How a model artifact is served (the model card opens in a browser; JSON reads as JSON). */
export function artifactContentType(name: string): string {
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  if (name.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}
