import { parser } from '@aws-lambda-powertools/parser/middleware';
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ingestLandingObject, landingObjectOf, lockWaitUntil } from '../../layers/ingest/landing';
import { Ledger } from '../../layers/ingest/ledger';
import { decodeS3EventKey } from '../../layers/lake/zones';
import { masterIngest } from '../../layers/master/landing';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { MasterIngestEnv } from './env';

const { logger, traced, middlewares } = functionTools('master-ingest');
const env = readEnv(MasterIngestEnv);
const base = {
  s3: traced(s3Client()),
  bucket: env.LAKE_BUCKET,
  ledger: new Ledger(traced(dynamoDbDocumentClient()), env.LEDGER_TABLE),
  codeVersion: codeVersionFromEnv(),
  log: (message: string, details: Record<string, unknown>) => logger.info(message, details),
};

/** A master-data export landed (S3 notification) → ingest each version (layers/master/landing.ts). */
export const handler = middy(async (event: z.infer<typeof S3Schema>, context: Context): Promise<void> => {
  for (const record of event.Records)
    await ingestLandingObject(masterIngest(base, decodeS3EventKey(record.s3.object.key)), landingObjectOf(record), {
      waitUntil: lockWaitUntil(context.getRemainingTimeInMillis?.()),
    });
})
  .use(middlewares)
  .use(parser({ schema: S3Schema }));
