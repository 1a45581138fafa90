import type { Command } from 'commander';
import { s3Client } from '../../../layers/aws/clients';
import { type LineageNode, readRunEvents, traceLineage } from '../../../layers/lineage/openlineage';
import { resolveTarget } from '../target';

export function registerLineage(program: Command): void {
  program
    .command('lineage')
    .description('Where an object in the lake came from, and what was built from it.')
    .argument('<s3-key>', 'object key (or s3://bucket/key)')
    .option('--json', 'print the lineage tree as JSON')
    .option('--bucket <name>', 'lake bucket (default: the stack output LakeBucketName)')
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the bucket', 'dev')
    .action(async (arg: string, opts: { json?: boolean; bucket?: string; state: string; stage: string }) => {
      const target = resolveTarget({ state: opts.state, stage: opts.stage });
      const key = arg.replace(/^s3:\/\/[^/]+\//, '');
      const bucket = opts.bucket ?? (await target.output('LakeBucketName'));
      const s3 = s3Client({ env: target.env });
      try {
        const events = await readRunEvents(s3, bucket);
        const { upstream, downstream } = traceLineage(events, key);
        if (upstream.children.length === 0 && downstream.children.length === 0) {
          throw new Error(`No lineage mentions ${key} (${events.length} run events under s3://${bucket}/lineage/).`);
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ key, upstream: upstream.children, downstream: downstream.children })}\n`,
          );
          return;
        }
        const lines = [`s3://${bucket}/${key}`, '  came from:'];
        lines.push(
          ...(upstream.children.length ? render(upstream.children, '←', 2) : ['    (nothing recorded: a source)']),
        );
        lines.push('  built from it:');
        lines.push(...(downstream.children.length ? render(downstream.children, '→', 2) : ['    (nothing yet)']));
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        s3.destroy();
      }
    });
}

function render(nodes: readonly LineageNode[], arrow: string, depth: number): string[] {
  return nodes.flatMap((n) => [
    `${'  '.repeat(depth)}${arrow} ${n.dataset}${n.md5 ? `  md5 ${n.md5}` : ''}  (${n.job}, run ${n.runId?.slice(0, 8)}, ${n.eventTime})`,
    ...render(n.children, arrow, depth + 1),
  ]);
}
