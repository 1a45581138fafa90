import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CONSOLE_PATH, createConsole } from '../../console';
import { LocalCloud, readEndpointFile } from '../../local-cloud';
import { isAlive, lockFileOf, stateDirHolder, wipeState } from '../../local-cloud/state-lock';
import { recomartProfile } from '../../local-profile';
import { CliError } from '../errors';
import { positiveInt } from '../progress';

export function registerLocal(program: Command): void {
  const local = program.command('local').description('The embedded local cloud.');
  local
    .command('up')
    .description('Run the local cloud until Ctrl-C and print its endpoint and resource names.')
    .option('--state <dir>', 'state directory', '.recomart')
    .option('--port <p>', 'gateway port (one endpoint for every service); 0 for any free port', port, 4566)
    .option('--config <json>', 'stage configuration overrides, as for cdk -c recomart:config=...', configJson)
    .option('--verbose', "show what synth and bundling print (the CDK's asset lines)")
    .action(async (opts: { state: string; port: number; config?: Record<string, unknown>; verbose?: boolean }) => {
      const cloud = new LocalCloud({
        profile: recomartProfile(),
        stateDir: opts.state,
        port: opts.port,
        verbose: opts.verbose === true,
        ...(opts.config ? { context: { 'recomart:config': opts.config } } : {}),
        log: (l) => process.stderr.write(`${l}\n`),
      });
      // Handle the signals from the start: a Ctrl-C while starting stops cleanly too.
      let stopRequested: (signal: string) => void = () => undefined;
      const signalled = new Promise<string>((resolve) => {
        stopRequested = resolve;
      });
      const onSignal = (signal: string) => stopRequested(signal);
      let stopConsole: () => void = () => undefined;
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const info = await Promise.race([cloud.start(), signalled.then(() => undefined)]);
        if (!info) {
          process.stderr.write('stopping...\n');
          await cloud.stop();
          return;
        }
        const localConsole = createConsole(cloud.sdkEnv(), info.outputs as Record<string, string>);
        cloud.mount(CONSOLE_PATH, localConsole.handler);
        stopConsole = () => localConsole.close();
        const lines = [
          `RecoMart local cloud is up (state: ${cloud.stateDir}, pid ${process.pid})`,
          '',
          `  console:  ${info.endpoint}${CONSOLE_PATH}   (pipeline runs, the lake, quality reports, models, serving)`,
          `  endpoint: ${info.endpoint}   (AWS_ENDPOINT_URL; routes S3, Kinesis, DynamoDB, SQS and Step Functions)`,
          `  export AWS_ENDPOINT_URL=${info.endpoint} AWS_REGION=${info.region} AWS_DEFAULT_REGION=${info.region} AWS_ACCESS_KEY_ID=${info.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${info.credentials.secretAccessKey}`,
          '',
          '  stack outputs:',
          ...Object.entries(info.outputs).map(([k, v]) => `    ${k.padEnd(26)} ${v}`),
          '',
          '  resources:',
          ...info.resources.map((r) => `    ${r.type.padEnd(34)} ${r.physicalName}`),
          '',
          `  e.g. aws --endpoint-url ${info.endpoint} s3 ls s3://${info.outputs.LakeBucketName}/ --recursive`,
          '  Data accepted here survives a clean stop (Ctrl-C, recomart local down); running Step Functions',
          '  executions are stopped and recorded as ABORTED.',
          'Press Ctrl-C to stop.',
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        const outcome = await Promise.race([
          signalled.then((signal) => ({ signal })),
          cloud.failure.then((error) => ({ error })),
        ]);
        if ('error' in outcome) {
          process.stderr.write('stopping what is left...\n');
          await cloud.stop().catch(() => undefined);
          throw new CliError(outcome.error.message, 1);
        }
        process.stderr.write('stopping...\n');
        await cloud.stop();
        process.stderr.write('stopped\n');
      } finally {
        stopConsole();
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });

  local
    .command('status')
    .description('Say whether a local cloud runs on a state directory, and where.')
    .option('--state <dir>', 'state directory', '.recomart')
    .option('--json', 'print one JSON object')
    .action((opts: { state: string; json?: boolean }) => {
      const holder = stateDirHolder(opts.state);
      const info = holder ? readEndpointFile(opts.state) : undefined;
      const status = {
        running: holder !== undefined,
        stateDir: path.resolve(opts.state),
        ...(holder ? { pid: holder.pid, startedAt: holder.startedAt, command: holder.command } : {}),
        ...(info ? { endpoint: info.endpoint, outputs: info.outputs, resources: info.resources.length } : {}),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status)}\n`);
        return;
      }
      process.stdout.write(
        holder
          ? `running: pid ${holder.pid} since ${holder.startedAt} (${holder.command}), state ${status.stateDir}${info ? `, endpoint ${info.endpoint}, ${info.resources.length} resources` : ', still starting'}\n`
          : `not running (state ${status.stateDir})\n`,
      );
    });

  local
    .command('down')
    .description('Stop the local cloud that runs on a state directory (as Ctrl-C would).')
    .option('--state <dir>', 'state directory', '.recomart')
    .option('--timeout <s>', 'seconds to wait before giving up', positiveInt('--timeout'), 30)
    .action(async (opts: { state: string; timeout: number }) => {
      const holder = stateDirHolder(opts.state);
      if (!holder) {
        process.stdout.write(`no local cloud runs on ${path.resolve(opts.state)}\n`);
        return;
      }
      process.kill(holder.pid, 'SIGTERM');
      const deadline = Date.now() + opts.timeout * 1000;
      while (isAlive(holder.pid) && fs.existsSync(lockFileOf(opts.state))) {
        if (Date.now() > deadline)
          throw new CliError(`The local cloud (pid ${holder.pid}) did not stop within ${opts.timeout} s.`, 1);
        await new Promise((r) => setTimeout(r, 100));
      }
      process.stdout.write(`stopped the local cloud (pid ${holder.pid})\n`);
    });

  local
    .command('reset')
    .description('Delete the data of a stopped local cloud (lake, tables, streams, queues, executions, logs).')
    .option('--state <dir>', 'state directory', '.recomart')
    .action((opts: { state: string }) => {
      const holder = stateDirHolder(opts.state);
      if (holder)
        throw new CliError(
          `The local cloud in ${path.resolve(opts.state)} is running (pid ${holder.pid}); stop it first (recomart local down).`,
          1,
        );
      wipeState(opts.state);
      process.stdout.write(`reset ${path.resolve(opts.state)}\n`);
    });
}

function configJson(value: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError(`--config must be a JSON object, got "${value.slice(0, 80)}".`, 2);
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new CliError(`--port must be a TCP port (1-65535, or 0 for any free one), got "${value}".`, 2);
  return n;
}
