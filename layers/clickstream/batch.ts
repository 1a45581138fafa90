/**
 * Plans how one Kinesis batch lands in the lake: valid events grouped by event-time partition into
 * JSON Lines objects under raw/, invalid records grouped by arrival date under quarantine/, each
 * with its manifest. Pure: the handler does the I/O.
 *
 * Object keys are `<shardId>-<first sequence number of the file's records>`, which makes every
 * redelivery Lambda can do overwrite instead of duplicate (docs/decisions/002-clickstream-object-keys.md).
 */

import { lakeKeys } from '../lake/keys';
import { buildManifest, type Manifest } from '../lake/manifest';
import { partitionOf } from '../lake/zones';
import { DEFAULT_YEARS, type YearRange } from '../util/timestamps';
import { CLICKSTREAM_SCHEMA_VERSION, type ClickEvent, parseClickEvent } from './schema';

export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Base64, as Lambda delivers it. */
  readonly data: string;
  /** Seconds since the epoch (fractional), as Lambda delivers it. */
  readonly approximateArrivalTimestamp: number;
}

export interface PlannedFile {
  readonly zone: 'raw' | 'quarantine';
  readonly key: string;
  readonly body: Buffer;
  /** Sequence numbers of the records in this file, ascending. */
  readonly sequenceNumbers: string[];
  /** For raw files: the validated events, parallel to `sequenceNumbers`. */
  readonly events: ClickEvent[];
  readonly manifest: Manifest;
}

/** Kinesis sequence numbers are decimal strings of up to 128 digits: compare numerically. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Group {
  zone: 'raw' | 'quarantine';
  prefix: string;
  lines: string[];
  seqs: string[];
  events: ClickEvent[];
  minMs: number;
  maxMs: number;
}

export function planBatch(
  records: readonly StreamRecord[],
  shardId: string,
  now: Date = new Date(),
  years: YearRange = DEFAULT_YEARS,
): PlannedFile[] {
  const sorted = [...records].sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  const groups = new Map<string, Group>();
  const groupFor = (zone: Group['zone'], prefix: string): Group => {
    let group = groups.get(prefix);
    if (!group) {
      group = {
        zone,
        prefix,
        lines: [],
        seqs: [],
        events: [],
        minMs: Number.POSITIVE_INFINITY,
        maxMs: Number.NEGATIVE_INFINITY,
      };
      groups.set(prefix, group);
    }
    return group;
  };

  // Events of a batch mostly share a few hours: derive each hour's prefix once.
  const prefixOfHour = new Map<number, string>();
  for (const record of sorted) {
    const bytes = Buffer.from(record.data, 'base64');
    const parsed = parseClickEvent(bytes, years);
    if (parsed.ok) {
      const hourIndex = Math.floor(parsed.epochMs / 3_600_000);
      let prefix = prefixOfHour.get(hourIndex);
      if (prefix === undefined) {
        const { dt, hour } = partitionOf(parsed.epochMs);
        prefix = lakeKeys.rawClickstreamHour(dt, hour);
        prefixOfHour.set(hourIndex, prefix);
      }
      const group = groupFor('raw', prefix);
      group.lines.push(parsed.line);
      group.seqs.push(record.sequenceNumber);
      group.events.push(parsed.event);
      group.minMs = Math.min(group.minMs, parsed.epochMs);
      group.maxMs = Math.max(group.maxMs, parsed.epochMs);
    } else {
      const arrivalMs = Number.isFinite(record.approximateArrivalTimestamp)
        ? record.approximateArrivalTimestamp * 1000
        : now.getTime();
      const { dt } = partitionOf(arrivalMs);
      const group = groupFor('quarantine', lakeKeys.quarantineClickstream(dt));
      group.lines.push(
        JSON.stringify({
          reason: parsed.reason,
          shardId,
          sequenceNumber: record.sequenceNumber,
          partitionKey: record.partitionKey,
          approximateArrivalTimestamp: record.approximateArrivalTimestamp,
          dataBase64: record.data,
        }),
      );
      group.seqs.push(record.sequenceNumber);
      group.minMs = Math.min(group.minMs, arrivalMs);
      group.maxMs = Math.max(group.maxMs, arrivalMs);
    }
  }

  return [...groups.values()].map((group) => toFile(group, shardId, now));
}

function toFile(group: Group, shardId: string, now: Date): PlannedFile {
  const key = `${group.prefix}${shardId}-${group.seqs[0]}.jsonl`;
  const body = Buffer.from(`${group.lines.join('\n')}\n`, 'utf8');
  const manifest = buildManifest({
    dataset: group.zone === 'raw' ? 'clickstream' : 'clickstream-quarantine',
    dataKey: key,
    contentType: 'application/x-ndjson',
    body,
    records: group.lines.length,
    minEventTime: new Date(group.minMs).toISOString(),
    maxEventTime: new Date(group.maxMs).toISOString(),
    schemaVersion: CLICKSTREAM_SCHEMA_VERSION,
    source: {
      shardId,
      firstSequenceNumber: group.seqs[0],
      lastSequenceNumber: group.seqs[group.seqs.length - 1],
    },
    writtenAt: now,
  });
  return { zone: group.zone, key, body, sequenceNumbers: group.seqs, events: group.events, manifest };
}

/**
 * After some files failed to write: Lambda will redeliver every record from the lowest failed
 * sequence number on, so that is the cut (see planCutback). Returns the cut and what to do with the
 * files that were written.
 */
export function planPartialFailure(
  files: readonly PlannedFile[],
  failed: ReadonlySet<string>,
  shardId: string,
  now: Date = new Date(),
): { cut: string | undefined } & Cutback {
  let cut: string | undefined;
  for (const file of files) {
    if (!failed.has(file.key)) continue;
    const first = file.sequenceNumbers[0];
    if (first !== undefined && (cut === undefined || compareSequenceNumbers(first, cut) < 0)) cut = first;
  }
  if (cut === undefined) return { cut, rewrites: [], removals: [] };
  return {
    cut,
    ...planCutback(
      files.filter((f) => !failed.has(f.key)),
      cut,
      shardId,
      now,
    ),
  };
}

export interface Cutback {
  /** Written files that hold records on both sides of the cut: rewrite them with the earlier records only. */
  readonly rewrites: PlannedFile[];
  /** Written files whose records are all at or after the cut: remove them (data and manifest). */
  readonly removals: PlannedFile[];
}

/**
 * Make the lake hold exactly the records before `cut` (docs/decisions/014-clickstream-raw-or-dlq.md):
 * the records from the cut on will be redelivered (and, if Lambda gives up on them, described on the
 * DLQ), so no written file may keep any of them. A redelivery writes them again under the same or new
 * keys; nothing is duplicated and nothing is both in the lake and on the DLQ.
 */
export function planCutback(
  written: readonly PlannedFile[],
  cut: string,
  shardId: string,
  now: Date = new Date(),
): Cutback {
  const rewrites: PlannedFile[] = [];
  const removals: PlannedFile[] = [];
  for (const file of written) {
    const keepCount = file.sequenceNumbers.findIndex((seq) => compareSequenceNumbers(seq, cut) >= 0);
    if (keepCount === -1) continue; // entirely before the cut
    if (keepCount === 0) removals.push(file);
    else rewrites.push(truncate(file, keepCount, shardId, now));
  }
  return { rewrites, removals };
}

/** What stays in the lake after a cutback. */
export function afterCutback(written: readonly PlannedFile[], cutback: Cutback): PlannedFile[] {
  const removed = new Set(cutback.removals.map((f) => f.key));
  const rewritten = new Map(cutback.rewrites.map((f) => [f.key, f]));
  return written.filter((f) => !removed.has(f.key)).map((f) => rewritten.get(f.key) ?? f);
}

function truncate(file: PlannedFile, keepCount: number, shardId: string, now: Date): PlannedFile {
  const lines = file.body.toString('utf8').split('\n').slice(0, keepCount);
  const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const sequenceNumbers = file.sequenceNumbers.slice(0, keepCount);
  const events = file.events.slice(0, keepCount);
  const times = file.zone === 'raw' ? events.map((event) => Date.parse(event.timestamp)) : [];
  const manifest = buildManifest({
    dataset: file.manifest.dataset,
    dataKey: file.key,
    contentType: file.manifest.contentType,
    body,
    records: keepCount,
    minEventTime: times.length > 0 ? new Date(Math.min(...times)).toISOString() : file.manifest.minEventTime,
    maxEventTime: times.length > 0 ? new Date(Math.max(...times)).toISOString() : file.manifest.maxEventTime,
    schemaVersion: file.manifest.schemaVersion,
    source: { shardId, firstSequenceNumber: sequenceNumbers[0], lastSequenceNumber: sequenceNumbers.at(-1) },
    writtenAt: now,
  });
  return { ...file, body, sequenceNumbers, events, manifest };
}
