import type { BuildSummary } from '../../../layers/features/build';
import { DEFAULT_WEIGHTS } from '../../../layers/features/builders';
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
jest.mock('../../../layers/features/build', () => ({ buildFeatures: async () => summary }));
const { handler } =
  require('../../../lambdas/features-build/index') as typeof import('../../../lambdas/features-build/index');

describe('features-build handler', () => {
  it('keeps its result far below the Step Functions payload limit however many sources were skipped', async () => {
    const out = await invoke(handler, {});
    expect(out.sources).toMatchObject({ used: 12, skippedCount: 5000 });
    expect(out.sources.skipped).toEqual(skipped.slice(0, 25));
    // All 5,000 would be ~480 KB, over Step Functions' 256 KB.
    expect(Buffer.byteLength(JSON.stringify({ ...summary }))).toBeGreaterThan(256 * 1024);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(16 * 1024);
  });
});
