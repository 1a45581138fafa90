import type { Command } from 'commander';
import type * as Bench from '../../../bench';
import { BENCHMARK_NAMES } from '../../../bench/names';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`Run benchmarks and print one JSON line each (${BENCHMARK_NAMES.join(', ')}).`)
    .option('--only <names>', 'comma-separated benchmark names')
    .action(async (opts: { only?: string }) => {
      const names = opts.only ? opts.only.split(',').map((s) => s.trim()) : [...BENCHMARK_NAMES];
      const unknown = names.filter((n) => !(BENCHMARK_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0)
        throw new Error(`Unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARK_NAMES.join(', ')}.`);
      // The benchmarks load the local cloud and the data generators: only when asked to run.
      const { runBenchmarks } = require('../../../bench') as typeof Bench;
      await runBenchmarks(names, (line) => process.stdout.write(`${JSON.stringify(line)}\n`));
    });
}
