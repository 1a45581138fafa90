import fc from 'fast-check';
import { again, backoffDelay, done, retrying } from '../../../layers/util/retry';

/** A fake clock: sleeping moves time, nothing waits. */
function fakeTime() {
  let t = 1_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
  };
}

describe('retrying', () => {
  it('tries until done, waiting with full jitter under a doubling cap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 5_000 }),
        async (succeedAt, base, max) => {
          const time = fakeTime();
          let calls = 0;
          const value = await retrying(
            { attempts: 10, baseDelayMs: base, maxDelayMs: max, ...time },
            { giveUp: () => new Error('gave up') },
            async (attempt) => {
              calls++;
              expect(attempt).toBe(calls);
              return attempt >= succeedAt ? done(attempt) : again(`not yet ${attempt}`);
            },
          );
          expect(value).toBe(succeedAt);
          expect(time.waits).toHaveLength(succeedAt - 1);
          time.waits.forEach((w, i) => {
            expect(w).toBeGreaterThanOrEqual(0);
            expect(w).toBeLessThan(Math.min(max, base * 2 ** i));
          });
        },
      ),
    );
  });

  it('gives up after its attempts with every reason, and never waits after the last', async () => {
    const time = fakeTime();
    const err = await retrying(
      { attempts: 3, baseDelayMs: 10, ...time },
      { giveUp: (reasons, attempts) => new Error(`${attempts}: ${reasons.join(', ')}`) },
      async (attempt) => again(`r${attempt}`),
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe('3: r1, r2, r3');
    expect(time.waits).toHaveLength(2);
  });

  it('starts no retry past its time budget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), async (budgetMs) => {
        const time = fakeTime();
        const start = time.now();
        const starts: number[] = [];
        await retrying(
          { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 100, jitter: false, budgetMs, ...time },
          { giveUp: () => new Error('busy') },
          async () => {
            starts.push(time.now() - start);
            return again('busy');
          },
        ).catch(() => undefined);
        for (const at of starts) expect(at).toBeLessThanOrEqual(budgetMs);
        // and it used the budget: one more wait would have passed it
        const lastWait = backoffDelay({ attempts: 1, baseDelayMs: 100, jitter: false }, starts.length);
        expect((starts.at(-1) as number) + lastWait).toBeGreaterThan(budgetMs);
      }),
    );
  });

  it('retries only the errors it is told to, and rethrows others at once', async () => {
    const time = fakeTime();
    let calls = 0;
    const transient = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const value = await retrying(
      { attempts: 5, baseDelayMs: 1, ...time },
      { retryable: (e) => (e as { code?: string }).code === 'ECONNRESET', giveUp: () => new Error('x') },
      async () => {
        calls++;
        if (calls < 3) throw transient;
        return done('ok');
      },
    );
    expect([value, calls]).toEqual(['ok', 3]);
    calls = 0;
    await expect(
      retrying({ attempts: 5, baseDelayMs: 1, ...time }, { giveUp: () => new Error('x') }, async () => {
        calls++;
        throw new Error('bad request');
      }),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });
});
