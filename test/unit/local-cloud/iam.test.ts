import { LocalIam } from '../../../lib/local-cloud/iam';
import { jsonRequests, lambdaRequests, s3Requests } from '../../../lib/local-cloud/iam-requests';
import { type CfnTemplate, TemplateResolver } from '../../../lib/local-cloud/template';

const arns = {
  region: 'us-east-1',
  account: '000000000000',
  functionArn: (n: string) => `arn:aws:lambda:us-east-1:000000000000:function:${n}`,
  secretArn: (n: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${n}-AbCdEf`,
  athenaWorkGroup: (id: string) => (id === 'q-1' ? 'analysts' : undefined),
};

describe('what a request asks IAM for', () => {
  const s3 = (method: string, url: string, headers: Record<string, string> = {}) =>
    s3Requests({ method, url, headers });

  it('reads S3 actions, resources and condition keys from path-style requests', () => {
    expect(s3('GET', '/lake/raw/a%20b.csv')).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::lake/raw/a b.csv' },
    ]);
    expect(s3('HEAD', '/lake/raw/x?versionId=3')).toEqual([
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::lake/raw/x' },
    ]);
    expect(s3('GET', '/lake?list-type=2&prefix=raw%2F&delimiter=%2F')).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::lake', context: { 's3:prefix': 'raw/', 's3:delimiter': '/' } },
    ]);
    expect(s3('PUT', '/lake/archive/x.csv', { 'x-amz-copy-source': 'lake/landing/a%2Bb.csv?versionId=v1' })).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::lake/archive/x.csv' },
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::lake/landing/a+b.csv' },
    ]);
    expect(s3('DELETE', '/lake/landing/x.csv', { 'if-match': '"e"' })).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::lake/landing/x.csv' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::lake/landing/x.csv' },
    ]);
    expect(s3('DELETE', '/lake/raw/x?versionId=7')).toEqual([
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::lake/raw/x' },
    ]);
    expect(s3('POST', '/lake/big.csv?uploads')).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::lake/big.csv' },
    ]);
  });

  it('reads JSON-protocol and Lambda actions and resources', () => {
    const json = (service: string, target: string, body: Record<string, unknown>) =>
      jsonRequests(service, { method: 'POST', url: '/', headers: { 'x-amz-target': target }, body }, arns);
    expect(json('dynamodb', 'DynamoDB_20120810.Query', { TableName: 't', IndexName: 'i' })).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i' },
    ]);
    expect(
      json('dynamodb', 'DynamoDB_20120810.BatchWriteItem', { RequestItems: { a: [], b: [] } }).map((r) => r.resource),
    ).toEqual(['arn:aws:dynamodb:us-east-1:000000000000:table/a', 'arn:aws:dynamodb:us-east-1:000000000000:table/b']);
    expect(json('sqs', 'AmazonSQS.SendMessage', { QueueUrl: 'http://x/000000000000/dlq' })).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
    ]);
    expect(json('secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'key' })[0]?.resource).toBe(
      arns.secretArn('key'),
    );
    const glue = 'arn:aws:glue:us-east-1:000000000000';
    expect(json('glue', 'AWSGlue.GetTable', { DatabaseName: 'lake', Name: 'orders' })).toEqual(
      [`${glue}:catalog`, `${glue}:database/lake`, `${glue}:table/lake/orders`].map((resource) => ({
        action: 'glue:GetTable',
        resource,
      })),
    );
    expect(json('glue', 'AWSGlue.GetTables', { DatabaseName: 'lake' }).map((r) => r.resource)).toContain(
      `${glue}:table/lake/*`,
    );
    const workgroup = 'arn:aws:athena:us-east-1:000000000000:workgroup';
    expect(json('athena', 'AmazonAthena.StartQueryExecution', { QueryString: 'select 1', WorkGroup: 'wg' })).toEqual([
      { action: 'athena:StartQueryExecution', resource: `${workgroup}/wg` },
    ]);
    expect(json('athena', 'AmazonAthena.GetQueryResults', { QueryExecutionId: 'q-1' })).toEqual([
      { action: 'athena:GetQueryResults', resource: `${workgroup}/analysts` },
    ]);
    expect(lambdaRequests({ method: 'POST', url: '/2015-03-31/functions/fn/invocations', headers: {} }, arns)).toEqual([
      { action: 'lambda:InvokeFunction', resource: arns.functionArn('fn') },
    ]);
  });
});

describe('LocalIam', () => {
  // A role with a CDK-shaped policy: prefix-scoped reads (list only under raw/) and a put on models/.
  const template: CfnTemplate = {
    Resources: {
      Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'lake' } },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/raw/*']] },
              },
              {
                Effect: 'Allow',
                Action: 's3:ListBucket',
                Resource: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
                Condition: { StringLike: { 's3:prefix': ['raw/*'] } },
              },
              {
                Effect: 'Allow',
                Action: 's3:PutObject',
                Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/models/*']] },
              },
            ],
          },
        },
      },
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 's3:*',
                Resource: [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
        },
      },
    },
  };
  const iam = new LocalIam(new TemplateResolver('Stack', template));
  const principal = iam.principalOfRole('Role', 'fn');

  it('gives each role stable credentials of its own and finds the role by them', () => {
    expect(principal.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(iam.principalForAccessKey(principal.accessKeyId)).toBe(principal);
    expect(iam.principalForAccessKey('S3RVER')).toBeUndefined();
  });

  it('allows what the role’s policies allow and denies the rest, as AWS words it', async () => {
    expect(
      await iam.check(principal, [{ action: 's3:GetObject', resource: 'arn:aws:s3:::lake/raw/a.csv' }]),
    ).toBeUndefined();
    expect(
      await iam.check(principal, [
        { action: 's3:ListBucket', resource: 'arn:aws:s3:::lake', context: { 's3:prefix': 'raw/t/' } },
      ]),
    ).toBeUndefined();
    const denied = await iam.check(principal, [
      { action: 's3:PutObject', resource: 'arn:aws:s3:::lake/models/m' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::lake/raw/r' },
    ]);
    expect(denied?.message).toBe(
      `User: ${principal.arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::lake/raw/r" because no identity-based policy allows the s3:PutObject action`,
    );
    expect(
      await iam.check(principal, [
        { action: 's3:ListBucket', resource: 'arn:aws:s3:::lake', context: { 's3:prefix': 'models/' } },
      ]),
    ).toBeDefined();
    expect(await iam.check(principal, [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::lake' }])).toBeDefined();
  });

  it('lets everything through when not enforcing', async () => {
    const open = new LocalIam(new TemplateResolver('Stack', template), false);
    expect(
      await open.check(open.principalOfRole('Role', 'fn'), [
        { action: 's3:PutObject', resource: 'arn:aws:s3:::lake/raw/r' },
      ]),
    ).toBeUndefined();
  });
});
