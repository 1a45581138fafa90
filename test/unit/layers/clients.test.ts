import { endpointFor, kinesisClient, s3Client } from '../../../layers/aws/clients';

describe('AWS client factory', () => {
  it('prefers the per-service endpoint variable over AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' };
    expect(endpointFor('S3', env)).toBe('http://127.0.0.1:9000');
    expect(endpointFor('KINESIS', env)).toBe('http://localhost:4566');
  });

  it('has no endpoint override when nothing is configured, or when overrides are switched off', () => {
    expect(endpointFor('S3', {})).toBeUndefined();
    expect(
      endpointFor('S3', { AWS_ENDPOINT_URL: 'http://x', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBeUndefined();
  });

  it('uses path-style S3 only when an endpoint is overridden', async () => {
    const local = s3Client({ env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'eu-west-1' } });
    const aws = s3Client({ env: { AWS_REGION: 'eu-west-1' } });
    expect(local.config.forcePathStyle).toBe(true);
    expect(aws.config.forcePathStyle).toBe(false);
    expect(await local.config.region()).toBe('eu-west-1');
    const endpoint = await local.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(endpoint?.port).toBe(4566);
  });

  it('takes credentials from an explicit environment', async () => {
    const client = kinesisClient({
      env: { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_REGION: 'us-east-1' },
    });
    const creds = await client.config.credentials();
    expect(creds.accessKeyId).toBe('AK');
  });
});
