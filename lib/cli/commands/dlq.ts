import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { Command } from 'commander';
import { kinesisClient, sqsClient } from '../../../layers/aws/clients';
import { lambdaClient } from '../../../layers/aws/control-plane-clients';
import { compareSequenceNumbers } from '../../../layers/clickstream/batch';
import { narrowedRecord, parseDlqRecord, readRange, toKinesisEvent } from '../../../layers/clickstream/replay';
import { CliError } from '../errors';
import { Progress, positiveInt } from '../progress';
import { resolveTarget } from '../target';

export interface ReplaySummary {
  /** Messages looked at. */
  messages: number;
  /** Batches that landed whole: their messages are deleted. */
  replayed: number;
  /** Records handed to the function. */
  records: number;
  /** Batches that landed in part: their messages now describe only what is still missing. */
  narrowed: number;
  /** Batches the function still failed on: their messages stay. */
  failing: number;
  /** Records the stream no longer holds (past its retention): they cannot be replayed. */
  expired: number;
  /** Messages that are not on-failure records of a Kinesis batch: left alone. */
  unknown: number;
}

export interface ReplayClients {
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly lambda: LambdaClient;
}

/**
 * Replay every on-failure record on the clickstream DLQ through the ingest function
 * (docs/decisions/014-clickstream-raw-or-dlq.md). Idempotent: a batch replayed twice lands once.
 */
export async function replayDlq(
  clients: ReplayClients,
  opts: { queueUrl: string; functionName: string; maxMessages?: number; log?: (line: string) => void },
): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    messages: 0,
    replayed: 0,
    records: 0,
    narrowed: 0,
    failing: 0,
    expired: 0,
    unknown: 0,
  };
  const seen = new Set<string>();
  const max = opts.maxMessages ?? 1_000;
  while (summary.messages < max) {
    const out = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - summary.messages),
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = (out.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
    if (messages.length === 0) break;
    for (const message of messages) {
      seen.add(message.MessageId ?? '');
      summary.messages++;
      const release = () =>
        clients.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: opts.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      const parsed = parseDlqRecord(message.Body ?? '');
      if (!parsed.ok) {
        summary.unknown++;
        opts.log?.(`message ${message.MessageId}: ${parsed.reason}; left on the queue`);
        continue;
      }
      const info = parsed.record.KinesisBatchInfo;
      const records = await readRange(clients.kinesis, info);
      const missing = Math.max(0, (info.batchSize ?? records.length) - records.length);
      summary.expired += missing;
      if (records.length === 0) {
        opts.log?.(
          `${info.shardId} ${info.startSequenceNumber}…: the stream no longer holds these records; left on the queue`,
        );
        await release();
        continue;
      }
      const result = await clients.lambda.send(
        new InvokeCommand({
          FunctionName: opts.functionName,
          Payload: Buffer.from(JSON.stringify(toKinesisEvent(records, info))),
        }),
      );
      summary.records += records.length;
      const payload = JSON.parse(Buffer.from(result.Payload ?? []).toString() || 'null') as
        | (KinesisStreamBatchResponse & { errorMessage?: string })
        | null;
      if (result.FunctionError) {
        summary.failing++;
        opts.log?.(
          `${info.shardId} ${info.startSequenceNumber}…: the function failed (${payload?.errorMessage}); left on the queue`,
        );
        await release();
        continue;
      }
      const failed = (payload?.batchItemFailures ?? [])
        .map((f) => f.itemIdentifier)
        .filter((id): id is string => typeof id === 'string' && id !== '')
        .sort(compareSequenceNumbers);
      const lowest = failed[0];
      if (lowest !== undefined) {
        // What landed is no longer described: the message now names only what is still missing.
        const rest = records.filter((r) => compareSequenceNumbers(r.SequenceNumber ?? '', lowest) >= 0).length;
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: opts.queueUrl,
            MessageBody: JSON.stringify(narrowedRecord(parsed.record, lowest, rest)),
          }),
        );
        summary.narrowed++;
      } else {
        summary.replayed++;
      }
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      opts.log?.(
        `${info.shardId} ${info.startSequenceNumber}…${info.endSequenceNumber}: ${records.length} records replayed${lowest ? `, ${failed.length} still failing (message narrowed)` : ''}`,
      );
    }
  }
  return summary;
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('The clickstream dead-letter queue: batches Lambda gave up on.');
  dlq
    .command('replay')
    .description(
      'Read each failed batch back from the stream and run it through the ingest function again (idempotent).',
    )
    .option('--state <dir>', 'state directory of a running local cloud', '.recomart')
    .option('--stage <stage>', 'stage whose stack outputs name the queue and function', 'dev')
    .option('--max <n>', 'messages to replay at most', positiveInt('--max'), 1000)
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts: { state: string; stage: string; max: number; json?: boolean }) => {
      const progress = new Progress();
      const target = resolveTarget({ state: opts.state, stage: opts.stage });
      const queueUrl = await target.output('ClickstreamDlqUrl');
      const functionName = await target.output('ClickstreamFunctionName');
      progress.step(`replaying ${queueUrl} through ${functionName} via ${target.description}`);
      const clients = {
        sqs: sqsClient({ env: target.env }),
        kinesis: kinesisClient({ env: target.env }),
        lambda: lambdaClient({ env: target.env }),
      };
      try {
        const summary = await replayDlq(clients, {
          queueUrl,
          functionName,
          maxMessages: opts.max,
          log: (l) => progress.step(`  ${l}`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else
          process.stdout.write(
            `${summary.messages} messages: ${summary.replayed} batches landed, ${summary.narrowed} in part, ${summary.failing} still failing, ${summary.unknown} not batch records; ${summary.records} records replayed, ${summary.expired} no longer on the stream\n`,
          );
        if (summary.failing > 0 || summary.narrowed > 0)
          throw new CliError(
            `${summary.failing + summary.narrowed} batches are still on the DLQ; see the lines above.`,
            1,
          );
      } finally {
        for (const c of Object.values(clients)) c.destroy();
      }
    });
}
