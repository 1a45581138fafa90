/**
 * A function's environment as a zod schema: each function declares the variables it reads once
 * (`lambdas/<fn>/env.ts`, `containers/<task>/env.ts`), reads them with `readEnv`, and its construct
 * sets them from the same schema (lib/constructs/function-env.ts), so a variable's name exists in one
 * place and the compiler checks both sides.
 */
import { z } from 'zod';

type Env = Readonly<Record<string, string | undefined>>;

/** A required, non-empty string (a bucket or table name, an ARN). */
export const envText = z.string().min(1);
/** A positive whole number, written as its decimal string. */
export const envPositiveInt = z.coerce.number().int().positive();
/** A finite number, written as its decimal string. */
export const envNumber = z.coerce.number().refine(Number.isFinite, 'must be a finite number');
/** A JSON document that must match `schema`. */
export function envJson<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** The variables every function and task gets from its construct. */
export const BASE_ENV = {
  /** The code version the stack stamped on it (lib/code-version.ts), for lineage. */
  CODE_VERSION: z.string().optional(),
};

/** Parse this process's environment against a function's schema, with one clear error naming the variables. */
export function readEnv<T extends z.ZodObject>(schema: T, env: Env = process.env): z.output<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    return env[name] === undefined || env[name] === ''
      ? `${name} is not set`
      : `${name} ${i.message.replace(/^Invalid input: /, '')} (got "${env[name]}")`;
  });
  throw new Error(
    `Environment variables are not as the stack sets them: ${problems.join('; ')}. The function's construct sets every variable of its schema.`,
  );
}

/** The code version the stack stamped on this function (lib/code-version.ts), for lineage. */
export function codeVersionFromEnv(env: Env = process.env): string {
  return env.CODE_VERSION || 'unknown';
}
