import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runTrainingJob } from '../../../layers/als/train-job';
import { Rng } from '../../../layers/util/random';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  s3Mock.reset();
  ddbMock.reset();
});

const VERSION = '20261130T120000Z';
const DATA_KEY = `features/interactions/v=${VERSION}/part-00000.jsonl`;

/** A lake with one interactions feature set (and its registry record) holding `lines`. */
function lake(lines: string[]) {
  const data = `${lines.join('\n')}\n`;
  const md5 = createHash('md5').update(data).digest('hex');
  const objects: Record<string, string> = {
    [`features/_registry/interactions/v=${VERSION}.json`]: JSON.stringify({
      version: VERSION,
      data: { key: DATA_KEY, md5 },
      sources: [
        { key: 'raw/transactions/dt=2026-11-23/a.v1.csv' },
        { key: 'raw/clickstream/dt=2026-11-29/hour=10/b.jsonl' },
        { key: 'raw/transactions/dt=2026-11-21/c.v1.csv' },
      ],
    }),
    [DATA_KEY]: data,
  };
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents: Object.keys(objects)
      .filter((k) => k.startsWith(input.Prefix ?? ''))
      .map((Key) => ({ Key })),
  }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects[input.Key];
    if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    // GetObject's body: a stream that can also be read whole, as the SDK's is.
    const stream = Object.assign(Readable.from([Buffer.from(body)]), {
      transformToByteArray: async () => new Uint8Array(Buffer.from(body)),
    });
    return { Body: stream };
  });
  const written = new Map<string, string>();
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: Buffer | string }) => {
    written.set(input.Key, Buffer.from(input.Body).toString('utf8'));
    return {};
  });
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(GetCommand).resolves({});
  return written;
}

const job = (params: Record<string, unknown>) =>
  runTrainingJob({
    s3: new S3Client({ region: 'us-east-1' }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    bucket: 'lake',
    registryTable: 'registry',
    runId: 'r1',
    codeVersion: 'test',
    params,
    budgetSeconds: 60,
  });

/** Interactions of 60 users × 25 items, every third one without a rating. */
function interactions() {
  const rng = new Rng(3);
  const lines: string[] = [];
  let blank = 0;
  for (let u = 0; u < 60; u++)
    for (let i = 0; i < 25; i++) {
      if (rng.next() > 0.5) continue;
      const rated = lines.length % 3 !== 0;
      if (!rated) blank++;
      lines.push(
        JSON.stringify({
          userId: `u${u}`,
          itemId: `i${i}`,
          rating: rated ? 1 + ((u + i) % 5) : null,
          confidence: 2,
        }),
      );
    }
  return { lines, blank };
}

describe('the training task', () => {
  it('reads a blank rating as missing for explicit training: skipped and counted, never a zero', async () => {
    const { lines, blank } = interactions();
    const written = lake(lines);
    const record = await job({ implicit: false });
    expect(record.rows).toEqual({ read: lines.length, skipped: blank, ratings: lines.length - blank });
    const metrics = JSON.parse(written.get('models/r1/metrics.json') as string);
    expect(metrics.ratings).toBe(lines.length - blank);
    expect(metrics.recommender.kind).toEqual(expect.any(String));
    expect(metrics.tuning.trace.length).toBeGreaterThan(0);
    // The registry record carries the choice, the tuning and the rows.
    const put = ddbMock.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    expect(put.recommender).toEqual(metrics.recommender);
    expect((put.tuning as { searched: string[] }).searched).toEqual(expect.arrayContaining(['rank', 'lambda']));
    const card = written.get('models/r1/model-card.html') as string;
    expect(card).toContain(`run <code>r1</code>`);
    expect(card).toContain(`${blank} skipped`);
    expect(card).toContain('data from 2026-11-21 to 2026-11-29');
    expect(put.data).toMatchObject({ version: VERSION, window: { from: '2026-11-21', to: '2026-11-29' } });
  });

  it('counts a blank rating as an interaction for implicit training', async () => {
    const { lines } = interactions();
    const written = lake(lines);
    const record = await job({ implicit: true });
    expect(record.rows).toEqual({ read: lines.length, skipped: 0, ratings: lines.length });
    // Without interaction times, validation holds out a random share per user.
    const metrics = JSON.parse(written.get('models/r1/metrics.json') as string);
    expect(metrics.tuning.validation.split).toMatch(/random 20 %/);
  });

  it("validates on each user's latest interactions when the feature set records when they happened", async () => {
    const { lines } = interactions();
    const timed = lines.map((l, j) =>
      JSON.stringify({ ...JSON.parse(l), lastAt: new Date(Date.UTC(2026, 10, 1) + j * 60_000).toISOString() }),
    );
    const written = lake(timed);
    await job({ implicit: true });
    const metrics = JSON.parse(written.get('models/r1/metrics.json') as string);
    expect(metrics.tuning.validation.split).toBe("each user's latest 20 % of training interactions");
  });

  it('fails with one sentence when no rating remains', async () => {
    const lines = Array.from({ length: 40 }, (_, j) =>
      JSON.stringify({ userId: `u${j % 7}`, itemId: `i${j}`, rating: null, confidence: 1 }),
    );
    lake(lines);
    await expect(job({ implicit: false })).rejects.toThrow(
      `Feature set v=${VERSION} has only 0 usable interactions with a rating (40 of 40 without one): too few to train.`,
    );
  });
});
