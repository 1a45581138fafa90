import { parser } from '@aws-lambda-powertools/parser/middleware';
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { dynamoDbDocumentClient, s3Client } from '../../layers/aws/clients';
import { ingestLandingObject, landingObjectOf, lockWaitUntil } from '../../layers/ingest/landing';
import { Ledger } from '../../layers/ingest/ledger';
import { transactionsIngest } from '../../layers/transactions/ingest';
import { codeVersionFromEnv, readEnv } from '../../layers/util/env';
import { middy } from '../../layers/util/middy';
import { functionTools } from '../../layers/util/powertools';
import { TransactionsIngestEnv } from './env';

const { logger, traced, middlewares } = functionTools('transactions-ingest');
const env = readEnv(TransactionsIngestEnv);
const ingest = transactionsIngest({
  s3: traced(s3Client()),
  bucket: env.LAKE_BUCKET,
  ledger: new Ledger(traced(dynamoDbDocumentClient()), env.LEDGER_TABLE),
  codeVersion: codeVersionFromEnv(),
  log: (message, details) => logger.info(message, details),
});

/** A transactions export landed (S3 notification) → ingest each version (layers/transactions/ingest.ts). */
export const handler = middy(async (event: z.infer<typeof S3Schema>, context: Context): Promise<void> => {
  for (const record of event.Records)
    await ingestLandingObject(ingest, landingObjectOf(record), {
      waitUntil: lockWaitUntil(context.getRemainingTimeInMillis?.()),
    });
})
  .use(middlewares)
  .use(parser({ schema: S3Schema }));
