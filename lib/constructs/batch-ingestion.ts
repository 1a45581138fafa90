import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { RecoMartFunction } from './lambda-function';

export interface BatchIngestionProps {
  readonly lakeBucket: s3.Bucket;
  /** Key prefix whose CSV drops trigger transactions ingestion. @default 'landing/transactions/' */
  readonly transactionsPrefix?: string;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/** S3 drop of transaction CSVs under the landing prefix → transactions-ingest λ. */
export class BatchIngestion extends Construct {
  public readonly transactionsFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: BatchIngestionProps) {
    super(scope, id);
    const prefix = props.transactionsPrefix ?? 'landing/transactions/';
    if (!prefix.endsWith('/')) throw new Error('transactionsPrefix must end with "/".');
    if (/^(raw|archive|quarantine)\//.test(prefix)) {
      throw new Error(
        'transactionsPrefix must not be under raw/, archive/ or quarantine/: ingestion would re-trigger itself.',
      );
    }

    const fn = new RecoMartFunction(this, 'TransactionsFunction', {
      functionDir: 'transactions-ingest',
      environment: { LAKE_BUCKET: props.lakeBucket.bucketName },
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetentionDays: props.logRetentionDays,
    });
    this.transactionsFunction = fn;
    props.lakeBucket.grantRead(fn, `${prefix}*`);
    props.lakeBucket.grantDelete(fn, `${prefix}*`);
    props.lakeBucket.grantPut(fn, 'raw/transactions/*');
    props.lakeBucket.grantPut(fn, 'quarantine/transactions/*');
    props.lakeBucket.grantPut(fn, 'archive/transactions/*');

    props.lakeBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), {
      prefix,
      suffix: '.csv',
    });
  }
}
