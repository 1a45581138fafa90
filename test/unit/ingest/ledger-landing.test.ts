import { Readable } from 'node:stream';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ingestLandingObject, type LandingIngest } from '../../../layers/ingest/landing';
import { Ledger, type LedgerEntry, ledgerKey } from '../../../layers/ingest/ledger';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  s3Mock.reset();
  ddbMock.reset();
});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const s3 = new S3Client({ region: 'us-east-1' });
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  ...ledgerKey({ sourceKey: 'landing/x.csv', eTag: '"e1"' }),
  sourceKey: 'landing/x.csv',
  eTag: '"e1"',
  dataset: 'transactions',
  status: 'DONE',
  runId: 'r0',
  version: 1,
  claimedAt: '2026-11-21T00:00:00.000Z',
  ...over,
});

describe('Ledger', () => {
  const ledger = new Ledger(doc, 'ledger', 900);

  it('claims a new (key, ETag) with a conditional put as version 1', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutCommand).resolves({});
    const claim = await ledger.claim({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'transactions', 'r1');
    expect(claim).toEqual({ outcome: 'claimed', version: 1, previous: undefined });
    const put = ddbMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.Item).toMatchObject({ pk: 'object#landing/x.csv', sk: 'etag#e1', status: 'IN_PROGRESS', runId: 'r1' });
    expect(put?.ConditionExpression).toMatch(/attribute_not_exists\(pk\)/);
  });

  it('reports a done entry as done (a duplicate event or identical re-upload)', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({})] });
    ddbMock.on(PutCommand).rejects(conditionFailed());
    ddbMock.on(GetCommand).resolves({ Item: entry({}) });
    const claim = await ledger.claim({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'transactions', 'r2');
    expect(claim).toMatchObject({ outcome: 'done', entry: { version: 1 } });
  });

  it('gives changed bytes the next version and remembers the previous one', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({ outputs: ['raw/a'] })] });
    ddbMock.on(PutCommand).resolves({});
    const claim = await ledger.claim({ sourceKey: 'landing/x.csv', eTag: '"e2"' }, 'transactions', 'r3');
    expect(claim).toMatchObject({ outcome: 'claimed', version: 2, previous: { version: 1, outputs: ['raw/a'] } });
  });

  it('says busy when another run holds a fresh claim', async () => {
    const busy = entry({ status: 'IN_PROGRESS', runId: 'other' });
    ddbMock.on(QueryCommand).resolves({ Items: [busy] });
    ddbMock.on(PutCommand).rejects(conditionFailed());
    ddbMock.on(GetCommand).resolves({ Item: busy });
    expect(await ledger.claim({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'transactions', 'r4')).toMatchObject({
      outcome: 'busy',
    });
  });

  it('completes and fails only the claiming run', async () => {
    ddbMock.on(UpdateCommand).resolves({});
    await ledger.complete({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'r1', ['raw/a']);
    await ledger.fail({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'r1', 'boom');
    const [done, failed] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(done?.ConditionExpression).toBe('runId = :runId');
    expect(done?.ExpressionAttributeValues).toMatchObject({ ':done': 'DONE', ':outputs': ['raw/a'] });
    expect(failed?.ExpressionAttributeValues).toMatchObject({ ':failed': 'FAILED', ':error': 'boom' });
  });
});

describe('ingestLandingObject', () => {
  const ledger = new Ledger(doc, 'ledger');
  // The code reads GetObject's Body as a Node stream, which is what the SDK returns in Node.
  const body = () => Readable.from([Buffer.from('a,b\n1,2\n')]) as never;
  const base = (step: LandingIngest['step']): LandingIngest => ({
    s3,
    bucket: 'lake',
    ledger,
    job: 'test-ingest',
    dataset: 'transactions',
    codeVersion: '0.0.0+test',
    log: () => undefined,
    archiveKey: (key, today) => `archive/t/${today}/${key.split('/').pop()}`,
    step,
  });
  beforeEach(() => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(UpdateCommand).resolves({});
  });

  it('reads exactly the notified version, archives the source, writes lineage and completes the claim', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await ingestLandingObject(
      base(async (stream) => {
        for await (const _ of stream) {
          // consume
        }
        return { outputs: [{ namespace: 's3://lake', name: 'raw/t/x.csv', md5: 'abc' }] };
      }),
      'landing/t/x.csv',
      '"e1"',
    );
    expect(out).toMatchObject({ outcome: 'ingested', version: 1, outputs: ['raw/t/x.csv'] });
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'landing/t/x.csv',
      IfMatch: '"e1"',
    });
    expect(s3Mock.commandCalls(CopyObjectCommand)[0]?.args[0].input.Key).toMatch(
      /^archive\/t\/\d{4}-\d{2}-\d{2}\/x\.csv$/,
    );
    const lineage = s3Mock
      .commandCalls(PutObjectCommand)
      .find((c) => c.args[0].input.Key?.startsWith('lineage/test-ingest/'));
    const event = JSON.parse(String(lineage?.args[0].input.Body));
    expect(event.inputs[0]).toMatchObject({
      name: 'landing/t/x.csv',
      facets: { recomart_content: { md5: expect.any(String) } },
    });
    expect(event.outputs.map((o: { name: string }) => o.name)).toEqual([
      'raw/t/x.csv',
      expect.stringMatching(/^archive\//),
    ]);
    const update = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':done': 'DONE', ':outputs': ['raw/t/x.csv'] });
  });

  it('does nothing but release the claim when the object changed since the event', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } }),
      );
    const step = jest.fn();
    expect(await ingestLandingObject(base(step), 'landing/t/x.csv', '"old"')).toEqual({ outcome: 'superseded' });
    expect(step).not.toHaveBeenCalled();
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':failed': 'FAILED',
    });
  });

  it('marks the claim failed and rethrows when the step fails, so the retry can take it', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    await expect(
      ingestLandingObject(
        base(async () => {
          throw new Error('S3 SlowDown');
        }),
        'landing/t/x.csv',
        '"e1"',
      ),
    ).rejects.toThrow('S3 SlowDown');
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':failed': 'FAILED',
      ':error': 'S3 SlowDown',
    });
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('moves an identical re-upload to the archive without ingesting it again', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({ sourceKey: 'landing/t/x.csv' })] });
    ddbMock.on(PutCommand).rejects(conditionFailed());
    ddbMock.on(GetCommand).resolves({ Item: entry({ sourceKey: 'landing/t/x.csv' }) });
    s3Mock.on(HeadObjectCommand).resolves({});
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    const step = jest.fn();
    expect(await ingestLandingObject(base(step), 'landing/t/x.csv', '"e1"')).toEqual({ outcome: 'duplicate' });
    expect(step).not.toHaveBeenCalled();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input.Key).toBe('landing/t/x.csv');
  });

  it('retires raw objects of the previous version that the new one did not rewrite', async () => {
    ddbMock.on(QueryCommand).resolves({
      Items: [
        entry({
          sourceKey: 'landing/t/x.csv',
          outputs: ['raw/t/dt=1/x.csv', 'raw/t/dt=2/x.csv', 'quarantine/q.jsonl'],
        }),
      ],
    });
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    await ingestLandingObject(
      base(async (stream) => {
        stream.resume();
        return { outputs: [{ namespace: 's3://lake', name: 'raw/t/dt=2/x.csv' }] };
      }),
      'landing/t/x.csv',
      '"e2"',
    );
    const deleted = s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual(['raw/t/dt=1/_x.csv.manifest.json', 'raw/t/dt=1/x.csv', 'landing/t/x.csv']);
  });
});
