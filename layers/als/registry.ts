import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** A model's lifecycle in the registry table, one item per pipeline run. */
export type ModelStatus = 'TRAINED' | 'GATE_PASSED' | 'REJECTED' | 'PRODUCTION' | 'RETIRED' | 'FAILED';

/** The registry key of a run's model. */
export function modelKey(runId: string): { pk: string; sk: string } {
  return { pk: 'model#als', sk: runId };
}

/** A run's registry record (strongly consistent), or undefined. */
export async function getModel(
  doc: DynamoDBDocumentClient,
  table: string,
  runId: string,
): Promise<Record<string, unknown> | undefined> {
  return (await doc.send(new GetCommand({ TableName: table, Key: modelKey(runId), ConsistentRead: true }))).Item;
}

/** Set a run's status together with the attributes that go with it (e.g. publishedAt, gate, cause). */
export async function setModelStatus(
  doc: DynamoDBDocumentClient,
  table: string,
  runId: string,
  status: ModelStatus,
  attributes: Record<string, unknown> = {},
): Promise<void> {
  const names: Record<string, string> = { '#s': 'status' };
  const values: Record<string, unknown> = { ':s': status };
  const sets = ['#s = :s'];
  Object.entries(attributes).forEach(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
  });
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: modelKey(runId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/** Every run's registry record, newest first (a Query of the model partition, all pages). */
export async function listModels(doc: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': modelKey('').pk },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return items.sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? '')));
}

/**
 * Why a run may not be promoted to production, or undefined when it may: it must have artifacts
 * (trained) and have passed the gate (now or when it was published before); `force` overrides the gate
 * only, never missing artifacts.
 */
export function promotionRefusal(record: Record<string, unknown> | undefined, runId: string, force: boolean) {
  if (!record) return `Model ${runId} is not in the registry.`;
  const status = String(record.status);
  if (status === 'FAILED' || !record.artifacts) return `Model ${runId} is ${status}: it has no model to serve.`;
  if (status === 'PRODUCTION') return `Model ${runId} is already in production.`;
  const passed = status === 'GATE_PASSED' || status === 'RETIRED';
  if (!passed && !force) {
    const gate = record.gate as { reasons?: string[] } | undefined;
    const why = gate?.reasons?.length
      ? `: ${gate.reasons.join('; ')}`
      : status === 'TRAINED'
        ? ': it has not been through the gate'
        : '';
    return `Model ${runId} is ${status}${why}. Promote it anyway with --force.`;
  }
  return undefined;
}
