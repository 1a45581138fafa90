import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

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
