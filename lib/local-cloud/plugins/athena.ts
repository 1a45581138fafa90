/**
 * Athena workgroups of the template, and the query side of Athena's API on the gateway
 * (StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution, ListQueryExecutions),
 * running each query on DuckDB over the lake's files with the template's Glue tables as views
 * (../athena-duckdb.ts). As on AWS, a query runs after StartQueryExecution answers, its result is a
 * CSV object under the workgroup's output location, and GetQueryResults pages it with the column
 * names as the first row (docs/decisions/023-sql-over-the-lake.md).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'csv-stringify/sync';
import { parseUnload, type QueryAnswer, QueryError, runQuery, tablesNamed } from '../athena-duckdb';
import type { AuthzRequest, Denial } from '../iam';
import { GlueCatalog } from './glue';
import {
  ApiError,
  type JsonApi,
  type LocalPlugin,
  type ProvisionContext,
  pageOf,
  resourcesOf,
  type WireContext,
} from './plugin';

/** What Step Functions' Athena integrations need from the local Athena (../step-functions.ts). */
export interface AthenaTasks {
  /**
   * StartQueryExecution with the task's parameters: the query execution's id. With a caller, the reads
   * and writes the query makes are checked against the caller's permissions first, as Athena makes
   * them with the caller's credentials; a denial fails the query.
   */
  start(parameters: Record<string, unknown>, caller?: Caller): string;
  /** The workgroup of a query execution, if it is known. */
  workGroupOf(queryExecutionId: string): string | undefined;
  /** An action of Athena's API (GetQueryExecution, GetQueryResults, StopQueryExecution). */
  call(action: string, parameters: Record<string, unknown>): unknown;
  /** GetQueryExecution's answer once the query has ended. */
  finished(queryExecutionId: string): Promise<{ QueryExecution: ReturnType<typeof describe> }>;
}

/** Whom a query runs for: the first of some requests they may not make, or undefined. */
export type Caller = (requests: readonly AuthzRequest[]) => Promise<Pick<Denial, 'message'> | undefined>;

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface QueryExecution {
  readonly id: string;
  readonly query: string;
  readonly workGroup: string;
  readonly database?: string;
  readonly outputLocation: string;
  state: State;
  reason?: string;
  readonly submitted: number;
  completed?: number;
  answer?: QueryAnswer;
}

interface WorkGroup {
  readonly name: string;
  readonly outputLocation?: string;
  readonly enforce: boolean;
}

/** GetQueryResults pages: 1,000 rows at most, as Athena's. */
const MAX_PAGE = 1000;
/** Query executions kept for GetQueryExecution (oldest forgotten first). */
const KEEP = 500;

export class AthenaQueries implements LocalPlugin {
  readonly name = 'athena';
  readonly types = ['AWS::Athena::WorkGroup'];
  private readonly workGroups = new Map<string, WorkGroup>();
  private readonly executions = new Map<string, QueryExecution>();
  private readonly running = new Map<string, Promise<void>>();
  private wired?: {
    glue: GlueCatalog;
    s3: S3Client;
    lakeDir: string;
    log: (line: string) => void;
    region: string;
    account: string;
  };

  async provision(ctx: ProvisionContext): Promise<void> {
    for (const { name, props } of resourcesOf(ctx, 'AWS::Athena::WorkGroup')) {
      const config = (props.WorkGroupConfiguration ?? {}) as {
        EnforceWorkGroupConfiguration?: boolean;
        ResultConfiguration?: { OutputLocation?: string };
      };
      this.workGroups.set(name, {
        name,
        enforce: config.EnforceWorkGroupConfiguration === true,
        ...(config.ResultConfiguration?.OutputLocation
          ? { outputLocation: config.ResultConfiguration.OutputLocation }
          : {}),
      });
    }
  }

  wire({ plugin, clients, stateDir, log, region, account }: WireContext): void {
    this.wired = {
      glue: plugin(GlueCatalog),
      s3: clients.s3,
      lakeDir: path.join(stateDir, 's3'),
      log,
      region,
      account,
    };
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Athena for Step Functions' service integrations (the state machine's tasks call it in process):
   * start a query, call a read action, or wait for a query to end.
   */
  readonly tasks: AthenaTasks = {
    start: (parameters, caller) => this.start(parameters, caller),
    workGroupOf: (queryExecutionId) => this.workGroupOf(queryExecutionId),
    call: (action, parameters) => this.answer(action, parameters),
    finished: async (queryExecutionId) => {
      await this.running.get(queryExecutionId);
      return { QueryExecution: describe(this.execution({ QueryExecutionId: queryExecutionId })) };
    },
  };

  readonly api: JsonApi = {
    service: 'athena',
    targetPrefix: 'AmazonAthena.',
    version: '1.1',
    handle: (action, body) => this.answer(action, body),
  };

  /** The workgroup a query execution ran in (IAM authorizes Athena calls on the workgroup). */
  workGroupOf(queryExecutionId: string): string | undefined {
    return this.executions.get(queryExecutionId)?.workGroup;
  }

  private answer(action: string, body: Record<string, unknown>): unknown {
    switch (action) {
      case 'StartQueryExecution':
        return { QueryExecutionId: this.start(body) };
      case 'GetQueryExecution':
        return { QueryExecution: describe(this.execution(body)) };
      case 'GetQueryResults':
        return this.results(this.execution(body), body);
      case 'StopQueryExecution': {
        const e = this.execution(body);
        if (e.state === 'QUEUED' || e.state === 'RUNNING') this.finish(e, 'CANCELLED', 'Query cancelled by user');
        return {};
      }
      case 'ListQueryExecutions': {
        const group = String(body.WorkGroup ?? 'primary');
        return {
          QueryExecutionIds: [...this.executions.values()]
            .filter((e) => e.workGroup === group)
            .reverse()
            .map((e) => e.id),
        };
      }
      default:
        throw new ApiError('InvalidRequestException', `${action} is not served by the local cloud's Athena`);
    }
  }

  private start(body: Record<string, unknown>, caller?: Caller): string {
    const query = typeof body.QueryString === 'string' ? body.QueryString : '';
    if (!query.trim()) throw new ApiError('InvalidRequestException', 'QueryString is required');
    const groupName = typeof body.WorkGroup === 'string' ? body.WorkGroup : 'primary';
    const group = this.workGroups.get(groupName);
    if (!group) throw new ApiError('InvalidRequestException', `WorkGroup ${groupName} is not found.`);
    const requested = (body.ResultConfiguration as { OutputLocation?: string } | undefined)?.OutputLocation;
    const base = group.enforce ? group.outputLocation : (requested ?? group.outputLocation);
    if (!base)
      throw new ApiError(
        'InvalidRequestException',
        'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
      );
    const id = randomUUID();
    const database = (body.QueryExecutionContext as { Database?: string } | undefined)?.Database;
    const execution: QueryExecution = {
      id,
      query,
      workGroup: group.name,
      ...(database ? { database } : {}),
      outputLocation: `${base.replace(/\/?$/, '/')}${id}.csv`,
      state: 'QUEUED',
      submitted: Date.now(),
    };
    this.executions.set(id, execution);
    for (const old of this.executions.keys()) {
      if (this.executions.size <= KEEP) break;
      this.executions.delete(old);
    }
    const task = this.run(execution, caller);
    this.running.set(id, task);
    task.finally(() => this.running.delete(id));
    return id;
  }

  private async run(e: QueryExecution, caller?: Caller): Promise<void> {
    const wired = this.wired;
    if (!wired) return this.finish(e, 'FAILED', 'Athena is not up yet');
    await new Promise((r) => setImmediate(r));
    if (e.state !== 'QUEUED') return;
    e.state = 'RUNNING';
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-athena-'));
    try {
      const unload = parseUnload(e.query);
      const denial = caller && (await caller(this.dataAccess(e, unload?.location)));
      if (denial) throw new QueryError(`Access denied: ${denial.message}`);
      if (unload) await this.refuseNonEmpty(wired.s3, unload.location);
      const lake = {
        directoryOf: (bucket: string) => path.join(wired.lakeDir, bucket),
        objectSuffix: '._S3rver_object',
      };
      const answer = await runQuery(e.query, e.database, wired.glue.tables(), lake, new Date(), scratch);
      if (e.state !== 'RUNNING') return;
      const [, bucket = '', key = ''] = s3Parts(e.outputLocation);
      if (answer.unloaded) {
        // The files under the UNLOAD's location, and a manifest of them beside the query's result, as Athena writes them.
        const written: string[] = [];
        const [, target = '', prefix = ''] = s3Parts(answer.unloaded.location);
        for (const file of answer.unloaded.files) {
          const name = `${prefix}${e.id}_${path.basename(file)}`;
          await wired.s3.send(new PutObjectCommand({ Bucket: target, Key: name, Body: fs.readFileSync(file) }));
          written.push(`s3://${target}/${name}`);
        }
        await wired.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key.replace(/\.csv$/, '-manifest.csv'),
            Body: `${written.join('\n')}\n`,
            ContentType: 'text/csv',
          }),
        );
      } else {
        const csv = stringify([answer.columns.map((c) => c.name), ...answer.rows], { quoted: true });
        await wired.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv, ContentType: 'text/csv' }));
      }
      e.answer = answer;
      this.finish(e, 'SUCCEEDED');
    } catch (err) {
      const reason = err instanceof QueryError ? err.message : `Internal error: ${(err as Error).message}`;
      wired.log(`Athena query ${e.id} failed: ${reason}`);
      this.finish(e, 'FAILED', reason);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /**
   * What a query makes Athena do with its caller's credentials: read the definition and the objects of
   * every table it names, write its result (and an UNLOAD's files). One object per location stands for
   * all of them: our policies grant by prefix.
   */
  private dataAccess(e: QueryExecution, unloadLocation: string | undefined) {
    const { region, account, glue } = this.wired as NonNullable<typeof this.wired>;
    const object = (uri: string) => {
      const [, bucket = '', key = ''] = s3Parts(uri);
      return { bucket, key, arn: `arn:aws:s3:::${bucket}/${key}` };
    };
    const requests: AuthzRequest[] = [];
    for (const table of tablesNamed(e.query, glue.tables(e.database))) {
      requests.push({
        action: 'glue:GetTable',
        resource: `arn:aws:glue:${region}:${account}:table/${table.DatabaseName}/${table.Name}`,
      });
      const location = object(table.StorageDescriptor?.Location ?? '');
      requests.push(
        {
          action: 's3:ListBucket',
          resource: `arn:aws:s3:::${location.bucket}`,
          context: { 's3:prefix': location.key },
        },
        { action: 's3:GetObject', resource: `${location.arn}part-00000` },
      );
    }
    if (unloadLocation) requests.push({ action: 's3:PutObject', resource: `${object(unloadLocation).arn}part-00000` });
    requests.push({ action: 's3:PutObject', resource: object(e.outputLocation).arn });
    return requests;
  }

  /** Athena's UNLOAD writes only to an empty location. */
  private async refuseNonEmpty(s3: S3Client, location: string): Promise<void> {
    const [, bucket = '', prefix = ''] = s3Parts(location);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
    if ((listed.KeyCount ?? 0) > 0)
      throw new QueryError(`HIVE_PATH_ALREADY_EXISTS: Target directory for table already exists: ${location}`);
  }

  private finish(e: QueryExecution, state: State, reason?: string): void {
    e.state = state;
    if (reason) e.reason = reason;
    e.completed = Date.now();
  }

  private execution(body: Record<string, unknown>): QueryExecution {
    const id = String(body.QueryExecutionId ?? '');
    const e = this.executions.get(id);
    if (!e) throw new ApiError('InvalidRequestException', `QueryExecution ${id} was not found`);
    return e;
  }

  private results(e: QueryExecution, body: Record<string, unknown>): unknown {
    if (e.state !== 'SUCCEEDED' || !e.answer)
      throw new ApiError(
        'InvalidRequestException',
        e.state === 'FAILED' || e.state === 'CANCELLED'
          ? `Query did not finish successfully. Final query state: ${e.state}`
          : `Query has not yet finished. Current state: ${e.state}`,
      );
    const { columns, rows } = e.answer;
    // The first page's first row holds the column names, as Athena returns them (an UNLOAD has none).
    const all = columns.length > 0 ? [columns.map((c) => c.name), ...rows] : [];
    const page = pageOf(
      all,
      { token: body.NextToken, size: body.MaxResults },
      { fallback: MAX_PAGE, max: MAX_PAGE },
      () => new ApiError('InvalidRequestException', 'Invalid NextToken'),
    );
    return {
      UpdateCount: e.answer.unloaded?.rows ?? 0,
      ResultSet: {
        Rows: page.items.map((row) => ({
          Data: row.map((v) => (v === null ? {} : { VarCharValue: v })),
        })),
        ResultSetMetadata: {
          ColumnInfo: columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: 0,
            Scale: 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'varchar',
          })),
        },
      },
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }
}

const s3Parts = (uri: string) => /^s3:\/\/([^/]+)\/(.*)$/.exec(uri) ?? [];

/** A query execution in the shape of Athena's `QueryExecution`. */
function describe(e: QueryExecution) {
  return {
    QueryExecutionId: e.id,
    Query: e.query,
    StatementType: 'DML',
    WorkGroup: e.workGroup,
    ResultConfiguration: { OutputLocation: e.outputLocation },
    QueryExecutionContext: e.database ? { Database: e.database, Catalog: 'AwsDataCatalog' } : {},
    Status: {
      State: e.state,
      ...(e.reason ? { StateChangeReason: e.reason } : {}),
      SubmissionDateTime: e.submitted / 1000,
      ...(e.completed ? { CompletionDateTime: e.completed / 1000 } : {}),
    },
    Statistics: {
      EngineExecutionTimeInMillis: (e.completed ?? Date.now()) - e.submitted,
      TotalExecutionTimeInMillis: (e.completed ?? Date.now()) - e.submitted,
      DataScannedInBytes: e.answer?.scannedBytes ?? 0,
    },
    EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3 (local: DuckDB)' },
  };
}
