import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { sfnClient } from '../../../layers/aws/clients';
import { CliError } from '../errors';
import { Progress } from '../progress';
import { resolveTarget } from '../target';

/**
 * Start a state machine execution named by the input's runId and follow it state by state until it
 * ends. Used by `recomart run-pipeline`, `recomart features build` and the demo.
 */
export async function runPipeline(
  sfn: SFNClient,
  stateMachineArn: string,
  input: Record<string, unknown>,
  onState: (name: string) => void,
  pollMs = 250,
): Promise<DescribeExecutionCommandOutput> {
  const runId =
    typeof input.runId === 'string'
      ? input.runId
      : `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ ...input, runId }) }),
  );
  let last: string | undefined;
  let lastId = 0;
  // The token of the page the newest events were on: each poll reads on from there (the history API
  // pages at 100 events by default, 1,000 at most; a run's history can hold thousands).
  let pageToken: string | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, pollMs));
    // Status first, history second: an execution that ends between the two reads still has every one
    // of its states read before this returns.
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (;;) {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          ...(pageToken ? { nextToken: pageToken } : {}),
        }),
      );
      for (const ev of page.events ?? []) {
        if ((ev.id ?? 0) <= lastId) continue;
        lastId = ev.id ?? lastId;
        const name = ev.type?.endsWith('StateEntered') ? ev.stateEnteredEventDetails?.name : undefined;
        // A Map enters its item state once per item: say it once.
        if (name && name !== last) onState(name);
        if (name) last = name;
      }
      if (!page.nextToken) break;
      pageToken = page.nextToken;
    }
    if (execution.status !== 'RUNNING') return execution;
  }
}

export function registerRunPipeline(program: Command): void {
  program
    .command('run-pipeline')
    .description('Start the training pipeline (AWS, LocalStack or a running local cloud) and follow it until it ends.')
    .option('--input <json>', 'execution input document, e.g. {"runId":"nightly-42"}', '{}')
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the state machine', 'dev')
    .option('--json', 'print the final execution as JSON')
    .action(async (opts: { input: string; state: string; stage: string; json?: boolean }) => {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(opts.input) as Record<string, unknown>;
      } catch {
        throw new CliError('--input is not valid JSON.', 2);
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw new CliError('--input must be a JSON object.', 2);
      const progress = new Progress();
      const target = resolveTarget(opts);
      const arn = await target.output('TrainingStateMachineArn');
      progress.step(`starting ${arn} via ${target.description}`);
      const sfn = sfnClient({ env: target.env });
      try {
        const execution = await runPipeline(sfn, arn, input, (name) => progress.step(`  → ${name}`));
        progress.step(
          `execution ${execution.status}${execution.error ? `: ${execution.error} ${execution.cause ?? ''}` : ''}`,
        );
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ status: execution.status, executionArn: execution.executionArn, error: execution.error, cause: execution.cause, output: execution.output ? JSON.parse(execution.output) : undefined })}\n`,
          );
        if (execution.status !== 'SUCCEEDED') process.exitCode = 1;
      } finally {
        sfn.destroy();
      }
    });
}
