import fc from 'fast-check';
import { DEFAULT_WEIGHTS } from '../../../layers/features/builders';
import type { BuildSummary } from '../../../layers/features/load';
import type { FeatureBuildPlan } from '../../../layers/features/select';
import { invoke } from '../../helpers/lambda';

process.env.FEATURE_TTL_DAYS = '14';
process.env.FEATURE_WEIGHTS = JSON.stringify(DEFAULT_WEIGHTS);
const skipped = Array.from({ length: 5000 }, (_, i) => ({
  key: `raw/clickstream/dt=2026-11-20/hour=00/batch-${i}.jsonl`,
  reason: 'failed its critical quality checks (event_time_valid)',
}));
const summary: BuildSummary = {
  version: '20261120T000000Z',
  sources: { used: 12, skipped },
  transactions: 1,
  events: 1,
  users: 1,
  items: 1,
  interactions: 1,
  onlineItems: 2,
  offline: {},
  registry: {},
  lineageKey: 'lineage/x.json',
  seconds: 1,
};
const plan: FeatureBuildPlan = {
  version: summary.version,
  createdAt: '2026-11-20T00:00:00.000Z',
  bucket: 'lake',
  weights: DEFAULT_WEIGHTS,
  sources: { transactions: [], clickstream: [], catalog: null, metadata: null, skipped },
  // Ten thousand partitions to curate (a first build over years of hourly click events).
  curation: {
    groups: [],
    missing: Array.from({ length: 10_000 }, (_, i) => i),
  },
  sourcesKey: 'features/_builds/sources/v=1/sources.csv',
  queries: [{ set: 'interactions', location: 's3://lake/features/interactions/v=1/', query: 'UNLOAD (SELECT 1) …' }],
};
const planned: unknown[] = [];
jest.mock('../../../layers/features/load', () => ({ registerFeatureSets: async () => summary }));
jest.mock('../../../layers/features/select', () => ({
  curationWork: (p: FeatureBuildPlan) =>
    (
      jest.requireActual('../../../layers/features/select') as typeof import('../../../layers/features/select')
    ).curationWork(p),
  planFeatureBuild: async (opts: unknown) => {
    planned.push(opts);
    return { plan, planKey: 'features/_builds/v=1.json' };
  },
}));
const { handler } =
  require('../../../lambdas/features-build/index') as typeof import('../../../lambdas/features-build/index');

describe('features-build handler', () => {
  it('keeps its results far below the Step Functions payload limit however many sources were skipped', async () => {
    // All 5,000 would be ~480 KB, over Step Functions' 256 KB.
    expect(Buffer.byteLength(JSON.stringify({ ...summary }))).toBeGreaterThan(256 * 1024);
    const loaded = (await invoke(handler, { step: 'register', descriptionKey: 'features/_builds/v=1.files.json' })) as {
      sources: unknown;
    };
    expect(loaded.sources).toEqual({ used: 12, skipped: { first: skipped.slice(0, 25), count: 5000 } });
    expect(Buffer.byteLength(JSON.stringify(loaded))).toBeLessThan(16 * 1024);
    const selected = (await invoke(handler, { step: 'select', dataKeys: null, weights: null })) as {
      queries: unknown;
      sources: { skipped: { count: number } };
    };
    expect(selected).toMatchObject({ version: plan.version, planKey: 'features/_builds/v=1.json' });
    expect(selected.queries).toEqual([{ set: 'interactions', query: 'UNLOAD (SELECT 1) …' }]);
    expect(selected.sources.skipped.count).toBe(5000);
    // The curation's items: every partition to write, in at most 100 items.
    const items = (selected as unknown as { curate: { from: number; to: number }[] }).curate;
    expect(items.length).toBeLessThanOrEqual(100);
    expect(items.flatMap((item) => plan.curation.missing.slice(item.from, item.to))).toEqual(plan.curation.missing);
    expect(Buffer.byteLength(JSON.stringify(selected))).toBeLessThan(16 * 1024);
  });

  it("plans with the stage's weights unless the run gives its own", async () => {
    planned.length = 0;
    await invoke(handler, { step: 'select' });
    await invoke(handler, { step: 'select', weights: { view: 0, click: 1, add_to_cart: 1, purchase: 1 } });
    expect(planned.map((p) => (p as { weights: unknown }).weights)).toEqual([
      DEFAULT_WEIGHTS,
      { view: 0, click: 1, add_to_cart: 1, purchase: 1 },
    ]);
  });

  it('refuses an input without a step, with one sentence', async () => {
    await expect(invoke(handler, {})).rejects.toThrow(/^Feature build input is invalid/);
  });
});

describe('mapRuns', () => {
  it('covers every index once, in order, in at most the items allowed', () => {
    const { mapRuns } = jest.requireActual(
      '../../../layers/features/select',
    ) as typeof import('../../../layers/features/select');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 300 }), (count, maxItems) => {
        const runs = mapRuns(count, maxItems);
        expect(runs.length).toBeLessThanOrEqual(maxItems);
        expect(runs.flatMap((r) => Array.from({ length: r.to - r.from }, (_, i) => r.from + i))).toEqual(
          Array.from({ length: count }, (_, i) => i),
        );
      }),
      { numRuns: 60 },
    );
  });
});
