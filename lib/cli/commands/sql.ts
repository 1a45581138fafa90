/**
 * SQL over the lake: `recomart catalog` lists the Glue tables (read with the Glue API) and `recomart
 * query` runs a statement through Athena's API, on AWS (the stack's workgroup and database) or on the
 * local cloud, which answers the same calls with DuckDB over its lake (docs/decisions/023-sql-over-the-lake.md).
 */
import { GetTablesCommand, type Table } from '@aws-sdk/client-glue';
import type { Command } from 'commander';
import { athenaClient, glueClient } from '../../../layers/aws/control-plane-clients';
import { runSql, SqlFailed } from '../../../layers/sql/athena';
import { createTableDdl } from '../../../layers/sql/ddl';
import { toCsvLine } from '../../../layers/util/csv-write';
import { CliError } from '../errors';
import { positiveInt } from '../progress';
import { resolveTarget } from '../target';

interface TargetOpts {
  state: string;
  stage: string;
  json?: boolean;
}

const targetOptions = (c: Command) =>
  c
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the database and workgroup', 'dev');

/** The format a table's SerDe reads, by the SerDe's name. */
const SERDE_FORMATS: readonly [RegExp, string][] = [
  [/csv/i, 'CSV'],
  [/json/i, 'JSON Lines'],
  [/parquet/i, 'Parquet'],
];

export function registerCatalog(program: Command): void {
  targetOptions(
    program
      .command('catalog')
      .description("The lake's tables in the Glue Data Catalog: format, location, partition keys and columns."),
  )
    .option('--json', 'print the tables as JSON (Glue Table objects)')
    .option('--ddl', "print each table as Athena's CREATE EXTERNAL TABLE, generated from its Glue definition")
    .action(async (opts: TargetOpts & { ddl?: boolean }) => {
      const target = resolveTarget(opts);
      const database = await target.output('GlueDatabaseName');
      const glue = glueClient({ env: target.env });
      const tables: Table[] = [];
      try {
        let token: string | undefined;
        do {
          const page = await glue.send(
            new GetTablesCommand({ DatabaseName: database, ...(token ? { NextToken: token } : {}) }),
          );
          tables.push(...(page.TableList ?? []));
          token = page.NextToken;
        } while (token);
      } finally {
        glue.destroy();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ database, tables })}\n`);
        return;
      }
      if (opts.ddl) {
        process.stdout.write(`${tables.map((t) => createTableDdl(database, t)).join('\n\n')}\n`);
        return;
      }
      const lines = [`database ${database} (${target.description}): ${tables.length} tables`];
      for (const t of tables) {
        const serde = t.StorageDescriptor?.SerdeInfo?.SerializationLibrary ?? '';
        const format = SERDE_FORMATS.find(([pattern]) => pattern.test(serde))?.[1] ?? (serde || '?');
        const keys = (t.PartitionKeys ?? []).map((k) => k.Name).join(', ');
        lines.push(
          '',
          `${t.Name}  ${format}  ${t.StorageDescriptor?.Location ?? ''}${keys ? `  partitioned by ${keys}` : ''}`,
        );
        if (t.Description) lines.push(`  ${t.Description}`);
        for (const c of t.StorageDescriptor?.Columns ?? [])
          lines.push(`  ${(c.Name ?? '').padEnd(24)} ${c.Type ?? ''}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

interface QueryOpts extends TargetOpts {
  csv?: boolean;
  timeout: number;
}

export function registerQuery(program: Command): void {
  targetOptions(
    program
      .command('query')
      .description(
        "Run SQL over the lake's tables with Athena (on the local cloud: DuckDB behind Athena's API). " +
          'Tables are named as in `recomart catalog`.',
      )
      .argument('<sql>', 'the statement, e.g. "SELECT count(*) FROM transactions"'),
  )
    .option('--json', 'print the rows as JSON objects, one per line')
    .option('--csv', 'print the rows as CSV with a header line')
    .option('--timeout <seconds>', 'stop the query after this long', positiveInt('--timeout'), 300)
    .action(async (sql: string, opts: QueryOpts) => {
      if (opts.json && opts.csv) throw new CliError('Choose one of --json and --csv.', 2);
      if (!sql.trim()) throw new CliError('The SQL statement is empty.', 2);
      const target = resolveTarget(opts);
      const [workGroup, database] = await Promise.all([
        target.output('AthenaWorkGroup'),
        target.output('GlueDatabaseName'),
      ]);
      const athena = athenaClient({ env: target.env });
      try {
        const answer = await runSql(athena, { sql, workGroup, database, timeoutMs: opts.timeout * 1000 });
        const names = answer.columns.map((c) => c.name);
        if (opts.json) {
          const lines = answer.rows.map((row) =>
            JSON.stringify(Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]))),
          );
          process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
        } else if (opts.csv) {
          process.stdout.write(
            [names, ...answer.rows.map((r) => r.map((v) => v ?? ''))].map((r) => `${toCsvLine(r)}\n`).join(''),
          );
        } else if (names.length === 0) {
          // A write (UNLOAD): no result set, only what it wrote.
          process.stdout.write(`wrote ${answer.updateCount ?? 0} rows (query ${answer.queryExecutionId})\n`);
        } else {
          process.stdout.write(
            `${table(names, answer.rows)}\n(${answer.rows.length} rows; result ${answer.outputLocation ?? 'not written'})\n`,
          );
        }
      } catch (err) {
        if (err instanceof SqlFailed)
          throw new CliError(`Query ${err.queryExecutionId} ${err.state}: ${err.message}`, 1);
        throw err;
      } finally {
        athena.destroy();
      }
    });
}

/** Rows aligned under their column names; a null shows as NULL. */
function table(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  const text = rows.map((r) => names.map((_, i) => r[i] ?? 'NULL'));
  const widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...text.map((r) => (r[i] ?? '').length))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c.length > (widths[i] ?? 0) ? `${c.slice(0, (widths[i] ?? 1) - 1)}…` : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(names), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}
