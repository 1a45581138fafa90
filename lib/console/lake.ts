import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { Manifest } from '../../layers/lake/manifest';
import { getManifest, isMissingObject } from '../../layers/lake/s3-io';
import { isManifestKey, manifestKeyFor, ZONES } from '../../layers/lake/zones';
import { type LineageNode, readRunEvents, traceLineage } from '../../layers/lineage/openlineage';
import { readStatus } from '../../layers/quality/status';
import { CsvRecordReader } from '../../layers/util/csv-records';
import type { ConsoleContext } from './context';
import { esc, href, json, page, status, table } from './html';

const ZONE_NOTES: Record<string, string> = {
  landing: 'files as dropped (CSV exports), before ingestion',
  raw: 'ingested data by date partition, each object with its manifest',
  archive: 'landing files after ingestion',
  quarantine: 'rows and records refused, each with its reason',
  curated: 'compacted, typed data',
  features: 'feature sets by version, and their registry',
  models: 'trained models: artifacts, metrics, model cards',
  reports: 'quality reports and statuses, audits',
  lineage: 'OpenLineage run events',
};

const objectLink = (key: string) => `<a href="${esc(href('/console/lake/object', { key }))}">${esc(key)}</a>`;
const folderLink = (prefix: string, label = prefix) =>
  `<a href="${esc(href('/console/lake', { prefix }))}">${esc(label)}</a>`;

function crumbs(prefix: string): string {
  const parts = prefix.split('/').filter(Boolean);
  const links = [folderLink('', 'lake')];
  let at = '';
  for (const p of parts) {
    at += `${p}/`;
    links.push(folderLink(at, p));
  }
  return `<p class="crumbs">${links.join(' / ')}</p>`;
}

/** A folder of the lake: its sub-folders and objects (a delimited listing, as the S3 console shows). */
export async function lakePage(ctx: ConsoleContext, prefix: string): Promise<string> {
  const folders: string[] = [];
  const objects: { key: string; size: number; modified?: Date }[] = [];
  let token: string | undefined;
  do {
    const out = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of out.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
    for (const o of out.Contents ?? [])
      if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0, modified: o.LastModified });
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token && objects.length < 5000);
  const zoneOf = (p: string) => p.split('/')[0] ?? '';
  const folderRows = folders.map((f) => [
    folderLink(f, f.slice(prefix.length)),
    prefix === '' ? esc(ZONE_NOTES[zoneOf(f)] ?? '') : '',
  ]);
  const objectRows = objects.map((o) => [
    objectLink(o.key),
    isManifestKey(o.key) ? '<span class="muted">manifest</span>' : '',
    String(o.size),
    esc(o.modified?.toISOString().replace('T', ' ').slice(0, 19) ?? ''),
  ]);
  const zones =
    prefix === ''
      ? `<div class="cards">${ZONES.map(
          (z) =>
            `<div class="card"><div class="big">${folderLink(`${z}/`, z)}</div><div class="muted">${esc(ZONE_NOTES[z] ?? '')}</div></div>`,
        ).join('')}</div>`
      : '';
  return page(
    'lake',
    prefix ? `s3://${ctx.bucket}/${prefix}` : `Lake: s3://${ctx.bucket}`,
    `${crumbs(prefix)}${zones}<h2>Folders</h2>${table(['prefix', ''], folderRows)}<h2>Objects</h2>${table(['key', '', 'bytes', 'modified (UTC)'], objectRows, [2])}`,
  );
}

const PREVIEW_BYTES = 256 * 1024;
const PREVIEW_ROWS = 50;

/** The first rows of a CSV or JSON Lines object as a table, or the start of its text. */
function preview(key: string, contentType: string, head: Buffer, truncated: boolean): string {
  const text = head.toString('utf8');
  if (/\.csv$/i.test(key) || contentType.startsWith('text/csv')) {
    const rows: string[][] = [];
    const reader = new CsvRecordReader((r) => {
      if (rows.length <= PREVIEW_ROWS) rows.push(r.ok ? r.fields : [r.raw, `⚠ ${r.reason}`]);
    });
    // Only whole lines of the head: a cut record is not a broken one.
    const cut = truncated ? head.subarray(0, head.lastIndexOf(10) + 1) : head;
    reader.write(cut);
    reader.end();
    const [header, ...body] = rows;
    return table(
      header ?? [],
      body.map((r) => r.map(esc)),
    );
  }
  if (/\.jsonl$/i.test(key) || contentType.includes('ndjson')) {
    const lines = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, PREVIEW_ROWS);
    const records = lines.map((l): Record<string, unknown> => {
      try {
        const v = JSON.parse(l);
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
      } catch {
        return { unreadable: l };
      }
    });
    const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
    return table(
      columns,
      records.map((r) =>
        columns.map((c) => esc(typeof r[c] === 'string' ? r[c] : r[c] === undefined ? '' : JSON.stringify(r[c]))),
      ),
    );
  }
  if (/\.json$/i.test(key) || contentType.includes('json')) return json(truncated ? text : text.trim());
  if (/^text\//.test(contentType) && !contentType.includes('html')) return `<pre>${esc(text.slice(0, 20_000))}</pre>`;
  return '<p class="muted">No preview for this type: open it.</p>';
}

function lineageList(nodes: readonly LineageNode[]): string {
  if (nodes.length === 0) return '<p class="muted">Nothing recorded.</p>';
  return `<ul>${nodes
    .map(
      (n) =>
        `<li>${n.dataset.includes('://') ? esc(n.dataset) : objectLink(n.dataset)} <span class="muted">(${esc(n.job)}, ${esc(n.eventTime ?? '')})</span>${n.children.length ? lineageList(n.children) : ''}</li>`,
    )
    .join('')}</ul>`;
}

/** One object: what it is, its first rows, its manifest checked against its bytes, its lineage both ways. */
export async function objectPage(ctx: ConsoleContext, key: string): Promise<string> {
  let head: HeadObjectCommandOutput;
  try {
    head = await ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: key }));
  } catch (err) {
    if (isMissingObject(err))
      return page('lake', key, `<p class="error">No object s3://${esc(ctx.bucket)}/${esc(key)}.</p>`);
    throw err;
  }
  const size = head.ContentLength ?? 0;
  const contentType = head.ContentType ?? '';
  // The manifest first: when there is one, a single read of the whole object both hashes it and
  // keeps its head for the preview; without one, only the head is read.
  const manifestKey = isManifestKey(key) ? undefined : manifestKeyFor(key);
  let manifest: Manifest | undefined;
  let manifestProblem: string | undefined;
  if (manifestKey) {
    try {
      manifest = await getManifest(ctx.s3, ctx.bucket, manifestKey);
    } catch (err) {
      if (!isMissingObject(err)) manifestProblem = (err as Error).message;
    }
  }
  const object = await ctx.s3.send(
    new GetObjectCommand({
      Bucket: ctx.bucket,
      Key: key,
      ...(size > PREVIEW_BYTES && !manifest ? { Range: `bytes=0-${PREVIEW_BYTES - 1}` } : {}),
    }),
  );
  const hash = createHash('md5');
  const headChunks: Buffer[] = [];
  let kept = 0;
  for await (const c of object.Body as Readable) {
    const chunk = Buffer.from(c as Uint8Array);
    hash.update(chunk);
    if (kept < PREVIEW_BYTES) {
      headChunks.push(chunk.subarray(0, PREVIEW_BYTES - kept));
      kept += Math.min(chunk.length, PREVIEW_BYTES - kept);
    }
  }
  const first = Buffer.concat(headChunks);
  const manifestSection = (() => {
    if (!manifestKey) return '<p class="muted">This is a manifest.</p>';
    if (manifestProblem) return `<p class="error">The manifest cannot be read: ${esc(manifestProblem)}</p>`;
    if (!manifest) return '<p class="muted">No manifest beside this object.</p>';
    const md5 = hash.digest('hex');
    const ok = md5 === manifest.md5 && size === manifest.bytes;
    return `<p id="md5-check">${status(ok ? 'passed' : 'failed')} MD5 of the object ${esc(md5)} ${ok ? 'matches' : 'does not match'} the manifest's ${esc(manifest.md5)} (${esc(size)} bytes, manifest says ${esc(manifest.bytes)}; ${esc(manifest.records)} records)</p>
<p>${objectLink(manifestKey)}</p>${json(manifest)}`;
  })();
  const quality = key.startsWith('raw/') ? await readStatus(ctx.s3, ctx.bucket, key) : undefined;
  const events = await readRunEvents(ctx.s3, ctx.bucket);
  const { upstream, downstream } = traceLineage(events, key);
  const folder = key.slice(0, key.lastIndexOf('/') + 1);
  const body = `${crumbs(folder)}
<p><a href="${esc(href('/console/lake/download', { key }))}">open the object</a> · ${esc(contentType)} · ${esc(size)} bytes · modified ${esc(head.LastModified?.toISOString() ?? '')}</p>
${quality ? `<h2>Quality</h2><p>${status(quality.usable ? 'usable' : 'blocked')} ${esc(quality.rows)} rows, ${esc(quality.badRows)} quarantined${quality.failedCritical.length ? `; failed: ${esc(quality.failedCritical.join(', '))}` : ''} · report ${objectLink(quality.report)}</p>` : ''}
<h2>Preview${size > PREVIEW_BYTES ? ` (first ${PREVIEW_BYTES / 1024} KiB)` : ''}</h2>${preview(key, contentType, first, size > PREVIEW_BYTES)}
<h2>Manifest</h2>${manifestSection}
<div class="split"><div><h2>Came from</h2>${lineageList(upstream.children)}</div><div><h2>Built from it</h2>${lineageList(downstream.children)}</div></div>`;
  return page('lake', key, body);
}
