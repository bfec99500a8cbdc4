/**
 * The rate-limit port and its in-memory implementation. Both implementations
 * (memory here, Redis in `@creatorflow/sync/redis`) keep an exact sliding-window
 * log: in every window of `windowMs` at most `limit` requests are allowed —
 * no window edge lets a double burst through, as fixed windows or a GCRA with
 * a full-size burst would.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** The answer for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed right now. */
  remaining: number;
  /** When denied: ms until the next request would be allowed; 0 when allowed. */
  retryAfterMs: number;
  /**
   * Denied because the limiter could not decide (its backend is down and the
   * host chose to fail closed): answered 503, not 429.
   */
  unavailable?: boolean;
}

/** What a limiter with a remote backend reports to health checks. */
export interface RateLimiterStatus {
  /** e.g. `'redis'`. */
  backend: string;
  /** `'degraded'` while the backend is unreachable and the policy decides. */
  state: 'ok' | 'degraded';
  /** What it does while degraded. */
  policy: RateLimiterUnavailablePolicy;
  /** When the current state began (ms since the epoch). */
  since: number;
  /** Why it is degraded. */
  lastError?: string;
}

/**
 * What a shared limiter does when its backend is unreachable: `'local'` counts
 * per process (each host allows up to the limit), `'allow'` lets every request
 * through, `'deny'` refuses them (503 with `Retry-After`).
 *
 * @example
 * ```ts
 * createRedisRateLimiter({ redis, whenUnavailable: 'deny' });
 * ```
 */
export const RATE_LIMITER_UNAVAILABLE_POLICIES = ['local', 'allow', 'deny'] as const;
/** One of {@link RATE_LIMITER_UNAVAILABLE_POLICIES}. */
export type RateLimiterUnavailablePolicy = (typeof RATE_LIMITER_UNAVAILABLE_POLICIES)[number];

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
  /** The backend's health, for limiters that have one (the Redis limiter). */
  status?(): RateLimiterStatus;
}

/**
 * Options of the rate limiters.
 *
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter({ limit: 100, windowMs: 60_000 });
 * ```
 */
export interface RateLimitOptions {
  /** Requests allowed per window. Default 1000. */
  limit?: number;
  /** Window length in ms. Default 60 000. */
  windowMs?: number;
}

/**
 * Default: 1,000 requests per minute.
 *
 * @example
 * ```ts
 * DEFAULT_RATE_LIMIT // { limit: 1000, windowMs: 60_000 }
 * ```
 */
export const DEFAULT_RATE_LIMIT = { limit: 1000, windowMs: 60_000 } as const;

/** Validated limiter settings. */
export interface RateLimitSettings {
  limit: number;
  windowMs: number;
}

/**
 * Validate rate-limit options (positive integers).
 *
 * @example
 * ```ts
 * rateLimitSettings({ limit: 10, windowMs: 1000 }) // { limit: 10, windowMs: 1000 }
 * ```
 */
export function rateLimitSettings(options: RateLimitOptions = {}): RateLimitSettings {
  const limit = options.limit ?? DEFAULT_RATE_LIMIT.limit;
  const windowMs = options.windowMs ?? DEFAULT_RATE_LIMIT.windowMs;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new InvalidArgumentError(`windowMs must be a positive integer, got ${windowMs}`);
  }
  return Object.freeze({ limit, windowMs });
}

/**
 * One sliding-window step, pure: `log` holds the times of the requests allowed
 * so far (ascending); entries at or before `now - windowMs` have left the
 * window. Allowed requests are appended to `log` (mutated in place). The Redis
 * limiter runs the same rule in Lua.
 *
 * @example
 * ```ts
 * const log: number[] = [];
 * slidingWindowStep(log, 0, { limit: 1, windowMs: 1000 }).allowed // true
 * slidingWindowStep(log, 10, { limit: 1, windowMs: 1000 }).retryAfterMs // 990
 * ```
 */
export function slidingWindowStep(
  log: number[],
  now: number,
  settings: RateLimitSettings,
): RateLimitDecision {
  const { limit, windowMs } = settings;
  let expired = 0;
  while (expired < log.length && log[expired]! <= now - windowMs) expired++;
  if (expired > 0) log.splice(0, expired);
  if (log.length >= limit) {
    return {
      allowed: false,
      limit,
      remaining: 0,
      retryAfterMs: Math.max(1, Math.ceil(log[0]! + windowMs - now)),
    };
  }
  log.push(now);
  return { allowed: true, limit, remaining: limit - log.length, retryAfterMs: 0 };
}

/**
 * Options of {@link createMemoryRateLimiter}.
 *
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter({ limit: 100, windowMs: 60_000, now: () => fakeClock });
 * ```
 */
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
  const logs = new Map<string, number[]>();
  let calls = 0;
  return {
    consume(key: string) {
      const t = now();
      // Forget keys whose window emptied, so memory follows active keys only.
      if (++calls % 1024 === 0) {
        for (const [k, log] of logs)
          if (log.length === 0 || log[log.length - 1]! <= t - settings.windowMs) logs.delete(k);
      }
      let log = logs.get(key);
      if (!log) {
        log = [];
        logs.set(key, log);
      }
      return Promise.resolve(slidingWindowStep(log, t, settings));
    },
  };
}

/**
 * A limiter that never limits (the receivers default to a memory limiter; use
 * this to switch limiting off explicitly).
 *
 * @example
 * ```ts
 * createTikTokWebhookHandler({ store, appKey, appSecret, rateLimiter: unlimitedRateLimiter });
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
