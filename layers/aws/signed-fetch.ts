/**
 * HTTP requests signed with SigV4, for APIs behind IAM authorization (API Gateway's `execute-api`).
 * Credentials come from the standard SDK chain (or the given environment), as every client's do.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Env } from './clients';

export interface SignedFetchOptions {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Where credentials and the region come from. @default process.env */
  readonly env?: Env;
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default 10 s */
  readonly timeoutMs?: number;
}

/** The region of an `https://<id>.execute-api.<region>.amazonaws.com` URL, else the environment's. */
function regionFor(url: URL, env: Env): string {
  return (
    /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1] ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION ??
    'us-east-1'
  );
}

export async function signedFetch(target: string, options: SignedFetchOptions = {}): Promise<Response> {
  const env = options.env ?? process.env;
  const url = new URL(target);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : defaultProvider();
  const signer = new SignatureV4({
    credentials,
    region: regionFor(url, env),
    service: options.service ?? 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signer.sign({
    method: options.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { host: url.host, ...(options.headers ?? {}) },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  return fetch(url, {
    method: signed.method,
    headers: signed.headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
}
