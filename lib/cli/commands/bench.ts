import type { Command } from 'commander';
import { BENCHMARKS, runBenchmarks } from '../../../test/bench';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`Run benchmarks and print one JSON line each (${Object.keys(BENCHMARKS).join(', ')}).`)
    .option('--only <names>', 'comma-separated benchmark names')
    .action(async (opts: { only?: string }) => {
      const names = opts.only ? opts.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS);
      const unknown = names.filter((n) => !(n in BENCHMARKS));
      if (unknown.length > 0)
        throw new Error(`Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}.`);
      await runBenchmarks(names, (line) => process.stdout.write(`${JSON.stringify(line)}\n`));
    });
}
