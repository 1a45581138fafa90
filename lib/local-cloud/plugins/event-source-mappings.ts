/**
 * Lambda event source mappings of the template over Kinesis streams (../kinesis-esm.ts): batches,
 * batching windows, partial batch failures, bisection, retries and the SQS on-failure destination, with
 * each mapping's position kept in the state directory across restarts.
 */
import * as path from 'node:path';
import { KinesisEventSourceMapping } from '../kinesis-esm';
import { LambdaFunctions } from './functions';
import type { LocalPlugin, WireContext } from './plugin';

export class EventSourceMappings implements LocalPlugin {
  readonly name = 'event-source-mappings';
  readonly types = ['AWS::Lambda::EventSourceMapping'];
  readonly mappings: KinesisEventSourceMapping[] = [];

  /** Start polling each mapping's stream from its saved position. */
  async wire({ resolver, clients, region, stateDir, log, plugin }: WireContext): Promise<void> {
    const functions = plugin(LambdaFunctions);
    for (const [id, r] of resolver.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
      const props = resolver.resolve(r.Properties ?? {}) as Record<string, unknown>;
      const sourceArn = String(props.EventSourceArn ?? '');
      if (!sourceArn.startsWith('arn:aws:kinesis:')) {
        throw new Error(`Event source mapping ${id} reads ${sourceArn}; only Kinesis sources are emulated so far.`);
      }
      const fn = functions.byRef(String(props.FunctionName));
      const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure
        ?.Destination;
      let onFailureQueueUrl: string | undefined;
      if (destination) {
        if (!destination.startsWith('arn:aws:sqs:'))
          throw new Error(`${id}: only SQS on-failure destinations are emulated`);
        onFailureQueueUrl = resolver.queueUrlForArn(destination);
      }
      const mapping = new KinesisEventSourceMapping(
        {
          logicalId: id,
          streamName: sourceArn.split('/').pop() ?? '',
          streamArn: sourceArn,
          functionArn: fn.spec.arn,
          batchSize: Number(props.BatchSize ?? 100),
          maxBatchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes(
            'ReportBatchItemFailures',
          ),
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
          onFailureQueueUrl,
          region,
          checkpointFile: path.join(stateDir, 'kinesis-esm', `${id}.json`),
        },
        clients.kinesis,
        clients.sqs,
        (event) => fn.invoke(event),
        log,
      );
      await mapping.start();
      this.mappings.push(mapping);
      log(`Kinesis ${mapping.config.streamName} → ${fn.spec.name} (batch ${mapping.config.batchSize})`);
    }
  }

  /** Have every mapping read its stream now (records were put, or a caller waits for them). */
  poke(): void {
    for (const m of this.mappings) m.poke();
  }

  /** Every mapping has read its stream to the end at some point since `since`. */
  caughtUpSince(since: number): boolean {
    return this.mappings.every((m) => m.caughtUpSince(since));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.mappings.map((m) => m.stop()));
  }
}
