import { MetadataPullError, pullAllProducts } from '../../../layers/metadata/client';
import { EXTERNAL_METADATA_COLUMNS, flattenJson, toRows } from '../../../layers/metadata/schema';
import { MockMetadataApi } from '../../../lib/mock-metadata-api';

const product = (n: number) => ({
  productId: `p${n}`,
  externalRating: { average: 4.2, count: 10 },
  popularity: { views7d: 100, trend: 0.5 },
  sentiment: { score: 0.6, label: 'positive' },
  tags: ['eco', 'gift'],
  updatedAt: '2026-11-20T10:00:00Z',
});
const page = (items: unknown[], next?: string) =>
  new Response(JSON.stringify({ items, nextPageToken: next ?? null }), { status: 200 });

function fakeFetch(responses: (() => Response | Promise<Response>)[]) {
  const calls: string[] = [];
  const fn = (async (url: URL | string) => {
    calls.push(String(url));
    const next = responses.shift();
    if (!next) throw new Error('unexpected request');
    return next();
  }) as typeof fetch;
  return { fn, calls };
}

const fast = { sleep: async () => undefined, random: () => 0.5, baseUrl: 'https://api.test/base', apiKey: 'k' };

describe('pullAllProducts', () => {
  it('follows page tokens and returns every product', async () => {
    const { fn, calls } = fakeFetch([() => page([product(1), product(2)], 'tok'), () => page([product(3)])]);
    const out = await pullAllProducts({ ...fast, fetch: fn, pageSize: 2 });
    expect(out).toMatchObject({ pages: 2, attempts: 2 });
    expect(out.products.map((p) => p.productId)).toEqual(['p1', 'p2', 'p3']);
    expect(calls).toEqual([
      'https://api.test/base/v1/products?pageSize=2',
      'https://api.test/base/v1/products?pageSize=2&pageToken=tok',
    ]);
  });

  it('retries server errors and malformed bodies with exponential backoff and jitter', async () => {
    const sleeps: number[] = [];
    const { fn } = fakeFetch([
      () => new Response('busy', { status: 503 }),
      () => new Response('{"items": [', { status: 200 }),
      () => page([product(1)]),
    ]);
    const out = await pullAllProducts({
      ...fast,
      fetch: fn,
      baseDelayMs: 100,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(out.attempts).toBe(3);
    expect(sleeps).toEqual([50, 100]); // random 0.5 × 100 × 2^(attempt-1)
  });

  it('gives up after the last attempt with every reason in one sentence', async () => {
    const { fn } = fakeFetch([
      () => new Response('x', { status: 500 }),
      () => page([{ ...product(1), externalRating: { average: 9, count: 1 } }]),
      () => Promise.reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' })),
    ]);
    const err = await pullAllProducts({ ...fast, fetch: fn, timeoutMs: 250 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataPullError);
    expect((err as Error).message).toBe(
      'The product metadata API at https://api.test failed 3 times: attempt 1: HTTP 500 (x); ' +
        'attempt 2: response does not match the expected shape at items.0.externalRating.average: Too big: expected number to be <=5; ' +
        'attempt 3: no response within 250 ms',
    );
  });

  it('does not retry what a retry cannot fix (a wrong API key)', async () => {
    const { fn, calls } = fakeFetch([() => new Response('{"message":"no"}', { status: 401 })]);
    await expect(pullAllProducts({ ...fast, fetch: fn })).rejects.toThrow(
      /failed 1 time with an error a retry cannot fix: attempt 1: HTTP 401/,
    );
    expect(calls).toHaveLength(1);
  });
});

describe('flattening', () => {
  it('turns nested JSON into snake_case columns and joins arrays', () => {
    expect(
      flattenJson({ externalRating: { average: 4 }, popularity: { views7d: 3 }, tags: ['a', 'b'], x: null }),
    ).toEqual({
      external_rating_average: 4,
      popularity_views_7d: 3,
      tags: 'a|b',
      x: null,
    });
  });

  it('maps API products onto exactly the table columns', () => {
    const [row] = toRows([product(1) as never]);
    expect(Object.keys(row ?? {})).toEqual(EXTERNAL_METADATA_COLUMNS);
    expect(row).toMatchObject({ product_id: 'p1', sentiment_label: 'positive', tags: 'eco|gift' });
  });
});

describe('MockMetadataApi', () => {
  const api = new MockMetadataApi({ products: 5, apiKey: 'secret' });
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  it('serves seeded pages to the right key and refuses others', async () => {
    const ok = await pullAllProducts({ baseUrl: api.url, apiKey: 'secret', pageSize: 2 });
    expect(ok.products.map((p) => p.productId)).toEqual(['p00001', 'p00002', 'p00003', 'p00004', 'p00005']);
    await expect(pullAllProducts({ baseUrl: api.url, apiKey: 'wrong' })).rejects.toThrow(/HTTP 401/);
  });

  it('fails, stalls and garbles on request', async () => {
    api.behave({ failNext: 1, malformedNext: 1, stallNext: 1 });
    const reasons: string[] = [];
    const out = await pullAllProducts({
      baseUrl: api.url,
      apiKey: 'secret',
      attempts: 4,
      timeoutMs: 300,
      baseDelayMs: 1,
      onAttemptFailed: (_n, reason) => reasons.push(reason),
    });
    expect(out.products).toHaveLength(5);
    expect(reasons).toEqual([
      'attempt 1: no response within 300 ms',
      'attempt 2: HTTP 503 ({"message":"injected failure"})',
      expect.stringMatching(/^attempt 3: response is not JSON/),
    ]);
    expect(api.stats).toMatchObject({ failed: 1, stalled: 1, malformed: 1 });
  });
});
