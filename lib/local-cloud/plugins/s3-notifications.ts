/**
 * S3 event notifications of the template (CDK's Custom::S3BucketNotifications): each object event
 * of the S3 emulator that matches a rule goes to its function (an asynchronous invocation) or queue,
 * shaped as AWS sends it (../s3-notifications.ts).
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RawS3Record } from '../emulators';
import { type NotificationRule, ruleMatches, rulesFromNotificationResource, toAwsS3Record } from '../s3-notifications';
import type { TemplateResolver } from '../template';
import { LambdaFunctions } from './functions';
import type { LocalPlugin, WireContext } from './plugin';

export class S3Notifications implements LocalPlugin {
  readonly name = 's3-notifications';
  readonly types = ['Custom::S3BucketNotifications'];
  private rules: NotificationRule[] = [];
  private wired?: {
    readonly resolver: TemplateResolver;
    readonly s3: S3Client;
    readonly sqs: SQSClient;
    readonly functions: LambdaFunctions;
    readonly region: string;
    readonly track: (task: Promise<unknown>) => void;
  };
  private log: (line: string) => void = () => undefined;
  /** Dispatches under way (a stop lets them finish before the functions stop). */
  private readonly pending = new Set<Promise<void>>();

  wire({ resolver, clients, region, track, log, plugin }: WireContext): void {
    this.log = log;
    this.wired = { resolver, s3: clients.s3, sqs: clients.sqs, functions: plugin(LambdaFunctions), region, track };
    this.rules = resolver
      .resourcesOfType('Custom::S3BucketNotifications')
      .flatMap(([, r]) => rulesFromNotificationResource(resolver.resolve(r.Properties ?? {}) as never));
    for (const rule of this.rules) {
      this.log(
        `S3 ${rule.bucket} ${rule.events.join(',')} ${rule.prefix ?? ''}*${rule.suffix ?? ''} → ${rule.target.arn.split(':').pop()}`,
      );
    }
  }

  /** An object event of the emulator: dispatched to every matching rule's target, tracked until handled. */
  onEvent(raw: RawS3Record): void {
    const wired = this.wired;
    if (!wired) return;
    const key = raw.s3.object.key;
    for (const rule of this.rules.filter((r) => ruleMatches(r, raw.s3.bucket.name, raw.eventName, key))) {
      const task = this.dispatch(raw, rule).catch((err) => this.log(`S3 notification for ${key} failed: ${err}`));
      this.pending.add(task);
      task.finally(() => this.pending.delete(task));
      wired.track(task);
    }
  }

  async stop(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async dispatch(raw: RawS3Record, rule: NotificationRule): Promise<void> {
    const { s3, sqs, resolver, functions, region } = this.wired as NonNullable<S3Notifications['wired']>;
    let eTag = raw.s3.object.eTag;
    if (!eTag && raw.eventName.startsWith('ObjectCreated')) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: raw.s3.bucket.name, Key: raw.s3.object.key }));
      eTag = head.ETag;
    }
    const event = { Records: [toAwsS3Record(raw, rule, region, eTag)] };
    if (rule.target.type === 'queue') {
      const url = resolver.queueUrlForArn(rule.target.arn);
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(event) }));
      return;
    }
    await functions.invokeAsync(functions.byRef(rule.target.arn), event);
  }
}
