import { AthenaQueries } from '../../../lib/local-cloud/plugins/athena';
import { GlueCatalog } from '../../../lib/local-cloud/plugins/glue';
import { ApiError, type ProvisionContext } from '../../../lib/local-cloud/plugins/plugin';
import { type CfnTemplate, TemplateResolver } from '../../../lib/local-cloud/template';

const template: CfnTemplate = {
  Resources: {
    Db: { Type: 'AWS::Glue::Database', Properties: { CatalogId: '000000000000', DatabaseInput: { Name: 'lake_db' } } },
    ...Object.fromEntries(
      Array.from({ length: 130 }, (_, i) => [
        `T${i}`,
        {
          Type: 'AWS::Glue::Table',
          Properties: {
            DatabaseName: 'lake_db',
            TableInput: {
              Name: `Table_${String(i).padStart(3, '0')}`,
              StorageDescriptor: { Location: `s3://lake/t${i}/`, Columns: [{ Name: 'id', Type: 'string' }] },
            },
          },
        },
      ]),
    ),
    Wg: {
      Type: 'AWS::Athena::WorkGroup',
      Properties: {
        Name: 'analysts',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: { OutputLocation: 's3://lake/reports/athena/' },
        },
      },
    },
  },
};

const context = { resolver: new TemplateResolver('Stack', template) } as unknown as ProvisionContext;
const call = (api: { handle: (a: string, b: Record<string, unknown>) => unknown }, action: string, body = {}) =>
  api.handle(action, body) as Record<string, unknown>;

describe('the local Glue catalog', () => {
  const glue = new GlueCatalog();
  beforeAll(() => glue.provision(context));

  it('serves the template’s tables in Glue’s pages of 100, names lower-cased as Glue stores them', () => {
    const first = call(glue.api, 'GetTables', { DatabaseName: 'lake_db' });
    expect((first.TableList as unknown[]).length).toBe(100);
    const second = call(glue.api, 'GetTables', { DatabaseName: 'lake_db', NextToken: first.NextToken });
    expect((second.TableList as unknown[]).length).toBe(30);
    expect(second.NextToken).toBeUndefined();
    const names = [...(first.TableList as { Name: string }[]), ...(second.TableList as { Name: string }[])].map(
      (t) => t.Name,
    );
    expect(new Set(names).size).toBe(130);
    expect(names[0]).toBe('table_000');
    expect(call(glue.api, 'GetTables', { DatabaseName: 'lake_db', Expression: 'table_12*' }).TableList).toHaveLength(
      10,
    );
    expect(call(glue.api, 'GetTable', { DatabaseName: 'lake_db', Name: 'TABLE_007' }).Table).toMatchObject({
      Name: 'table_007',
      DatabaseName: 'lake_db',
      StorageDescriptor: { Location: 's3://lake/t7/' },
    });
  });

  it('answers a missing database or table, and any write, with Glue’s errors', () => {
    const error = (action: string, body: Record<string, unknown>) => {
      try {
        glue.api.handle(action, body);
      } catch (err) {
        return err instanceof ApiError ? err.type : String(err);
      }
      return 'no error';
    };
    expect(error('GetDatabase', { Name: 'nope' })).toBe('EntityNotFoundException');
    expect(error('GetTable', { DatabaseName: 'lake_db', Name: 'nope' })).toBe('EntityNotFoundException');
    expect(error('CreateTable', { DatabaseName: 'lake_db' })).toBe('InvalidInputException');
  });
});

describe('the local Athena API', () => {
  const athena = new AthenaQueries();
  beforeAll(() => athena.provision(context));

  it('starts queries only in the template’s workgroups, with the workgroup’s enforced output location', () => {
    const error = (body: Record<string, unknown>) => {
      try {
        athena.api.handle('StartQueryExecution', body);
      } catch (err) {
        return err instanceof ApiError ? `${err.type}: ${err.message}` : String(err);
      }
      return 'started';
    };
    expect(error({ QueryString: 'SELECT 1' })).toBe('InvalidRequestException: WorkGroup primary is not found.');
    expect(error({ QueryString: '  ', WorkGroup: 'analysts' })).toBe(
      'InvalidRequestException: QueryString is required',
    );
    const { QueryExecutionId: id } = call(athena.api, 'StartQueryExecution', {
      QueryString: 'SELECT 1',
      WorkGroup: 'analysts',
      ResultConfiguration: { OutputLocation: 's3://elsewhere/' },
    });
    const described = call(athena.api, 'GetQueryExecution', { QueryExecutionId: id }).QueryExecution as {
      ResultConfiguration: { OutputLocation: string };
      WorkGroup: string;
    };
    expect(described.ResultConfiguration.OutputLocation).toBe(`s3://lake/reports/athena/${id}.csv`);
    expect(described.WorkGroup).toBe('analysts');
    expect(athena.workGroupOf(String(id))).toBe('analysts');
  });
});
