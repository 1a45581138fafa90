/**
 * The quality metric in CloudWatch embedded metric format: written to stdout by the validate function,
 * turned into a metric by CloudWatch Logs. Published twice: per dataset, and without dimensions (what
 * the stack's alarm watches, since an alarm matches a metric's dimensions exactly).
 */
export const QUALITY_NAMESPACE = 'RecoMart';
export const CRITICAL_FAILURES_METRIC = 'CriticalQualityFailures';

export function criticalFailureEmf(dataset: string, failed: boolean, now = Date.now()): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: QUALITY_NAMESPACE,
          Dimensions: [['Dataset'], []],
          Metrics: [{ Name: CRITICAL_FAILURES_METRIC, Unit: 'Count' }],
        },
      ],
    },
    Dataset: dataset,
    [CRITICAL_FAILURES_METRIC]: failed ? 1 : 0,
  };
}
