import { getModel, listModels } from '../../layers/als/registry';
import { compareModels, type ModelRecord, modelSummary } from '../../layers/als/registry-view';
import { productionVersion } from '../../layers/publish/serving';
import type { ConsoleContext } from './context';
import { esc, href, json, page, status, table } from './html';

const runLink = (runId: string) => `<a href="${esc(href('/console/models/run', { id: runId }))}">${esc(runId)}</a>`;

/** The registry: every run with its metrics against popularity, the gate, and the production pointer. */
export async function modelsPage(ctx: ConsoleContext): Promise<string> {
  const [records, production] = await Promise.all([
    listModels(ctx.doc, ctx.outputs.ModelRegistryTableName as string),
    productionVersion(ctx.doc, ctx.outputs.RecommendationsTableName as string),
  ]);
  const rows = (records as ModelRecord[]).map((r) => {
    const s = modelSummary(r);
    return [
      `${runLink(s.runId)}${s.runId === production ? ' <b>★ production</b>' : ''}`,
      status(s.status),
      esc(s.kind),
      esc(s.precisionAt10 ?? '—'),
      esc(s.baseline ?? '—'),
      esc(s.lift === null ? '—' : `${s.lift}×`),
      status(s.gate),
      esc(
        String(s.createdAt ?? '')
          .replace('T', ' ')
          .slice(0, 19),
      ),
    ];
  });
  const ids = (records as ModelRecord[]).map((r) => modelSummary(r).runId);
  // Production history: every run that was published, newest first, with when it was replaced.
  const history = (records as ModelRecord[])
    .filter((r) => typeof r.publishedAt === 'string')
    .sort((a, b) => String(b.publishedAt).localeCompare(String(a.publishedAt)))
    .map((r) => {
      const id = modelSummary(r).runId;
      return [
        esc(String(r.publishedAt).replace('T', ' ').slice(0, 19)),
        `${runLink(id)}${id === production ? ' <b>★ production</b>' : ''}`,
        esc(
          typeof r.retiredAt === 'string'
            ? r.retiredAt.replace('T', ' ').slice(0, 19)
            : id === production
              ? 'serving'
              : '—',
        ),
        r.forcedPromotion ? '<span class="error">forced past the gate</span>' : '',
      ];
    });
  const options = (selected?: string) =>
    ids.map((id) => `<option value="${esc(id)}"${id === selected ? ' selected' : ''}>${esc(id)}</option>`).join('');
  const body = `<p>Production: ${production ? runLink(production) : '<span class="muted">no model yet</span>'}</p>
${table(['run', 'status', 'serves', 'P@10', 'popularity', 'lift', 'gate', 'created (UTC)'], rows, [3, 4, 5])}
<h2>Production history</h2>${table(['published (UTC)', 'run', 'replaced (UTC)', ''], history)}
${ids.length > 1 ? `<h2>Compare two runs</h2><form class="inline" method="get" action="/console/models/compare"><select name="a">${options(ids[0])}</select><select name="b">${options(ids[1])}</select><button type="submit">Compare</button></form>` : ''}`;
  return page('models', 'Model registry', body);
}

/** One run: its registry record and its model card. */
export async function modelPage(ctx: ConsoleContext, runId: string): Promise<string> {
  const record = (await getModel(ctx.doc, ctx.outputs.ModelRegistryTableName as string, runId)) as
    | ModelRecord
    | undefined;
  if (!record) return page('models', runId, `<p class="error">No run ${esc(runId)} in the registry.</p>`);
  const s = modelSummary(record);
  const card = `models/${runId}/model-card.html`;
  const body = `<p>${status(s.status)} serves <b>${esc(s.kind)}</b> · P@10 ${esc(s.precisionAt10 ?? '—')} vs popularity ${esc(s.baseline ?? '—')} (${esc(s.lift === null ? '—' : `${s.lift}×`)}) · gate ${status(s.gate)}${record.gate?.reasons?.length ? ` <span class="error">${esc(record.gate.reasons.join('; '))}</span>` : ''}</p>
<p><a href="${esc(href('/console/lake', { prefix: `models/${runId}/` }))}">artifacts in the lake</a> · <a href="${esc(href('/console/lake/download', { key: card }))}">model card on its own</a></p>
<h2>Model card</h2><iframe title="model card" src="${esc(href('/console/lake/download', { key: card }))}" style="width:100%;height:720px;border:1px solid #d9dee5;border-radius:6px"></iframe>
<details><summary>Registry record</summary>${json(record)}</details>`;
  return page('models', `Model ${runId}`, body);
}

export async function comparePage(ctx: ConsoleContext, a: string, b: string): Promise<string> {
  const table_ = ctx.outputs.ModelRegistryTableName as string;
  const [ra, rb] = await Promise.all([getModel(ctx.doc, table_, a), getModel(ctx.doc, table_, b)]);
  if (!ra || !rb) return page('models', 'Compare', `<p class="error">No run ${esc(!ra ? a : b)} in the registry.</p>`);
  const rows = compareModels(ra as ModelRecord, rb as ModelRecord).map((f) => [
    esc(f.name),
    `${esc(f.a ?? '—')}${f.better === 'a' ? ' <b>▲</b>' : ''}`,
    `${esc(f.b ?? '—')}${f.better === 'b' ? ' <b>▲</b>' : ''}`,
  ]);
  return page('models', `Compare ${a} and ${b}`, table(['', a, b], rows));
}
