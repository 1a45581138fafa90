/** Read a required environment variable, with one clear error when it is missing. */
export function requireEnv(name: string, env: Record<string, string | undefined> = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; the stack sets it on every function that needs it.`);
  }
  return value;
}
