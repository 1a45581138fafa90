/**
 * Compacting validated raw versions into the curated zone (docs/decisions/025-curated-zone.md): the
 * versions a feature build selected, grouped by partition (a day of transactions, an hour of click
 * events), each group written as one typed Parquet file named by the versions it holds, with its
 * manifest and a lineage event. A group whose file exists is not written again; writing one removes
 * the partition's other files, so a table over the zone reads each row once.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { glueColumnsOf } from '../catalog/glue-columns';
import { ClickEventSchema } from '../clickstream/schema';
import { listKeys } from '../lake/inventory';
import { lakeKeys } from '../lake/keys';
import { readListed } from '../lake/listed';
import { buildManifest, md5Hex } from '../lake/manifest';
import { PARQUET_CONTENT_TYPE } from '../lake/parquet';
import { deleteWithManifest, getBytes, putWithManifest } from '../lake/s3-io';
import { isManifestKey } from '../lake/zones';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { TransactionRowSchema, transactionTime } from '../transactions/schema';
import { csvTableRows } from '../util/csv-records';
import { bytesStream, recordLines } from '../util/lines';
import { CURATED, CURATED_SCHEMA_VERSION, type CuratedDataset } from './schema';

// hyparquet-writer ships ES modules only; loaded with require on first use, as hyparquet is
// (../lake/parquet.ts): the function's other steps do not pay for it at a cold start.
type Writer = typeof import('hyparquet-writer', { with: { 'resolution-mode': 'import' }});
let writerLib: Writer | undefined;
const parquetWriter = (): Writer => {
  writerLib ??= require('hyparquet-writer') as Writer;
  return writerLib;
};

/** A raw version a build selected: its data key, MD5 and rows (from its manifest). */
export interface CurationMember {
  readonly key: string;
  readonly md5: string;
  readonly records: number;
}

/** One curated file to have: a partition of a dataset and the raw versions it holds. */
export interface CurationGroup {
  readonly dataset: CuratedDataset;
  /** `dt=…` or `dt=…/hour=…`, as the members' keys have it. */
  readonly partition: string;
  readonly key: string;
  readonly members: readonly CurationMember[];
}

/** What a curated file holds of one raw version. */
export interface CuratedMember extends CurationMember {
  /** Rows in the curated file. */
  readonly curated: number;
  /** Rows the dataset's schema refused (validation quarantined them with their reasons), and the first reasons. */
  readonly excluded: number;
  readonly reasons: readonly string[];
}

const PARTITION = { transactions: /\/(dt=[^/]+)\//, clickstream: /\/(dt=[^/]+\/hour=[^/]+)\// } as const;

/** The name of a set of versions: the same versions (keys and bytes) give the same file. */
export function membersDigest(members: readonly CurationMember[]): string {
  const lines = members.map((m) => `${m.key}\t${m.md5}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 20);
}

/** The curated files a set of a dataset's raw versions makes: one per partition, named by its members. */
export function curationGroups(dataset: CuratedDataset, members: readonly CurationMember[]): CurationGroup[] {
  const byPartition = new Map<string, CurationMember[]>();
  for (const member of members) {
    const partition = PARTITION[dataset].exec(member.key)?.[1];
    if (!partition) throw new Error(`${member.key} has no ${dataset} partition in its key.`);
    const group = byPartition.get(partition);
    if (group) group.push(member);
    else byPartition.set(partition, [member]);
  }
  return [...byPartition]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([partition, group]) => ({
      dataset,
      partition,
      key: lakeKeys.curatedFile(dataset, partition, membersDigest(group)),
      members: [...group].sort((a, b) => a.key.localeCompare(b.key)),
    }));
}

/** Parquet's type of a Glue column type. */
const PARQUET_TYPE: Record<string, 'STRING' | 'INT64' | 'DOUBLE'> = {
  string: 'STRING',
  bigint: 'INT64',
  double: 'DOUBLE',
};

type Row = Record<string, string | number | null>;

/** Rows per row group: a curation holds one group of columns in memory, whatever the partition's size. */
export const ROW_GROUP_ROWS = 100_000;

/** Rows written as typed Parquet a row group at a time, in the curated table's columns. */
class Columns {
  private readonly columns: { name: string; type: 'STRING' | 'INT64' | 'DOUBLE'; data: unknown[] }[];
  private readonly bytes: InstanceType<Writer['ByteWriter']>;
  private readonly writer: InstanceType<Writer['ParquetWriter']>;
  rows = 0;
  minMs = Number.POSITIVE_INFINITY;
  maxMs = Number.NEGATIVE_INFINITY;

  constructor(
    schema: z.ZodObject,
    private readonly rowGroup: number,
  ) {
    this.columns = glueColumnsOf(schema).map((c) => {
      const type = PARQUET_TYPE[c.type];
      if (!type) throw new Error(`no Parquet type for the curated column ${c.name} (${c.type})`);
      return { name: c.name, type, data: [] };
    });
    const { ByteWriter, ParquetWriter, schemaFromColumnData } = parquetWriter();
    this.bytes = new ByteWriter();
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: schemaFromColumnData({ columnData: this.columns }),
      createdBy: 'recomart-pipeline curated zone',
    });
  }

  push(row: Row): void {
    for (const column of this.columns) {
      const value = row[column.name] ?? null;
      column.data.push(value === null ? null : column.type === 'INT64' ? BigInt(value) : value);
    }
    const at = row.at_ms as number;
    if (at < this.minMs) this.minMs = at;
    if (at > this.maxMs) this.maxMs = at;
    this.rows++;
    if ((this.columns[0]?.data.length ?? 0) >= this.rowGroup) this.flush();
  }

  private flush(): void {
    if ((this.columns[0]?.data.length ?? 0) === 0) return;
    this.writer.write({
      columnData: this.columns.map(({ name, data }) => ({ name, data })),
      rowGroupSize: this.rowGroup,
    });
    for (const column of this.columns) column.data = [];
  }

  /** The file's bytes (SNAPPY, the writer's default); no row may be pushed after. */
  parquet(): Uint8Array {
    this.flush();
    this.writer.finish();
    return new Uint8Array(this.bytes.getBuffer());
  }
}

const MAX_REASONS = 5;

/** Why the schema refused a row: its first issue, at its field. */
function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || what}: ${issue?.message ?? 'invalid'}`;
}

/** The rows of one raw transactions version the schema accepts, typed; the others counted with their reasons. */
async function transactionRows(bytes: Uint8Array, columns: Columns, note: (reason: string) => void): Promise<void> {
  for await (const row of csvTableRows(bytesStream(bytes), (rejected) =>
    note(`line ${rejected.line}: ${rejected.reason}`),
  )) {
    const parsed = TransactionRowSchema.safeParse(row);
    if (!parsed.success) {
      note(firstIssue(parsed.error, 'row'));
      continue;
    }
    const t = parsed.data;
    columns.push({
      transaction_id: t.transaction_id,
      customer_id: t.customer_id,
      product_id: t.product_id,
      quantity: t.quantity,
      unit_price: t.unit_price,
      rating: t.rating ?? null,
      timestamp: t.timestamp,
      at_ms: transactionTime(t.timestamp),
    });
  }
}

const EVENT_FIELDS = new Set(Object.keys(ClickEventSchema.shape));

/** The events of one raw clickstream version (the ingest wrote only valid ones; any other is counted). */
function clickRows(bytes: Uint8Array, columns: Columns, note: (reason: string) => void): void {
  for (const line of recordLines(bytes)) {
    // The ingest wrote UTF-8 only; bytes that are not would be decoded into other characters.
    if (!isUtf8(line)) {
      note('the event is not valid UTF-8');
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line.toString('utf8'));
    } catch (err) {
      note(`not JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = ClickEventSchema.safeParse(json);
    if (!parsed.success) {
      note(firstIssue(parsed.error, 'event'));
      continue;
    }
    const e = parsed.data;
    const extra = Object.entries(e).filter(([k]) => !EVENT_FIELDS.has(k));
    columns.push({
      eventid: e.eventId,
      eventtype: e.eventType,
      userid: e.userId,
      sessionid: e.sessionId,
      productid: e.productId ?? null,
      searchterm: e.searchTerm ?? null,
      timestamp: e.timestamp,
      page: e.page ?? null,
      referrer: e.referrer ?? null,
      device: e.device ?? null,
      at_ms: Date.parse(e.timestamp),
      extra: extra.length > 0 ? JSON.stringify(Object.fromEntries(extra)) : null,
    });
  }
}

/** A raw version's bytes, with what its manifest says of them. */
export interface CurationInput extends CurationMember {
  readonly bytes: Uint8Array;
}

/**
 * The curated file of some raw versions of a dataset: their rows the schema accepts, typed, as one
 * Parquet file, and what each version gave. A version's curated and refused rows must add up to its
 * manifest's count (an oracle independent of the parser), or nothing is written.
 */
export async function curatedFile(
  dataset: CuratedDataset,
  versions: readonly CurationInput[],
  rowGroupRows = ROW_GROUP_ROWS,
): Promise<{ body: Uint8Array; members: CuratedMember[]; rows: { rows: number; minMs: number; maxMs: number } }> {
  const columns = new Columns(CURATED[dataset].schema, rowGroupRows);
  const members: CuratedMember[] = [];
  for (const { bytes, ...member } of versions) {
    const before = columns.rows;
    const reasons: string[] = [];
    let excluded = 0;
    const note = (reason: string) => {
      excluded++;
      if (reasons.length < MAX_REASONS) reasons.push(reason);
    };
    if (dataset === 'transactions') await transactionRows(bytes, columns, note);
    else clickRows(bytes, columns, note);
    const curated = columns.rows - before;
    if (curated + excluded !== member.records)
      throw new Error(
        `${member.key}: ${curated} rows curated and ${excluded} refused, its manifest says ${member.records}: refusing to curate it.`,
      );
    members.push({ ...member, curated, excluded, reasons });
  }
  return { body: columns.parquet(), members, rows: columns };
}

/** A selected version changed or went away before its group was curated: the build read a stale selection. */
export class SelectionChangedError extends Error {
  override readonly name = 'SelectionChangedError';
}

export interface CurateOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly codeVersion: string;
  readonly now?: () => Date;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

export interface CurateResult {
  readonly key: string;
  /** False when the file was there already (the same versions were curated before). */
  readonly written: boolean;
  readonly records: number;
  /** Files of the partition for other versions, removed. */
  readonly removed: readonly string[];
}

/**
 * Write a group's curated file from its raw versions, unless it exists. Every member's bytes must be
 * those selected; its rows are the curated rows plus the rows the schema refused, or the curation
 * fails (the manifest's count is the oracle). Then the partition's other files go.
 */
export async function curateGroup(opts: CurateOptions, group: CurationGroup): Promise<CurateResult> {
  const { s3, bucket } = opts;
  const dir = lakeKeys.curatedDir(group.dataset, group.partition);
  const others: string[] = [];
  let exists = false;
  for await (const key of listKeys(s3, bucket, dir)) {
    if (isManifestKey(key)) continue;
    if (key === group.key) exists = true;
    else others.push(key);
  }
  if (exists && others.length === 0) return { key: group.key, written: false, records: -1, removed: [] };

  let records = -1;
  if (!exists) {
    const versions: CurationInput[] = [];
    for (const member of group.members) {
      const bytes = await readListed(s3, bucket, member.key, (key) => getBytes(s3, bucket, key));
      if (!bytes)
        throw new SelectionChangedError(
          `${member.key} was retired by a re-upload after the feature build selected it: start the build again.`,
        );
      if (md5Hex(bytes) !== member.md5)
        throw new SelectionChangedError(
          `${member.key} changed after the feature build selected it (MD5 ${md5Hex(bytes)}, selected ${member.md5}): start the build again.`,
        );
      versions.push({ ...member, bytes });
    }
    const { body, members, rows: columns } = await curatedFile(group.dataset, versions);
    await putWithManifest(
      s3,
      bucket,
      body,
      buildManifest({
        dataset: CURATED[group.dataset].table,
        dataKey: group.key,
        contentType: PARQUET_CONTENT_TYPE,
        body,
        records: columns.rows,
        ...(columns.rows > 0
          ? { minEventTime: new Date(columns.minMs).toISOString(), maxEventTime: new Date(columns.maxMs).toISOString() }
          : {}),
        schemaVersion: CURATED_SCHEMA_VERSION,
        source: { members },
        writtenAt: opts.now?.(),
      }),
    );
    await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: 'curate',
        codeVersion: opts.codeVersion,
        inputs: group.members.map((m) => ({
          namespace: `s3://${bucket}`,
          name: m.key,
          md5: m.md5,
          records: m.records,
        })),
        outputs: [{ namespace: `s3://${bucket}`, name: group.key, md5: md5Hex(body), records: columns.rows }],
        details: { excluded: members.reduce((n, m) => n + m.excluded, 0) },
        ...(opts.now ? { eventTime: opts.now() } : {}),
      }),
    );
    records = columns.rows;
    opts.log?.('curated', { key: group.key, members: members.length, records, bytes: body.byteLength });
  }
  // The partition holds one file: the others are earlier sets of versions (a table over the zone
  // would read their rows twice). A build still reading one fails its check (docs/decisions/025-curated-zone.md).
  for (const key of others) await deleteWithManifest(s3, bucket, key);
  if (others.length > 0) opts.log?.('curated files replaced', { partition: dir, removed: others });
  return { key: group.key, written: !exists, records, removed: others };
}
