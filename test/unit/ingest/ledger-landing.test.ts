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
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ingestLandingObject, type LandingIngest, sourceTag } from '../../../layers/ingest/landing';
import {
  compareSequencers,
  LandingKeyBusyError,
  Ledger,
  type LedgerEntry,
  ledgerKey,
} from '../../../layers/ingest/ledger';

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
const preconditionFailed = () =>
  new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } });
const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  ...ledgerKey({ sourceKey: 'landing/t/x.csv', eTag: '"e1"' }),
  sourceKey: 'landing/t/x.csv',
  eTag: '"e1"',
  dataset: 'transactions',
  status: 'DONE',
  runId: 'r0',
  version: 1,
  claimedAt: '2026-11-21T00:00:00.000Z',
  ...over,
});
const isLockPut = (input: { Item?: Record<string, unknown> }) => input.Item?.sk === 'lock';

describe('Ledger', () => {
  const sleeps: number[] = [];
  let clock = Date.parse('2026-11-30T12:00:00Z');
  const ledger = new Ledger(doc, 'ledger', 900, async (ms) => {
    sleeps.push(ms);
    clock += ms;
  });
  const request = { sourceKey: 'landing/t/x.csv', eTag: '"e1"', dataset: 'transactions', runId: 'r1' };

  it('takes the key lock, then claims a new (key, ETag) as version 1', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutCommand).resolves({});
    const claim = await ledger.claim(request);
    expect(claim).toEqual({ outcome: 'claimed', version: 1, others: [] });
    const [lock, item] = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(lock?.Item).toMatchObject({ pk: 'object#landing/t/x.csv', sk: 'lock', runId: 'r1' });
    expect(lock?.ConditionExpression).toMatch(/attribute_not_exists\(pk\) OR expiresAt < :now/);
    expect(item?.Item).toMatchObject({ sk: 'etag#e1', status: 'IN_PROGRESS', runId: 'r1', version: 1 });
    expect(ddbMock.commandCalls(QueryCommand)[0]?.args[0].input.KeyConditionExpression).toMatch(/begins_with/);
  });

  it('reports a done version as done and releases the lock (a duplicate event or the same bytes again)', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({})] });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(DeleteCommand).resolves({});
    expect(await ledger.claim(request)).toMatchObject({ outcome: 'done', entry: { version: 1 } });
    expect(ddbMock.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({
      pk: 'object#landing/t/x.csv',
      sk: 'lock',
    });
  });

  it('gives new bytes of the same key the next version, knowing the earlier ones', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({ outputs: ['raw/a'] })] });
    ddbMock.on(PutCommand).resolves({});
    const claim = await ledger.claim({ ...request, eTag: '"e2"' });
    expect(claim).toMatchObject({ outcome: 'claimed', version: 2, others: [{ version: 1, outputs: ['raw/a'] }] });
  });

  it('waits for another version holding the lock, then gives up with a retryable error', async () => {
    sleeps.length = 0;
    ddbMock.on(PutCommand).callsFake((input) => {
      if (isLockPut(input)) throw conditionFailed();
      return {};
    });
    const started = clock;
    await expect(ledger.claim({ ...request, waitUntil: started + 10_000 }, () => new Date(clock))).rejects.toThrow(
      LandingKeyBusyError,
    );
    expect(sleeps.length).toBeGreaterThan(3);
    expect(clock - started).toBeLessThanOrEqual(10_000);
    expect(clock - started).toBeGreaterThan(8_000);
  });

  it('says a version is replaced when a later replace version is already in', async () => {
    const replace = entry({ eTag: '"e9"', sk: 'etag#e9', version: 2, mode: 'replace', sequencer: '0A' });
    ddbMock.on(QueryCommand).resolves({ Items: [replace] });
    ddbMock.on(PutCommand).resolves({});
    expect(await ledger.claim({ ...request, sequencer: '09' })).toMatchObject({
      outcome: 'claimed',
      version: 3,
      replacedBy: { version: 2 },
    });
    expect(compareSequencers('0000FF', 'FE')).toBeGreaterThan(0);
  });

  it('completes and fails only the claiming run, a failure keeping what it wrote', async () => {
    ddbMock.on(UpdateCommand).resolves({});
    await ledger.complete({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'r1', {
      outputs: ['raw/a'],
      archiveKey: 'archive/a',
      mode: 'append',
    });
    await ledger.fail({ sourceKey: 'landing/x.csv', eTag: '"e1"' }, 'r1', 'boom', ['raw/a']);
    const [done, failed] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(done?.ConditionExpression).toBe('runId = :runId');
    expect(done?.ExpressionAttributeValues).toMatchObject({ ':done': 'DONE', ':outputs': ['raw/a'] });
    expect(failed?.ExpressionAttributeValues).toMatchObject({
      ':failed': 'FAILED',
      ':error': 'boom',
      ':partial': ['raw/a'],
    });
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
    archiveKey: (name, today) => `archive/t/${today}/${name}.csv`,
    quarantineDir: (today) => `quarantine/t/dt=${today}`,
    step,
  });
  const object = { key: 'landing/t/x.csv', eTag: '"e1"' };
  const drain = async (stream: Readable) => {
    for await (const _ of stream) {
      // consume
    }
  };
  beforeEach(() => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(UpdateCommand).resolves({});
    ddbMock.on(DeleteCommand).resolves({});
  });

  it('archives exactly the notified version first, ingests the archived copy, then deletes only that version', async () => {
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await ingestLandingObject(
      base(async (stream, ctx) => {
        await drain(stream);
        return { outputs: [{ namespace: 's3://lake', name: `raw/t/${ctx.name}.csv`, md5: 'abc' }] };
      }),
      object,
    );
    const name = `${sourceTag('landing/t/x.csv')}.v1`;
    expect(out).toMatchObject({ outcome: 'ingested', version: 1, outputs: [`raw/t/${name}.csv`] });
    const copy = s3Mock.commandCalls(CopyObjectCommand)[0]?.args[0].input;
    expect(copy).toMatchObject({ CopySource: 'lake/landing/t/x.csv', CopySourceIfMatch: '"e1"' });
    expect(copy?.Key).toMatch(new RegExp(`^archive/t/\\d{4}-\\d{2}-\\d{2}/${name}\\.csv$`));
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input.Key).toBe(copy?.Key);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'lake',
      Key: 'landing/t/x.csv',
      IfMatch: '"e1"',
    });
    const lineage = s3Mock
      .commandCalls(PutObjectCommand)
      .find((c) => c.args[0].input.Key?.startsWith('lineage/test-ingest/'));
    const event = JSON.parse(String(lineage?.args[0].input.Body));
    expect(event.inputs[0]).toMatchObject({
      name: 'landing/t/x.csv',
      facets: { recomart_content: { md5: expect.any(String) } },
    });
    const done = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(done?.ExpressionAttributeValues).toMatchObject({ ':done': 'DONE', ':mode': 'append' });
    expect(ddbMock.commandCalls(DeleteCommand)).toHaveLength(1); // the lock, released
  });

  it('copies and deletes by version id when the bucket is versioned, so a newer upload is never touched', async () => {
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    await ingestLandingObject(
      base(async (stream) => {
        await drain(stream);
        return { outputs: [] };
      }),
      { key: 'landing/t/a b+c.csv', eTag: '"e1"', versionId: 'v/1' },
    );
    expect(s3Mock.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      CopySource: 'lake/landing/t/a%20b%2Bc.csv?versionId=v%2F1',
    });
    expect(s3Mock.commandCalls(CopyObjectCommand)[0]?.args[0].input.CopySourceIfMatch).toBeUndefined();
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'lake',
      Key: 'landing/t/a b+c.csv',
      VersionId: 'v/1',
    });
  });

  it('records a version whose bytes were replaced in landing before the archive copy as superseded', async () => {
    s3Mock.on(CopyObjectCommand).rejects(preconditionFailed());
    s3Mock.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: {} }));
    const step = jest.fn();
    expect(await ingestLandingObject(base(step), { ...object, eTag: '"old"' })).toMatchObject({
      outcome: 'superseded',
      version: 1,
    });
    expect(step).not.toHaveBeenCalled();
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':superseded': 'SUPERSEDED',
    });
  });

  it('marks the version failed with what it wrote and rethrows, leaving the source in landing', async () => {
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    await expect(
      ingestLandingObject(
        base(async (_stream, ctx) => {
          ctx.wrote('raw/t/dt=1/part.csv');
          throw new Error('S3 SlowDown');
        }),
        object,
      ),
    ).rejects.toThrow('S3 SlowDown');
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':failed': 'FAILED',
      ':error': 'S3 SlowDown',
      ':partial': ['raw/t/dt=1/part.csv'],
    });
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(DeleteCommand)).toHaveLength(1); // the lock, released
  });

  it('clears an identical re-upload from landing without ingesting it again', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({})] });
    s3Mock.on(DeleteObjectCommand).resolves({});
    const step = jest.fn();
    expect(await ingestLandingObject(base(step), object)).toEqual({ outcome: 'duplicate', version: 1 });
    expect(step).not.toHaveBeenCalled();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'landing/t/x.csv',
      IfMatch: '"e1"',
    });
  });

  it('appends a changed upload of the same key: the earlier version stays', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [entry({ outputs: ['raw/t/dt=1/old.csv'] })] });
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: body() });
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await ingestLandingObject(
      base(async (stream) => {
        await drain(stream);
        return { outputs: [{ namespace: 's3://lake', name: 'raw/t/dt=1/new.csv' }] };
      }),
      { ...object, eTag: '"e2"' },
    );
    expect(out).toMatchObject({ outcome: 'ingested', version: 2, retired: [] });
    const deleted = s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual(['landing/t/x.csv']);
  });

  it('retires the earlier versions when the new one is uploaded with mode=replace', async () => {
    ddbMock.on(QueryCommand).resolves({
      Items: [entry({ outputs: ['raw/t/dt=1/old.csv', 'raw/t/dt=2/old.csv', 'quarantine/q.jsonl'] })],
    });
    s3Mock.on(CopyObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: body(), Metadata: { 'recomart-mode': 'replace' } });
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await ingestLandingObject(
      base(async (stream) => {
        await drain(stream);
        return { outputs: [{ namespace: 's3://lake', name: 'raw/t/dt=2/old.csv' }] };
      }),
      { ...object, eTag: '"e2"' },
    );
    expect(out).toMatchObject({ outcome: 'ingested', version: 2, retired: [1] });
    const deleted = s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual(['raw/t/dt=1/_old.csv.manifest.json', 'raw/t/dt=1/old.csv', 'landing/t/x.csv']);
    const retire = ddbMock
      .commandCalls(UpdateCommand)
      .find((c) => c.args[0].input.ExpressionAttributeValues?.[':retired']);
    expect(retire?.args[0].input).toMatchObject({
      Key: ledgerKey({ sourceKey: object.key, eTag: object.eTag }),
      ExpressionAttributeValues: { ':by': 2 },
    });
  });

  it('names outputs uniquely per landing key: the same file name in two folders never collides', () => {
    expect(sourceTag('landing/transactions/storeA/daily.csv')).not.toBe(
      sourceTag('landing/transactions/storeB/daily.csv'),
    );
    expect(sourceTag('landing/transactions/storeA/daily.csv')).toMatch(/^daily-[0-9a-f]{8}$/);
  });
});
