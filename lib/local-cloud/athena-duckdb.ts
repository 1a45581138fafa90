/**
 * Athena's query engine on the local cloud: DuckDB (`@duckdb/node-api`) over the lake's files, with each
 * Glue table of the template registered as a view that reads what Athena would read for it: the files
 * under its location (names starting with `_` or `.` are hidden, as Hadoop hides them), its partition
 * keys from the `key=value/` folders as strings, within the partition projection's range, and its
 * columns as its SerDe reads them: the OpenCSV SerDe by position, every value a string; the OpenX JSON
 * SerDe by name, case-insensitively, a malformed line a row of nulls; Parquet by name
 * (docs/decisions/023-sql-over-the-lake.md).
 */
import * as fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GlueColumn, GlueTable } from './plugins/glue';

/** A query's answer: its columns (Athena's type names) and rows as Athena renders them (text, or null). */
export interface QueryAnswer {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** Bytes of the lake files the tables read (Athena's DataScannedInBytes, as an upper bound). */
  readonly scannedBytes: number;
  /** An UNLOAD's result: the files written (to upload under `location`) and their rows. */
  readonly unloaded?: { readonly location: string; readonly files: readonly string[]; readonly rows: number };
}

/** `UNLOAD (query) TO 's3://…/' WITH (format = '…', compression = '…')`, taken apart. */
export interface Unload {
  readonly query: string;
  readonly location: string;
  readonly format: 'PARQUET' | 'JSON' | 'TEXTFILE';
  readonly compression: 'GZIP' | 'SNAPPY' | 'ZSTD' | 'NONE';
}

/** An UNLOAD statement's parts, or undefined when the statement is not an UNLOAD. */
export function parseUnload(sql: string): Unload | undefined {
  const text = sql.trim().replace(/;\s*$/, '');
  const head = /^UNLOAD\s*\(/i.exec(text);
  if (!head) return undefined;
  // The query is the balanced parenthesis after UNLOAD (quotes and identifiers may hold parentheses).
  let depth = 0;
  let end = -1;
  let quote: string | undefined;
  for (let i = head[0].length - 1; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c !== quote) continue;
      // A doubled quote is the quote character itself; a single one closes the quoted text.
      if (text[i + 1] === quote) i++;
      else quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new QueryError('UNLOAD: the query in parentheses is not closed.');
  const query = text.slice(head[0].length, end).trim();
  const rest = /^\s*TO\s+'(s3:\/\/[^']+)'\s+WITH\s*\((.*)\)\s*$/is.exec(text.slice(end + 1));
  if (!rest) throw new QueryError("UNLOAD needs TO 's3://bucket/prefix/' WITH (format = '…').");
  const properties = new Map<string, string>();
  for (const part of (rest[2] ?? '').split(',')) {
    const kv = /^\s*(\w+)\s*=\s*'([^']*)'\s*$/.exec(part);
    if (!kv) throw new QueryError(`UNLOAD: cannot read the property "${part.trim()}".`);
    properties.set((kv[1] as string).toLowerCase(), (kv[2] as string).toUpperCase());
  }
  const format = properties.get('format');
  if (format !== 'PARQUET' && format !== 'JSON' && format !== 'TEXTFILE')
    throw new QueryError(
      `UNLOAD format '${format ?? ''}' is not one the local cloud writes (PARQUET, JSON, TEXTFILE).`,
    );
  const compression = properties.get('compression') ?? 'GZIP';
  if (compression !== 'GZIP' && compression !== 'SNAPPY' && compression !== 'ZSTD' && compression !== 'NONE')
    throw new QueryError(`UNLOAD compression '${compression}' is not one the local cloud writes.`);
  if (format !== 'PARQUET' && (compression === 'SNAPPY' || compression === 'ZSTD'))
    throw new QueryError(`UNLOAD writes ${format} with GZIP or NONE compression locally.`);
  for (const key of properties.keys())
    if (key !== 'format' && key !== 'compression')
      throw new QueryError(`UNLOAD property '${key}' is not emulated locally.`);
  const location = rest[1] as string;
  return { query, location: location.endsWith('/') ? location : `${location}/`, format, compression };
}

/** Where an `s3://bucket/prefix` location's objects live on disk, and the suffix of an object's data file. */
export interface LakeFiles {
  directoryOf(bucket: string): string;
  readonly objectSuffix: string;
}

/**
 * Trino functions DuckDB lacks, as macros, so one SQL text runs on Athena and locally (the README lists
 * the dialect both read). Sessions are in UTC, as Athena's are.
 */
const TRINO_COMPAT = [
  "SET TimeZone = 'UTC'",
  'CREATE MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)',
  // ISO-8601 with a zone; DuckDB wants the seconds, which ISO-8601 lets one leave out.
  "CREATE MACRO from_iso8601_timestamp(s) AS CAST(regexp_replace(s, '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})([Z+-])', '\\1:00\\2') AS TIMESTAMPTZ)",
  'CREATE MACRO to_unixtime(t) AS epoch(t)',
  'CREATE MACRO slice(list, start, length) AS list_slice(list, start, start + length - 1)',
  'CREATE MACRO array_join(list, separator) AS array_to_string(list, separator)',
];

/** Statements the local engine runs: reads, and UNLOAD. Other writes (CTAS, INSERT) and DDL are refused by name. */
const READ_STATEMENT = /^\s*(?:\(\s*)*(select|with|values|show|describe|explain)\b/i;

export class QueryError extends Error {}

/** Run one statement on a fresh in-memory DuckDB with the tables of `database` as views. */
export async function runQuery(
  sql: string,
  database: string | undefined,
  tables: readonly GlueTable[],
  lake: LakeFiles,
  now: Date,
  /** Where an UNLOAD writes its files before they are uploaded. @default none: UNLOAD is refused */
  unloadDir?: string,
): Promise<QueryAnswer> {
  const unload = unloadDir ? parseUnload(sql) : undefined;
  const statement = unload ? unload.query : sql.trim().replace(/;\s*$/, '');
  if (!READ_STATEMENT.test(statement))
    throw new QueryError(
      `The local cloud's Athena runs read queries (SELECT, WITH, VALUES, SHOW, DESCRIBE, EXPLAIN) and UNLOAD; ` +
        `"${statement.split(/\s+/)[0]}" statements are not emulated.`,
    );
  // Loaded on the first query: the native engine costs nothing to a cloud nobody queries.
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  try {
    for (const statement of TRINO_COMPAT) await connection.run(statement);
    let scannedBytes = 0;
    for (const db of new Set(tables.map((t) => t.DatabaseName))) await connection.run(`CREATE SCHEMA ${ident(db)}`);
    // Athena's hidden "$path" column (an object's S3 URI) is given to the views when the query names it:
    // DuckDB has no hidden columns, and `SELECT *` must not grow one.
    const withPath = statement.includes('"$path"');
    for (const table of tables) refuseUninjected(table, statement);
    // Views for the tables the statement names (every table for SHOW, DESCRIBE and the information
    // schema): a table it does not name costs nothing, as on Athena.
    const listing = /^\s*(show|describe)\b/i.test(statement) || /information_schema/i.test(statement);
    for (const table of listing ? tables : tablesNamed(statement, tables)) {
      scannedBytes += await registerTable(connection, table, lake, now, withPath, statement).catch(
        async (err: Error) => {
          // A table the statement does not name cannot fail it (Athena never opens it): its view is empty.
          if (!namesTable(statement, table.Name)) return registerEmpty(connection, table, withPath);
          throw err instanceof QueryError ? err : new QueryError(`Table ${table.Name}: ${err.message}`);
        },
      );
    }
    if (database) await connection.run(`USE ${ident(database)}`);
    if (unload && unloadDir)
      return { columns: [], rows: [], scannedBytes, unloaded: await write(connection, unload, unloadDir) };
    const reader = await connection.runAndReadAll(statement).catch((err: Error) => {
      throw new QueryError(err.message);
    });
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => athenaType(t.toString()));
    const rows = reader.getRows().map((row) => row.map((v) => (v === null ? null : athenaText(v))));
    return { columns: names.map((name, i) => ({ name, type: types[i] ?? 'varchar' })), rows, scannedBytes };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Write an UNLOAD's rows as Athena would (one file here; Athena may write several). */
async function write(
  connection: DuckDBConnection,
  unload: Unload,
  dir: string,
): Promise<{ location: string; files: string[]; rows: number }> {
  const extension = { PARQUET: '.parquet', JSON: '.json', TEXTFILE: '.txt' }[unload.format];
  const compressed = unload.compression === 'GZIP' && unload.format !== 'PARQUET' ? '.gz' : '';
  const file = `${dir}/data_00000${extension}${compressed}`;
  const options =
    unload.format === 'PARQUET'
      ? `FORMAT parquet, COMPRESSION ${unload.compression === 'NONE' ? 'uncompressed' : unload.compression.toLowerCase()}`
      : unload.format === 'JSON'
        ? `FORMAT json, COMPRESSION ${compressed ? 'gzip' : 'none'}`
        : // Athena's TEXTFILE: fields separated by \001 (Hive's default), no header.
          `FORMAT csv, DELIMITER chr(1), HEADER false, COMPRESSION ${compressed ? 'gzip' : 'none'}`;
  const out = await connection
    .runAndReadAll(`COPY (${unload.query}) TO ${literal(file)} (${options})`)
    .catch((err: Error) => {
      throw new QueryError(err.message);
    });
  const rows = Number(out.getRows()[0]?.[0] ?? 0);
  return { location: unload.location, files: [file], rows };
}

/**
 * The view of one Glue table; returns the bytes of the files it may read. The view names the files by
 * a glob and its projected partitions by value, so DuckDB opens only the partitions a query's filter
 * keeps (as Athena plans only those), and nothing is read when the view is created (no sniffing: every
 * reader option is given).
 */
async function registerTable(
  connection: DuckDBConnection,
  table: GlueTable,
  lake: LakeFiles,
  now: Date,
  withPath: boolean,
  statement: string,
): Promise<number> {
  const name = `${ident(table.DatabaseName)}.${ident(table.Name)}`;
  const columns = table.StorageDescriptor?.Columns ?? [];
  const partitions = table.PartitionKeys ?? [];
  const injected = injectedValues(table, statement);
  const { base, bucket, files } = dataFiles(table, lake, now, injected);
  const typed = (c: GlueColumn, expr: string) => `TRY_CAST(${expr} AS ${duckType(c.Type)}) AS ${ident(c.Name)}`;
  const path = withPath ? [`CAST(NULL AS VARCHAR) AS "$path"`] : [];
  if (files.length === 0) return registerEmpty(connection, table, withPath);
  if (withPath) {
    // The file's path on disk as the object's S3 URI.
    const onDisk = `^${escapeRegExp(lake.directoryOf(bucket))}/(.*)${escapeRegExp(lake.objectSuffix)}$`;
    path[0] = `regexp_replace(filename, ${literal(onDisk)}, ${literal(`s3://${bucket}/\\1`)}) AS "$path"`;
  }
  const files_ = `[!_.]*${lake.objectSuffix}`;
  // Partitions named by an injected key: only their folders are opened (a version of another format
  // beside them is never read, as on Athena).
  const glob =
    injected.size > 0
      ? `[${[...new Set(files.map((f) => f.path.slice(0, f.path.lastIndexOf('/'))))].map((dir) => literal(`${dir}/${files_}`)).join(', ')}]`
      : literal([base, ...partitions.map((p) => `${p.Name}=*`), files_].join('/'));
  const hive =
    (partitions.length > 0 ? ', hive_partitioning = true, hive_types_autocast = false' : '') +
    (withPath ? ', filename = true' : '');
  const serde = table.StorageDescriptor?.SerdeInfo?.SerializationLibrary ?? '';
  const serdeParameters = table.StorageDescriptor?.SerdeInfo?.Parameters ?? {};
  let source: string;
  let select: string[];
  if (/OpenCSVSerde|LazySimpleSerDe/i.test(serde)) {
    const skip = Number(table.Parameters?.['skip.header.line.count'] ?? 0);
    const names = columns.map((c) => `${literal(c.Name)}: 'VARCHAR'`).join(', ');
    source =
      `read_csv(${glob}, auto_detect = false, header = ${skip > 0}, columns = {${names}}, ` +
      `delim = ${literal(serdeParameters.separatorChar ?? ',')}, quote = '"', escape = '"', ` +
      `null_padding = true, strict_mode = false${hive})`;
    // OpenCSV reads every value as a string, an empty one as '' (never null); a value that is not of
    // its column's type fails the query, as Athena's HIVE_BAD_DATA does.
    select = columns.map((c) => `CAST(COALESCE(${ident(c.Name)}, '') AS ${duckType(c.Type)}) AS ${ident(c.Name)}`);
  } else if (/JsonSerDe/i.test(serde)) {
    // The OpenX SerDe matches keys to columns case-insensitively; DuckDB matches them exactly. The
    // SerDe's `mapping.<column>` parameters name each key; without them, the keys are read from the files.
    const options = `format = 'newline_delimited', records = true, ignore_errors = true${hive}`;
    const keys = new Map<string, string>();
    for (const [parameter, key] of Object.entries(serdeParameters))
      if (parameter.startsWith('mapping.')) keys.set(parameter.slice('mapping.'.length).toLowerCase(), key);
    if (keys.size === 0) {
      const described = await connection.runAndReadAll(
        `DESCRIBE SELECT * FROM read_json(${glob}, ${options}, union_by_name = true, sample_size = -1, maximum_depth = 1)`,
      );
      for (const [column] of described.getRows()) keys.set(String(column).toLowerCase(), String(column));
    }
    const keyOf = (c: GlueColumn) => keys.get(c.Name.toLowerCase()) ?? c.Name;
    const read = columns.map((c) => `${literal(keyOf(c))}: ${literal(duckType(c.Type))}`);
    source = `read_json(${glob}, ${options}, columns = {${read.join(', ')}})`;
    select = columns.map((c) => typed(c, ident(keyOf(c))));
  } else if (/ParquetHiveSerDe/i.test(serde)) {
    // Parquet columns are matched by name (Athena's default for Parquet); a file without one of the
    // table's columns gives nulls when another file has it (a column no file has fails the query).
    source = `read_parquet(${glob}, union_by_name = true${hive})`;
    select = columns.map((c) => typed(c, ident(c.Name)));
  } else {
    throw new QueryError(`Table ${table.Name}: the local cloud's Athena does not read the SerDe "${serde}".`);
  }
  // The partitions Athena projects, by value: the only ones a query can read.
  const where = partitions.map((p) => {
    const values = [...new Set(files.map((f) => f.partition[p.Name] ?? ''))].sort();
    return `${ident(p.Name)} IN (${values.map(literal).join(', ')})`;
  });
  await connection.run(
    `CREATE VIEW ${name} AS SELECT ${[...select, ...partitions.map((p) => ident(p.Name)), ...path].join(', ')} FROM ${source}` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''),
  );
  return files.reduce((n, f) => n + f.bytes, 0);
}

/** A table's view without rows: its columns, typed, and no files read. */
async function registerEmpty(connection: DuckDBConnection, table: GlueTable, withPath: boolean): Promise<number> {
  const name = `${ident(table.DatabaseName)}.${ident(table.Name)}`;
  const nulls = [...(table.StorageDescriptor?.Columns ?? []), ...(table.PartitionKeys ?? [])].map(
    (c) => `TRY_CAST(NULL AS ${duckType(c.Type)}) AS ${ident(c.Name)}`,
  );
  const path = withPath ? [`CAST(NULL AS VARCHAR) AS "$path"`] : [];
  await connection.run(
    `CREATE OR REPLACE VIEW ${name} AS SELECT ${[...nulls, ...path].join(', ') || 'NULL AS none'} WHERE false`,
  );
  return 0;
}

/** A table reference: a name, quoted or not, optionally qualified by its database. */
const TABLE_REF = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?`;
const ALIASED_REF = String.raw`${TABLE_REF}(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?`;
const FROM_LIST = new RegExp(String.raw`\bFROM\s+(${ALIASED_REF}(?:\s*,\s*${ALIASED_REF})*)`, 'gi');
const JOINED = new RegExp(String.raw`\bJOIN\s+(${TABLE_REF})`, 'gi');

/**
 * The table names a statement reads from (lower case): every reference after FROM (a comma-separated
 * list too) or JOIN, outside string literals and comments. A column or alias that shares a table's name
 * is not a reference to it (Athena reads a table only where a query names it as one).
 */
export function referencedTables(statement: string): Set<string> {
  const text = statement.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, ' ');
  const names = new Set<string>();
  const add = (ref: string) => {
    const last = ref.split('.').at(-1) ?? '';
    names.add(last.replace(/^"|"$/g, '').toLowerCase());
  };
  for (const m of text.matchAll(JOINED)) add(m[1] ?? '');
  for (const m of text.matchAll(FROM_LIST))
    for (const piece of (m[1] ?? '').split(',')) add(piece.trim().split(/\s+/)[0] ?? '');
  return names;
}

/** Does a statement read a table (named after FROM or JOIN, case-insensitively)? */
const namesTable = (statement: string, table: string) => referencedTables(statement).has(table.toLowerCase());

/** The tables a statement names (read from its text, as closely as text allows). */
export function tablesNamed(statement: string, tables: readonly GlueTable[]): GlueTable[] {
  const named = referencedTables(statement);
  return tables.filter((t) => named.has(t.Name.toLowerCase()));
}

interface DataFile {
  readonly path: string;
  readonly bytes: number;
  readonly partition: Readonly<Record<string, string>>;
}

/** The data files Athena may read for a table: under its location, in projected partitions, none hidden. */
function dataFiles(
  table: GlueTable,
  lake: LakeFiles,
  now: Date,
  injected: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): { base: string; bucket: string; files: DataFile[] } {
  const location = table.StorageDescriptor?.Location ?? '';
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) throw new QueryError(`Table ${table.Name} has no S3 location (${location || 'none'}).`);
  const [, bucket = '', prefix = ''] = match;
  const keys = (table.PartitionKeys ?? []).map((k) => k.Name);
  const base = `${lake.directoryOf(bucket)}/${prefix.replace(/\/$/, '')}`;
  const files: DataFile[] = [];
  const walk = (dir: string, partition: Record<string, string>) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const level = Object.keys(partition).length;
    for (const e of entries) {
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
      const full = `${dir}/${e.name}`;
      const key = keys[level];
      if (key !== undefined) {
        const value = e.name.slice(key.length + 1);
        const named = injected.get(key);
        if (
          e.isDirectory() &&
          e.name.startsWith(`${key}=`) &&
          projected(table, key, value, now) &&
          (named === undefined || named.has(value))
        )
          walk(full, { ...partition, [key]: value });
      } else if (e.isFile() && e.name.endsWith(lake.objectSuffix)) {
        try {
          files.push({ path: full, bytes: fs.statSync(full).size, partition });
        } catch {
          // deleted since the listing: not part of this query
        }
      }
    }
  };
  walk(base, {});
  return { base, bucket, files };
}

/**
 * The values a statement gives an injected projected key by equality (`v = '…'`, `v IN ('…', …)`):
 * Athena reads only those partitions. Read from the text, for every table with the key that the
 * statement names; a key compared to anything but literals gets no entry (every partition is listed).
 */
function injectedValues(table: GlueTable, statement: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const p = table.Parameters ?? {};
  if (p['projection.enabled'] !== 'true') return out;
  for (const key of table.PartitionKeys ?? []) {
    if (p[`projection.${key.Name}.type`] !== 'injected') continue;
    const k = escapeRegExp(key.Name);
    const literal = "'((?:[^']|'')*)'";
    const values = new Set<string>();
    let other = false;
    for (const m of statement.matchAll(new RegExp(`\\b${k}"?\\s*=\\s*(${literal}|\\S)`, 'gi')))
      if (m[2] !== undefined) values.add(m[2].replace(/''/g, "'"));
      else other = true;
    for (const m of statement.matchAll(new RegExp(`\\b${k}"?\\s+IN\\s*\\(([^)]*)\\)`, 'gi'))) {
      const items = (m[1] ?? '').split(',').map((v) => v.trim());
      for (const item of items) {
        const lit = new RegExp(`^${literal}$`).exec(item);
        if (lit?.[1] !== undefined) values.add(lit[1].replace(/''/g, "'"));
        else other = true;
      }
    }
    if (values.size > 0 && !other) out.set(key.Name, values);
  }
  return out;
}

/**
 * Athena answers a query over a table with an injected projected key only when the query gives that
 * key's values by equality (`v = '…'` or `v IN (…)`). Checked on the text, as closely as text allows:
 * a query that names the table and never compares the key is refused.
 */
function refuseUninjected(table: GlueTable, statement: string): void {
  const p = table.Parameters ?? {};
  if (p['projection.enabled'] !== 'true') return;
  if (!namesTable(statement, table.Name)) return;
  for (const key of table.PartitionKeys ?? []) {
    if (p[`projection.${key.Name}.type`] !== 'injected') continue;
    if (!new RegExp(`\\b${escapeRegExp(key.Name)}"?\\s*(=|IN\\b)`, 'i').test(statement))
      throw new QueryError(
        `CONSTRAINT_VIOLATION: For the injected projected partition column ${key.Name}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present (table ${table.Name}).`,
      );
  }
}

/**
 * Is a partition value one Athena projects for the key: a `date` key's day within its range (format
 * yyyy-MM-dd; the range may end at NOW), an `integer` key's value within its range with its digits.
 * Without projection, or for other projection types, every folder is read.
 */
function projected(table: GlueTable, key: string, value: string, now: Date): boolean {
  const p = table.Parameters ?? {};
  if (p['projection.enabled'] !== 'true') return true;
  const type = p[`projection.${key}.type`];
  const [from = '', to = ''] = (p[`projection.${key}.range`] ?? '').split(',').map((s) => s.trim());
  if (type === 'date' && p[`projection.${key}.format`] === 'yyyy-MM-dd') {
    const day = (s: string) => (s === 'NOW' ? now.toISOString().slice(0, 10) : s);
    const valid = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
    return valid && value >= day(from) && value <= day(to);
  }
  // An injected key's values come from the query (runQuery checks that it names them): every folder.
  if (type === 'injected') return true;
  if (type === 'integer') {
    const digits = Number(p[`projection.${key}.digits`] ?? 0);
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    return n >= Number(from) && n <= Number(to) && (digits === 0 || value.length === digits);
  }
  return true;
}

/**
 * A value as Athena (Trino) renders it in a result: an array `[a, b]`, a row or map `{k=v}`, anything
 * else as its text.
 */
function athenaText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    const items = (value as { items?: unknown }).items;
    if (Array.isArray(items)) return `[${items.map(athenaText).join(', ')}]`;
    const entries = (value as { entries?: unknown }).entries;
    if (Array.isArray(entries))
      return `{${entries.map((e: { key: unknown; value: unknown }) => `${athenaText(e.key)}=${athenaText(e.value)}`).join(', ')}}`;
    if (entries && typeof entries === 'object')
      return `{${Object.entries(entries)
        .map(([k, v]) => `${k}=${athenaText(v)}`)
        .join(', ')}}`;
  }
  return String(value);
}

/** A Glue (Hive) column type as DuckDB's, arrays and structs included. */
export function duckType(glue: string): string {
  const t = glue.trim().toLowerCase();
  // Nested field names keep their case (they name JSON keys).
  const array = /^array<(.*)>$/is.exec(glue.trim());
  if (array) return `${duckType(array[1] as string)}[]`;
  const struct = /^struct<(.*)>$/is.exec(glue.trim());
  if (struct) {
    const fields = splitTopLevel(struct[1] as string).map((f) => {
      const colon = f.indexOf(':');
      return `${ident(f.slice(0, colon).trim())} ${duckType(f.slice(colon + 1))}`;
    });
    return `STRUCT(${fields.join(', ')})`;
  }
  if (t === 'string' || t.startsWith('varchar') || t.startsWith('char')) return 'VARCHAR';
  if (t === 'bigint') return 'BIGINT';
  if (t === 'int' || t === 'integer') return 'INTEGER';
  if (t === 'smallint') return 'SMALLINT';
  if (t === 'tinyint') return 'TINYINT';
  if (t === 'double') return 'DOUBLE';
  if (t === 'float') return 'FLOAT';
  if (t === 'boolean') return 'BOOLEAN';
  if (t === 'date') return 'DATE';
  if (t === 'timestamp') return 'TIMESTAMP';
  if (/^decimal\(\d+,\s*\d+\)$/.test(t)) return t.toUpperCase();
  // Maps and anything else stay as their JSON text.
  return 'VARCHAR';
}

/** `a:int,b:struct<c:int,d:int>` split at its top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

/** A DuckDB result type as Athena names it in `ColumnInfo.Type`. */
function athenaType(duck: string): string {
  const t = duck.toUpperCase();
  if (t.endsWith('[]')) return 'array';
  if (t.startsWith('STRUCT')) return 'row';
  if (t.startsWith('MAP')) return 'map';
  if (t.startsWith('DECIMAL')) return 'decimal';
  const names: Record<string, string> = {
    VARCHAR: 'varchar',
    BIGINT: 'bigint',
    HUGEINT: 'decimal',
    INTEGER: 'integer',
    SMALLINT: 'smallint',
    TINYINT: 'tinyint',
    DOUBLE: 'double',
    FLOAT: 'real',
    BOOLEAN: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamp with time zone',
  };
  return names[t] ?? 'varchar';
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
