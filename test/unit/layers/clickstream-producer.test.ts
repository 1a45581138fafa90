import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { chunkForPutRecords, MAX_BYTES_PER_CALL, putAllRecords, putAtRate } from '../../../layers/clickstream/producer';
import { parseClickEvent } from '../../../layers/clickstream/schema';
import { simulateClickstream } from '../../../layers/clickstream/simulate';

const FIXED = new Date('2026-11-21T12:00:00Z');
const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());
const client = new KinesisClient({ region: 'us-east-1' });
const small = (i: number) => ({ partitionKey: `u${i}`, data: Buffer.from(`{"i":${i}}`) });

describe('chunkForPutRecords', () => {
  it('keeps calls within 500 records', () => {
    const chunks = chunkForPutRecords(Array.from({ length: 1200 }, (_, i) => small(i)));
    expect(chunks.map((c) => c.length)).toEqual([500, 500, 200]);
  });

  it('keeps calls within 5 MiB and refuses a record over 1 MiB', () => {
    const big = (i: number) => ({ partitionKey: `k${i}`, data: Buffer.alloc(1024 * 1024 - 10) });
    const chunks = chunkForPutRecords(Array.from({ length: 7 }, (_, i) => big(i)));
    expect(chunks.map((c) => c.length)).toEqual([5, 2]);
    for (const chunk of chunks) {
      expect(chunk.reduce((n, r) => n + r.data.byteLength + r.partitionKey.length, 0)).toBeLessThanOrEqual(
        MAX_BYTES_PER_CALL,
      );
    }
    expect(() => chunkForPutRecords([{ partitionKey: 'k', data: Buffer.alloc(1024 * 1024) }])).toThrow(/1 MiB/);
  });
});

describe('putAllRecords', () => {
  it('retries exactly the records a call rejected', async () => {
    let call = 0;
    const attempts: string[][] = [];
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: PutRecordsRequestEntry[] }) => {
      call++;
      attempts.push(input.Records.map((r) => r.PartitionKey as string));
      return {
        FailedRecordCount: call === 1 ? 2 : 0,
        Records: input.Records.map((_, i) =>
          call === 1 && i % 2 === 1 ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { SequenceNumber: '1' },
        ),
      };
    });
    const out = await putAllRecords(client, 's', [0, 1, 2, 3].map(small));
    expect(attempts).toEqual([
      ['u0', 'u1', 'u2', 'u3'],
      ['u1', 'u3'],
    ]);
    expect(out).toEqual({ calls: 2, retriedRecords: 2 });
  });

  it('gives up with a clear error after the last attempt', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: PutRecordsRequestEntry[] }) => ({
      Records: input.Records.map(() => ({ ErrorCode: 'InternalFailure' })),
    }));
    await expect(putAllRecords(client, 's', [small(1)], { maxAttempts: 2 })).rejects.toThrow(
      /1 records were still rejected by Kinesis after 2 attempts/,
    );
  });
});

describe('putAtRate', () => {
  it('releases calls of a tenth of a second each on the rate schedule', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: PutRecordsRequestEntry[] }) => ({
      Records: input.Records.map(() => ({ SequenceNumber: '1' })),
    }));
    let now = 0;
    const sleeps: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const progress: number[] = [];
    const out = await putAtRate(
      client,
      's',
      Array.from({ length: 35 }, (_, i) => small(i)),
      { rate: 100, clock, onProgress: (n) => progress.push(n) },
    );
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      10, 10, 10, 5,
    ]);
    expect(sleeps).toEqual([100, 100, 100]);
    expect(progress).toEqual([10, 20, 30, 35]);
    expect(out).toMatchObject({ sent: 35, calls: 4, seconds: 0.3 });
  });

  it('refuses a rate that is not positive', async () => {
    await expect(putAtRate(client, 's', [], { rate: 0 })).rejects.toThrow(/rate must be positive/);
  });
});

describe('simulateClickstream', () => {
  it('is seeded, keyed by user, and malformed at about the requested share', () => {
    const a = [...simulateClickstream({ count: 5000, malformedShare: 0.05, seed: 9, now: FIXED })];
    const b = [...simulateClickstream({ count: 5000, malformedShare: 0.05, seed: 9, now: FIXED })];
    expect(a.map((r) => r.data.toString())).toEqual(b.map((r) => r.data.toString()));
    const bad = a.filter((r) => !r.valid);
    expect(bad.length / a.length).toBeGreaterThan(0.03);
    expect(bad.length / a.length).toBeLessThan(0.07);
    for (const record of a) {
      const parsed = parseClickEvent(record.data);
      expect(parsed.ok).toBe(record.valid);
      if (parsed.ok) expect(parsed.event.userId).toBe(record.partitionKey);
    }
  });

  it('produces shopping sessions: views dominate, purchases follow add-to-carts', () => {
    const events = [...simulateClickstream({ count: 5000, malformedShare: 0, seed: 3 })].map(
      (r) => JSON.parse(r.data.toString()) as { eventType: string; sessionId: string },
    );
    const count = (type: string) => events.filter((e) => e.eventType === type).length;
    expect(count('view')).toBeGreaterThan(count('click'));
    expect(count('add_to_cart')).toBeGreaterThan(count('purchase'));
    expect(count('purchase')).toBeGreaterThan(0);
    expect(count('search')).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.sessionId)).size).toBeGreaterThan(300);
  });
});
