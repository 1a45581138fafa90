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

export function qualityStatusKey(dataKey: string): string {
  return `reports/quality/_status/${dataKey}.json`;
}
