/** Read a required environment variable, with one clear error when it is missing. */
export function requireEnv(name: string, env: Record<string, string | undefined> = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; the stack sets it on every function that needs it.`);
  }
  return value;
}

/** Read a required environment variable that must be a positive integer. */
export function requirePositiveIntEnv(name: string, env: Record<string, string | undefined> = process.env): number {
  const value = Number(requireEnv(name, env));
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive integer, not "${env[name]}".`);
  }
  return value;
}

/** The code version the stack stamped on this function (lib/code-version.ts), for lineage. */
export function codeVersionFromEnv(env: Record<string, string | undefined> = process.env): string {
  return env.CODE_VERSION || 'unknown';
}
