import { InvokeCommand } from '@aws-sdk/client-lambda';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { sfnClient } from '../../../layers/aws/clients';
import { lambdaClient } from '../../../layers/aws/control-plane-clients';
import { localCloudEnv, readEndpointFile } from '../../local-cloud/endpoint-file';
import { findSchedule, type ScheduleInfo, scheduledEvent } from '../../local-cloud/schedules';
import { isAlive } from '../../local-cloud/state-lock';
import { CliError } from '../errors';

interface Opts {
  state: string;
  json?: boolean;
}

/** The running local cloud's schedules (they do not fire on their own locally: a daily pull would start while you work). */
function localSchedules(state: string) {
  const info = readEndpointFile(state);
  if (!info || !isAlive(info.pid))
    throw new CliError(
      `No local cloud is running with state ${state} (start one with \`recomart local up\`). On AWS, schedules are EventBridge rules and fire on their own.`,
      1,
    );
  return { info, schedules: info.schedules ?? [] };
}

const functionName = (arn: string) => (arn.startsWith('arn:aws:lambda:') ? arn.split(':')[6] : undefined);

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description("The stack's EventBridge schedules on the local cloud, where they fire only when asked.");
  schedule
    .command('list')
    .description('List the schedules: name, expression, targets.')
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--json', 'print the schedules as JSON')
    .action((opts: Opts) => {
      const { schedules } = localSchedules(opts.state);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(schedules)}\n`);
        return;
      }
      if (schedules.length === 0) {
        process.stdout.write('The stack declares no schedules.\n');
        return;
      }
      const lines = schedules.map(
        (s: ScheduleInfo) =>
          `${s.logicalId.padEnd(34)} ${s.expression.padEnd(22)} → ${s.targets.map((t) => functionName(t) ?? t).join(', ')}`,
      );
      process.stdout.write(`${lines.join('\n')}\nRun one now with \`recomart schedule fire <name>\`.\n`);
    });
  schedule
    .command('fire')
    .description('Run a schedule now, as EventBridge would at its time: its targets get the scheduled event.')
    .argument('<name>', "the schedule's logical id or name, or its target function's name")
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--json', 'print what each target answered as JSON')
    .action(async (ref: string, opts: Opts) => {
      const { info, schedules } = localSchedules(opts.state);
      const found = findSchedule(schedules, ref, functionName);
      if (!found)
        throw new CliError(
          `No schedule ${ref}; schedules: ${schedules.map((s) => s.logicalId).join(', ') || 'none'}.`,
          2,
        );
      const env = localCloudEnv(info, process.env);
      // the account and region are the rule's own (arn:aws:events:<region>:<account>:rule/<name>)
      const [, , , region, account] = found.arn.split(':');
      const event = scheduledEvent(found.arn, account ?? '', region ?? info.region);
      const results: { target: string; ok: boolean; answer: unknown }[] = [];
      for (const target of found.targets) {
        if (target.startsWith('arn:aws:states:')) {
          const sfn = sfnClient({ env });
          try {
            const out = await sfn.send(
              new StartExecutionCommand({ stateMachineArn: target, input: JSON.stringify(found.input ?? event) }),
            );
            results.push({ target, ok: true, answer: { executionArn: out.executionArn } });
          } finally {
            sfn.destroy();
          }
          continue;
        }
        const lambda = lambdaClient({ env });
        try {
          const out = await lambda.send(
            new InvokeCommand({
              FunctionName: target,
              Payload: Buffer.from(JSON.stringify(found.input ?? event)),
            }),
          );
          const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
          let answer: unknown = text;
          try {
            answer = JSON.parse(text);
          } catch {
            // not JSON: kept as text
          }
          results.push({ target: functionName(target) ?? target, ok: !out.FunctionError, answer });
        } finally {
          lambda.destroy();
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ schedule: found.logicalId, results })}\n`);
      else
        process.stdout.write(
          `${results
            .map(
              (r) =>
                `${found.logicalId} → ${r.target}: ${r.ok ? 'ok' : 'FAILED'} ${JSON.stringify(r.answer).slice(0, 400)}`,
            )
            .join('\n')}\n`,
        );
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}
