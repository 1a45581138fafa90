import type { Command } from 'commander';
import { LocalCloud } from '../../local-cloud';
import { positiveInt } from '../progress';

export function registerLocal(program: Command): void {
  const local = program.command('local').description('The embedded local cloud.');
  local
    .command('up')
    .description('Run the local cloud until Ctrl-C and print its endpoint and resource names.')
    .option('--state <dir>', 'state directory', '.recomart')
    .option('--port <p>', 'gateway port (one endpoint for every service)', positiveInt('--port'), 4566)
    .action(async (opts: { state: string; port: number }) => {
      const cloud = new LocalCloud({
        stateDir: opts.state,
        port: opts.port,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      const info = await cloud.start();
      const lines = [
        `RecoMart local cloud is up (state: ${cloud.stateDir})`,
        '',
        `  endpoint: ${info.endpoint}   (AWS_ENDPOINT_URL; routes S3, Kinesis, DynamoDB, SQS and Step Functions)`,
        `  export AWS_ENDPOINT_URL=${info.endpoint} AWS_REGION=${info.region} AWS_ACCESS_KEY_ID=${info.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${info.credentials.secretAccessKey}`,
        '',
        '  stack outputs:',
        ...Object.entries(info.outputs).map(([k, v]) => `    ${k.padEnd(26)} ${v}`),
        '',
        '  resources:',
        ...info.resources.map((r) => `    ${r.type.padEnd(34)} ${r.physicalName}`),
        '',
        `  e.g. aws --endpoint-url ${info.endpoint} s3 ls s3://${info.outputs.LakeBucketName}/ --recursive`,
        'Press Ctrl-C to stop.',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stderr.write('stopping...\n');
      await cloud.stop();
    });
}
