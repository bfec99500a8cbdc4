/**
 * The one retry policy of the library: how often and how patiently to try a
 * failing operation again. Processors, the saga runner, commerce's steps and
 * the library's own database writes all speak this type; a policy given by a
 * user is checked by one zod schema.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/**
 * How often and how patiently to retry. The delay before retry `n` (1-based)
 * is `min(maxTimeoutMs, minTimeoutMs · factor^(n−1))`, times a random factor
 * in [1, 2) with `jitter`.
 */
export interface RetryPolicy {
  /** Total attempts including the first (1: never retry). */
  attempts: number;
  /** Delay before the first retry in ms. */
  minTimeoutMs: number;
  /** Upper bound of one delay in ms. */
  maxTimeoutMs: number;
  /** Growth factor of the delay per retry. */
  factor: number;
  /** Multiply each delay by a random factor in [1, 2) so retries of many workers spread out. */
  jitter: boolean;
}

/**
 * The zod schema of a retry policy a caller may give (every field optional,
 * unknown fields refused). The one schema for every `retry` option.
 *
 * @example
 * ```ts
 * const options = z.object({ retry: retryPolicySchema.optional() });
 * ```
 */
export const retryPolicySchema = z
  .object({
    attempts: z.number().int().min(1).max(1000).optional(),
    minTimeoutMs: z.number().min(0).optional(),
    maxTimeoutMs: z.number().min(0).optional(),
    factor: z.number().min(1).optional(),
    jitter: z.boolean().optional(),
  })
  .strict();

/** A retry policy as a caller may give it: any subset of {@link RetryPolicy}. */
export type RetryPolicyInput = { [K in keyof RetryPolicy]?: RetryPolicy[K] | undefined };

/**
 * The default policy (processors' handlers): 5 attempts, 100 ms doubling to at most 10 s, with jitter.
 *
 * @example
 * ```ts
 * createProcessor({ store, name: 'totals', handle, retry: { ...DEFAULT_RETRY_POLICY, attempts: 10 } });
 * ```
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 5,
  minTimeoutMs: 100,
  maxTimeoutMs: 10_000,
  factor: 2,
  jitter: true,
});

/**
 * The library's own database writes (saga state, event appends): short delays,
 * because the failures they retry (deadlocks, serialization failures, a dropped
 * connection) clear in milliseconds. 6 attempts, 20 ms doubling to 1 s, with jitter.
 *
 * @example
 * ```ts
 * await withRetry(() => store.record(owner, writes), DATABASE_RETRY_POLICY, { shouldRetry: isTransientFailure });
 * ```
 */
export const DATABASE_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 6,
  minTimeoutMs: 20,
  maxTimeoutMs: 1_000,
  factor: 2,
  jitter: true,
});

/**
 * Fill in the unset fields of `input` from `defaults` and validate the result;
 * throws a {@link ValidationError} (code `VALIDATION_FAILED`) on bad values.
 *
 * @example
 * ```ts
 * resolveRetryPolicy({ attempts: 3 })                       // { attempts: 3, minTimeoutMs: 100, … }
 * resolveRetryPolicy(step.retry, runnerDefaults)            // a step's own policy over the runner's
 * ```
 */
export function resolveRetryPolicy(
  input: RetryPolicyInput | undefined = {},
  defaults: Readonly<RetryPolicy> = DEFAULT_RETRY_POLICY,
): Readonly<RetryPolicy> {
  const parsed = retryPolicySchema.safeParse(stripUndefined(input ?? {}));
  if (!parsed.success) {
    throw new ValidationError(
      'The retry policy is invalid',
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const policy = { ...defaults, ...stripUndefined(parsed.data) } as RetryPolicy;
  return Object.freeze(policy);
}

/**
 * The delay before retry `retry` (1-based) without jitter: what the policy
 * promises at least, e.g. to report in an event.
 *
 * @example
 * ```ts
 * nominalRetryDelayMs(DEFAULT_RETRY_POLICY, 3) // 400
 * ```
 */
export function nominalRetryDelayMs(policy: Readonly<RetryPolicy>, retry: number): number {
  return Math.min(policy.maxTimeoutMs, policy.minTimeoutMs * policy.factor ** Math.max(0, retry - 1));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
