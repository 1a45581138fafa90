/**
 * Athena's `CREATE EXTERNAL TABLE` for a table of the Glue catalog, generated from its definition (the
 * one the stack creates from layers/catalog/datasets.ts): to recreate a table outside CloudFormation,
 * or to read in one statement what the catalog holds. Names are quoted with backticks, as Athena's
 * DDL (Hive) wants them; string literals with single quotes doubled.
 */
import type { Table } from '@aws-sdk/client-glue';

const quoted = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const name = (text: string) => `\`${text.replace(/`/g, '``')}\``;
const properties = (entries: Record<string, string>) =>
  Object.entries(entries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `  ${quoted(k)}=${quoted(v)}`)
    .join(',\n');

/** The DDL of one table; throws when the definition lacks what Athena needs (location, formats, SerDe). */
export function createTableDdl(database: string, table: Table): string {
  const sd = table.StorageDescriptor;
  const missing = [
    !table.Name && 'Name',
    !sd?.Location && 'StorageDescriptor.Location',
    !sd?.InputFormat && 'StorageDescriptor.InputFormat',
    !sd?.OutputFormat && 'StorageDescriptor.OutputFormat',
    !sd?.SerdeInfo?.SerializationLibrary && 'StorageDescriptor.SerdeInfo.SerializationLibrary',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Table ${table.Name ?? '?'} has no ${missing.join(', ')}: no DDL for it.`);
  const column = (c: { Name?: string; Type?: string; Comment?: string }) =>
    `  ${name(c.Name ?? '')} ${c.Type ?? 'string'}${c.Comment ? ` COMMENT ${quoted(c.Comment)}` : ''}`;
  const lines = [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${name(database)}.${name(table.Name as string)} (`,
    (sd?.Columns ?? []).map(column).join(',\n'),
    ')',
  ];
  if (table.Description) lines.push(`COMMENT ${quoted(table.Description)}`);
  if (table.PartitionKeys?.length) lines.push('PARTITIONED BY (', table.PartitionKeys.map(column).join(',\n'), ')');
  lines.push(`ROW FORMAT SERDE ${quoted(sd?.SerdeInfo?.SerializationLibrary as string)}`);
  const serde = sd?.SerdeInfo?.Parameters ?? {};
  if (Object.keys(serde).length > 0) lines.push('WITH SERDEPROPERTIES (', properties(serde), ')');
  lines.push(
    `STORED AS INPUTFORMAT ${quoted(sd?.InputFormat as string)}`,
    `OUTPUTFORMAT ${quoted(sd?.OutputFormat as string)}`,
    `LOCATION ${quoted(sd?.Location as string)}`,
  );
  const tableProperties = table.Parameters ?? {};
  if (Object.keys(tableProperties).length > 0) lines.push('TBLPROPERTIES (', properties(tableProperties), ')');
  return `${lines.join('\n')};`;
}
