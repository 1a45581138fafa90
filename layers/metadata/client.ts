/**
 * Pulls every page of the external product metadata API with a timeout per attempt and up to
 * `attempts` attempts per page, backing off exponentially with full jitter. A response that is not
 * JSON, or not the shape we accept, counts as a failed attempt. Nothing is returned unless every page
 * arrived, so a caller never writes a partial file.
 */
import { again, done, retrying } from '../util/retry';
import { ApiPageSchema, type ApiProduct } from './schema';

export interface PullOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** @default 3 */
  readonly attempts?: number;
  /** Per attempt. @default 10_000 */
  readonly timeoutMs?: number;
  /** First backoff cap; doubles per attempt. @default 500 */
  readonly baseDelayMs?: number;
  /** @default 500 */
  readonly pageSize?: number;
  /** @default 1000 */
  readonly maxPages?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onAttemptFailed?: (attempt: number, reason: string) => void;
}

export class MetadataPullError extends Error {
  override readonly name = 'MetadataPullError';
  constructor(
    message: string,
    readonly reasons: readonly string[],
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export async function pullAllProducts(
  options: PullOptions,
): Promise<{ products: ApiProduct[]; pages: number; attempts: number }> {
  const products: ApiProduct[] = [];
  let token: string | undefined;
  let pages = 0;
  let attempts = 0;
  do {
    const url = new URL('v1/products', options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    url.searchParams.set('pageSize', String(options.pageSize ?? 500));
    if (token) url.searchParams.set('pageToken', token);
    const page = await withRetries(url, options, () => attempts++);
    products.push(...page.items);
    token = page.nextPageToken ?? undefined;
    pages++;
    if (pages > (options.maxPages ?? 1000))
      throw new MetadataPullError(`more than ${options.maxPages ?? 1000} pages: giving up`, [], false);
  } while (token);
  return { products, pages, attempts };
}

async function withRetries(url: URL, options: PullOptions, countAttempt: () => void) {
  const reasons: string[] = [];
  const failure = (attempts: number, retryable: boolean) =>
    new MetadataPullError(
      `The product metadata API at ${url.origin} failed ${attempts} time${attempts > 1 ? 's' : ''}` +
        `${retryable ? '' : ' with an error a retry cannot fix'}: ${reasons.join('; ')}`,
      reasons,
      retryable,
    );
  const policy = {
    attempts: options.attempts ?? 3,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: Number.POSITIVE_INFINITY,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
  return retrying(policy, { giveUp: (_reasons, attempts) => failure(attempts, true) }, async (attempt) => {
    countAttempt();
    try {
      return done(await attemptOnce(url, options));
    } catch (err) {
      const reason = `attempt ${attempt}: ${(err as Error).message}`;
      reasons.push(reason);
      options.onAttemptFailed?.(attempt, reason);
      if (err instanceof AttemptError && !err.retryable) throw failure(attempt, false);
      return again(reason);
    }
  });
}

async function attemptOnce(url: URL, options: PullOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { 'x-api-key': options.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    throw new AttemptError(
      e.name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : `request failed: ${e.message}`,
      true,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new AttemptError(`response body failed: ${(err as Error).message}`, true);
  }
  if (!response.ok) {
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new AttemptError(`HTTP ${response.status}${text ? ` (${text.slice(0, 120)})` : ''}`, retryable);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AttemptError(`response is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`, true);
  }
  const parsed = ApiPageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AttemptError(
      `response does not match the expected shape at ${issue?.path.join('.') || 'root'}: ${issue?.message}`,
      true,
    );
  }
  return parsed.data;
}
