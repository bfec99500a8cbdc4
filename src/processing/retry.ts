/**
 * Retries with exponential backoff and jitter (p-retry), shared by processors
 * and the saga runner.
 */
import pRetry, { AbortError } from 'p-retry';
import { z } from 'zod';

/** How often and how patiently to retry a failing handler. */
export interface RetryPolicy {
  /** Total attempts including the first (default 5). */
  attempts: number;
  /** Delay before the first retry in ms (default 100). */
  minTimeoutMs: number;
  /** Upper bound of one delay in ms (default 10 000). */
  maxTimeoutMs: number;
  /** Growth factor of the delay (default 2). */
  factor: number;
  /** Multiply each delay by a random factor in [1, 2) so retries of many workers spread out (default true). */
  jitter: boolean;
}

const retryPolicySchema = z.object({
  attempts: z.number().int().min(1).max(1000),
  minTimeoutMs: z.number().min(0),
  maxTimeoutMs: z.number().min(0),
  factor: z.number().min(1),
  jitter: z.boolean(),
});

/** The defaults: 5 attempts, 100 ms doubling to at most 10 s, with jitter. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 5,
  minTimeoutMs: 100,
  maxTimeoutMs: 10_000,
  factor: 2,
  jitter: true,
});

/**
 * Fill in a partial policy with the defaults and validate it (throws a ZodError on bad values).
 *
 * @example
 * ```ts
 * resolveRetryPolicy({ attempts: 3 }) // { attempts: 3, minTimeoutMs: 100, … }
 * ```
 */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> = {}): Readonly<RetryPolicy> {
  return Object.freeze(retryPolicySchema.parse({ ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy) }));
}

/**
 * Options of {@link withRetry}.
 *
 * @example
 * ```ts
 * await withRetry((attempt) => sendEmail(attempt), DEFAULT_RETRY_POLICY, { shouldRetry: isTransient, signal });
 * ```
 */
export interface WithRetryOptions {
  /** Called after each failed attempt (1-based), before the delay. */
  onFailedAttempt?: (error: unknown, attempt: number) => void;
  /** Return false to stop retrying at once (the error is rethrown). */
  shouldRetry?: (error: unknown) => boolean;
  signal?: AbortSignal;
}

/**
 * Run `fn` until it succeeds or the policy's attempts are used up; rethrows the
 * last error. `fn` receives the 1-based attempt number.
 *
 * @example
 * ```ts
 * await withRetry((attempt) => callShippingApi(idempotencyKey), resolveRetryPolicy({ attempts: 5 }));
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: Readonly<RetryPolicy> = DEFAULT_RETRY_POLICY,
  options: WithRetryOptions = {},
): Promise<T> {
  const { shouldRetry } = options;
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (err) {
        // Abort at once when the caller says this error is permanent. Everything else is
        // wrapped: p-retry gives up on TypeErrors and non-Errors at once, but a handler bug
        // may depend on the data and should be retried, then dead-lettered.
        if (shouldRetry && !shouldRetry(err)) throw new AbortError(new Wrapped(err));
        throw new Wrapped(err);
      }
    },
    {
      retries: policy.attempts - 1,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      factor: policy.factor,
      randomize: policy.jitter,
      unref: true,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailedAttempt: ({ error, attemptNumber }) => options.onFailedAttempt?.(unwrap(error), attemptNumber),
    },
  ).catch((err: unknown) => {
    throw unwrap(err);
  });
}

/** Carries the original error through p-retry untouched. */
class Wrapped extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super(value instanceof Error ? value.message : String(value));
    this.value = value;
  }
}

function unwrap(err: unknown): unknown {
  return err instanceof Wrapped ? err.value : err;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
