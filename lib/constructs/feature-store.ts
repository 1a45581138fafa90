import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../../layers/feature-store/keys';
import { recomartTable } from './table';

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
    this.table = recomartTable(this, 'Table', { retainData: props.retainData, timeToLiveAttribute: TTL_ATTRIBUTE });
  }

  /** Read-modify-write of feature items with version conditions: BatchGet, Get and conditional Put only. */
  grantConditionalWrite(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
