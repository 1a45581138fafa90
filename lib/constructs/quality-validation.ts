import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { ValidateEnv } from '../../lambdas/validate/env';
import { LAKE_ACCESS } from '../../layers/lake/access';
import { CRITICAL_FAILURES_METRIC, QUALITY_NAMESPACE, QUALITY_SERVICE } from '../../layers/quality/metrics';
import { envFor } from './function-env';
import { grantLakeAccess } from './lake-grants';
import { RecoMartFunction } from './lambda-function';
import { QUALITY_REPORT_MODULE, qualityReportLayer } from './quality-report-layer';

export interface QualityValidationProps {
  readonly lakeBucket: s3.Bucket;
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/**
 * Raw manifests landing → validate λ: the dataset's quality suite, JSON/HTML/PDF reports under
 * reports/quality/, failing rows to quarantine/quality/, the version's training status, and an alarm
 * when a critical check fails.
 */
export class QualityValidation extends Construct {
  public readonly function: lambda.IFunction;
  public readonly criticalFailureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QualityValidationProps) {
    super(scope, id);
    const layer = qualityReportLayer(this, 'ReportLayer');
    const fn = new RecoMartFunction(this, 'ValidateFunction', {
      functionDir: 'validate',
      environment: envFor(ValidateEnv, { LAKE_BUCKET: props.lakeBucket.bucketName }),
      memorySize: 1024,
      timeout: Duration.minutes(5),
      ephemeralStorageMiB: 2048,
      logRetentionDays: props.logRetentionDays,
      layers: [layer],
      layerModules: [QUALITY_REPORT_MODULE, 'pdfkit', 'svg-to-pdfkit'],
    });
    this.function = fn;
    grantLakeAccess(props.lakeBucket, fn, LAKE_ACCESS.validate);
    props.lakeBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), {
      prefix: 'raw/',
      suffix: '.manifest.json',
    });

    this.criticalFailureAlarm = new cloudwatch.Alarm(this, 'CriticalFailureAlarm', {
      alarmDescription: 'A raw dataset version failed a critical quality check and is blocked for training.',
      // The per-service series the function publishes besides the per-dataset one (layers/quality/metrics.ts).
      metric: new cloudwatch.Metric({
        namespace: QUALITY_NAMESPACE,
        metricName: CRITICAL_FAILURES_METRIC,
        dimensionsMap: { service: QUALITY_SERVICE },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
