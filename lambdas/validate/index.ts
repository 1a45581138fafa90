import { Metrics } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import type { z } from 'zod';
import { s3Client } from '../../layers/aws/clients';
import { decodeS3EventKey } from '../../layers/lake/zones';
import { publishCriticalFailure, QUALITY_NAMESPACE, QUALITY_SERVICE } from '../../layers/quality/metrics';
import type * as Report from '../../layers/quality/report';
import { manifestsToValidate, validateRawVersion } from '../../layers/quality/validate-version';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { useCaseLogger } from '../../layers/util/use-case-logger';
import { ValidateEnv } from './env';

// The renderer (vega-lite, pdfkit) comes from the quality-report layer: too big for a function bundle.
const report: typeof Report = require('@recomart/quality-report');

const { logger, traced, middlewares } = functionTools(QUALITY_SERVICE);
const metrics = new Metrics({ namespace: QUALITY_NAMESPACE, serviceName: QUALITY_SERVICE });
const deps = {
  s3: traced(s3Client()),
  bucket: readEnv(ValidateEnv).LAKE_BUCKET,
  codeVersion: codeVersionFromEnv(),
  now: () => new Date(),
  logger: useCaseLogger(logger),
  report,
  publishVerdict: (dataset: string, failed: boolean) => publishCriticalFailure(metrics, dataset, failed),
};

/** A raw manifest landed (S3 notification) → validate its version (layers/quality/validate-version.ts). */
export const handler = middy(async (event: z.infer<typeof S3Schema>): Promise<void> => {
  const keys = manifestsToValidate(event.Records.map((r) => decodeS3EventKey(r.s3.object.key)));
  for (const key of keys) await validateRawVersion(deps, key);
})
  // No logMetrics: each verdict is published as it is made (two single metrics, layers/quality/metrics.ts),
  // so its flush at the end would only warn, every invocation, that nothing is stored.
  .use(middlewares)
  .use(parser({ schema: S3Schema }));
