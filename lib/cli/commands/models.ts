import type { Command } from 'commander';
import { getModel, listModels, promotionRefusal, setModelStatus } from '../../../layers/als/registry';
import { compareModels, type ModelRecord, modelSummary } from '../../../layers/als/registry-view';
import { dynamoDbDocumentClient, s3Client } from '../../../layers/aws/clients';
import {
  completePublish,
  type PublishContext,
  planPublish,
  publishShard,
  RECOMMENDATIONS_TTL_DAYS,
} from '../../../layers/publish/publish';
import { productionVersion } from '../../../layers/publish/serving';
import { codeVersion } from '../../code-version';
import { resolveStageConfig } from '../../config';
import { CliError } from '../errors';
import { Progress } from '../progress';
import { resolveTarget, type Target } from '../target';

interface TargetOpts {
  state: string;
  stage: string;
  json?: boolean;
}

/**
 * The model registry as people use it: list, show and compare runs, promote one to production or roll
 * back, through the registry table and the production pointer the recommendations API reads. A
 * promotion publishes the run's recommendations again (fresh items, fresh TTL) with the same steps as
 * the pipeline, then switches the pointer only if production did not move meanwhile.
 */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('The model registry: list, show, compare, promote and roll back trained models.');
  const common = (c: Command) =>
    c
      .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
      .option('--stage <stage>', 'stage whose stack outputs name the tables', 'dev')
      .option('--json', 'print JSON');

  common(models.command('list').description('Every run, newest first, with its metrics and gate decision.')).action(
    async (opts: TargetOpts) => {
      const { records, production } = await registry(resolveTarget(opts));
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ production: production ?? null, models: records.map(modelSummary) })}\n`,
        );
        return;
      }
      if (records.length === 0) {
        process.stdout.write('No models in the registry yet: run the training pipeline first.\n');
        return;
      }
      const lines = [
        'run                                   status        kind                  P@10     popularity  lift   gate',
      ];
      for (const r of records.map(modelSummary))
        lines.push(
          [
            `${r.runId === production ? '*' : ' '} ${pad(r.runId, 36)}`,
            pad(r.status, 13),
            pad(r.kind, 21),
            pad(String(r.precisionAt10 ?? '—'), 8),
            pad(String(r.baseline ?? '—'), 11),
            pad(r.lift === null ? '—' : `${r.lift}×`, 6),
            r.gate,
          ].join(' '),
        );
      lines.push('(* = in production)');
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  );

  common(models.command('show').description("One run's record: metrics, choice, tuning, gate, data and artifacts."))
    .argument('<run-id>')
    .action(async (runId: string, opts: TargetOpts) => {
      const target = resolveTarget(opts);
      const { doc, registryTable, recommendationsTable, bucket } = await tables(target);
      const record = (await getModel(doc, registryTable, runId)) as ModelRecord | undefined;
      if (!record) throw new CliError(`Model ${runId} is not in the registry.`, 2);
      const production = await productionVersion(doc, recommendationsTable);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...record, inProduction: production === runId })}\n`);
        return;
      }
      const m = record.metrics ?? {};
      const r = modelSummary(record);
      const lines = [
        `${runId}: ${r.status}${production === runId ? ' (in production)' : ''}, created ${record.createdAt ?? '?'}`,
        `  serves:   ${r.kind}${m.recommender?.weight !== undefined ? ` (weight ${m.recommender.weight})` : ''}${m.recommender?.reason ? `: ${m.recommender.reason}` : ''}`,
        `  ALS:      rank ${m.rank ?? '?'}, λ ${m.lambda ?? '?'}, α ${m.alpha ?? '?'}, ${m.iterations ?? '?'} iterations`,
        `  hold-out: P@10 ${m.precisionAt10 ?? '—'} vs popularity ${m.baseline?.precisionAt10 ?? '—'} (${r.lift === null ? '—' : `${r.lift}×`}), NDCG@10 ${m.ndcgAt10 ?? '—'}, recall@10 ${m.recallAt10 ?? '—'}, coverage ${m.coverage ?? '—'}${m.rmse ? `, RMSE ${m.rmse}` : ''}`,
        `  gate:     ${r.gate}${record.gate?.reasons?.length ? ` (${record.gate.reasons.join('; ')})` : ''}`,
        `  data:     interactions v=${record.data?.version ?? '?'}${record.rows ? `, ${record.rows.read} rows read, ${record.rows.skipped} skipped` : ''}`,
        `  card:     s3://${bucket}/models/${runId}/model-card.html`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  common(models.command('compare').description('Two runs side by side.'))
    .argument('<run-a>')
    .argument('<run-b>')
    .action(async (a: string, b: string, opts: TargetOpts) => {
      const { doc, registryTable } = await tables(resolveTarget(opts));
      const [ra, rb] = await Promise.all([getModel(doc, registryTable, a), getModel(doc, registryTable, b)]);
      for (const [id, r] of [
        [a, ra],
        [b, rb],
      ] as const)
        if (!r) throw new CliError(`Model ${id} is not in the registry.`, 2);
      const fields = compareModels(ra as ModelRecord, rb as ModelRecord);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ a, b, fields })}\n`);
        return;
      }
      const lines = [`${pad('', 14)} ${pad(a, 30)} ${b}`];
      for (const f of fields)
        lines.push(
          `${pad(f.name, 14)} ${pad(String(f.a ?? '—'), 30)} ${f.b ?? '—'}${f.better ? `   (${f.better} better)` : ''}`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  common(models.command('promote').description('Publish a run and make it the production model.'))
    .argument('<run-id>')
    .option('--force', 'promote a model that failed (or never saw) the gate')
    .action(async (runId: string, opts: TargetOpts & { force?: boolean }) => {
      const out = await promote(resolveTarget(opts), opts.stage, runId, opts.force === true);
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    });

  common(models.command('rollback').description('Put the model that production replaced back into production.')).action(
    async (opts: TargetOpts) => {
      const target = resolveTarget(opts);
      const { doc, registryTable, recommendationsTable } = await tables(target);
      const current = await productionVersion(doc, recommendationsTable);
      if (!current) throw new CliError('No model is in production: nothing to roll back.', 2);
      const record = await getModel(doc, registryTable, current);
      const previous = record?.previousProduction as string | null | undefined;
      if (!previous) throw new CliError(`${current} replaced no model: there is nothing to roll back to.`, 2);
      const out = await promote(target, opts.stage, previous, false);
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    },
  );
}

async function tables(target: Target) {
  const [registryTable, recommendationsTable, bucket] = await Promise.all([
    target.output('ModelRegistryTableName'),
    target.output('RecommendationsTableName'),
    target.output('LakeBucketName'),
  ]);
  return { doc: dynamoDbDocumentClient({ env: target.env }), registryTable, recommendationsTable, bucket };
}

async function registry(target: Target) {
  const { doc, registryTable, recommendationsTable } = await tables(target);
  const [records, production] = await Promise.all([
    listModels(doc, registryTable),
    productionVersion(doc, recommendationsTable),
  ]);
  return { records: records as ModelRecord[], production };
}

/** Publish `runId` with the pipeline's own steps and switch production to it. */
async function promote(target: Target, stage: string, runId: string, force: boolean) {
  const progress = new Progress();
  const { doc, registryTable, recommendationsTable, bucket } = await tables(target);
  const record = await getModel(doc, registryTable, runId);
  const refusal = promotionRefusal(record, runId, force);
  if (refusal) throw new CliError(refusal, 2);
  const config = resolveStageConfig(stage);
  const expected = (await productionVersion(doc, recommendationsTable)) ?? null;
  if (force && record?.status !== 'GATE_PASSED' && record?.status !== 'RETIRED') {
    // Recorded for whoever reads the registry later: a person overrode the gate.
    await setModelStatus(doc, registryTable, runId, 'GATE_PASSED', {
      forcedPromotion: { at: new Date().toISOString(), previousStatus: record?.status ?? null },
    });
  }
  const ctx: PublishContext = {
    s3: s3Client({ env: target.env }),
    doc,
    bucket,
    registryTable,
    recommendationsTable,
    topN: config.gate.topN,
    ttlDays: RECOMMENDATIONS_TTL_DAYS,
    codeVersion: codeVersion(),
  };
  progress.step(`publishing ${runId} on ${target.description} (production now: ${expected ?? 'none'})`);
  const plan = await planPublish(ctx, runId, config.publish.usersPerShard);
  const results = [];
  for (const shard of plan.shards) {
    results.push(await publishShard(ctx, runId, plan.generatedAt, plan.topN, shard));
    progress.step(`  shard ${shard.shard + 1}/${plan.shards.length}: ${shard.to - shard.from} users`);
  }
  const done = await completePublish(ctx, plan, results, expected);
  progress.step(`${runId} is in production (it replaced ${expected ?? 'nothing'})`);
  return { runId, previous: expected, users: done.users, shards: done.shards, forced: force };
}

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n));
