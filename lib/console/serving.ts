import { Readable } from 'node:stream';
import { signedFetch } from '../../layers/aws/signed-fetch';
import { getUserFeatures } from '../../layers/feature-store/online';
import { readableUserFeatures } from '../../layers/feature-store/readable';
import { lakeKeys } from '../../layers/lake/keys';
import { getBytes, readOrMissing } from '../../layers/lake/s3-io';
import { csvTableRows } from '../../layers/util/csv-records';
import type { ConsoleContext } from './context';
import { esc, json, page, table } from './html';

/** Titles and categories of the catalog's latest version, by product id. */
async function catalog(ctx: ConsoleContext): Promise<Map<string, { title: string; category: string }>> {
  const bytes = await readOrMissing(ctx.s3, ctx.bucket, lakeKeys.masterLatest('catalog'), (key) =>
    getBytes(ctx.s3, ctx.bucket, key),
  );
  const byId = new Map<string, { title: string; category: string }>();
  if (!bytes) return byId;
  for await (const row of csvTableRows(Readable.from([Buffer.from(bytes)]), () => undefined))
    if (row.product_id) byId.set(row.product_id, { title: row.title ?? '', category: row.category ?? '' });
  return byId;
}

interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A user's online features (real-time session and batch) and what the recommendations API answers. */
export async function servingPage(ctx: ConsoleContext, user: string | undefined, k: number): Promise<string> {
  const form = `<form class="inline" method="get" action="/console/serving"><label>user id <input type="text" name="user" value="${esc(user ?? '')}"></label><label>k <input type="text" name="k" size="3" value="${k}"></label><button type="submit">Look up</button></form>`;
  if (!user)
    return page(
      'serving',
      'Features & serving',
      `${form}<p class="muted">Give a user id (for example one from a model's user list, or a customer id from the catalog's customers).</p>`,
    );
  const [items, titles, answer] = await Promise.all([
    getUserFeatures(ctx.doc, ctx.outputs.FeatureTableName as string, user),
    catalog(ctx),
    (async (): Promise<ApiAnswer> => {
      const res = await signedFetch(
        `${ctx.outputs.ApiEndpoint}/users/${encodeURIComponent(user)}/recommendations?k=${k}`,
        { env: ctx.env },
      );
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: shown as text
      }
      return { status: res.status, body };
    })(),
  ]);
  const sets = readableUserFeatures(items);
  const featureHtml = sets.length
    ? sets
        .map(
          (set) =>
            `<h3>${esc(set.featureSet)} <span class="muted">version ${esc(set.version || '—')}, as of ${esc(set.asOf || '—')}</span></h3>${table(
              ['feature', 'value'],
              Object.entries(set.features).map(([name, v]) => [esc(name), typeof v === 'object' ? json(v) : esc(v)]),
            )}`,
        )
        .join('')
    : '<p class="muted">No live features for this user.</p>';
  const rec = answer.body as {
    modelVersion?: string;
    coldStart?: boolean;
    items?: { itemId: string; score?: number; source?: string }[];
  };
  const recHtml =
    answer.status === 200 && Array.isArray(rec.items)
      ? `<p>model <b>${esc(rec.modelVersion ?? '—')}</b>${rec.coldStart ? ' · <b>cold start</b> (the model does not know this user)' : ''}</p>${table(
          ['#', 'item', 'title', 'category', 'score', 'source'],
          rec.items.map((item, i) => [
            String(i + 1),
            `<span class="mono">${esc(item.itemId)}</span>`,
            esc(titles.get(item.itemId)?.title ?? '—'),
            esc(titles.get(item.itemId)?.category ?? ''),
            esc(item.score === undefined ? '' : Number(item.score).toFixed(4)),
            esc(item.source ?? ''),
          ]),
          [0, 4],
        )}`
      : `<p class="error">The API answered ${answer.status}.</p>${json(answer.body)}`;
  const body = `${form}<div class="split"><div><h2>Online features of ${esc(user)}</h2>${featureHtml}</div>
<div><h2>Recommendations</h2><p class="muted mono">GET ${esc(ctx.outputs.ApiEndpoint)}/users/${esc(user)}/recommendations?k=${k}</p>${recHtml}</div></div>`;
  return page('serving', `Features & serving: ${user}`, body);
}
