import { listKeys } from '../../layers/lake/inventory';
import { LAKE_PREFIXES } from '../../layers/lake/keys';
import { getBytes } from '../../layers/lake/s3-io';
import type { QualityStatus } from '../../layers/quality/status';
import { mapSettled } from '../../layers/util/concurrency';
import type { ConsoleContext } from './context';
import { esc, href, page, status, table } from './html';

const STATUS_PREFIX = LAKE_PREFIXES.qualityStatus;

/** Every validated version's status (where the training pipeline looks before it trains). */
async function statuses(ctx: ConsoleContext): Promise<QualityStatus[]> {
  const keys: string[] = [];
  for await (const key of listKeys(ctx.s3, ctx.bucket, STATUS_PREFIX)) if (key.endsWith('.json')) keys.push(key);
  const read = await mapSettled(
    keys,
    8,
    async (key) => JSON.parse(Buffer.from(await getBytes(ctx.s3, ctx.bucket, key)).toString('utf8')) as QualityStatus,
  );
  return read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

const partitionOf = (dataKey: string) => /\/(dt=[^/]+(?:\/hour=[^/]+)?)\//.exec(dataKey)?.[1] ?? '—';
const lakeLink = (key: string, label = key) =>
  `<a href="${esc(href('/console/lake/object', { key }))}">${esc(label)}</a>`;
const openLink = (key: string, label: string) =>
  `<a href="${esc(href('/console/lake/download', { key }))}">${esc(label)}</a>`;

/** Reports by dataset and partition, with a roll-up per dataset. */
export async function qualityPage(ctx: ConsoleContext, dataset?: string): Promise<string> {
  const all = await statuses(ctx);
  const byDataset = new Map<string, QualityStatus[]>();
  for (const s of all) byDataset.set(s.dataset, [...(byDataset.get(s.dataset) ?? []), s]);
  const rollup = [...byDataset]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, list]) => {
      const blocked = list.filter((s) => !s.usable).length;
      const rows = list.reduce((n, s) => n + s.rows, 0);
      const bad = list.reduce((n, s) => n + s.badRows, 0);
      const latest =
        list
          .map((s) => s.validatedAt)
          .sort()
          .at(-1) ?? '';
      return [
        `<a href="${esc(href('/console/quality', { dataset: name }))}">${esc(name)}</a>`,
        String(list.length),
        String(list.length - blocked),
        blocked ? `<span class="error">${blocked}</span>` : '0',
        String(rows),
        String(bad),
        rows ? `${((100 * bad) / rows).toFixed(2)} %` : '—',
        status(blocked ? 'failed' : 'passed'),
        esc(latest.replace('T', ' ').slice(0, 19)),
      ];
    });
  const shown = dataset ? (byDataset.get(dataset) ?? []) : all;
  const detail = shown
    .sort((a, b) => a.dataset.localeCompare(b.dataset) || partitionOf(b.dataKey).localeCompare(partitionOf(a.dataKey)))
    .map((s) => {
      const base = s.report.replace(/\.(html|json|pdf)$/, '');
      const reports = s.report.endsWith('.html')
        ? `${openLink(`${base}.html`, 'HTML')} · ${openLink(`${base}.pdf`, 'PDF')} · ${lakeLink(`${base}.json`, 'JSON')}`
        : lakeLink(s.report, 'JSON');
      return [
        esc(s.dataset),
        esc(partitionOf(s.dataKey)),
        lakeLink(s.dataKey, s.dataKey.split('/').pop()),
        String(s.rows),
        String(s.badRows),
        status(s.usable ? 'passed' : 'failed'),
        esc(s.unusable ?? s.failedCritical.join(', ')),
        reports,
      ];
    });
  const body = `<h2>By dataset</h2>${table(
    ['dataset', 'versions', 'usable', 'blocked', 'rows', 'quarantined', 'share', 'verdict', 'last validated (UTC)'],
    rollup,
    [1, 2, 3, 4, 5, 6],
  )}
<h2>${dataset ? `${esc(dataset)}: every validated version` : 'Every validated version'} (${shown.length})${dataset ? ` · <a href="/console/quality">all datasets</a>` : ''}</h2>
${table(['dataset', 'partition', 'object', 'rows', 'quarantined', 'verdict', 'failed checks', 'report'], detail, [3, 4])}`;
  return page('quality', 'Data quality', body);
}
