import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient, s3Client, sfnClient } from '../../layers/aws/clients';

/**
 * What the console reads, and how: AWS SDK clients configured like any client of the stack (the
 * standard SDK environment: endpoint, region, credentials), and the stack's outputs for names.
 */
export interface ConsoleContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly outputs: Readonly<Record<string, string>>;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly doc: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly stateMachineArn: string;
}

export function consoleContext(
  env: Readonly<Record<string, string | undefined>>,
  outputs: Readonly<Record<string, string>>,
): ConsoleContext {
  const need = (name: string) => {
    const v = outputs[name];
    if (!v) throw new Error(`The stack has no ${name} output: the console cannot show it.`);
    return v;
  };
  return {
    env,
    outputs,
    s3: s3Client({ env }),
    sfn: sfnClient({ env }),
    doc: dynamoDbDocumentClient({ env }),
    bucket: need('LakeBucketName'),
    stateMachineArn: need('TrainingStateMachineArn'),
  };
}
