#!/usr/bin/env node
// The `recomart` command. Runs the TypeScript sources directly (tsx), so it works right after `npm ci`.
require('./node-setup.cjs');
// A reader that closes our stdout early (`recomart demo --json | head`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
});
require('../lib/cli/main.ts')
  .main(process.argv)
  .catch((err) => {
    // A message may quote an input file's text: never write its control bytes to the terminal.
    const { printable } = require('../lib/cli/errors.ts');
    console.error(`recomart: ${printable(err instanceof Error ? err.message : String(err))}`);
    // A command may say which exit code its failure means (validate: 2 = unusable input).
    process.exit(Number.isInteger(err?.exitCode) && err.exitCode > 0 ? err.exitCode : 1);
  });
