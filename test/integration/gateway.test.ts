import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import {
  GetFunctionCommand,
  InvokeCommand,
  ListFunctionsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { dynamoDbClient, kinesisClient, s3Client, sfnClient, sqsClient } from '../../layers/aws/clients';
import { cloudFormationClient, lambdaClient } from '../../layers/aws/control-plane-clients';
import { resolveTarget } from '../../lib/cli/target';
import { testCloud } from '../helpers/cloud';

/** What `recomart local up` prints: one AWS_ENDPOINT_URL for every service, as with LocalStack. */
describe('single endpoint', () => {
  it('serves S3, Kinesis, DynamoDB, SQS, Step Functions and Lambda Invoke through AWS_ENDPOINT_URL alone', async () => {
    const cloud = await testCloud();
    const {
      AWS_ENDPOINT_URL_S3: _s3,
      AWS_ENDPOINT_URL_KINESIS: _k,
      AWS_ENDPOINT_URL_DYNAMODB: _d,
      AWS_ENDPOINT_URL_SQS: _q,
      AWS_ENDPOINT_URL_SFN: _f,
      ...env
    } = cloud.env as Record<string, string>;
    const bucket = cloud.outputs.LakeBucketName as string;

    const s3 = s3Client({ env });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'reports/gateway/hello.txt', Body: 'hello' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'reports/gateway/hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reports/gateway/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['reports/gateway/hello.txt']);

    const streams = await kinesisClient({ env }).send(new ListStreamsCommand({}));
    expect(streams.StreamNames).toContain(cloud.outputs.ClickstreamStreamName);
    const queues = await sqsClient({ env }).send(new ListQueuesCommand({}));
    expect(queues.QueueUrls?.some((u) => u.endsWith(cloud.outputs.ClickstreamDlqUrl?.split('/').pop() ?? '?'))).toBe(
      true,
    );
    const machines = await sfnClient({ env }).send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.stateMachineArn)).toContain(cloud.outputs.TrainingStateMachineArn);
    const table = await dynamoDbClient({ env }).send(
      new DescribeTableCommand({ TableName: cloud.outputs.FeatureTableName }),
    );
    expect(table.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);

    const lambda = lambdaClient({ env });
    const dry = await lambda.send(
      new InvokeCommand({ FunctionName: cloud.outputs.ClickstreamFunctionName, InvocationType: 'DryRun' }),
    );
    expect(dry.StatusCode).toBe(204);
    const empty = await lambda.send(
      new InvokeCommand({ FunctionName: cloud.outputs.ClickstreamFunctionName, Payload: '{"Records":[]}' }),
    );
    expect(JSON.parse(Buffer.from(empty.Payload ?? []).toString())).toEqual({ batchItemFailures: [] });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'no-such-function' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

/** Tools that find a deployed stack by its outputs (the CLI, the AWS CLI) find the local one the same way. */
describe('control plane', () => {
  it('answers DescribeStacks, delimited S3 listings and Lambda ListFunctions/GetFunction, with any credentials', async () => {
    const cloud = await testCloud();
    const { AWS_ENDPOINT_URL_S3: _s3, AWS_ENDPOINT_URL_KINESIS: _k, ...rest } = cloud.env as Record<string, string>;
    const env = { ...rest, AWS_ACCESS_KEY_ID: 'any-key', AWS_SECRET_ACCESS_KEY: 'any-secret' };
    const cfn = cloudFormationClient({ env });
    const described = await cfn.send(new DescribeStacksCommand({ StackName: 'RecoMart-dev' }));
    const outputs = Object.fromEntries(
      (described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    expect(outputs.LakeBucketName).toBe(cloud.outputs.LakeBucketName);
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'RecoMart-nope' }))).rejects.toThrow(/does not exist/);

    // The CLI's target, pointed at the endpoint alone, reads names from those outputs.
    const target = resolveTarget({ state: '/nonexistent', stage: 'dev' }, env);
    expect(await target.output('TrainingStateMachineArn')).toBe(cloud.outputs.TrainingStateMachineArn);

    // `aws s3 ls s3://bucket/`: a delimited listing of the top level, with credentials of the caller's own.
    const s3 = s3Client({ env });
    await s3.send(
      new PutObjectCommand({ Bucket: cloud.outputs.LakeBucketName, Key: 'reports/gateway/ls.txt', Body: 'x' }),
    );
    const top = await s3.send(new ListObjectsV2Command({ Bucket: cloud.outputs.LakeBucketName, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toContain('reports/');
    expect(top.Contents ?? []).toEqual([]);
    await s3.send(
      new PutObjectCommand({ Bucket: cloud.outputs.LakeBucketName, Key: 'reports/gateway-deep/a/b/c.txt', Body: 'x' }),
    );
    const under = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.outputs.LakeBucketName, Prefix: 'reports/gateway', Delimiter: '/' }),
    );
    expect(under.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['reports/gateway-deep/', 'reports/gateway/']);

    const lambda = lambdaClient({ env });
    const listed = await lambda.send(new ListFunctionsCommand({}));
    const names = listed.Functions?.map((f) => f.FunctionName) ?? [];
    expect(names).toContain(cloud.outputs.ClickstreamFunctionName);
    const one = listed.Functions?.find((f) => f.FunctionName === cloud.outputs.ClickstreamFunctionName);
    expect(one?.Runtime).toMatch(/^nodejs\d+\.x$/);
    expect(one?.Architectures).toEqual(['arm64']);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: cloud.outputs.ClickstreamFunctionName }));
    expect(got.Configuration?.Environment?.Variables?.ACCEPTED_YEARS).toMatch(/^\d{4}-\d{4}$/);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'no-such-function' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
