import {
  encodeEventKey,
  eventMatches,
  ruleMatches,
  rulesFromNotificationResource,
  toAwsS3Record,
} from '../../../lib/local-cloud/s3-notifications';

const properties = {
  BucketName: 'lake',
  NotificationConfiguration: {
    LambdaFunctionConfigurations: [
      {
        Events: ['s3:ObjectCreated:*'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'suffix', Value: '.csv' },
              { Name: 'prefix', Value: 'landing/transactions/' },
            ],
          },
        },
        LambdaFunctionArn: 'arn:aws:lambda:us-east-1:0:function:tx',
      },
    ],
  },
};

describe('S3 notification rules', () => {
  const [rule] = rulesFromNotificationResource(properties);

  it('reads events, prefix, suffix and target from the CDK custom resource', () => {
    expect(rule).toMatchObject({
      bucket: 'lake',
      prefix: 'landing/transactions/',
      suffix: '.csv',
      target: { type: 'lambda' },
    });
  });

  it('matches only created objects under the prefix with the suffix', () => {
    if (!rule) throw new Error('no rule');
    expect(ruleMatches(rule, 'lake', 'ObjectCreated:Put', 'landing/transactions/a.csv')).toBe(true);
    expect(ruleMatches(rule, 'lake', 'ObjectCreated:Copy', 'archive/transactions/a.csv')).toBe(false);
    expect(ruleMatches(rule, 'lake', 'ObjectCreated:Put', 'landing/transactions/a.json')).toBe(false);
    expect(ruleMatches(rule, 'lake', 'ObjectRemoved:Delete', 'landing/transactions/a.csv')).toBe(false);
    expect(ruleMatches(rule, 'other', 'ObjectCreated:Put', 'landing/transactions/a.csv')).toBe(false);
  });

  it('treats wildcard and exact event names like S3', () => {
    expect(eventMatches(['s3:ObjectCreated:Put'], 'ObjectCreated:Copy')).toBe(false);
    expect(eventMatches(['s3:ObjectRemoved:*'], 'ObjectRemoved:Delete')).toBe(true);
  });

  it('refuses SNS targets rather than ignoring them', () => {
    expect(() =>
      rulesFromNotificationResource({
        BucketName: 'b',
        NotificationConfiguration: { TopicConfigurations: [{ TopicArn: 't' }] },
      }),
    ).toThrow(/SNS/);
  });

  it('builds the record in the AWS shape: URL-encoded key, bucket ARN, unquoted eTag', () => {
    if (!rule) throw new Error('no rule');
    const record = toAwsS3Record(
      {
        eventName: 'ObjectCreated:Put',
        eventTime: 't',
        s3: { bucket: { name: 'lake' }, object: { key: 'landing/transactions/my file+1.csv', size: 3 } },
      },
      rule,
      'us-east-1',
      '"abc"',
    );
    expect(record.s3.object).toMatchObject({ key: 'landing/transactions/my+file%2B1.csv', eTag: 'abc', size: 3 });
    expect(record.s3.bucket.arn).toBe('arn:aws:s3:::lake');
    expect(encodeEventKey('a/b c')).toBe('a/b+c');
  });
});
