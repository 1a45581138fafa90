import type { z } from 'zod';
import { BASE_ENV } from '../../layers/util/env';

/**
 * A value for each variable of a function's env schema (strings as they are, numbers and documents
 * written out), but those every function gets from RecoMartFunction (BASE_ENV).
 */
export type EnvValues<T extends z.ZodObject> = {
  readonly [K in Exclude<keyof T['shape'], keyof typeof BASE_ENV>]: string | number | boolean | object | undefined;
};

/**
 * The environment a construct sets for its function, from the function's own env schema
 * (layers/util/env.ts): every variable of the schema must be given (undefined leaves an optional one
 * unset), no other can be, and values that are known at synth are checked against the schema here
 * rather than at the function's first cold start. Values that are deploy-time tokens (a bucket's name)
 * are strings at synth and pass as such.
 */
export function envFor<T extends z.ZodObject>(schema: T, values: EnvValues<T>): Record<string, string> {
  const env = written(values);
  const base = Object.fromEntries(Object.keys(BASE_ENV).map((k) => [k, 'synth']));
  return checked(schema, { ...base, ...env }, env, 'function');
}

/**
 * Some of a task's variables, as its task definition sets them (the others arrive per run as
 * container overrides, `overridesFor`); the given values are checked against the schema.
 */
export function envPart<T extends z.ZodObject>(schema: T, values: Partial<EnvValues<T>>): Record<string, string> {
  const env = written(values);
  const picked = schema.pick(Object.fromEntries(Object.keys(env).map((k) => [k, true])) as never);
  return checked(picked, env, env, 'task');
}

/** Values as environment strings: strings as they are, documents as JSON, numbers written out; undefined left out. */
function written(values: object): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    if (value === undefined) continue;
    env[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return env;
}

function checked(schema: z.ZodType, input: Record<string, string>, env: Record<string, string>, what: string) {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Environment variable ${String(issue?.path[0])} of the ${what} is invalid: ${issue?.message}`);
  }
  return env;
}

/** Container overrides of a task's variables (values are state paths, resolved per run), by the schema's names. */
export function overridesFor<T extends z.ZodObject>(
  _schema: T,
  values: Partial<Record<keyof EnvValues<T>, string>>,
): { name: string; value: string }[] {
  return Object.entries(values as Record<string, string | undefined>)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value }));
}
