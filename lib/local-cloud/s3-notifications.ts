import type { RawS3Record } from './emulators';

export interface NotificationRule {
  readonly bucket: string;
  readonly events: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly target: { readonly type: 'lambda'; readonly arn: string } | { readonly type: 'queue'; readonly arn: string };
  readonly id: string;
}

interface FilterRule {
  Name?: string;
  Value?: string;
}
interface TargetConfig {
  Events?: string[];
  Filter?: { Key?: { FilterRules?: FilterRule[] } };
  LambdaFunctionArn?: string;
  QueueArn?: string;
  TopicArn?: string;
  Id?: string;
}

/**
 * Read the notification rules of one resolved `Custom::S3BucketNotifications` resource (CDK puts S3
 * triggers there, not on the bucket). Topic targets are refused loudly: no SNS emulator is wired.
 */
export function rulesFromNotificationResource(properties: {
  BucketName?: unknown;
  NotificationConfiguration?: {
    LambdaFunctionConfigurations?: TargetConfig[];
    QueueConfigurations?: TargetConfig[];
    TopicConfigurations?: TargetConfig[];
  };
}): NotificationRule[] {
  const bucket = String(properties.BucketName);
  const config = properties.NotificationConfiguration ?? {};
  if ((config.TopicConfigurations ?? []).length > 0) {
    throw new Error(`bucket ${bucket} notifies SNS topics, which the local cloud does not emulate`);
  }
  const rules: NotificationRule[] = [];
  const add = (c: TargetConfig, i: number, target: NotificationRule['target']) => {
    const filters = c.Filter?.Key?.FilterRules ?? [];
    const value = (name: string) => filters.find((f) => f.Name?.toLowerCase() === name)?.Value;
    rules.push({
      bucket,
      events: c.Events ?? [],
      prefix: value('prefix'),
      suffix: value('suffix'),
      target,
      id: c.Id ?? `rule-${i}`,
    });
  };
  for (const [i, c] of (config.LambdaFunctionConfigurations ?? []).entries()) {
    add(c, i, { type: 'lambda', arn: String(c.LambdaFunctionArn) });
  }
  for (const [i, c] of (config.QueueConfigurations ?? []).entries()) {
    add(c, i, { type: 'queue', arn: String(c.QueueArn) });
  }
  return rules;
}

/** Does `s3:ObjectCreated:*` (or an exact name) cover `ObjectCreated:Put`? */
export function eventMatches(patterns: readonly string[], eventName: string): boolean {
  const full = `s3:${eventName}`;
  return patterns.some((p) => (p.endsWith(':*') ? full.startsWith(p.slice(0, -1)) : p === full));
}

export function ruleMatches(rule: NotificationRule, bucket: string, eventName: string, key: string): boolean {
  return (
    rule.bucket === bucket &&
    eventMatches(rule.events, eventName) &&
    (rule.prefix === undefined || key.startsWith(rule.prefix)) &&
    (rule.suffix === undefined || key.endsWith(rule.suffix))
  );
}

/** S3 notification keys are URL-encoded with `+` for spaces (slashes kept). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The record as real S3 sends it (s3rver's differs: unencoded key, malformed bucket ARN, no eTag on copy). */
export function toAwsS3Record(raw: RawS3Record, rule: NotificationRule, region: string, eTag?: string) {
  const object = raw.s3.object;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: raw.eventTime,
    eventName: raw.eventName,
    userIdentity: { principalId: 'AWS:LOCALCLOUD' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'LOCAL', 'x-amz-id-2': 'LOCAL' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: rule.id,
      bucket: {
        name: raw.s3.bucket.name,
        ownerIdentity: { principalId: 'LOCALCLOUD' },
        arn: `arn:aws:s3:::${raw.s3.bucket.name}`,
      },
      object: {
        key: encodeEventKey(object.key),
        ...(object.size !== undefined ? { size: object.size } : {}),
        ...((eTag ?? object.eTag) ? { eTag: (eTag ?? object.eTag ?? '').replace(/"/g, '') } : {}),
        sequencer: object.sequencer ?? Date.now().toString(16).toUpperCase(),
      },
    },
  };
}
