/**
 * What every landing-zone ingest shares: claim the (key, ETag) in the ledger, read exactly that
 * version of the object, hand its bytes to the dataset's step, retire the outputs of the version it
 * replaces, archive the source, record lineage, and release the claim on failure.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { deleteWithManifest, moveObject } from '../lake/s3-io';
import type { DatasetRef } from '../lineage/openlineage';
import { runEvent, writeRunEvent } from '../lineage/openlineage';
import type { Ledger, LedgerEntry } from './ledger';

export interface StepOutput {
  /** Data objects written (raw and quarantine), with MD5 and record counts for lineage. */
  readonly outputs: DatasetRef[];
  /** Where the source goes afterwards: the archive (default), or quarantine for an unusable file. */
  readonly moveSourceTo?: string;
  readonly details?: Record<string, unknown>;
}

export interface StepContext {
  readonly runId: string;
  readonly version: number;
  readonly workDir: string;
  readonly sourceKey: string;
  readonly eTag: string;
}

export interface LandingIngest {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly ledger: Ledger;
  readonly job: string;
  readonly dataset: string;
  readonly codeVersion: string;
  readonly log: (message: string, details: Record<string, unknown>) => void;
  /** Where a source object goes once ingested (`archive/...`), given today's date. */
  readonly archiveKey: (sourceKey: string, today: string) => string;
  readonly step: (body: Readable, context: StepContext) => Promise<StepOutput>;
}

export type LandingOutcome =
  | { readonly outcome: 'ingested'; readonly version: number; readonly outputs: string[]; readonly lineageKey: string }
  | { readonly outcome: 'duplicate' | 'busy' | 'superseded' | 'gone' };

export async function ingestLandingObject(
  ingest: LandingIngest,
  sourceKey: string,
  eTag: string,
): Promise<LandingOutcome> {
  const { s3, bucket, ledger } = ingest;
  const runId = randomUUID();
  const key = { sourceKey, eTag };
  const claim = await ledger.claim(key, ingest.dataset, runId);
  if (claim.outcome !== 'claimed') {
    ingest.log(claim.outcome === 'done' ? 'already ingested: no-op' : 'being ingested by another run', {
      sourceKey,
      eTag,
      version: claim.entry.version,
      runId: claim.entry.runId,
    });
    if (claim.outcome === 'done') await archiveDuplicate(ingest, sourceKey, eTag);
    return { outcome: claim.outcome === 'done' ? 'duplicate' : 'busy' };
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ingest.job}-`));
  try {
    let body: Readable;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: sourceKey, IfMatch: eTag }));
      body = object.Body as Readable;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'PreconditionFailed' || err instanceof NoSuchKey || name === 'NoSuchKey') {
        // The object changed or moved since the event: its own event (or run) handles what is there now.
        const outcome = name === 'PreconditionFailed' ? 'superseded' : 'gone';
        await ledger.fail(key, runId, `source ${outcome} before it was read`);
        ingest.log(`source ${outcome}: nothing to do`, { sourceKey, eTag });
        return { outcome };
      }
      throw err;
    }
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
    const result = await ingest.step(body, { runId, version: claim.version, workDir, sourceKey, eTag });
    // A step may stop reading early (an unusable header): read the rest so the source MD5 is whole.
    if (!body.readableEnded && !body.destroyed) body.resume();
    const complete = await drained;
    const outputs = result.outputs.map((o) => o.name);
    await retirePrevious(ingest, claim.previous, outputs);
    const moveTo = result.moveSourceTo ?? ingest.archiveKey(sourceKey, new Date().toISOString().slice(0, 10));
    await moveObject(s3, bucket, sourceKey, moveTo);
    const sourceMd5 = complete ? sourceHash.digest('hex') : undefined;
    const namespace = `s3://${bucket}`;
    const lineageKey = await writeRunEvent(
      s3,
      bucket,
      runEvent({
        job: ingest.job,
        runId,
        codeVersion: ingest.codeVersion,
        inputs: [{ namespace, name: sourceKey, ...(sourceMd5 ? { md5: sourceMd5 } : {}) }],
        outputs: [...result.outputs, { namespace, name: moveTo, ...(sourceMd5 ? { md5: sourceMd5 } : {}) }],
        details: { eTag, ledgerVersion: claim.version, sourceBytes, ...result.details },
      }),
    );
    await ledger.complete(key, runId, outputs);
    ingest.log('ingested', {
      sourceKey,
      eTag,
      version: claim.version,
      outputs: outputs.length,
      lineageKey,
      ...result.details,
    });
    return { outcome: 'ingested', version: claim.version, outputs, lineageKey };
  } catch (err) {
    await ledger.fail(key, runId, (err as Error).message).catch(() => undefined);
    throw err;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** A changed re-upload replaces the previous version: its raw objects the new one did not rewrite go. */
async function retirePrevious(ingest: LandingIngest, previous: LedgerEntry | undefined, written: readonly string[]) {
  if (!previous?.outputs) return;
  const keep = new Set(written);
  const stale = previous.outputs.filter((k) => k.startsWith('raw/') && !keep.has(k));
  for (const dataKey of stale) await deleteWithManifest(ingest.s3, ingest.bucket, dataKey);
  if (stale.length > 0) ingest.log('retired objects of the previous version', { version: previous.version, stale });
}

/** A re-upload of bytes already ingested: nothing to ingest, but it should not linger in landing/. */
async function archiveDuplicate(ingest: LandingIngest, sourceKey: string, eTag: string): Promise<void> {
  try {
    await ingest.s3.send(new HeadObjectCommand({ Bucket: ingest.bucket, Key: sourceKey, IfMatch: eTag }));
  } catch {
    return; // already moved (a duplicate event) or replaced by other bytes (they have their own event)
  }
  await moveObject(
    ingest.s3,
    ingest.bucket,
    sourceKey,
    ingest.archiveKey(sourceKey, new Date().toISOString().slice(0, 10)),
  );
}
