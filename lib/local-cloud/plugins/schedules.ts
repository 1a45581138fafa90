/**
 * EventBridge schedules of the template. A schedule does not fire on its own locally (a daily pull
 * should not start while you work): `fire` runs its targets as EventBridge would at its time, a
 * function with the scheduled event, a state machine with the rule's input.
 */
import type { InvokeResult } from '../lambda-runtime';
import { findSchedule, type ScheduleInfo, scheduledEvent } from '../schedules';
import { LambdaFunctions } from './functions';
import type { LocalPlugin, WireContext } from './plugin';
import { StateMachines } from './state-machines';

export class Schedules implements LocalPlugin {
  readonly name = 'eventbridge';
  readonly types = ['AWS::Events::Rule'];
  readonly schedules: ScheduleInfo[] = [];
  private context?: WireContext;

  wire(context: WireContext): void {
    const { resolver, log } = context;
    this.context = context;
    const functions = context.plugin(LambdaFunctions);
    for (const [id, r] of resolver.resourcesOfType('AWS::Events::Rule')) {
      const props = resolver.resolve(r.Properties ?? {}) as {
        ScheduleExpression?: string;
        Targets?: { Arn: string; Input?: string }[];
      };
      if (!props.ScheduleExpression) {
        throw new Error(`EventBridge rule ${id} matches an event pattern; the local cloud only runs schedules.`);
      }
      const targets = (props.Targets ?? []).map((t) => t.Arn);
      // Fail now if a target is neither a local function nor a state machine of the template.
      for (const arn of targets) if (!arn.startsWith('arn:aws:states:')) functions.byRef(arn);
      const input = props.Targets?.find((t) => t.Input)?.Input;
      this.schedules.push({
        ...(input ? { input: JSON.parse(input) as unknown } : {}),
        logicalId: id,
        name: resolver.physicalName(id),
        arn: resolver.arn(id),
        expression: props.ScheduleExpression,
        targets,
      });
      log(
        `schedule ${props.ScheduleExpression} → ${targets.join(', ')} (run it with \`recomart schedule fire ${id}\`)`,
      );
    }
  }

  /**
   * Run a schedule's targets now. Matches logical id, name or a target function's name. Returns each
   * target's result.
   */
  async fire(ref: string): Promise<InvokeResult[]> {
    const context = this.context;
    if (!context) throw new Error('The local cloud is not running.');
    const functions = context.plugin(LambdaFunctions);
    const schedule = findSchedule(this.schedules, ref, (t) => functions.byRef(t).spec.name);
    if (!schedule)
      throw new Error(`No schedule ${ref}; schedules: ${this.schedules.map((s) => s.logicalId).join(', ')}`);
    const event = scheduledEvent(schedule.arn, context.account, context.region);
    return Promise.all(
      schedule.targets.map(async (t): Promise<InvokeResult> => {
        if (!t.startsWith('arn:aws:states:')) return functions.byRef(t).invoke(event);
        // A state machine target starts an execution with the rule's input (EventBridge passes it as is).
        const execution = context.plugin(StateMachines).runner?.start(t, schedule.input ?? event);
        return { ok: true, payload: { executionArn: execution?.executionArn } };
      }),
    );
  }
}
