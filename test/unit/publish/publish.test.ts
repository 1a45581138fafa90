import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { completePublish, PublishIncompleteError, planShards, shardShortfall } from '../../../layers/publish/publish';

describe('planShards', () => {
  it('covers every user index exactly once, in shards no larger than asked', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 1, max: 700 }), (users, perShard) => {
        const shards = planShards(users, perShard);
        expect(shards).toHaveLength(Math.ceil(users / perShard));
        let next = 0;
        shards.forEach((s, i) => {
          expect(s.shard).toBe(i);
          expect(s.from).toBe(next);
          expect(s.to - s.from).toBeGreaterThan(0);
          expect(s.to - s.from).toBeLessThanOrEqual(perShard);
          next = s.to;
        });
        expect(next).toBe(users);
      }),
    );
  });

  it('rejects a shard size that is not a positive integer', () => {
    expect(() => planShards(10, 0)).toThrow(/usersPerShard must be a positive integer/);
    expect(() => planShards(-1, 5)).toThrow(/users must be a count/);
  });
});

describe('shardShortfall', () => {
  const plan = { users: 5, shards: planShards(5, 2) }; // [0,2) [2,4) [4,5)
  const all = [
    { shard: 0, users: 2, written: 2 },
    { shard: 1, users: 2, written: 2 },
    { shard: 2, users: 1, written: 1 },
  ];

  it('accepts results that wrote every user of every shard', () => {
    expect(shardShortfall(plan, all)).toBeUndefined();
    expect(shardShortfall(plan, [...all].reverse())).toBeUndefined();
  });

  it('names a missing shard, a short shard, a duplicate and a stranger', () => {
    expect(shardShortfall(plan, all.slice(0, 2))).toBe('shard 2 has no result');
    expect(shardShortfall(plan, [all[0], { shard: 1, users: 2, written: 1 }, all[2]] as typeof all)).toBe(
      'shard 1 wrote 1 of 2 users',
    );
    expect(shardShortfall(plan, [...all, all[0]] as typeof all)).toBe('shard 0 reported twice');
    expect(shardShortfall(plan, [...all, { shard: 7, users: 1, written: 1 }])).toBe('shard 7 is not in the plan');
  });
});

describe('completePublish', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  const ctx = {
    s3: new S3Client({ region: 'us-east-1' }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    bucket: 'lake',
    registryTable: 'registry',
    recommendationsTable: 'recs',
    topN: 10,
    ttlDays: 30,
    codeVersion: 'test',
  };

  it('does not switch the pointer (or write anything) when a shard is missing', async () => {
    ddb.on(GetCommand).resolves({
      Item: { status: 'GATE_PASSED', data: { key: 'features/interactions/v=1/part-00000.jsonl', version: '1' } },
    });
    const plan = { runId: 'r2', generatedAt: '2026-11-21T00:00:00.000Z', topN: 10, users: 3, shards: planShards(3, 2) };
    await expect(completePublish(ctx, plan, [{ shard: 0, users: 2, written: 2 }], 'r1')).rejects.toThrow(
      PublishIncompleteError,
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('refuses to publish a model that did not pass the gate', async () => {
    ddb.on(GetCommand).resolves({ Item: { status: 'REJECTED', data: { key: 'k', version: '1' } } });
    const plan = { runId: 'r2', generatedAt: '2026-11-21T00:00:00.000Z', topN: 10, users: 0, shards: [] };
    await expect(completePublish(ctx, plan, [], null)).rejects.toThrow(/is REJECTED, not GATE_PASSED/);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
