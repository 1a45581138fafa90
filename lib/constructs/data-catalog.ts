import { Aws } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CATALOG_DATASETS, type LakeDataset } from '../../layers/catalog/datasets';
import { glueColumnsOf } from '../../layers/catalog/glue-columns';
import { LAKE_PREFIXES } from '../../layers/lake/keys';

export interface DataCatalogProps {
  readonly lakeBucket: s3.IBucket;
  /** @default 'recomart_<stage>' */
  readonly databaseName: string;
}

const CSV_SERDE = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';
const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const TEXT_OUTPUT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const PARQUET_INPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/**
 * The Glue Data Catalog of the lake: one database, one table per raw and curated dataset and per feature set with
 * columns derived from the dataset's zod schema, and partition projection on `dt` (and `hour`, and a
 * feature set's `v`) so new partitions are queryable the moment they land. An Athena workgroup writes query results under reports/athena/.
 */
export class DataCatalog extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly tables: Record<string, glue.CfnTable> = {};
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly databaseName: string;
  public readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: DataCatalogProps) {
    super(scope, id);
    const catalogId = Aws.ACCOUNT_ID;
    this.databaseName = props.databaseName;
    this.workGroupName = props.databaseName;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: props.databaseName,
        description: 'RecoMart lake: raw and curated datasets and feature sets (see layers/catalog/datasets.ts).',
      },
    });
    for (const dataset of CATALOG_DATASETS) {
      const table = new glue.CfnTable(this, `Table-${dataset.table}`, {
        catalogId,
        databaseName: props.databaseName,
        tableInput: tableInputFor(dataset, props.lakeBucket.bucketName),
      });
      table.addResourceDependency(this.database);
      this.tables[dataset.table] = table;
    }
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Ad-hoc queries over the RecoMart lake.',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${props.lakeBucket.bucketName}/${LAKE_PREFIXES.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}

/** The Glue TableInput of a raw dataset (exported for tests). */
export function tableInputFor(dataset: LakeDataset, bucketName: string): glue.CfnTable.TableInputProperty {
  const location = `s3://${bucketName}/${dataset.prefix}`;
  const partitionKeys = dataset.partitions.map((p) => ({ name: p, type: 'string' }));
  const parameters: Record<string, string> = {
    classification: { csv: 'csv', jsonl: 'json', parquet: 'parquet' }[dataset.format],
    'recomart.schemaVersion': dataset.schemaVersion,
  };
  if (dataset.format === 'csv') parameters['skip.header.line.count'] = '1';
  if (dataset.partitions.length > 0) {
    parameters['projection.enabled'] = 'true';
    const template = dataset.partitions.map((p) => `${p}=\${${p}}`).join('/');
    parameters['storage.location.template'] = `${location}${template}/`;
    for (const p of dataset.partitions) {
      if (p === 'dt') {
        parameters['projection.dt.type'] = 'date';
        parameters['projection.dt.format'] = 'yyyy-MM-dd';
        parameters['projection.dt.range'] = '2020-01-01,NOW';
        parameters['projection.dt.interval'] = '1';
        parameters['projection.dt.interval.unit'] = 'DAYS';
      } else if (p === 'v') {
        // A feature set's versions are build times: a query names the one it reads.
        parameters['projection.v.type'] = 'injected';
      } else if (p === 'hour') {
        parameters['projection.hour.type'] = 'integer';
        parameters['projection.hour.range'] = '0,23';
        parameters['projection.hour.digits'] = '2';
      }
    }
  }
  const columns = glueColumnsOf(dataset.schema, { csv: dataset.format === 'csv' });
  // The OpenX SerDe matches keys case-insensitively; naming each key keeps readers that match exactly
  // (the local cloud's engine) reading the same columns.
  const keyMappings = Object.fromEntries(
    columns.filter((c) => c.name !== c.name.toLowerCase()).map((c) => [`mapping.${c.name.toLowerCase()}`, c.name]),
  );
  return {
    name: dataset.table,
    description: dataset.description,
    tableType: 'EXTERNAL_TABLE',
    parameters,
    partitionKeys,
    storageDescriptor: {
      location,
      inputFormat: dataset.format === 'parquet' ? PARQUET_INPUT : TEXT_INPUT,
      outputFormat: dataset.format === 'parquet' ? PARQUET_OUTPUT : TEXT_OUTPUT,
      columns: columns.map((c) => ({
        name: c.name.toLowerCase(),
        type: c.type,
        ...(c.comment ? { comment: c.comment } : {}),
      })),
      serdeInfo: {
        csv: { serializationLibrary: CSV_SERDE, parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' } },
        jsonl: { serializationLibrary: JSON_SERDE, parameters: { 'ignore.malformed.json': 'true', ...keyMappings } },
        parquet: { serializationLibrary: PARQUET_SERDE, parameters: { 'serialization.format': '1' } },
      }[dataset.format],
    },
  };
}
