#!/usr/bin/env node
// `npm run bench [-- --only a,b]`: the benchmarks, one JSON line each (README, "Benchmarks"). A program of
// its own beside the `recomart` CLI, which ships without them. Runs the TypeScript sources through tsx.
require('./node-setup.cjs');
require('../bench/main.ts')
  .main(process.argv.slice(2))
  .catch((err) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(Number.isInteger(err?.exitCode) && err.exitCode > 0 ? err.exitCode : 1);
  });
