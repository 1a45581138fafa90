import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { dynamoDbDocumentClient } from '../../../layers/aws/clients';
import { lambdaClient } from '../../../layers/aws/control-plane-clients';
import { getItemFeatures, getUserFeatures } from '../../../layers/feature-store/online';
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
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the table', 'dev')
    .action(async (entity: string, ids: string[], opts: TargetOpts) => {
      if (entity !== 'user' && entity !== 'item') throw new Error(`Unknown entity "${entity}": use user or item.`);
      const target = resolveTarget(opts);
      const table = await target.output('FeatureTableName');
      const doc = dynamoDbDocumentClient({ env: target.env });
      try {
        if (entity === 'user') {
          if (ids.length !== 1) throw new Error('Give exactly one user id.');
          const found = await getUserFeatures(doc, table, ids[0] as string);
          if (Object.keys(found).length === 0) throw new Error(`No live features for user ${ids[0]}.`);
          process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
        } else {
          const found = await getItemFeatures(doc, table, ids);
          const missing = ids.filter((id) => !found.has(id));
          process.stdout.write(`${JSON.stringify(Object.fromEntries(found), null, 2)}\n`);
          if (missing.length > 0) process.stderr.write(`no live features for ${missing.join(', ')}\n`);
        }
      } finally {
        doc.destroy();
      }
    });
}
