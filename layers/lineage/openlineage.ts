/**
 * Lineage as OpenLineage run events (https://openlineage.io/spec/2-0-2/OpenLineage.json), one JSON
 * object per step run under `lineage/<job>/dt=<date>/<runId>.json`. Datasets are S3 objects
 * (namespace `s3://<bucket>`, name = key) with their MD5 in a custom facet.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { listKeys } from '../lake/inventory';
import { LAKE_PREFIXES, lakeKeys } from '../lake/keys';
import { getBytes, putJson } from '../lake/s3-io';

export const LINEAGE_NAMESPACE = 'recomart';
export const PRODUCER_URI = 'https://github.com/recomart/recomart-pipeline';
const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const MD5_FACET_SCHEMA = 'https://github.com/recomart/recomart-pipeline/blob/main/docs/lineage.md#md5';

export interface DatasetRef {
  /** `s3://<bucket>` for lake objects, or a URL origin for external sources. */
  readonly namespace: string;
  readonly name: string;
  readonly md5?: string;
  readonly records?: number;
}

const DatasetSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  facets: z.record(z.string(), z.unknown()).optional(),
});

export const RunEventSchema = z.object({
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']),
  eventTime: z.string(),
  producer: z.string(),
  schemaURL: z.string(),
  run: z.object({ runId: z.string(), facets: z.record(z.string(), z.unknown()).optional() }),
  job: z.object({ namespace: z.string(), name: z.string(), facets: z.record(z.string(), z.unknown()).optional() }),
  inputs: z.array(DatasetSchema),
  outputs: z.array(DatasetSchema),
});
export type RunEvent = z.infer<typeof RunEventSchema>;

export interface RunDescription {
  readonly job: string;
  readonly runId?: string;
  readonly codeVersion: string;
  readonly inputs: readonly DatasetRef[];
  readonly outputs: readonly DatasetRef[];
  readonly eventTime?: Date;
  /** Extra run facts (row counts, source ETag, ledger version). */
  readonly details?: Record<string, unknown>;
}

function dataset(ref: DatasetRef) {
  const facets: Record<string, unknown> = {};
  if (ref.md5 !== undefined || ref.records !== undefined) {
    facets.recomart_content = {
      _producer: PRODUCER_URI,
      _schemaURL: MD5_FACET_SCHEMA,
      ...(ref.md5 !== undefined ? { md5: ref.md5 } : {}),
      ...(ref.records !== undefined ? { records: ref.records } : {}),
    };
  }
  return { namespace: ref.namespace, name: ref.name, ...(Object.keys(facets).length > 0 ? { facets } : {}) };
}

/** A COMPLETE run event for a step that read `inputs` and wrote `outputs`. */
export function runEvent(run: RunDescription): RunEvent {
  return {
    eventType: 'COMPLETE',
    eventTime: (run.eventTime ?? new Date()).toISOString(),
    producer: `${PRODUCER_URI}/tree/${run.codeVersion}`,
    schemaURL: SCHEMA_URL,
    run: {
      runId: run.runId ?? randomUUID(),
      facets: {
        recomart_run: {
          _producer: PRODUCER_URI,
          _schemaURL: MD5_FACET_SCHEMA,
          codeVersion: run.codeVersion,
          ...run.details,
        },
      },
    },
    job: { namespace: LINEAGE_NAMESPACE, name: run.job },
    inputs: run.inputs.map(dataset),
    outputs: run.outputs.map(dataset),
  };
}

export function lineageKeyFor(event: RunEvent): string {
  return lakeKeys.lineage(event.job.name, event.eventTime.slice(0, 10), event.run.runId);
}

export async function writeRunEvent(s3: S3Client, bucket: string, event: RunEvent): Promise<string> {
  const key = lineageKeyFor(event);
  await putJson(s3, bucket, key, event);
  return key;
}

/** Every run event under `lineage/` (a scan: fine for a lake's lineage history, not for serving). */
export async function readRunEvents(s3: S3Client, bucket: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const key of listKeys(s3, bucket, LAKE_PREFIXES.lineage)) {
    if (!key.endsWith('.json')) continue;
    const parsed = RunEventSchema.safeParse(JSON.parse(Buffer.from(await getBytes(s3, bucket, key)).toString('utf8')));
    if (parsed.success) events.push(parsed.data);
  }
  return events;
}

export interface LineageNode {
  readonly dataset: string;
  readonly job?: string;
  readonly runId?: string;
  readonly eventTime?: string;
  readonly md5?: string;
  readonly children: LineageNode[];
}

const md5Of = (d: { facets?: Record<string, unknown> | undefined }) =>
  (d.facets?.recomart_content as { md5?: string } | undefined)?.md5;

/**
 * Upstream: the runs that wrote `name` and, recursively, what they read. Downstream: the runs that
 * read `name` and, recursively, what they wrote. Cycles (an archive move) are cut.
 */
export function traceLineage(
  events: readonly RunEvent[],
  name: string,
  depth = 6,
): { upstream: LineageNode; downstream: LineageNode } {
  const walk = (current: string, dir: 'up' | 'down', seen: Set<string>, level: number): LineageNode[] => {
    if (level >= depth) return [];
    const nodes: LineageNode[] = [];
    for (const event of events) {
      const [here, there] = dir === 'up' ? [event.outputs, event.inputs] : [event.inputs, event.outputs];
      if (!here.some((d) => d.name === current)) continue;
      for (const next of there) {
        if (seen.has(next.name)) continue;
        const nextSeen = new Set(seen).add(next.name);
        nodes.push({
          dataset: next.name,
          job: event.job.name,
          runId: event.run.runId,
          eventTime: event.eventTime,
          ...(md5Of(next) ? { md5: md5Of(next) as string } : {}),
          children: walk(next.name, dir, nextSeen, level + 1),
        });
      }
    }
    return nodes;
  };
  const seen = new Set([name]);
  return {
    upstream: { dataset: name, children: walk(name, 'up', seen, 0) },
    downstream: { dataset: name, children: walk(name, 'down', seen, 0) },
  };
}
