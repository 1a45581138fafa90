/**
 * The Glue Data Catalog of the template: its databases and tables as the template defines them
 * (columns, partition keys, locations, partition projection), served through the read side of Glue's
 * API on the gateway (GetDatabase(s), GetTable(s), GetPartitions), so `@aws-sdk/client-glue` reads
 * the same definitions locally as on AWS. The catalog cannot be changed through the API: the template
 * is its only source, as the stack is on AWS (docs/decisions/023-sql-over-the-lake.md).
 */
import { ApiError, type JsonApi, type LocalPlugin, type ProvisionContext, pageOf, resourcesOf } from './plugin';

/** A table as Glue's `TableInput` describes it (the template's property, resolved). */
export interface GlueTableInput {
  readonly Name: string;
  readonly Description?: string;
  readonly TableType?: string;
  readonly Parameters?: Record<string, string>;
  readonly PartitionKeys?: readonly GlueColumn[];
  readonly StorageDescriptor?: {
    readonly Columns?: readonly GlueColumn[];
    readonly Location?: string;
    readonly InputFormat?: string;
    readonly OutputFormat?: string;
    readonly SerdeInfo?: { SerializationLibrary?: string; Parameters?: Record<string, string> };
  };
}

export interface GlueColumn {
  readonly Name: string;
  readonly Type: string;
  readonly Comment?: string;
}

export interface GlueTable extends GlueTableInput {
  readonly DatabaseName: string;
}

/** Glue's pages: 100 tables unless MaxResults says otherwise. */
const PAGE = 100;

export class GlueCatalog implements LocalPlugin {
  readonly name = 'glue';
  readonly types = ['AWS::Glue::Database', 'AWS::Glue::Table'];
  private readonly databases = new Map<string, { Name: string; Description?: string }>();
  private readonly tablesByDatabase = new Map<string, GlueTable[]>();
  private createTime = 0;

  async provision(ctx: ProvisionContext): Promise<void> {
    this.createTime = Date.now() / 1000;
    for (const { name, props } of resourcesOf(ctx, 'AWS::Glue::Database')) {
      const input = (props.DatabaseInput ?? {}) as { Description?: string };
      this.databases.set(name, { Name: name, ...(input.Description ? { Description: input.Description } : {}) });
    }
    for (const { id, props } of resourcesOf(ctx, 'AWS::Glue::Table')) {
      const database = String(props.DatabaseName);
      const input = props.TableInput as GlueTableInput | undefined;
      if (!input?.Name) throw new Error(`Glue table ${id} has no TableInput.Name`);
      if (!this.databases.has(database))
        throw new Error(`Glue table ${id} is in database ${database}, which the template does not create`);
      const list = this.tablesByDatabase.get(database) ?? [];
      list.push({ ...input, Name: input.Name.toLowerCase(), DatabaseName: database });
      this.tablesByDatabase.set(database, list);
    }
  }

  /** The tables of a database (every database's when none is named). */
  tables(database?: string): GlueTable[] {
    if (database !== undefined) return [...(this.tablesByDatabase.get(database) ?? [])];
    return [...this.tablesByDatabase.values()].flat();
  }

  readonly api: JsonApi = {
    service: 'glue',
    targetPrefix: 'AWSGlue.',
    version: '1.1',
    handle: (action, body) => this.answer(action, body),
  };

  private answer(action: string, body: Record<string, unknown>): unknown {
    const database = () => {
      const name = String(body.DatabaseName ?? body.Name ?? '');
      const found = this.databases.get(name);
      if (!found) throw new ApiError('EntityNotFoundException', `Database ${name} not found.`);
      return found;
    };
    const withTimes = (t: GlueTable) => ({ ...t, CreateTime: this.createTime, UpdateTime: this.createTime });
    switch (action) {
      case 'GetDatabases':
        return { DatabaseList: [...this.databases.values()].map((d) => ({ ...d, CreateTime: this.createTime })) };
      case 'GetDatabase':
        return { Database: { ...database(), CreateTime: this.createTime } };
      case 'GetTables': {
        const db = database();
        const pattern = typeof body.Expression === 'string' ? globToRegExp(body.Expression) : undefined;
        const all = this.tables(db.Name).filter((t) => !pattern || pattern.test(t.Name));
        const page = pageOf(
          all,
          { token: body.NextToken, size: body.MaxResults },
          { fallback: PAGE, max: PAGE },
          () => new ApiError('InvalidInputException', 'Invalid NextToken'),
        );
        return { TableList: page.items.map(withTimes), ...(page.next ? { NextToken: page.next } : {}) };
      }
      case 'GetTable': {
        const db = database();
        const name = String(body.Name ?? '').toLowerCase();
        const table = this.tables(db.Name).find((t) => t.Name === name);
        if (!table) throw new ApiError('EntityNotFoundException', `Table ${name} not found.`);
        return { Table: withTimes(table) };
      }
      case 'GetPartitions':
        // Every table of the template projects its partitions (Athena computes them from the table's
        // parameters): none is stored in the catalog, as on AWS.
        database();
        return { Partitions: [] };
      default:
        throw new ApiError(
          'InvalidInputException',
          `${action} is not served by the local cloud's Glue catalog (read-only: the template defines it)`,
        );
    }
  }
}

/** Glue's `Expression` filter: a regular expression over table names, `*` meaning any characters. */
function globToRegExp(expression: string): RegExp {
  const source = expression.replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^(?:${source})$`, 'i');
}
