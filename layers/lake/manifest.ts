import { createHash } from 'node:crypto';
import { z } from 'zod';

export const PRODUCER = { name: 'recomart-pipeline', version: '0.1.0' } as const;

export const ManifestSchema = z.object({
  manifestVersion: z.literal(1),
  dataset: z.string().min(1),
  dataKey: z.string().min(1),
  contentType: z.string(),
  md5: z.string().regex(/^[0-9a-f]{32}$/),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  minEventTime: z.string().nullable(),
  maxEventTime: z.string().nullable(),
  schemaVersion: z.string(),
  producer: z.object({ name: z.string(), version: z.string() }),
  writtenAt: z.string(),
  source: z.record(z.string(), z.unknown()).default({}),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export interface ManifestInput {
  readonly dataset: string;
  readonly dataKey: string;
  readonly contentType: string;
  /** The object's bytes, or their digest when they were streamed (spooled files). */
  readonly body: Uint8Array | { readonly md5: string; readonly bytes: number };
  readonly records: number;
  readonly minEventTime?: string | null;
  readonly maxEventTime?: string | null;
  readonly schemaVersion: string;
  readonly source?: Record<string, unknown>;
  readonly writtenAt?: Date;
}

export function md5Hex(body: Uint8Array | string): string {
  return createHash('md5').update(body).digest('hex');
}

/** Build the manifest of a data object from its exact bytes. */
export function buildManifest(input: ManifestInput): Manifest {
  return {
    manifestVersion: 1,
    dataset: input.dataset,
    dataKey: input.dataKey,
    contentType: input.contentType,
    md5: input.body instanceof Uint8Array ? md5Hex(input.body) : input.body.md5,
    bytes: input.body instanceof Uint8Array ? input.body.byteLength : input.body.bytes,
    records: input.records,
    minEventTime: input.minEventTime ?? null,
    maxEventTime: input.maxEventTime ?? null,
    schemaVersion: input.schemaVersion,
    producer: { ...PRODUCER },
    writtenAt: (input.writtenAt ?? new Date()).toISOString(),
    source: input.source ?? {},
  };
}

export interface ManifestCheck {
  readonly ok: boolean;
  readonly problems: string[];
}

/**
 * Check a data object against its manifest. `countRecords` counts records in the bytes the way the
 * dataset defines them (lines of JSON Lines, CSV rows without the header, ...).
 */
export function verifyManifest(
  manifest: Manifest,
  body: Uint8Array,
  countRecords: (body: Uint8Array) => number,
): ManifestCheck {
  const problems: string[] = [];
  const md5 = md5Hex(body);
  if (md5 !== manifest.md5) problems.push(`MD5 ${md5} does not match the manifest's ${manifest.md5}`);
  if (body.byteLength !== manifest.bytes) {
    problems.push(`size ${body.byteLength} B does not match the manifest's ${manifest.bytes} B`);
  }
  const records = countRecords(body);
  if (records !== manifest.records) problems.push(`${records} records, manifest says ${manifest.records}`);
  return { ok: problems.length === 0, problems };
}

/** Number of non-empty lines (JSON Lines records). */
export function countLines(body: Uint8Array): number {
  let count = 0;
  let lineHasContent = false;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === 10) {
      if (lineHasContent) count++;
      lineHasContent = false;
    } else if (body[i] !== 13) {
      lineHasContent = true;
    }
  }
  return lineHasContent ? count + 1 : count;
}

/** Data rows of a CSV object with a header line (RFC 4180 quoting aware). */
export function countCsvRows(body: Uint8Array): number {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let rows = 0;
  let inQuotes = false;
  let lineHasContent = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) inQuotes = !inQuotes;
    if (ch === 10 && !inQuotes) {
      if (lineHasContent) rows++;
      lineHasContent = false;
    } else if (ch !== 13) {
      lineHasContent = true;
    }
  }
  if (lineHasContent) rows++;
  return Math.max(0, rows - 1);
}
