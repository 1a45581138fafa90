/** The benchmarks `npm run bench` runs, in order (the CLI lists them without loading the benchmarks). */
export const BENCHMARK_NAMES = [
  'cli-startup',
  'local-cloud-startup',
  'clickstream-handler',
  'transactions-ingest',
  'validation',
  'features',
  'feature-build-scale',
  'als',
  'recommendation-quality',
  'api',
  'demo',
] as const;

export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];
