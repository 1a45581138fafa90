/**
 * The training task (SPEC C7): the interaction matrix of a feature-set version → ALS → evaluation
 * against the popularity baseline → artifacts under `models/<runId>/`, a model registry record and a
 * lineage event. Runs in the container (ECS Fargate) and, on the local cloud, as a child process.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { listKeys } from '../lake/inventory';
import { getBytes, getStream } from '../lake/s3-io';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { jsonLines } from '../util/lines';
import { type AlsParams, DEFAULT_EXPLICIT, DEFAULT_IMPLICIT, trainAlsOnAllCores } from './als';
import { writeModel } from './artifacts';
import { evaluate, randomSplit } from './evaluate';
import { RatingsBuilder } from './ratings';
import { modelKey } from './registry';
import { modelCard, summarize } from './report';

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
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export async function runTrainingJob(opts: TrainJobOptions) {
  const log = opts.log ?? (() => undefined);
  const { s3, bucket } = opts;
  const registryKeys: string[] = [];
  for await (const key of listKeys(s3, bucket, 'features/_registry/interactions/')) registryKeys.push(key);
  const registryKey = opts.featureVersion
    ? `features/_registry/interactions/v=${opts.featureVersion}.json`
    : registryKeys.sort().at(-1);
  if (!registryKey || (opts.featureVersion && !registryKeys.includes(registryKey))) {
    throw new Error(
      `No interactions feature set${opts.featureVersion ? ` v=${opts.featureVersion}` : ''} in s3://${bucket}/features/_registry/interactions/: build features first.`,
    );
  }
  const registry = JSON.parse(Buffer.from(await getBytes(s3, bucket, registryKey)).toString('utf8')) as {
    version: string;
    data: { key: string; md5: string };
  };
  const implicit = opts.params?.implicit ?? true;
  const params: AlsParams = { ...(implicit ? DEFAULT_IMPLICIT : DEFAULT_EXPLICIT), ...opts.params, implicit };

  // Interactions → ratings: explicit uses the mean rating (rated pairs only), implicit the confidence.
  // The bytes are hashed as they are read: training refuses data that is not what the registry recorded.
  const builder = new RatingsBuilder();
  type Interaction = { userId: string; itemId: string; rating: number | null; confidence: number };
  const hash = createHash('md5');
  const source = await getStream(s3, bucket, registry.data.key);
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  source.on('error', (err) => hashed.destroy(err));
  for await (const x of jsonLines<Interaction>(source.pipe(hashed))) {
    const value = implicit ? x.confidence : x.rating;
    if (value !== null && value > 0) builder.add(x.userId, x.itemId, value);
  }
  const md5 = hash.digest('hex');
  if (md5 !== registry.data.md5)
    throw new Error(
      `Feature set v=${registry.version}: ${registry.data.key} has MD5 ${md5}, the registry recorded ${registry.data.md5}; refusing to train on it.`,
    );
  const ratings = builder.build();
  if (ratings.length < 10)
    throw new Error(
      `Feature set v=${registry.version} has only ${ratings.length} usable interactions: too few to train.`,
    );
  log('training', {
    runId: opts.runId,
    version: registry.version,
    ratings: ratings.length,
    users: ratings.userIds.length,
    items: ratings.itemIds.length,
    params,
  });
  const mask = randomSplit(ratings, 0.2, params.seed);
  const model = await trainAlsOnAllCores(ratings, params, mask, (it, loss) => log('iteration', { it, loss }));
  const evaluation = evaluate(model, ratings, mask, { ratingRange: [1, 5] });
  const metrics = { ...summarize(model, evaluation, ratings.length), threads: model.threads };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-'));
  const prefix = `models/${opts.runId}/`;
  const outputs: { namespace: string; name: string }[] = [];
  try {
    writeModel(dir, model, ratings.userIds, ratings.itemIds);
    fs.writeFileSync(path.join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'model-card.html'), await modelCard(metrics));
    for (const name of fs.readdirSync(dir)) {
      const key = `${prefix}${name}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(path.join(dir, name)) }));
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
    metrics: { ...metrics, loss: undefined },
    data: { featureSet: 'interactions', version: registry.version, key: registry.data.key, md5: registry.data.md5 },
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
      inputs: [{ namespace: `s3://${bucket}`, name: registry.data.key, md5: registry.data.md5 }],
      outputs,
      details: {
        runId: opts.runId,
        version: registry.version,
        rmse: metrics.rmse,
        precisionAt10: metrics.precisionAt10,
      },
    }),
  );
  log('trained', {
    runId: opts.runId,
    artifacts: record.artifacts,
    precisionAt10: metrics.precisionAt10,
    baseline: metrics.baseline.precisionAt10,
  });
  return record;
}
