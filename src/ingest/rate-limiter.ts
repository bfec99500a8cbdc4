/**
 * The rate-limit port and its in-memory implementation. Both implementations
 * run the same GCRA (generic cell rate algorithm): `limit` requests may arrive
 * at once, then one per `windowMs / limit`, so no window edge lets 2x through.
 */

/** The answer for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed right now. */
  remaining: number;
  /** When denied: ms until the next request would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Counts requests per key (e.g. `tiktok:<shop_id>`).
 *
 * @example
 * ```ts
 * const decision = await limiter.consume('tiktok:shop-1');
 * if (!decision.allowed) reply429(decision.retryAfterMs);
 * ```
 */
export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
}

/** Options of the rate limiters. */
export interface RateLimitOptions {
  /** Requests allowed per window. Default 1000. */
  limit?: number;
  /** Window length in ms. Default 60 000. */
  windowMs?: number;
}

/** Default: 1,000 requests per minute. */
export const DEFAULT_RATE_LIMIT = { limit: 1000, windowMs: 60_000 } as const;

/** Validated limiter settings. */
export interface RateLimitSettings {
  limit: number;
  windowMs: number;
  /** ms between requests at the sustained rate. */
  emissionIntervalMs: number;
}

/**
 * Validate rate-limit options (positive integers) and derive the emission interval.
 *
 * @example
 * ```ts
 * rateLimitSettings({ limit: 10, windowMs: 1000 }).emissionIntervalMs // 100
 * ```
 */
export function rateLimitSettings(options: RateLimitOptions = {}): RateLimitSettings {
  const limit = options.limit ?? DEFAULT_RATE_LIMIT.limit;
  const windowMs = options.windowMs ?? DEFAULT_RATE_LIMIT.windowMs;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
  return Object.freeze({ limit, windowMs, emissionIntervalMs: windowMs / limit });
}

/** One GCRA step: the decision and the new theoretical arrival time to store (unchanged when denied). */
export interface GcraStep extends RateLimitDecision {
  tat: number;
}

/**
 * The GCRA step, pure. `tat` is the stored theoretical arrival time (or
 * undefined for a new key); the Redis limiter runs the same maths in Lua.
 *
 * @example
 * ```ts
 * const s = rateLimitSettings({ limit: 2, windowMs: 1000 });
 * gcraStep(undefined, 0, s).allowed // true
 * ```
 */
export function gcraStep(tat: number | undefined, now: number, settings: RateLimitSettings): GcraStep {
  const { limit, windowMs, emissionIntervalMs } = settings;
  const base = tat === undefined || tat < now ? now : tat;
  const newTat = base + emissionIntervalMs;
  const allowAt = newTat - windowMs;
  if (now < allowAt) {
    return { allowed: false, limit, remaining: 0, retryAfterMs: Math.ceil(allowAt - now), tat: base };
  }
  const remaining = Math.max(0, Math.floor((windowMs - (newTat - now)) / emissionIntervalMs + 1e-9));
  return { allowed: true, limit, remaining, retryAfterMs: 0, tat: newTat };
}

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions extends RateLimitOptions {
  /** Time source in ms (tests). Default `Date.now`. */
  now?: () => number;
}

/**
 * A rate limiter for one process. Use the Redis limiter
 * (`@creatorflow/sync/redis`) when several processes share the limit.
 *
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter({ limit: 1000, windowMs: 60_000 });
 * ```
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const settings = rateLimitSettings(options);
  const now = options.now ?? Date.now;
  const tats = new Map<string, number>();
  let calls = 0;
  return {
    consume(key: string) {
      const t = now();
      // Forget keys whose bucket is full again, so memory follows active keys only.
      if (++calls % 1024 === 0) for (const [k, v] of tats) if (v <= t) tats.delete(k);
      const step = gcraStep(tats.get(key), t, settings);
      if (step.allowed) tats.set(key, step.tat);
      const { tat: _tat, ...decision } = step;
      return Promise.resolve(decision);
    },
  };
}

/**
 * A limiter that never limits (the receivers' default is a memory limiter; use
 * this to switch limiting off explicitly).
 *
 * @example
 * ```ts
 * createTikTokWebhookHandler({ ..., rateLimiter: unlimitedRateLimiter });
 * ```
 */
export const unlimitedRateLimiter: RateLimiter = {
  consume: () =>
    Promise.resolve({
      allowed: true,
      limit: Number.MAX_SAFE_INTEGER,
      remaining: Number.MAX_SAFE_INTEGER,
      retryAfterMs: 0,
    }),
};
