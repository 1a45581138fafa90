/**
 * Human quality reports: HTML (self-contained, inline SVG charts) and PDF (pdfkit, the same charts as
 * vector graphics). Charts are vega-lite specs rendered to SVG by vega without a browser.
 */
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { escapeHtml } from '../util/html';
import { barChartSvg } from './charts';
import type { CheckResult } from './checks';
import type { EdaResult } from './eda';
import type { ChartData } from './profile';
import type { ValidationResult } from './validate';

const esc = escapeHtml;

export interface ReportCharts {
  readonly missing: string;
  readonly distributions: { readonly chart: ChartData; readonly svg: string }[];
}

export async function renderCharts(result: ValidationResult): Promise<ReportCharts> {
  const missing = await barChartSvg(
    'Missing values per column (share of rows)',
    result.profile.missing.map((m) => ({ label: m.column, count: m.share })),
    {
      y: 'share missing',
      horizontal: true,
      color: '#e45756',
      height: Math.max(120, 18 * result.profile.missing.length),
    },
  );
  const distributions = [];
  for (const chart of result.profile.charts) {
    if (chart.bars.length === 0) continue;
    distributions.push({ chart, svg: await barChartSvg(chart.title, chart.bars, { x: chart.column }) });
  }
  return { missing, distributions };
}

const verdict = (r: ValidationResult) =>
  r.unusable
    ? `UNUSABLE: ${r.unusable}`
    : r.passed
      ? 'PASSED: usable for training'
      : `FAILED: ${r.failedCritical.join(', ')}`;
const observed = (c: CheckResult) =>
  c.observed === null ? '—' : typeof c.observed === 'number' ? String(c.observed) : c.observed;

export async function renderHtml(result: ValidationResult, charts?: ReportCharts): Promise<string> {
  const ch = charts ?? (await renderCharts(result));
  const rows = result.checks
    .map(
      (c) =>
        `<tr class="${c.passed ? 'pass' : c.severity}"><td>${c.passed ? '✔' : '✘'}</td><td>${esc(c.severity)}</td><td><code>${esc(c.id)}</code><br><small>${esc(c.description)}</small></td><td>${esc(observed(c))}</td><td>${esc(c.threshold)}</td><td>${c.failures}</td></tr>`,
    )
    .join('\n');
  const examples = result.checks
    .filter((c) => c.examples.length > 0)
    .map(
      (c) =>
        `<h3><code>${esc(c.id)}</code> — ${c.failures} failing (first ${c.examples.length})</h3><table><tr><th>row</th><th>value</th><th>reason</th></tr>${c.examples
          .map((e) => `<tr><td>${e.row}</td><td><code>${esc(e.value)}</code></td><td>${esc(e.reason)}</td></tr>`)
          .join('')}</table>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quality report — ${esc(result.dataset)}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:bold;margin:1rem 0}
.ok{background:#e3f4e1;color:#1f6b1a}.bad{background:#fbe3e2;color:#8b1a15}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
tr.critical td:first-child{color:#c0392b}tr.warning td:first-child{color:#d68910}tr.pass td:first-child{color:#27ae60}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0}
</style></head><body>
<h1>Data quality report: ${esc(result.dataset)}</h1>
<div class="meta">${esc(result.source)} · ${result.rows} rows · ${esc(result.startedAt)} · ${result.seconds} s</div>
<div class="verdict ${result.passed ? 'ok' : 'bad'}">${esc(verdict(result))}</div>
<p>${result.badRows} rows fail a critical row-level check${result.failedWarnings.length ? `; warnings: ${esc(result.failedWarnings.join(', '))}` : ''}.</p>
<h2>Checks</h2>
<table><tr><th></th><th>severity</th><th>check</th><th>observed</th><th>threshold</th><th>failing</th></tr>
${rows}
</table>
<h2>Missing values</h2>
<figure>${ch.missing}</figure>
<h2>Distributions</h2>
<div class="charts">${ch.distributions.map((d) => `<figure>${d.svg}</figure>`).join('\n')}</div>
<h2>Failing examples</h2>
${examples || '<p>None.</p>'}
</body></html>
`;
}

export async function renderPdf(result: ValidationResult, charts?: ReportCharts): Promise<Buffer> {
  const ch = charts ?? (await renderCharts(result));
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: `Quality report — ${result.dataset}`, Producer: 'recomart-pipeline' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - 96;

  doc.fontSize(20).font('Helvetica-Bold').text(`Data quality report: ${result.dataset}`);
  doc
    .moveDown(0.3)
    .fontSize(9)
    .font('Helvetica')
    .fillColor('#555')
    .text(`${result.source} · ${result.rows} rows · ${result.startedAt}`);
  doc
    .moveDown(0.8)
    .fontSize(13)
    .font('Helvetica-Bold')
    .fillColor(result.passed ? '#1f6b1a' : '#8b1a15')
    .text(verdict(result));
  doc
    .moveDown(0.3)
    .fontSize(10)
    .font('Helvetica')
    .fillColor('#222')
    .text(`${result.badRows} rows fail a critical row-level check.`);
  doc.moveDown(0.8).fontSize(13).font('Helvetica-Bold').text('Checks');
  doc.moveDown(0.3);
  const cols = [28, 52, 190, 80, 150];
  const header = ['', 'severity', 'check', 'observed', 'threshold'];
  const line = (cells: string[], bold = false, color = '#222') => {
    const y = doc.y;
    let x = 48;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5);
    let h = 0;
    cells.forEach((cell, i) => {
      doc.fillColor(i === 0 ? color : '#222').text(pdfText(cell), x, y, { width: (cols[i] as number) - 6 });
      h = Math.max(h, doc.y - y);
      x += cols[i] as number;
    });
    doc.y = y + h + 3;
    if (doc.y > doc.page.height - 80) doc.addPage();
  };
  line(header, true);
  for (const c of result.checks) {
    line(
      [c.passed ? 'ok' : 'FAIL', c.severity, `${c.id}: ${c.description}`, observed(c), c.threshold],
      false,
      c.passed ? '#27ae60' : c.severity === 'critical' ? '#c0392b' : '#d68910',
    );
  }

  doc.addPage().fontSize(13).font('Helvetica-Bold').fillColor('#222').text('Missing values and distributions');
  let y = doc.y + 8;
  for (const svg of [ch.missing, ...ch.distributions.map((d) => d.svg)]) {
    const h = svgHeight(svg) * (Math.min(width, svgWidth(svg)) / svgWidth(svg));
    if (y + h > doc.page.height - 48) {
      doc.addPage();
      y = 48;
    }
    SVGtoPDF(doc, svg, 48, y, { width: Math.min(width, svgWidth(svg)) });
    y += h + 14;
  }

  const failing = result.checks.filter((c) => c.examples.length > 0);
  if (failing.length > 0) {
    doc.addPage().fontSize(13).font('Helvetica-Bold').fillColor('#222').text('Failing examples', 48, 48);
    for (const c of failing) {
      doc.moveDown(0.6).fontSize(10).font('Helvetica-Bold').text(`${c.id} (${c.failures} failing)`);
      doc.font('Helvetica').fontSize(8.5);
      for (const e of c.examples.slice(0, 10)) {
        doc.text(pdfText(`row ${e.row}: ${e.reason}`), { width });
        if (doc.y > doc.page.height - 60) doc.addPage();
      }
    }
  }
  doc.end();
  return done;
}

/** The PDF standard fonts speak WinAnsi only: spell out the few symbols our texts use. */
const pdfText = (s: string) =>
  s
    .replace(/≥/g, '>=')
    .replace(/≤/g, '<=')
    .replace(/∞/g, 'inf')
    .replace(/[—–]/g, '-')
    .replace(/[^\x20-\x7e\xa0-\xff\n]/g, '?');

const svgWidth = (svg: string) => Number(/width="([\d.]+)"/.exec(svg)?.[1] ?? 500);
const svgHeight = (svg: string) => Number(/height="([\d.]+)"/.exec(svg)?.[1] ?? 250);

/** The exploratory-analysis page: one chart per question, as HTML and PDF. */
export async function renderEda(eda: EdaResult): Promise<{ html: string; pdf: Buffer }> {
  const svgs: string[] = [];
  for (const chart of eda.charts)
    svgs.push(await barChartSvg(chart.title, chart.bars, { x: chart.x, y: chart.y, color: '#72b7b2' }));
  const summary = `${eda.source} · ${eda.rows} transactions · ${eda.users} customers · ${eda.items} items`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Exploratory analysis</title>
<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1000px;color:#222}.meta{color:#666}figure{margin:1rem 0}</style>
</head><body><h1>Exploratory analysis</h1><div class="meta">${esc(summary)}</div>
${svgs.map((svg) => `<figure>${svg}</figure>`).join('\n')}
</body></html>
`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: 'Exploratory analysis', Producer: 'recomart-pipeline' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.fontSize(20).font('Helvetica-Bold').text('Exploratory analysis');
  doc.moveDown(0.3).fontSize(9).font('Helvetica').fillColor('#555').text(pdfText(summary));
  let y = doc.y + 12;
  const width = doc.page.width - 96;
  for (const svg of svgs) {
    const w = Math.min(width, svgWidth(svg));
    const h = svgHeight(svg) * (w / svgWidth(svg));
    if (y + h > doc.page.height - 48) {
      doc.addPage();
      y = 48;
    }
    SVGtoPDF(doc, svg, 48, y, { width: w });
    y += h + 14;
  }
  doc.end();
  return { html, pdf: await done };
}
