import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../layers/feature-store/keys';

export interface FeatureStoreProps {
  /** @default false */
  readonly retainData?: boolean;
}

/**
 * The online feature store: one on-demand table keyed by entity (`pk`) and feature set (`sk`), with
 * TTL, point-in-time recovery and encryption at rest (layers/feature-store/keys.ts has the key design).
 */
export class FeatureStore extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: FeatureStoreProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /** Read-modify-write of feature items with version conditions: BatchGet, Get and conditional Put only. */
  grantConditionalWrite(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
