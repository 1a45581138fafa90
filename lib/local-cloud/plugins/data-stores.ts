/**
 * The data stores of the template on the emulators: S3 buckets (s3rver), Kinesis streams
 * (kinesis-local), DynamoDB tables (dynalite), SQS queues (fauxqs, with the messages the last clean
 * stop saved put back) and Secrets Manager secrets (a file in the state directory).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LocalSecrets } from '../secrets';
import { ApiError, type JsonApi, type LocalPlugin, type ProvisionContext, resourcesOf } from './plugin';

export const s3Buckets: LocalPlugin = {
  name: 's3',
  types: ['AWS::S3::Bucket'],
  async provision(ctx) {
    await Promise.all(
      resourcesOf(ctx, 'AWS::S3::Bucket').map(({ name }) =>
        ctx.clients.s3.send(new CreateBucketCommand({ Bucket: name })).catch((err: Error) => {
          if (!/BucketAlready(OwnedByYou|Exists)/.test(err.name)) throw err;
        }),
      ),
    );
  },
};

export const kinesisStreams: LocalPlugin = {
  name: 'kinesis',
  types: ['AWS::Kinesis::Stream'],
  async provision(ctx) {
    const { kinesis } = ctx.clients;
    await Promise.all(
      resourcesOf(ctx, 'AWS::Kinesis::Stream').map(async ({ name, props }) => {
        const mode = (props.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode;
        const shards = Number(props.ShardCount ?? 0);
        await kinesis
          .send(
            new CreateStreamCommand({
              StreamName: name,
              ...(mode === 'ON_DEMAND' || !shards
                ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
                : { ShardCount: shards }),
            }),
          )
          .catch((err: Error) => {
            if (err.name !== 'ResourceInUseException') throw err;
          });
        await waitForStream(kinesis, name);
      }),
    );
  },
};

async function waitForStream(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Kinesis stream ${name} did not become ACTIVE`);
}

export const dynamoDbTables: LocalPlugin = {
  name: 'dynamodb',
  types: ['AWS::DynamoDB::Table'],
  async provision(ctx) {
    await Promise.all(
      resourcesOf(ctx, 'AWS::DynamoDB::Table').map(({ name, props }) => {
        const input: CreateTableCommandInput = {
          TableName: name,
          KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
          AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
          BillingMode: (props.BillingMode as 'PAY_PER_REQUEST' | undefined) ?? 'PROVISIONED',
          ...(props.ProvisionedThroughput ? { ProvisionedThroughput: props.ProvisionedThroughput as never } : {}),
          ...(props.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: props.GlobalSecondaryIndexes as never } : {}),
          ...(props.LocalSecondaryIndexes ? { LocalSecondaryIndexes: props.LocalSecondaryIndexes as never } : {}),
        };
        return ctx.clients.dynamodb.send(new CreateTableCommand(input)).catch((err: Error) => {
          if (!(err instanceof ResourceInUseException)) throw err;
        });
      }),
    );
  },
};

/** Secrets Manager's secrets, kept in <state>/secrets.json, and the Secrets Manager API on the gateway. */
export class SecretsManager implements LocalPlugin {
  readonly name = 'secretsmanager';
  readonly types = ['AWS::SecretsManager::Secret'];
  store?: LocalSecrets;
  readonly api: JsonApi = {
    service: 'secretsmanager',
    targetPrefix: 'secretsmanager.',
    version: '1.1',
    handle: (action, body) => {
      if (!this.store) throw new ApiError('ServiceUnavailable', 'Secrets Manager is not up yet');
      return this.store.api(action, body);
    },
  };

  async provision(ctx: ProvisionContext): Promise<void> {
    const store = new LocalSecrets(path.join(ctx.stateDir, 'secrets.json'));
    for (const { id, name, props } of resourcesOf(ctx, 'AWS::SecretsManager::Secret'))
      store.ensure(name, ctx.resolver.arn(id), props);
    this.store = store;
  }
}

const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'FifoQueue',
  'ContentBasedDeduplication',
];

interface SavedMessage {
  readonly body: string;
  readonly messageAttributes?: Record<string, unknown>;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
}

/** SQS queues; `queueNames` are the ones whose messages the emulator host saves at a clean stop. */
export class SqsQueues implements LocalPlugin {
  readonly name = 'sqs';
  readonly types = ['AWS::SQS::Queue'];
  readonly queueNames: string[] = [];

  async provision(ctx: ProvisionContext): Promise<void> {
    await Promise.all(
      resourcesOf(ctx, 'AWS::SQS::Queue').map(async ({ id, name, props }) => {
        const attributes: Record<string, string> = {};
        for (const key of QUEUE_ATTRIBUTES) if (props[key] !== undefined) attributes[key] = String(props[key]);
        if (props.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy);
        this.queueNames.push(name);
        const out = await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
        if (out.QueueUrl) ctx.resolver.queueUrls.set(id, out.QueueUrl);
      }),
    );
    await restoreQueueMessages(ctx);
  }
}

/** Put back the SQS messages the last clean stop saved (the SQS emulator keeps them in memory only). */
async function restoreQueueMessages({ stateDir, resolver, clients, log }: ProvisionContext): Promise<void> {
  const file = path.join(stateDir, 'sqs', 'messages.json');
  if (!fs.existsSync(file)) return;
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, SavedMessage[]>;
  let restored = 0;
  for (const [queue, messages] of Object.entries(saved)) {
    const id = resolver.resourcesOfType('AWS::SQS::Queue').find(([lid]) => resolver.physicalName(lid) === queue)?.[0];
    const url = id ? resolver.queueUrls.get(id) : undefined;
    if (!url) {
      log(
        `${messages.length} saved messages of queue ${queue}, which the template no longer has, were left in ${file}`,
      );
      continue;
    }
    for (const m of messages) {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: m.body,
          ...(m.messageAttributes && Object.keys(m.messageAttributes).length > 0
            ? { MessageAttributes: m.messageAttributes as never }
            : {}),
          ...(m.messageGroupId ? { MessageGroupId: m.messageGroupId } : {}),
          ...(m.messageDeduplicationId ? { MessageDeduplicationId: m.messageDeduplicationId } : {}),
        }),
      );
      restored++;
    }
  }
  fs.rmSync(file, { force: true });
  if (restored > 0) log(`restored ${restored} SQS messages saved at the last stop`);
}
