import { promotionRefusal } from '../../../layers/als/registry';
import { gateVerdict } from '../../../layers/publish/gate';

const m = (p: number, baseline: number) => ({ precisionAt10: p, baseline: { precisionAt10: baseline } });

describe('gateVerdict', () => {
  it('passes a model that meets the threshold when there is no production model', () => {
    expect(gateVerdict(m(0.2, 0.1), undefined, { minPrecisionAt10: 0.05, minLiftOverBaseline: 1.0001 })).toEqual({
      pass: true,
      reasons: [],
    });
  });

  it('names every reason a model fails', () => {
    const v = gateVerdict(
      m(0.04, 0.1),
      { ...m(0.3, 0.1), runId: 'r1' },
      { minPrecisionAt10: 0.05, minLiftOverBaseline: 1.0001 },
    );
    expect(v.pass).toBe(false);
    expect(v.reasons).toEqual([
      'precision@10 0.04 is below the threshold 0.05',
      "precision@10 0.04 is below 1.0001× the popularity baseline's 0.1 on the same hold-out",
      'precision@10 0.04 is below the production model r1 (0.3)',
    ]);
  });

  it('passes a model that ties popularity at a lift of 1 (a published popularity model), not at more', () => {
    expect(gateVerdict(m(0.1, 0.1), undefined, { minPrecisionAt10: 0.01, minLiftOverBaseline: 1 }).pass).toBe(true);
    expect(gateVerdict(m(0.1, 0.1), undefined, { minPrecisionAt10: 0.01, minLiftOverBaseline: 1.2 }).pass).toBe(false);
    expect(gateVerdict(m(0.121, 0.1), undefined, { minPrecisionAt10: 0.01, minLiftOverBaseline: 1.2 }).pass).toBe(true);
  });

  it('lets a stage skip the baseline comparison, but never lets a worse model replace production', () => {
    expect(gateVerdict(m(0.04, 0.1), undefined, { minPrecisionAt10: 0.01, minLiftOverBaseline: 0 }).pass).toBe(true);
    expect(
      gateVerdict(m(0.04, 0.1), { ...m(0.05, 0.1), runId: 'r0' }, { minPrecisionAt10: 0.01, minLiftOverBaseline: 0 })
        .pass,
    ).toBe(false);
  });
});

describe('promotionRefusal', () => {
  const base = { artifacts: 's3://lake/models/r1/' };
  it('allows a model that passed the gate now or when it was first published', () => {
    expect(promotionRefusal({ ...base, status: 'GATE_PASSED' }, 'r1', false)).toBeUndefined();
    expect(promotionRefusal({ ...base, status: 'RETIRED' }, 'r1', false)).toBeUndefined();
  });

  it('refuses a rejected or ungated model unless forced, with the gate reasons', () => {
    const rejected = {
      ...base,
      status: 'REJECTED',
      gate: { reasons: ['precision@10 0.02 is below the threshold 0.05'] },
    };
    expect(promotionRefusal(rejected, 'r1', false)).toBe(
      'Model r1 is REJECTED: precision@10 0.02 is below the threshold 0.05. Promote it anyway with --force.',
    );
    expect(promotionRefusal(rejected, 'r1', true)).toBeUndefined();
    expect(promotionRefusal({ ...base, status: 'TRAINED' }, 'r1', false)).toMatch(/has not been through the gate/);
  });

  it('never promotes what has no model, forced or not', () => {
    expect(promotionRefusal({ status: 'FAILED' }, 'r1', true)).toBe('Model r1 is FAILED: it has no model to serve.');
    expect(promotionRefusal(undefined, 'r9', true)).toBe('Model r9 is not in the registry.');
    expect(promotionRefusal({ ...base, status: 'PRODUCTION' }, 'r1', false)).toBe('Model r1 is already in production.');
  });
});
