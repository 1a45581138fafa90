import { testCloud } from '../helpers/cloud';

/** The recommendations API over HTTP, as a storefront calls it (local gateway, LocalStack or AWS). */
describe('recommendations API on the cloud', () => {
  it('validates its input with 400s and a message', async () => {
    const cloud = await testCloud();
    const base = cloud.outputs.ApiEndpoint as string;
    for (const [path, message] of [
      ['/users/u1/recommendations?k=0', /k must be at least 1/],
      ['/users/u1/recommendations?k=abc', /k must be a number/],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
  });
});
