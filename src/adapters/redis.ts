/**
 * `@creatorflow/sync/redis`: a {@link RateLimiter} on `ioredis`, so a limit
 * holds across every host process sharing the Redis server.
 */
import { createHash } from 'node:crypto';
import {
  rateLimitSettings,
  type RateLimitDecision,
  type RateLimitOptions,
  type RateLimiter,
} from '../ingest/rate-limiter.js';

/** The subset of an ioredis client this adapter uses (declared, so nothing imports ioredis types). */
export interface RedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * `slidingWindowStep()` (src/ingest/rate-limiter.ts) in Lua, atomic on the
 * server: a sorted set of request times per key. Time comes from the Redis
 * server (TIME), so host clocks that disagree cannot loosen the limit.
 * Returns {allowed, remaining, retryAfterMs}.
 */
const SLIDING_WINDOW_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, 0, math.max(1, math.ceil(tonumber(oldest[2]) + window - now))}
end
-- (now, count) is unique: at one instant the count only grows.
redis.call('ZADD', KEYS[1], now, string.format('%.3f', now) .. ':' .. count)
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - count - 1, 0}
`;
const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_SCRIPT).digest('hex');

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends RateLimitOptions {
  /** The ioredis client (the host's; never closed by the limiter). */
  redis: RedisLike;
  /** Key prefix. Default `'creatorflow:ratelimit:'`. */
  prefix?: string;
}

/**
 * An exact sliding-window rate limiter in Redis: one atomic Lua call per
 * request, one sorted set per limited subject (at most `limit` members) that
 * expires once its window is empty.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRedisRateLimiter } from '@creatorflow/sync/redis';
 * const rateLimiter = createRedisRateLimiter({ redis: new Redis(), limit: 1000, windowMs: 60_000 });
 * createTikTokWebhookHandler({ store, appKey, appSecret, rateLimiter });
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const settings = rateLimitSettings(options);
  const { redis } = options;
  const prefix = options.prefix ?? 'creatorflow:ratelimit:';
  const args = [settings.limit, settings.windowMs] as const;
  return {
    async consume(key: string): Promise<RateLimitDecision> {
      const redisKey = prefix + key;
      let reply: unknown;
      try {
        reply = await redis.evalsha(SCRIPT_SHA, 1, redisKey, ...args);
      } catch (err) {
        if (!String((err as Error | undefined)?.message).includes('NOSCRIPT')) throw err;
        reply = await redis.eval(SLIDING_WINDOW_SCRIPT, 1, redisKey, ...args);
      }
      const [allowed, remaining, retryAfterMs] = reply as [number, number, number];
      return { allowed: allowed === 1, limit: settings.limit, remaining, retryAfterMs };
    },
  };
}

export * from './redis-connection-limiter.js';
