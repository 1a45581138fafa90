/**
 * What every landing-zone ingest shares (docs/decisions/013-landing-versions.md): take the key's lock
 * and claim the version in the ledger, archive exactly that version (by version id, or only if its
 * ETag still matches), read the archived copy, hand its bytes to the dataset's step, retire earlier
 * versions only when this one says `replace`, remove exactly this version from landing, record
 * lineage, and record a failure with what it had written.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectExists } from '../lake/listed';
import {
  copySourceOf,
  copyVersion,
  deleteVersion,
  deleteWithManifest,
  putJson,
  SourceChangedError,
} from '../lake/s3-io';
import { decodeS3EventKey } from '../lake/zones';
import type { DatasetRef } from '../lineage/openlineage';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import { charsetOf } from '../util/csv-records';
import type { IngestMode, Ledger, LedgerEntry } from './ledger';

export interface StepOutput {
  /** Data objects written (raw and quarantine), with MD5 and record counts for lineage. */
  readonly outputs: DatasetRef[];
  /**
   * Set when the file cannot be read as the dataset at all: it is copied to quarantine as
   * `<quarantineDir>/<name>.csv`, with the reason in `<name>.reason.json` beside it.
   */
  readonly unusable?: string;
  readonly details?: Record<string, unknown>;
}

export interface StepContext {
  readonly runId: string;
  readonly version: number;
  readonly workDir: string;
  readonly sourceKey: string;
  readonly eTag: string;
  /** Unique per source object and version (`<base>-<digest of the landing key>.v<N>`): name outputs with it. */
  readonly name: string;
  /** The source's declared charset, when its Content-Type names one. */
  readonly encoding?: string;
  /** Today's quarantine folder of this dataset: rows the step rejects go under it. */
  readonly quarantineDir: string;
  /** Tell the ledger about an object as soon as it is written (kept when the version fails). */
  readonly wrote: (key: string) => void;
}

export interface LandingIngest {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly ledger: Ledger;
  readonly job: string;
  readonly dataset: string;
  readonly codeVersion: string;
  readonly log: (message: string, details: Record<string, unknown>) => void;
  /** Where a version's bytes are archived, given its unique name and today's date. */
  readonly archiveKey: (name: string, today: string) => string;
  /** The dataset's quarantine folder for a date (no trailing slash). */
  readonly quarantineDir: (today: string) => string;
  readonly step: (body: Readable, context: StepContext) => Promise<StepOutput>;
}

/** What a dataset's ingest is given by its function, whatever the dataset. */
export type IngestBase = Pick<LandingIngest, 's3' | 'bucket' | 'ledger' | 'codeVersion' | 'log'>;

/** One version of a landing object, as its S3 event names it. */
export interface LandingObject {
  readonly key: string;
  readonly eTag: string;
  /** Present when the bucket is versioned. */
  readonly versionId?: string;
  /** S3's order of this key's events. */
  readonly sequencer?: string;
}

export interface LandingOptions {
  /** Wait for another version's run until this time (epoch ms) before giving up (to be retried). */
  readonly waitUntil?: number;
}

export type LandingOutcome =
  | {
      readonly outcome: 'ingested';
      readonly version: number;
      readonly outputs: string[];
      readonly archiveKey: string;
      readonly lineageKey: string;
      readonly retired: number[];
    }
  | { readonly outcome: 'duplicate' | 'superseded'; readonly version: number; readonly reason?: string };

/** User metadata that makes a version replace the earlier versions of its key (`x-amz-meta-recomart-mode`). */
export const MODE_METADATA = 'recomart-mode';

/** `<base name without .csv>-<8 hex of SHA-256 of the whole landing key>`: two folders never collide. */
export function sourceTag(sourceKey: string): string {
  const base = path.posix.basename(sourceKey).replace(/\.csv$/i, '');
  const safe = base.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 100) || 'source';
  return `${safe}-${createHash('sha256').update(sourceKey).digest('hex').slice(0, 8)}`;
}

/** The unique name of one version of a landing object: `<sourceTag>.v<N>`. */
export function versionName(sourceKey: string, version: number): string {
  return `${sourceTag(sourceKey)}.v${version}`;
}

const today = () => new Date().toISOString().slice(0, 10);

export async function ingestLandingObject(
  ingest: LandingIngest,
  object: LandingObject,
  options: LandingOptions = {},
): Promise<LandingOutcome> {
  const { s3, bucket, ledger } = ingest;
  const runId = randomUUID();
  const key = { sourceKey: object.key, eTag: object.eTag };
  const claim = await ledger.claim({
    ...key,
    dataset: ingest.dataset,
    runId,
    ...(object.sequencer ? { sequencer: object.sequencer } : {}),
    ...(options.waitUntil !== undefined ? { waitUntil: options.waitUntil } : {}),
  });
  if (claim.outcome !== 'claimed') {
    // The bytes are archived already (a duplicate event, or the same bytes uploaded again): only
    // this copy in landing is left to clear, and only if the key still holds it.
    const cleared = await deleteVersion(s3, bucket, object);
    ingest.log(claim.outcome === 'done' ? 'already ingested: no-op' : 'superseded earlier: no-op', {
      sourceKey: object.key,
      eTag: object.eTag,
      version: claim.entry.version,
      landing: cleared,
    });
    return { outcome: claim.outcome === 'done' ? 'duplicate' : 'superseded', version: claim.entry.version };
  }

  const version = claim.version;
  const name = versionName(object.key, version);
  const archiveKey = ingest.archiveKey(name, today());
  const written: string[] = [];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ingest.job}-`));
  try {
    if (!(await snapshot(ingest, object, archiveKey))) {
      const reason = 'the landing object was replaced or deleted before this version could be archived';
      await ledger.supersede(key, runId, reason);
      ingest.log('version gone before it was archived: nothing to ingest', { sourceKey: object.key, version });
      return { outcome: 'superseded', version, reason };
    }
    if (claim.replacedBy) {
      const reason = `version ${claim.replacedBy.version}, uploaded after it with mode=replace, was ingested first`;
      await ledger.supersede(key, runId, reason, { archiveKey, replacedBy: claim.replacedBy.version });
      await deleteVersion(s3, bucket, object);
      ingest.log('version replaced by a later one: archived, not ingested', { sourceKey: object.key, version });
      return { outcome: 'superseded', version, reason };
    }

    const archived = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: archiveKey }));
    const body = archived.Body as Readable;
    const mode: IngestMode = archived.Metadata?.[MODE_METADATA]?.toLowerCase() === 'replace' ? 'replace' : 'append';
    const encoding = charsetOf(archived.ContentType);
    const sourceHash = createHash('md5');
    let sourceBytes = 0;
    body.on('data', (chunk: Buffer) => {
      sourceHash.update(chunk);
      sourceBytes += chunk.length;
    });
    const drained = new Promise<boolean>((resolve) => {
      body.once('end', () => resolve(true));
      body.once('close', () => resolve(body.readableEnded));
      body.once('error', () => resolve(false));
    });
    const quarantineDir = ingest.quarantineDir(today());
    const result = await ingest.step(body, {
      runId,
      version,
      workDir,
      sourceKey: object.key,
      eTag: object.eTag,
      name,
      ...(encoding ? { encoding } : {}),
      quarantineDir,
      wrote: (k) => written.push(k),
    });
    if (!body.readableEnded && !body.destroyed) body.resume();
    const complete = await drained;
    const outputs = result.outputs.map((o) => o.name);
    const extra: DatasetRef[] = [];
    if (result.unusable) {
      ingest.log('file quarantined', { key: object.key, reason: result.unusable });
      const reasonKey = `${quarantineDir}/${name}.reason.json`;
      await putJson(s3, bucket, reasonKey, {
        key: object.key,
        eTag: object.eTag,
        ledgerVersion: version,
        runId,
        reason: result.unusable,
      });
      written.push(reasonKey);
      extra.push({ namespace: `s3://${bucket}`, name: reasonKey });
      const quarantined = `${quarantineDir}/${name}.csv`;
      await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: quarantined, CopySource: copySourceOf(bucket, archiveKey) }),
      );
      written.push(quarantined);
      extra.push({ namespace: `s3://${bucket}`, name: quarantined });
    }
    const retired = mode === 'replace' ? await retireEarlier(ingest, claim.others, version, outputs) : [];
    const sourceMd5 = complete ? sourceHash.digest('hex') : undefined;
    const namespace = `s3://${bucket}`;
    const lineageKey = await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: ingest.job,
        runId,
        codeVersion: ingest.codeVersion,
        inputs: [{ namespace, name: object.key, ...(sourceMd5 ? { md5: sourceMd5 } : {}) }],
        outputs: [
          ...result.outputs,
          ...extra,
          { namespace, name: archiveKey, ...(sourceMd5 ? { md5: sourceMd5 } : {}) },
        ],
        details: {
          eTag: object.eTag,
          ...(object.versionId ? { versionId: object.versionId } : {}),
          ledgerVersion: version,
          mode,
          ...(retired.length > 0 ? { retiredVersions: retired } : {}),
          sourceBytes,
          ...result.details,
        },
      }),
    );
    await ledger.complete(key, runId, { outputs: [...outputs, ...extra.map((e) => e.name)], archiveKey, mode });
    // Done in the ledger first: a crash now leaves only this landing copy, which a retry clears.
    const landing = await deleteVersion(s3, bucket, object);
    ingest.log('ingested', {
      sourceKey: object.key,
      eTag: object.eTag,
      version,
      mode,
      outputs: outputs.length,
      archiveKey,
      lineageKey,
      landing,
      ...(retired.length > 0 ? { retiredVersions: retired } : {}),
      ...result.details,
    });
    return { outcome: 'ingested', version, outputs, archiveKey, lineageKey, retired };
  } catch (err) {
    await ledger.fail(key, runId, (err as Error).message, written).catch(() => undefined);
    throw err;
  } finally {
    await ledger.release(object.key, runId).catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Archive exactly the notified version. False when it is no longer in landing and no earlier attempt
 * archived it (a retry after a crash finds its own archive copy).
 */
async function snapshot(ingest: LandingIngest, object: LandingObject, archiveKey: string): Promise<boolean> {
  try {
    await copyVersion(ingest.s3, ingest.bucket, object, archiveKey);
    return true;
  } catch (err) {
    if (!(err instanceof SourceChangedError)) throw err;
  }
  return objectExists(ingest.s3, ingest.bucket, archiveKey);
}

/**
 * `replace`: take out the raw outputs of every earlier version of the key that this version did not
 * rewrite itself (quarantine is history).
 */
async function retireEarlier(
  ingest: LandingIngest,
  others: readonly LedgerEntry[],
  version: number,
  rewritten: readonly string[],
) {
  const keep = new Set(rewritten);
  const retired: number[] = [];
  for (const other of others) {
    if (other.version >= version || (other.status !== 'DONE' && other.status !== 'FAILED')) continue;
    const keys = [...(other.outputs ?? []), ...(other.partialOutputs ?? [])].filter(
      (k) => k.startsWith('raw/') && !keep.has(k),
    );
    for (const dataKey of keys) await deleteWithManifest(ingest.s3, ingest.bucket, dataKey);
    await ingest.ledger.retire({ sourceKey: other.sourceKey, eTag: other.eTag }, version);
    retired.push(other.version);
  }
  if (retired.length > 0) ingest.log('retired earlier versions (mode=replace)', { version, retired });
  return retired;
}

/** The landing object an S3 event record names (key decoded; version id and sequencer when present). */
export function landingObjectOf(record: {
  s3: { object: { key: string; eTag?: string; versionId?: string; sequencer?: string } };
}): LandingObject {
  const o = record.s3.object;
  return {
    key: decodeS3EventKey(o.key),
    eTag: o.eTag ?? '',
    ...(o.versionId ? { versionId: o.versionId } : {}),
    ...(o.sequencer ? { sequencer: o.sequencer } : {}),
  };
}

/** How long a run may wait for another version of its key: half its remaining time, at most 5 minutes. */
export function lockWaitUntil(remainingMs: number | undefined, now = Date.now()): number {
  return now + Math.min(300_000, Math.max(0, (remainingMs ?? 60_000) / 2));
}
