/**
 * The quality metric, published with Powertools Metrics (CloudWatch embedded metric format on stdout,
 * turned into metrics by CloudWatch Logs). Two series per version: per dataset, and per service only,
 * which the stack's alarm watches (an alarm matches a metric's dimensions exactly; Powertools puts
 * the `service` dimension on every series).
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const QUALITY_NAMESPACE = 'RecoMart';
export const CRITICAL_FAILURES_METRIC = 'CriticalQualityFailures';
/** The `service` dimension of the validate function's metrics. */
export const QUALITY_SERVICE = 'validate';

/** One validated version: 1 when it failed a critical check, 0 when it passed. */
export function publishCriticalFailure(metrics: Metrics, dataset: string, failed: boolean): void {
  const value = failed ? 1 : 0;
  const perDataset = metrics.singleMetric();
  perDataset.addDimension('Dataset', dataset);
  perDataset.addMetric(CRITICAL_FAILURES_METRIC, MetricUnit.Count, value);
  metrics.singleMetric().addMetric(CRITICAL_FAILURES_METRIC, MetricUnit.Count, value);
}
