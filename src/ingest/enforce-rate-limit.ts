/**
 * Apply a rate-limit decision to a request.
 */
import { IngestError } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Consume one request for `key`; throw `RATE_LIMITED` (429 with `Retry-After`
 * in whole seconds) when over the limit.
 *
 * @example
 * ```ts
 * await enforceRateLimit(limiter, `tiktok:${shopId}`);
 * ```
 */
export async function enforceRateLimit(limiter: RateLimiter, key: string): Promise<void> {
  const decision = await limiter.consume(key);
  if (decision.allowed) return;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new IngestError('RATE_LIMITED', `Over the limit of ${decision.limit} requests for ${key}`, {
    headers: { 'retry-after': String(seconds) },
  });
}
