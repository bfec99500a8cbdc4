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
 * The GCRA step of `gcraStep()` (src/ingest/rate-limiter.ts) in Lua, atomic
 * on the server. Time comes from the Redis server (TIME), so host clocks that
 * disagree cannot loosen the limit. Returns {allowed, remaining, retryAfterMs}.
 */
const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, math.ceil(allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
return {1, math.floor((window - (new_tat - now)) / interval + 1e-9), 0}
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends RateLimitOptions {
  /** The ioredis client (the host's; never closed by the limiter). */
  redis: RedisLike;
  /** Key prefix. Default `'creatorflow:ratelimit:'`. */
  prefix?: string;
}

/**
 * A GCRA rate limiter in Redis: one atomic Lua call per request, one key per
 * limited subject that expires once its bucket is full again.
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
  const args = [settings.emissionIntervalMs, settings.windowMs] as const;
  return {
    async consume(key: string): Promise<RateLimitDecision> {
      const redisKey = prefix + key;
      let reply: unknown;
      try {
        reply = await redis.evalsha(GCRA_SHA, 1, redisKey, ...args);
      } catch (err) {
        if (!String((err as Error | undefined)?.message).includes('NOSCRIPT')) throw err;
        reply = await redis.eval(GCRA_SCRIPT, 1, redisKey, ...args);
      }
      const [allowed, remaining, retryAfterMs] = reply as [number, number, number];
      return { allowed: allowed === 1, limit: settings.limit, remaining, retryAfterMs };
    },
  };
}
