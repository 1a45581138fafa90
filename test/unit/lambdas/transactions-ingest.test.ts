import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/transactions-ingest/index';
import { sourceTag } from '../../../layers/ingest/landing';
import { lambdaContext } from '../../helpers/lambda';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';
const csv = `${HEADER}\nt1,u1,p1,1,9.99,5,2026-11-20T10:00:00Z\nt2,u1,p2,1,1.00,,2026-11-21T10:00:00Z\nt3,u2,p1,1,9.99,,\n`;

function s3Event(key: string, eTag = 'abc'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-21T10:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'x' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'c',
          bucket: { name: 'test-lake', ownerIdentity: { principalId: 'x' }, arn: 'arn:aws:s3:::test-lake' },
          object: { key, size: csv.length, eTag, sequencer: '1' },
        },
      },
    ],
  };
}

beforeEach(() => {
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(csv)]) }));
  s3.on(CopyObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
});
afterEach(() => {
  s3.reset();
  ddb.reset();
});

describe('transactions-ingest handler', () => {
  it('archives the version, writes a CSV and its manifest per date and the quarantine, then completes the ledger entry', async () => {
    s3.on(PutObjectCommand).resolves({});
    await handler(s3Event('landing/transactions/orders+2026.csv') as never, lambdaContext);
    const name = `${sourceTag('landing/transactions/orders 2026.csv')}.v1`;
    expect(name).toMatch(/^orders_2026-[0-9a-f]{8}\.v1$/);
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key as string);
    expect(keys.filter((k) => k.startsWith('raw/')).sort()).toEqual([
      `raw/transactions/dt=2026-11-20/_ingested_${name}.csv.manifest.json`,
      `raw/transactions/dt=2026-11-20/ingested_${name}.csv`,
      `raw/transactions/dt=2026-11-21/_ingested_${name}.csv.manifest.json`,
      `raw/transactions/dt=2026-11-21/ingested_${name}.csv`,
    ]);
    expect(keys.some((k) => k.endsWith(`/${name}.jsonl`) && k.startsWith('quarantine/transactions/dt='))).toBe(true);
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      CopySource: 'test-lake/landing/transactions/orders%202026.csv',
      CopySourceIfMatch: '"abc"',
      Key: expect.stringMatching(new RegExp(`^archive/transactions/\\d{4}-\\d{2}-\\d{2}/${name}\\.csv$`)),
    });
    const done = ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input.ExpressionAttributeValues;
    expect(done).toMatchObject({ ':done': 'DONE' });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'landing/transactions/orders 2026.csv',
      IfMatch: '"abc"',
    });
  });

  it('fails (for the asynchronous retry) with what it wrote recorded; the source stays in landing', async () => {
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('dt=2026-11-21')) throw new Error('SlowDown');
      return {};
    });
    await expect(handler(s3Event('landing/transactions/orders.csv') as never, lambdaContext)).rejects.toThrow(
      'SlowDown',
    );
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    const failed = ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input.ExpressionAttributeValues;
    expect(failed).toMatchObject({ ':failed': 'FAILED', ':error': 'SlowDown' });
    expect(failed?.[':partial']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^raw\/transactions\/dt=2026-11-20\//)]),
    );
  });

  it('quarantines a file without the transactions header as a whole, with the reason', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('a,b\n1,2\n')]) }));
    await handler(s3Event('landing/transactions/wrong.csv') as never, lambdaContext);
    const reason = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.endsWith('.reason.json'));
    expect(JSON.parse(String(reason?.args[0].input.Body)).reason).toMatch(/header is "a,b"/);
    expect(s3.commandCalls(CopyObjectCommand)[1]?.args[0].input.Key).toMatch(
      /^quarantine\/transactions\/dt=.+\/wrong-[0-9a-f]{8}\.v1\.csv$/,
    );
  });
});
