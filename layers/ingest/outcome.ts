/**
 * What became of one dropped file, as a person asks after an upload: the ledger's state for that
 * version, the rows it put in raw (from the manifests) and the rows it quarantined with the commonest
 * reasons (from the quarantine files).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytes, getManifest, readOrMissing } from '../lake/s3-io';
import { manifestKeyFor } from '../lake/zones';
import type { LedgerEntry } from './ledger';

export interface IngestionOutcome {
  readonly sourceKey: string;
  readonly state: LedgerEntry['status'];
  readonly version: number;
  readonly error?: string;
  readonly archiveKey?: string;
  readonly raw: { readonly objects: number; readonly rows: number; readonly keys: string[] };
  readonly quarantine: {
    readonly rows: number;
    readonly keys: string[];
    readonly topReasons: { reason: string; rows: number }[];
  };
}

/** A reason without the row's own values (quoted text), so that like reasons count together. */
export function reasonKind(reason: string): string {
  return reason.replace(/"[^"]*"/g, '"…"').trim();
}

/** The outcome of a ledger entry that has finished (any state but IN_PROGRESS). */
export async function ingestionOutcome(
  s3: S3Client,
  bucket: string,
  entry: LedgerEntry,
  topReasons = 5,
): Promise<IngestionOutcome> {
  const outputs = entry.outputs ?? [];
  const rawKeys = outputs.filter((k) => k.startsWith('raw/'));
  const quarantineKeys = outputs.filter((k) => k.startsWith('quarantine/'));
  let rawRows = 0;
  for (const key of rawKeys) rawRows += (await getManifest(s3, bucket, manifestKeyFor(key))).records;
  const reasons = new Map<string, number>();
  let quarantined = 0;
  for (const key of quarantineKeys) {
    const bytes = await readOrMissing(s3, bucket, key, (k) => getBytes(s3, bucket, k));
    if (!bytes) continue;
    for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      quarantined++;
      let reason = 'unreadable quarantine line';
      try {
        const parsed = JSON.parse(line) as { reason?: unknown; reasons?: unknown };
        reason = String(parsed.reason ?? (Array.isArray(parsed.reasons) ? parsed.reasons[0] : 'no reason recorded'));
      } catch {
        // counted under its own reason
      }
      const kind = reasonKind(reason);
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
  }
  return {
    sourceKey: entry.sourceKey,
    state: entry.status,
    version: entry.version,
    ...(entry.error ? { error: entry.error } : {}),
    ...(entry.archiveKey ? { archiveKey: entry.archiveKey } : {}),
    raw: { objects: rawKeys.length, rows: rawRows, keys: rawKeys },
    quarantine: {
      rows: quarantined,
      keys: quarantineKeys,
      topReasons: [...reasons]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, topReasons)
        .map(([reason, rows]) => ({ reason, rows })),
    },
  };
}
