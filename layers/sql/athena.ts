/**
 * One SQL statement through Athena's API, start to answer: start it in a workgroup and database, wait
 * for a final state (polling with a doubling wait, within a deadline), and read every page of its
 * result. The same calls reach Athena on AWS and the local cloud's DuckDB behind the same API.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { again, done, retrying } from '../util/retry';

export interface SqlAnswer {
  readonly queryExecutionId: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** Where Athena wrote the result as CSV. */
  readonly outputLocation?: string;
  readonly scannedBytes?: number;
  /** Rows a write statement (UNLOAD, INSERT, CTAS) wrote. */
  readonly updateCount?: number;
}

export class SqlFailed extends Error {
  constructor(
    readonly queryExecutionId: string,
    readonly state: string,
    reason: string,
  ) {
    super(reason);
  }
}

export interface SqlRequest {
  readonly sql: string;
  readonly workGroup: string;
  readonly database?: string;
  /** Give up (and stop the query) after this long. @default 300 000 */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function runSql(athena: AthenaClient, request: SqlRequest): Promise<SqlAnswer> {
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: request.sql,
      WorkGroup: request.workGroup,
      ...(request.database ? { QueryExecutionContext: { Database: request.database } } : {}),
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena started no query execution');
  const timeoutMs = request.timeoutMs ?? 300_000;
  const execution = await retrying(
    {
      attempts: Number.MAX_SAFE_INTEGER,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      budgetMs: timeoutMs,
      jitter: false,
      ...(request.sleep ? { sleep: request.sleep } : {}),
    },
    {
      giveUp: () => {
        athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        return new SqlFailed(
          id,
          'TIMEOUT',
          `The query did not finish within ${Math.round(timeoutMs / 1000)} s; it was stopped.`,
        );
      },
    },
    async () => {
      const out = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = out.QueryExecution?.Status?.State ?? 'QUEUED';
      return state === 'QUEUED' || state === 'RUNNING' ? again(state) : done(out.QueryExecution);
    },
  );
  const state = execution?.Status?.State ?? 'UNKNOWN';
  if (state !== 'SUCCEEDED')
    throw new SqlFailed(id, state, execution?.Status?.StateChangeReason ?? `The query ended ${state}.`);
  const pages: GetQueryResultsCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
    );
    pages.push(page);
    token = page.NextToken;
  } while (token);
  const columns = (pages[0]?.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
    name: c.Name ?? '',
    type: c.Type ?? 'varchar',
  }));
  const rows = pages
    .flatMap((p) => p.ResultSet?.Rows ?? [])
    .map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
  // A SELECT's first row repeats the column names (Athena's header row).
  const header = rows[0];
  const body = header?.every((v, i) => v === columns[i]?.name) ? rows.slice(1) : rows;
  return {
    queryExecutionId: id,
    columns,
    rows: body,
    ...(pages[0]?.UpdateCount ? { updateCount: pages[0].UpdateCount } : {}),
    ...(execution?.ResultConfiguration?.OutputLocation
      ? { outputLocation: execution.ResultConfiguration.OutputLocation }
      : {}),
    ...(execution?.Statistics?.DataScannedInBytes !== undefined
      ? { scannedBytes: execution.Statistics.DataScannedInBytes }
      : {}),
  };
}
