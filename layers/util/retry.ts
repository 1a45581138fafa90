/**
 * The one retry loop for what the AWS SDK does not retry itself: partial failures (Kinesis records
 * and DynamoDB items a batch call left unprocessed), a lock held by someone else, an HTTP API of a
 * third party, a local function invocation. Waits use full jitter (a random wait up to a cap that
 * doubles per retry) within a number of attempts and, optionally, a total time budget. Throttling and
 * 5xx answers of AWS calls are the SDK's own retry strategy's to handle, not this loop's
 * (docs/decisions/020-one-retry-loop.md).
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Cap of the first wait; it doubles per retry. */
  readonly baseDelayMs: number;
  /** Largest wait between two attempts. @default 2000 */
  readonly maxDelayMs?: number;
  /** No retry starts later than this many ms after the first attempt. @default none */
  readonly budgetMs?: number;
  /** Waits are random in [0, cap) (full jitter); false waits the cap itself. @default true */
  readonly jitter?: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** What one attempt came to: done with a value, or to be tried again, and why. */
export type Attempt<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly reason: string };

export const done = <T>(value: T): Attempt<T> => ({ done: true, value });
export const again = (reason: string): Attempt<never> => ({ done: false, reason });

export interface RetryOptions {
  /** A thrown error that counts as a failed attempt (others end the loop at once). @default none */
  readonly retryable?: (err: unknown) => boolean;
  /** Called after each failed attempt that will be retried (attempt number, 1-based, and reason). */
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** The error to throw once attempts or budget are spent, from every attempt's reason. */
  readonly giveUp: (reasons: readonly string[], attempts: number) => Error;
}

/** The wait before retry number `retry` (1 = the first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const cap = Math.min(policy.maxDelayMs ?? 2_000, policy.baseDelayMs * 2 ** (retry - 1));
  return policy.jitter === false ? cap : (policy.random ?? Math.random)() * cap;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Run `step` until it is done, retrying with backoff within the policy; then `giveUp`. */
export async function retrying<T>(
  policy: RetryPolicy,
  options: RetryOptions,
  step: (attempt: number) => Promise<Attempt<T>>,
): Promise<T> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? realSleep;
  const started = now();
  const reasons: string[] = [];
  for (let attempt = 1; ; attempt++) {
    let outcome: Attempt<T>;
    try {
      outcome = await step(attempt);
    } catch (err) {
      if (!options.retryable?.(err)) throw err;
      outcome = again((err as Error).message ?? String(err));
    }
    if (outcome.done) return outcome.value;
    reasons.push(outcome.reason);
    const wait = backoffDelay(policy, attempt);
    const overBudget = policy.budgetMs !== undefined && now() + wait - started > policy.budgetMs;
    if (attempt >= policy.attempts || overBudget) throw options.giveUp(reasons, attempt);
    options.onRetry?.(attempt, outcome.reason);
    await sleep(wait);
  }
}
