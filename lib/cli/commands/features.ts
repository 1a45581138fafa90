import type { DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { dynamoDbDocumentClient, sfnClient } from '../../../layers/aws/clients';
import { getItemFeatures, getUserFeatures } from '../../../layers/feature-store/online';
import { featureLines, readableFeatureSet, readableUserFeatures } from '../../../layers/feature-store/readable';
import { CliError } from '../errors';
import { Progress } from '../progress';
import { resolveTarget } from '../target';
import { runPipeline } from './run-pipeline';

interface TargetOpts {
  state: string;
  stage: string;
}

export function registerFeatures(program: Command): void {
  const features = program
    .command('features')
    .description('The feature store: build batch features, read online features.');
  features
    .command('build')
    .description(
      'Run the feature build (the deployed state machine: plan, Athena statements, load) over the validated raw data.',
    )
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the state machine', 'dev')
    .option('--json', 'print the build summary as JSON')
    .action(async (opts: TargetOpts & { json?: boolean }) => {
      const progress = new Progress();
      const target = resolveTarget(opts);
      const arn = await target.output('FeatureBuildStateMachineArn');
      progress.step(`building features with ${arn.split(':').pop()} via ${target.description}`);
      const sfn = sfnClient({ env: target.env });
      try {
        const runId = `features-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
        const summary = summaryOf(await runFeatureBuild(sfn, arn, runId, (name) => progress.step(`  → ${name}`)));
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else process.stdout.write(`${featureBuildLine(summary)}\n`);
      } finally {
        sfn.destroy();
      }
    });
  features
    .command('get')
    .description('Read online features: `get user U1` or `get item I1 [I2 ...]`.')
    .argument('<entity>', 'user or item')
    .argument('<ids...>', 'one user id, or item ids')
    .option('--json', 'print the features as JSON (feature set, version, as of, features)')
    .option('--raw', "print the store's items as they are (keys, TTL, watermarks, event ids)")
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the table', 'dev')
    .action(async (entity: string, ids: string[], opts: TargetOpts & { json?: boolean; raw?: boolean }) => {
      if (entity !== 'user' && entity !== 'item')
        throw new CliError(`Unknown entity "${entity}": use user or item.`, 2);
      if (entity === 'user' && ids.length !== 1) throw new CliError('Give exactly one user id.', 2);
      const target = resolveTarget(opts);
      const table = await target.output('FeatureTableName');
      const doc = dynamoDbDocumentClient({ env: target.env });
      try {
        if (entity === 'user') {
          const user = ids[0] as string;
          const found = await getUserFeatures(doc, table, user);
          if (Object.keys(found).length === 0) throw new Error(`No live features for user ${user}.`);
          if (opts.raw) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
          else if (opts.json)
            process.stdout.write(`${JSON.stringify({ user, featureSets: readableUserFeatures(found) })}\n`);
          else process.stdout.write(`${featureLines(`user ${user}`, readableUserFeatures(found)).join('\n')}\n`);
        } else {
          const found = await getItemFeatures(doc, table, ids);
          // In the order asked for; an id without live features is said so, never silently left out.
          const present = ids.filter((id) => found.has(id));
          const missing = ids.filter((id) => !found.has(id));
          if (opts.raw)
            process.stdout.write(
              `${JSON.stringify(Object.fromEntries(present.map((id) => [id, found.get(id)])), null, 2)}\n`,
            );
          else if (opts.json)
            process.stdout.write(
              `${JSON.stringify({ items: present.map((id) => ({ item: id, ...readableFeatureSet(found.get(id) as Record<string, unknown>) })), missing })}\n`,
            );
          else
            process.stdout.write(
              `${present.flatMap((id) => featureLines(`item ${id}`, [readableFeatureSet(found.get(id) as Record<string, unknown>)])).join('\n')}\n`,
            );
          if (missing.length > 0) {
            process.stderr.write(`no live features for ${missing.join(', ')}\n`);
            if (present.length === 0) process.exitCode = 1;
          }
        }
      } finally {
        doc.destroy();
      }
    });
}

/**
 * Run the feature build's state machine over every usable raw version (no pinned versions, the
 * stage's weights) and follow it to its end.
 */
export function runFeatureBuild(
  sfn: SFNClient,
  stateMachineArn: string,
  runId: string,
  onState: (name: string) => void,
  pollMs?: number,
): Promise<DescribeExecutionCommandOutput> {
  return runPipeline(sfn, stateMachineArn, { runId, dataKeys: null, weights: null }, onState, pollMs);
}

/** A finished build's summary, or one sentence saying how it ended otherwise. */
export function summaryOf(execution: DescribeExecutionCommandOutput): FeatureBuildOutput {
  if (execution.status !== 'SUCCEEDED')
    throw new Error(`The feature build ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim());
  return JSON.parse(execution.output ?? '{}') as FeatureBuildOutput;
}

/** What the feature build's state machine answers (the registration's summary). */
export interface FeatureBuildOutput {
  readonly version: string;
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly transactions: number;
  readonly events: number;
  readonly sources: { readonly used: number; readonly skipped: { readonly count: number } };
  readonly offline: Record<string, string>;
  readonly seconds: number;
}

export const featureBuildLine = (s: FeatureBuildOutput) =>
  `features v=${s.version}: ${s.users} users, ${s.items} items, ${s.interactions} interactions ` +
  `from ${s.transactions} transactions and ${s.events} events (${s.sources.used} sources, ` +
  `${s.sources.skipped.count} skipped)`;
