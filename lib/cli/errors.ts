/** A failure with a specific exit code (the message is printed as one sentence by bin/recomart.cjs). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
