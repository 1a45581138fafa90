/**
 * The benchmark runner: `npm run bench [-- --only name,name]` prints one JSON line per benchmark
 * (README, "Benchmarks"); `--list` prints their names.
 */
import type * as Benchmarks from './index';
import { BENCHMARK_NAMES } from './names';

class UsageError extends Error {
  readonly exitCode = 2;
}

export async function main(args: readonly string[]): Promise<void> {
  let names: string[] = [...BENCHMARK_NAMES];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--list') {
      process.stdout.write(`${BENCHMARK_NAMES.join('\n')}\n`);
      return;
    }
    const only = arg.startsWith('--only=') ? arg.slice('--only='.length) : arg === '--only' ? args[++i] : undefined;
    if (only === undefined) throw new UsageError(`unknown argument "${arg}"; use --only name,name or --list`);
    names = only.split(',').map((s) => s.trim());
  }
  const unknown = names.filter((n) => !(BENCHMARK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARK_NAMES.join(', ')}`);
  // The benchmarks load the local cloud and the data generators: only once the arguments are right.
  const { runBenchmarks } = require('./index') as typeof Benchmarks;
  await runBenchmarks(names, (line) => process.stdout.write(`${JSON.stringify(line)}\n`));
}
