import { signedFetch } from '../../layers/aws/signed-fetch';
import { testCloud } from '../helpers/cloud';

/** The recommendations API over HTTP, as a storefront backend calls it (local gateway, LocalStack or AWS). */
describe('recommendations API on the cloud', () => {
  it('validates its input with 400s and a message', async () => {
    const cloud = await testCloud();
    const base = cloud.outputs.ApiEndpoint as string;
    for (const [path, message] of [
      ['/users/u1/recommendations?k=0', /k must be at least 1/],
      ['/users/u1/recommendations?k=abc', /k must be a number/],
    ] as const) {
      const res = await signedFetch(`${base}${path}`, { env: cloud.env });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    const missing = await signedFetch(`${base}/nowhere`, { env: cloud.env });
    expect(missing.status).toBe(404);
  });

  it('refuses a request that is not signed: IAM authorization by default', async () => {
    const cloud = await testCloud();
    const res = await fetch(`${cloud.outputs.ApiEndpoint}/users/u1/recommendations?k=3`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toBe('Forbidden');
  });
});
