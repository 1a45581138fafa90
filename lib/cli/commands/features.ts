import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { dynamoDbDocumentClient } from '../../../layers/aws/clients';
import { lambdaClient } from '../../../layers/aws/control-plane-clients';
import { getItemFeatures, getUserFeatures } from '../../../layers/feature-store/online';
import { featureLines, readableFeatureSet, readableUserFeatures } from '../../../layers/feature-store/readable';
import { CliError } from '../errors';
import { Progress } from '../progress';
import { resolveTarget } from '../target';

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
    .description('Run the feature build (the deployed function) over the validated raw data.')
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the function', 'dev')
    .option('--json', 'print the build summary as JSON')
    .action(async (opts: TargetOpts & { json?: boolean }) => {
      const progress = new Progress();
      const target = resolveTarget(opts);
      const name = await target.output('FeaturesBuildFunctionName');
      progress.step(`building features with ${name} via ${target.description}`);
      const lambda = lambdaClient({ env: target.env });
      try {
        const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: '{}' }));
        const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8') || 'null');
        if (out.FunctionError)
          throw new Error(`The feature build failed: ${payload?.errorMessage ?? JSON.stringify(payload)}`);
        if (opts.json) process.stdout.write(`${JSON.stringify(payload)}\n`);
        else {
          process.stdout.write(
            `features v=${payload.version}: ${payload.users} users, ${payload.items} items, ${payload.interactions} interactions ` +
              `from ${payload.transactions} transactions and ${payload.events} events (${payload.sources.used} sources, ` +
              `${payload.sources.skippedCount} skipped) in ${payload.seconds} s\n`,
          );
        }
      } finally {
        lambda.destroy();
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
