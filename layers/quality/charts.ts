/** Charts as SVG strings: vega-lite specs rendered by vega without a browser (no PDF dependencies). */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** A bar chart as SVG. */
export async function barChartSvg(
  title: string,
  bars: readonly { label: string; count: number }[],
  options: { x?: string; y?: string; horizontal?: boolean; width?: number; height?: number; color?: string } = {},
): Promise<string> {
  const x = { field: 'label', type: 'ordinal' as const, title: options.x ?? '', sort: null };
  const y = { field: 'count', type: 'quantitative' as const, title: options.y ?? 'rows' };
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: options.width ?? 460,
    height: options.height ?? 180,
    background: 'white',
    data: { values: bars.map((b) => ({ label: b.label, count: b.count })) },
    mark: { type: 'bar', color: options.color ?? '#4c78a8' },
    encoding: options.horizontal ? { y: x, x: y } : { x, y },
    config: { font: 'Helvetica', title: { fontSize: 13 }, axis: { labelFontSize: 10, titleFontSize: 11 } },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
