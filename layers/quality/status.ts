import type { S3Client } from '@aws-sdk/client-s3';
import { lakeKeys } from '../lake/keys';
import { getBytes, readOrMissing } from '../lake/s3-io';

/**
 * The verdict of the quality suite on one raw object version, where the training pipeline looks before
 * it trains: `reports/quality/_status/<data key>.json`. A version is usable only if its status says
 * so for the same MD5.
 */
export interface QualityStatus {
  readonly dataKey: string;
  readonly md5: string;
  readonly dataset: string;
  readonly usable: boolean;
  readonly failedCritical: string[];
  readonly unusable?: string;
  readonly badRows: number;
  readonly rows: number;
  readonly report: string;
  readonly validatedAt: string;
}

/** The status of a data object version, or undefined when it has not been validated. */
export async function readStatus(s3: S3Client, bucket: string, dataKey: string): Promise<QualityStatus | undefined> {
  const bytes = await readOrMissing(s3, bucket, lakeKeys.qualityStatus(dataKey), (key) => getBytes(s3, bucket, key));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as QualityStatus) : undefined;
}
