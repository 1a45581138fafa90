import { InvalidArgumentError } from 'commander';
/** Progress lines on stderr (stdout stays clean for --json output). */
export class Progress {
  private readonly t0 = Date.now();
  constructor(private readonly enabled = true) {}
  step(message: string): void {
    if (this.enabled) process.stderr.write(`[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
  }
  elapsedSeconds(): number {
    return (Date.now() - this.t0) / 1000;
  }
}

/** Parse a positive integer option, with one clear error. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    // commander reports it as a usage error (exit 2) naming the option.
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}".`);
    return n;
  };
}
