/**
 * Apply a rate-limit decision to a request.
 */
import { IngestError } from './errors.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

/**
 * Consume one request for `key`; throw `RATE_LIMITED` (429 with `Retry-After`
 * in whole seconds) when over the limit, `RATE_LIMITER_UNAVAILABLE` (503 with
 * `Retry-After`) when the limiter cannot decide and fails closed — also when
 * it throws, so a broken limiter gets a retryable answer rather than a 500.
 *
 * @example
 * ```ts
 * await enforceRateLimit(limiter, `tiktok:${shopId}`);
 * ```
 */
export async function enforceRateLimit(limiter: RateLimiter, key: string): Promise<void> {
  let decision: RateLimitDecision;
  try {
    decision = await limiter.consume(key);
  } catch (cause) {
    throw unavailable(1000, cause);
  }
  if (decision.allowed) return;
  if (decision.unavailable) throw unavailable(decision.retryAfterMs);
  throw new IngestError('RATE_LIMITED', `Over the limit of ${decision.limit} requests for ${key}`, {
    headers: { 'retry-after': retryAfterSeconds(decision.retryAfterMs) },
  });
}

const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

function unavailable(retryAfterMs: number, cause?: unknown): IngestError {
  return new IngestError(
    'RATE_LIMITER_UNAVAILABLE',
    'The rate limiter cannot decide right now; retry later',
    {
      headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
