import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands';

/**
 * The program for `argv`: the command it names registered in full (its module loaded), or, when it
 * names none (`--help`, `--version`, an unknown word), every command as a one-line summary.
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('recomart')
    .description('RecoMart Pipeline: serverless recommendation data pipeline for AWS, with an embedded local cloud.')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0];
  const entry = COMMANDS.find((c) => c.name === named);
  if (entry) entry.load()(program);
  else for (const c of COMMANDS) program.command(c.name).summary(c.summary);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram(argv).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with 0; everything else commander rejects is a usage error: 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    throw err;
  }
}
