/**
 * `@creatorflow/sync/redis`: a {@link RateLimiter} on `ioredis`, so a limit
 * holds across every host process sharing the Redis server — and degrades by
 * policy, without failing or stalling a webhook, while Redis is down.
 */
import { createHash } from 'node:crypto';
import {
  rateLimitSettings,
  type RateLimitDecision,
  type RateLimitOptions,
  type RateLimiterUnavailablePolicy,
} from '../ingest/rate-limiter.js';
import { createResilientRateLimiter, type ResilientRateLimiter } from '../ingest/resilient-rate-limiter.js';

/** The subset of an ioredis client this adapter uses (declared, so nothing imports ioredis types). */
export interface RedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  /** ioredis's connection state; no command is sent while it is `reconnecting`, `close` or `end`. */
  readonly status?: string;
  on?(event: 'error' | 'ready' | 'close', listener: (arg?: unknown) => void): unknown;
  off?(event: 'error' | 'ready' | 'close', listener: (arg?: unknown) => void): unknown;
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

/** ioredis states in which the connection is lost. */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

/**
 * Options of {@link createRedisRateLimiter}.
 *
 * @example
 * ```ts
 * const limiter = createRedisRateLimiter({ redis, limit: 1_000, windowMs: 60_000 });
 * ```
 */
export interface RedisRateLimiterOptions extends RateLimitOptions {
  /** The ioredis client (the host's; never closed by the limiter). */
  redis: RedisLike;
  /** Key prefix. Default `'creatorflow:ratelimit:'`. */
  prefix?: string;
  /**
   * While Redis is unreachable: `'local'` (default) limits per process,
   * `'allow'` lets requests through, `'deny'` answers 503 with `Retry-After`.
   */
  whenUnavailable?: RateLimiterUnavailablePolicy;
  /** Longest wait for Redis per request before the policy decides. Default 500 ms. */
  commandTimeoutMs?: number;
  /** How long to stay on the policy after Redis failed before trying it again. Default 1000 ms. */
  retryIntervalMs?: number;
}

/** The Redis limiter: a limiter with a status, events, and `close()` to detach from the client. */
export interface RedisRateLimiter extends ResilientRateLimiter {
  /** Remove the listeners the limiter added to the client (the client stays open). */
  close(): void;
}

/**
 * Client options for a Redis connection used by the limiter, so commands fail
 * fast instead of queueing while Redis is down (the limiter bounds its own
 * waits either way).
 *
 * @example
 * ```ts
 * const redis = new Redis(url, RATE_LIMITER_REDIS_OPTIONS);
 * ```
 */
export const RATE_LIMITER_REDIS_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
});

/**
 * An exact sliding-window rate limiter in Redis: one atomic Lua call per
 * request, one sorted set per limited subject (at most `limit` members) that
 * expires once its window is empty. Redis is not needed to accept a webhook:
 * when it fails, is disconnected or does not answer within
 * `commandTimeoutMs`, `whenUnavailable` decides and `status()` reports
 * `degraded` until Redis answers again. The limiter listens for the client's
 * `error` events (so ioredis does not report them as unhandled) and reports
 * them through `status()` and `events`.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRedisRateLimiter, RATE_LIMITER_REDIS_OPTIONS } from '@creatorflow/sync/redis';
 * const rateLimiter = createRedisRateLimiter({ redis: new Redis(RATE_LIMITER_REDIS_OPTIONS), limit: 1000, windowMs: 60_000 });
 * rateLimiter.events.on('rate-limiter:degraded', (s) => console.warn('per-process limits:', s.lastError));
 * createTikTokWebhookHandler({ store, appKey, appSecret, rateLimiter });
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const settings = rateLimitSettings(options);
  const { redis } = options;
  const prefix = options.prefix ?? 'creatorflow:ratelimit:';
  const args = [settings.limit, settings.windowMs] as const;
  const limiter = createResilientRateLimiter({
    backend: 'redis',
    settings,
    ...(options.whenUnavailable === undefined ? {} : { whenUnavailable: options.whenUnavailable }),
    ...(options.commandTimeoutMs === undefined ? {} : { timeoutMs: options.commandTimeoutMs }),
    ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
    // ioredis queues commands while it reconnects: send none then. (While it
    // first connects, the command timeout bounds the wait.)
    isConnected: () => !DISCONNECTED.has(redis.status ?? ''),
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
  });
  const onError = (err?: unknown) => limiter.backendFailed(err ?? new Error('Redis client error'));
  const onClose = () => limiter.backendFailed(new Error('Redis connection closed'));
  const onReady = () => limiter.backendReady();
  redis.on?.('error', onError);
  redis.on?.('close', onClose);
  redis.on?.('ready', onReady);
  return Object.assign(limiter, {
    close() {
      redis.off?.('error', onError);
      redis.off?.('close', onClose);
      redis.off?.('ready', onReady);
    },
  });
}

export { createRedisConnectionLimiter } from './redis-connection-limiter.js';
export type {
  RedisConnectionLimiter,
  RedisConnectionLimiterEventMap,
  RedisConnectionLimiterOptions,
  RedisScriptClient,
} from './redis-connection-limiter.js';
