import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface DataLakeProps {
  /** Keep buckets and objects when the stack is deleted. @default false */
  readonly retainData?: boolean;
  /** Days after which `archive/` objects move to Glacier Instant Retrieval. @default 30 */
  readonly archiveTransitionDays?: number;
}

/**
 * The one lake bucket, zones as prefixes (landing/ raw/ archive/ quarantine/ curated/ features/
 * models/ reports/ lineage/). Encrypted, TLS only, no public access, versioned (old versions of raw
 * objects are kept; other zones' are expired), with access logs to a separate bucket.
 */
export class DataLake extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    const archiveDays = props.archiveTransitionDays ?? 30;
    if (archiveDays < 30) throw new Error('archiveTransitionDays must be at least 30 (S3 minimum for IA classes).');
    const removal = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: removal,
      // A stage that does not keep its data must be destroyable: a bucket with objects cannot be deleted.
      autoDeleteObjects: !props.retainData,
    });
    NagSuppressions.addResourceSuppressions(this.accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket itself; logging it to itself would loop.' },
    ]);

    const noncurrentExpiry = (prefix: string): s3.LifecycleRule => ({
      id: `expire-old-versions-${prefix.replace(/\/$/, '')}`,
      prefix,
      noncurrentVersionExpiration: Duration.days(7),
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'lake/',
      removalPolicy: removal,
      autoDeleteObjects: !props.retainData,
      lifecycleRules: [
        {
          id: 'archive-to-glacier-ir',
          prefix: 'archive/',
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(archiveDays) },
          ],
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
        // raw/ keeps every version (the system of record); other zones drop superseded versions.
        ...['landing/', 'quarantine/', 'curated/', 'features/', 'reports/'].map(noncurrentExpiry),
      ],
    });
  }
}
