/**
 * The console's pages are rendered on the server as plain HTML (no client framework, no assets from
 * the network): one layout, escaped values, tables.
 */
import { escapeHtml } from '../../layers/util/html';

/** Escape text for HTML content and attribute values. */
export const esc = escapeHtml;

/** A query string from parameters (undefined ones left out). */
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, v);
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

export const SECTIONS = [
  { id: 'pipeline', title: 'Pipeline', path: '/console/pipeline' },
  { id: 'lake', title: 'Lake', path: '/console/lake' },
  { id: 'quality', title: 'Data quality', path: '/console/quality' },
  { id: 'models', title: 'Models', path: '/console/models' },
  { id: 'serving', title: 'Features & serving', path: '/console/serving' },
] as const;
export type Section = (typeof SECTIONS)[number]['id'];

const STYLE = `
:root { --fg:#1d2733; --muted:#5f6b7a; --line:#d9dee5; --bg:#f6f8fa; --ok:#1a7f37; --bad:#cf222e; --run:#0969da; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:#fff; }
header { display:flex; gap:24px; align-items:center; padding:10px 20px; background:#232f3e; color:#fff; }
header a { color:#d5dbe3; text-decoration:none; padding:4px 2px; }
header a.active { color:#fff; border-bottom:2px solid #ff9900; }
header .brand { font-weight:600; color:#fff; margin-right:12px; }
main { padding:16px 20px 40px; max-width:1400px; }
h1 { font-size:20px; margin:4px 0 12px; } h2 { font-size:16px; margin:22px 0 8px; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:var(--bg); font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px; }
pre { background:var(--bg); border:1px solid var(--line); padding:8px; overflow:auto; max-height:320px; margin:4px 0; white-space:pre-wrap; word-break:break-word; }
a { color:var(--run); }
.status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--muted); }
.status.SUCCEEDED, .status.succeeded, .status.passed, .status.PRODUCTION, .status.usable, .status.GATE_PASSED { background:var(--ok); }
.status.FAILED, .status.failed, .status.REJECTED, .status.ABORTED, .status.TIMED_OUT, .status.blocked, .status.GATE_FAILED, .status.unusable { background:var(--bad); }
.status.RUNNING, .status.running { background:var(--run); }
.status.warning, .status.caught, .status.RETIRED, .status.TRAINED { background:var(--warn); }
.muted { color:var(--muted); } .error { color:var(--bad); font-weight:600; }
.cards { display:flex; gap:12px; flex-wrap:wrap; margin:8px 0 16px; }
.card { border:1px solid var(--line); border-radius:6px; padding:10px 14px; min-width:170px; background:#fff; }
.card .big { font-size:22px; font-weight:600; }
form.inline { display:inline-flex; gap:8px; align-items:center; margin:4px 0; }
input[type=text], textarea, select { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:4px; }
textarea { width:100%; min-height:120px; font-family:ui-monospace, monospace; font-size:12.5px; }
button { font:inherit; padding:5px 12px; border:1px solid #1f6feb; background:#1f6feb; color:#fff; border-radius:4px; cursor:pointer; }
.crumbs a { margin-right:4px; } .graph svg { max-width:100%; height:auto; } .graph { overflow:auto; border:1px solid var(--line); border-radius:6px; padding:8px; background:#fff; }
.split { display:grid; grid-template-columns: minmax(420px, 1fr) minmax(0, 1.3fr); gap:18px; align-items:start; }
details > summary { cursor:pointer; }
`;

/** The layout: navigation, title, body; `refreshSeconds` reloads the page (a running execution). */
export function page(
  section: Section,
  title: string,
  body: string,
  options: { refreshSeconds?: number; endpoint?: string } = {},
): string {
  const nav = SECTIONS.map(
    (s) => `<a href="${s.path}"${s.id === section ? ' class="active"' : ''}>${esc(s.title)}</a>`,
  ).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${esc(title)} · RecoMart local console</title><style>${STYLE}</style></head>
<body><header><span class="brand">RecoMart · local console</span>${nav}</header>
<main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** A table; cells are HTML (escape values with `esc`). */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: number[] = [],
): string {
  if (rows.length === 0) return '<p class="muted">Nothing here yet.</p>';
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return `<table><thead><tr>${headers.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function status(value: string): string {
  return `<span class="status ${esc(value)}">${esc(value)}</span>`;
}

/** JSON, pretty-printed and escaped (strings that hold JSON are parsed first). */
export function json(value: unknown): string {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return `<pre>${esc(v)}</pre>`;
    }
  }
  return `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
}

export function seconds(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;
}
