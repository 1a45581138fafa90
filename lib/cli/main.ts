import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench';
import { registerDemo } from './commands/demo';
import { registerDlq } from './commands/dlq';
import { registerEda } from './commands/eda';
import { registerFeatures } from './commands/features';
import { registerGenerate } from './commands/generate';
import { registerLineage } from './commands/lineage';
import { registerLocal } from './commands/local';
import { registerModels } from './commands/models';
import { registerRecommend } from './commands/recommend';
import { registerRunPipeline } from './commands/run-pipeline';
import { registerSimulateClicks } from './commands/simulate-clicks';
import { registerTrain } from './commands/train';
import { registerUpload } from './commands/upload';
import { registerValidate } from './commands/validate';

export function buildProgram(): Command {
  const program = new Command('recomart')
    .description('RecoMart Pipeline: serverless recommendation data pipeline for AWS, with an embedded local cloud.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerDemo(program);
  registerLocal(program);
  registerSimulateClicks(program);
  registerGenerate(program);
  registerUpload(program);
  registerLineage(program);
  registerValidate(program);
  registerEda(program);
  registerFeatures(program);
  registerTrain(program);
  registerRunPipeline(program);
  registerDlq(program);
  registerRecommend(program);
  registerModels(program);
  registerBench(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
