import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { LakeAccess } from '../../layers/lake/access';

/**
 * Read access to the objects under some prefixes of the lake, and no further: `s3:GetObject` on
 * `<prefix>*`, and `s3:ListBucket` only for listings whose prefix is under one of them. (The bucket's
 * own `grantRead` allows `s3:List*` on the whole bucket.) Without an unconditioned ListBucket, S3
 * answers a read of a missing key with 403 instead of 404; the readers tell the two apart by listing
 * the key (layers/lake/listed.ts).
 */
export function grantReadUnder(bucket: s3.IBucket, grantee: iam.IGrantable, ...prefixes: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
    }),
  );
}

/**
 * Delete access under a prefix: `s3:DeleteObject` (a delete marker in the versioned lake: earlier
 * versions stay), and `s3:DeleteObjectVersion` only where a version may really go (landing/).
 */
export function grantDeleteUnder(
  bucket: s3.IBucket,
  grantee: iam.IGrantable,
  prefix: string,
  options: { versions?: boolean } = {},
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: options.versions ? ['s3:DeleteObject', 's3:DeleteObjectVersion'] : ['s3:DeleteObject'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
  );
}

/**
 * Grant a function or task its lake access as layers/lake/access.ts declares it: the one place where
 * a prefix becomes a grant (docs/decisions/019-lake-contract.md).
 */
export function grantLakeAccess(bucket: s3.IBucket, grantee: iam.IGrantable, access: LakeAccess): void {
  if (access.read.length > 0) grantReadUnder(bucket, grantee, ...access.read);
  for (const prefix of access.write) bucket.grantPut(grantee, `${prefix}*`);
  for (const prefix of access.delete ?? [])
    grantDeleteUnder(bucket, grantee, prefix, { versions: (access.deleteVersions ?? []).includes(prefix) });
}
