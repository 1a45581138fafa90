import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { MasterIngestEnv } from '../../lambdas/master-ingest/env';
import { TransactionsIngestEnv } from '../../lambdas/transactions-ingest/env';
import { ingestAccess } from '../../layers/lake/access';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction } from './lambda-function';
import { recomartTable } from './table';

/** Old-space heap cap of the transactions function (its bench child runs with the same flag). */
export const TRANSACTIONS_HEAP_MIB = 192;

export interface BatchIngestionProps {
  readonly lakeBucket: s3.Bucket;
  /** Key prefix whose CSV drops trigger transactions ingestion. @default 'landing/transactions/' */
  readonly transactionsPrefix?: string;
  /** Key prefix whose CSV drops trigger master-data ingestion. @default 'landing/master/' */
  readonly masterPrefix?: string;
  /** @default 7 */
  readonly logRetentionDays?: number;
  /** @default false */
  readonly retainData?: boolean;
}

/**
 * S3 drops under the landing prefixes → transactions-ingest and master-ingest λ, exactly once per
 * (object key, ETag) through the ingestion ledger table. Only landing prefixes notify: nothing either
 * function writes (raw/, quarantine/, archive/, lineage/) can trigger an ingest again.
 */
export class BatchIngestion extends Construct {
  public readonly transactionsFunction: lambda.IFunction;
  public readonly masterFunction: lambda.IFunction;
  public readonly ledger: dynamodb.Table;

  constructor(scope: Construct, id: string, props: BatchIngestionProps) {
    super(scope, id);
    const txPrefix = checkedPrefix('transactionsPrefix', props.transactionsPrefix ?? 'landing/transactions/');
    const masterPrefix = checkedPrefix('masterPrefix', props.masterPrefix ?? 'landing/master/');
    if (txPrefix.startsWith(masterPrefix) || masterPrefix.startsWith(txPrefix)) {
      throw new Error('transactionsPrefix and masterPrefix must not overlap: one drop would trigger both ingests.');
    }

    this.ledger = recomartTable(this, 'Ledger', { retainData: props.retainData });

    const bucket = props.lakeBucket;
    const tx = new RecoMartFunction(this, 'TransactionsFunction', {
      functionDir: 'transactions-ingest',
      environment: {
        ...envFor(TransactionsIngestEnv, { LAKE_BUCKET: bucket.bucketName, LEDGER_TABLE: this.ledger.tableName }),
        // A bounded heap makes V8 collect early: peak memory stays ~100 MiB on a 1M-row file.
        NODE_OPTIONS: `--enable-source-maps --max-old-space-size=${TRANSACTIONS_HEAP_MIB}`,
      },
      memorySize: 512,
      timeout: Duration.minutes(10),
      ephemeralStorageMiB: 4096,
      logRetentionDays: props.logRetentionDays,
    });
    this.transactionsFunction = tx;
    grantLandingIngest(tx, bucket, this.ledger, txPrefix, 'transactions', 'transactions-ingest');

    const master = new RecoMartFunction(this, 'MasterFunction', {
      functionDir: 'master-ingest',
      environment: envFor(MasterIngestEnv, { LAKE_BUCKET: bucket.bucketName, LEDGER_TABLE: this.ledger.tableName }),
      memorySize: 512,
      timeout: Duration.minutes(5),
      ephemeralStorageMiB: 2048,
      logRetentionDays: props.logRetentionDays,
    });
    this.masterFunction = master;
    grantLandingIngest(master, bucket, this.ledger, masterPrefix, 'master', 'master-ingest');

    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(tx), {
      prefix: txPrefix,
      suffix: '.csv',
    });
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(master), {
      prefix: masterPrefix,
      suffix: '.csv',
    });

    for (const [name, fn] of [
      ['Transactions', tx],
      ['Master', master],
    ] as const) {
      new cloudwatch.Alarm(this, `${name}ErrorsAlarm`, {
        alarmDescription: `${name} ingestion failed (after the asynchronous retries the file stays in landing/).`,
        metric: fn.metricErrors({ period: Duration.minutes(5) }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }
}

function checkedPrefix(name: string, prefix: string): string {
  if (!prefix.endsWith('/')) throw new Error(`${name} must end with "/".`);
  if (/^(raw|archive|quarantine|lineage|reports|curated|features|models)\//.test(prefix)) {
    throw new Error(`${name} must not be under a zone the pipeline writes to: ingestion would re-trigger itself.`);
  }
  return prefix;
}

/** Least privilege for a landing-zone ingest: read+delete its landing prefix, write its own zones. */
function grantLandingIngest(
  fn: lambda.IFunction,
  bucket: s3.Bucket,
  ledger: dynamodb.Table,
  landingPrefix: string,
  dataset: string,
  job: string,
): void {
  // A version is removed from landing by its version id: only landing/ versions may really go. Raw is
  // the system of record: a replace retires objects with a delete marker, never a version. The run
  // reads its own archived copy of the version it ingests.
  grantLakeAccess(bucket, fn, ingestAccess(landingPrefix, dataset, job));
  // DeleteItem releases the per-key lock (layers/ingest/ledger.ts).
  ledger.grant(
    fn,
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
  );
}
