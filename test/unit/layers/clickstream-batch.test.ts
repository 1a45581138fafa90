import * as fc from 'fast-check';
import {
  afterCutback,
  compareSequenceNumbers,
  planBatch,
  planCutback,
  planPartialFailure,
  type StreamRecord,
} from '../../../layers/clickstream/batch';
import { countLines, md5Hex } from '../../../layers/lake/manifest';
import { clickEvent } from '../../helpers/fixtures';

const SHARD = 'shardId-000000000001';
let seq = 49_000_000_000_000_000_000_000_000_000_000n;
function record(payload: unknown): StreamRecord {
  seq += 10n;
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return {
    sequenceNumber: seq.toString(),
    partitionKey: 'u1',
    data: Buffer.from(text).toString('base64'),
    approximateArrivalTimestamp: Date.parse('2026-11-21T12:00:00Z') / 1000,
  };
}
const event = clickEvent;

describe('planBatch', () => {
  it('partitions valid events by event time and quarantines the rest by arrival date', () => {
    const records = [
      record(event('2026-11-20T23:59:59Z')),
      record(event('2026-11-21T00:00:01Z')),
      record('garbage'),
      record(event('2026-11-21T00:30:00Z')),
    ];
    const files = planBatch(records, SHARD);
    const byKey = Object.fromEntries(files.map((f) => [f.key, f]));
    const first = records[0]?.sequenceNumber;
    const second = records[1]?.sequenceNumber;
    expect(Object.keys(byKey).sort()).toEqual(
      [
        `quarantine/clickstream/dt=2026-11-21/${SHARD}-${records[2]?.sequenceNumber}.jsonl`,
        `raw/clickstream/dt=2026-11-20/hour=23/${SHARD}-${first}.jsonl`,
        `raw/clickstream/dt=2026-11-21/hour=00/${SHARD}-${second}.jsonl`,
      ].sort(),
    );
    const hour00 = byKey[`raw/clickstream/dt=2026-11-21/hour=00/${SHARD}-${second}.jsonl`];
    expect(hour00?.manifest).toMatchObject({
      records: 2,
      minEventTime: '2026-11-21T00:00:01.000Z',
      maxEventTime: '2026-11-21T00:30:00.000Z',
      dataset: 'clickstream',
    });
    expect(hour00?.manifest.md5).toBe(md5Hex(hour00?.body ?? Buffer.alloc(0)));
    expect(hour00?.manifest.bytes).toBe(hour00?.body.byteLength);
    const quarantined = JSON.parse(
      files
        .find((f) => f.zone === 'quarantine')
        ?.body.toString()
        .trim() ?? '{}',
    );
    expect(quarantined.reason).toMatch(/not valid JSON/);
    expect(Buffer.from(quarantined.dataBase64, 'base64').toString()).toBe('garbage');
  });

  it('gives a redelivered batch the same keys and bytes (idempotent overwrite)', () => {
    const records = [record(event('2026-11-21T01:00:00Z')), record(event('2026-11-21T02:00:00Z'))];
    const now = new Date('2026-11-21T12:00:00Z');
    const a = planBatch(records, SHARD, now);
    const b = planBatch([...records].reverse(), SHARD, now);
    expect(b.map((f) => [f.key, f.manifest.md5])).toEqual(a.map((f) => [f.key, f.manifest.md5]));
  });

  it('puts every record in exactly one file, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
            fc.json(),
            fc
              .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
              .map((d) => JSON.stringify(event(d.toISOString()))),
          ),
          { maxLength: 40 },
        ),
        (payloads) => {
          const records = payloads.map((p) => record(p));
          const files = planBatch(records, SHARD);
          const placed = files.flatMap((f) => f.sequenceNumbers).sort(compareSequenceNumbers);
          expect(placed).toEqual(records.map((r) => r.sequenceNumber));
          for (const f of files) expect(countLines(f.body)).toBe(f.manifest.records);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('planPartialFailure and planCutback', () => {
  it('cuts at the failed file when no written file straddles the redelivery point', () => {
    const records = [record(event('2026-11-21T01:00:00Z')), record(event('2026-11-21T02:00:00Z'))];
    const files = planBatch(records, SHARD);
    const failedKey = files[1]?.key as string;
    const plan = planPartialFailure(files, new Set([failedKey]), SHARD);
    expect(plan).toEqual({ cut: records[1]?.sequenceNumber, rewrites: [], removals: [] });
  });

  it('trims a written file that holds records after the cut', () => {
    // hour 01: records 0 and 2; hour 02: record 1 (fails). Redelivery starts at record 1.
    const records = [
      record(event('2026-11-21T01:00:00Z')),
      record(event('2026-11-21T02:00:00Z')),
      record(event('2026-11-21T01:30:00Z')),
    ];
    const files = planBatch(records, SHARD);
    const hour02 = files.find((f) => f.key.includes('hour=02'))?.key as string;
    const { cut, rewrites, removals } = planPartialFailure(files, new Set([hour02]), SHARD);
    expect(cut).toBe(records[1]?.sequenceNumber);
    expect(removals).toEqual([]);
    expect(rewrites).toHaveLength(1);
    expect(rewrites[0]?.sequenceNumbers).toEqual([records[0]?.sequenceNumber]);
    expect(rewrites[0]?.manifest).toMatchObject({ records: 1, maxEventTime: '2026-11-21T01:00:00.000Z' });
    expect(rewrites[0]?.manifest.md5).toBe(md5Hex(rewrites[0]?.body as Buffer));
  });

  it('removes written files that hold only records at or after the cut, so the DLQ never describes landed data', () => {
    const records = [
      record(event('2026-11-21T01:00:00Z')),
      record(event('2026-11-21T02:00:00Z')),
      record(event('2026-11-21T03:00:00Z')),
    ];
    const files = planBatch(records, SHARD);
    const plan = planCutback(files, records[1]?.sequenceNumber as string, SHARD);
    expect(plan.rewrites).toEqual([]);
    expect(plan.removals.map((f) => f.key).sort()).toEqual(
      files
        .filter((f) => !f.key.includes('hour=01'))
        .map((f) => f.key)
        .sort(),
    );
    expect(afterCutback(files, plan).map((f) => f.key)).toEqual([files[0]?.key]);
  });
});

describe('compareSequenceNumbers', () => {
  it('orders numerically, not lexicographically', () => {
    expect(compareSequenceNumbers('9', '10')).toBeLessThan(0);
    expect(compareSequenceNumbers('123', '123')).toBe(0);
  });
});
