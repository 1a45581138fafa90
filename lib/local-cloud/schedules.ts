import { randomUUID } from 'node:crypto';

/** An EventBridge schedule as the template declares it, for the local cloud and the CLI. */
export interface ScheduleInfo {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly expression: string;
  /** Target ARNs: functions, or state machines. */
  readonly targets: string[];
  /** The rule's constant input for its targets, when it has one. */
  readonly input?: unknown;
}

/** The event EventBridge sends a schedule's targets when it fires (a rule without constant input). */
export function scheduledEvent(ruleArn: string, account: string, region: string, now = new Date()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/** The schedule `ref` names: its logical id, its name, or one of its targets (ARN or function name). */
export function findSchedule<S extends ScheduleInfo>(
  schedules: readonly S[],
  ref: string,
  functionNameOf: (arn: string) => string | undefined,
): S | undefined {
  return schedules.find(
    (s) =>
      s.logicalId === ref ||
      s.name === ref ||
      s.targets.some((t) => t === ref || (!t.startsWith('arn:aws:states:') && functionNameOf(t) === ref)),
  );
}
