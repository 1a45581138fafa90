/**
 * Glue column types derived from the zod schemas the code validates with (one source of
 * truth). A CSV field schema is a pipe from string to its typed form; the typed end decides the type.
 */
import type { z } from 'zod';

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

interface Def {
  type: string;
  out?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  format?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

export function glueTypeOf(schema: z.ZodType): string {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'literal':
      return 'string';
    case 'number': {
      const isInt =
        def.format === 'safeint' ||
        (def.checks ?? []).some((c) => c._zod.def.check === 'number_format' && /int/.test(c._zod.def.format ?? ''));
      return isInt ? 'bigint' : 'double';
    }
    case 'boolean':
      return 'boolean';
    case 'pipe':
      // string → transform → typed: the typed end; a plain string pipe (string → iso.date) stays string
      return glueTypeOf(def.out as z.ZodType);
    case 'transform':
      return 'string';
    case 'optional':
    case 'nullable':
    case 'default':
      return glueTypeOf(def.innerType as z.ZodType);
    case 'union': {
      const types = new Set((def.options ?? []).map(glueTypeOf));
      return types.size === 1 ? ([...types][0] as string) : 'string';
    }
    case 'array':
      return `array<${glueTypeOf(def.element as z.ZodType)}>`;
    case 'object':
      return `struct<${Object.entries(def.shape ?? {})
        .map(([k, v]) => `${k}:${glueTypeOf(v)}`)
        .join(',')}>`;
    default:
      throw new Error(`no Glue type for a zod ${def.type}; extend layers/catalog/glue-columns.ts`);
  }
}

/** Is the field's typed end optional (an empty CSV field means absent)? */
function isOptional(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === 'optional') return true;
  if (def.type === 'pipe') return isOptional(def.out as z.ZodType);
  if (def.type === 'nullable' || def.type === 'default') return isOptional(def.innerType as z.ZodType);
  return false;
}

/**
 * Columns of an object schema, in declaration order. For CSV tables (Athena's OpenCSVSerDe), a column
 * that may be empty is a string whatever its type: that SerDe fails a query (HIVE_BAD_DATA) on an empty
 * value in a numeric column. Queries cast it: `TRY_CAST(NULLIF(rating, '') AS bigint)`.
 */
export function glueColumnsOf(schema: z.ZodObject, options: { csv?: boolean } = {}): GlueColumn[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = glueTypeOf(field as z.ZodType);
    if (options.csv && type !== 'string' && isOptional(field as z.ZodType))
      return { name, type: 'string', comment: `${type}, empty when absent: TRY_CAST(NULLIF(${name}, '') AS ${type})` };
    return { name, type };
  });
}
