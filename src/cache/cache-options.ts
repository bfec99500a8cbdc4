/**
 * Options of the tiered cache, validated once with zod and frozen. The three
 * tiers and their defaults follow the specification: hot (30 s, 100 MB per
 * user, in process), warm (5 min, shared, Redis) and cold (1 h, Redis).
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import type { PubSub } from '../realtime/pubsub.js';
import type { EventStore } from '../store/types.js';
import type { InvalidationRules } from './invalidation-rules.js';
import type { CacheRedisLike } from './redis-layer.js';

/**
 * Tier names, hottest first.
 *
 * @example
 * ```ts
 * for (const tier of CACHE_TIERS) console.log(tier, cache.metrics().tiers[tier].hitRatio);
 * ```
 */
export const CACHE_TIERS = ['hot', 'warm', 'cold'] as const;
/**
 * One of {@link CACHE_TIERS}.
 *
 * @example
 * ```ts
 * const tier: CacheTier = 'hot';
 * ```
 */
export type CacheTier = (typeof CACHE_TIERS)[number];

/**
 * Settings of one tier.
 *
 * @example
 * ```ts
 * createTieredCache({ store, tiers: { hot: { ttlMs: 10_000, maxMemoryBytesPerUser: 8 * 2 ** 20 } } });
 * ```
 */
export interface TierSettings {
  /** How long an entry is served fresh, ms. */
  ttlMs: number;
  /** How long past its freshness an entry is kept for callers that accept a stale value, ms. */
  graceMs: number;
  /** How long "nothing found" (the loader returned null or undefined) is cached, ms. */
  negativeTtlMs: number;
  /** Whether the tier stores entries in Redis (shared by hosts) behind its in-process layer. */
  redis: boolean;
  /** Byte budget of the tier's in-process layer. */
  maxMemoryBytes: number;
  /** Byte budget per user (entries read with `user`) in the in-process layer; null = none. */
  maxMemoryBytesPerUser: number | null;
}

/**
 * A key a host asks to have loaded when the cache starts.
 *
 * @example
 * ```ts
 * const warm: WarmKey[] = [{ key: 'dashboard:top', loader: loadTop, options: { tier: 'warm', tags: ['dashboard_stats'] } }];
 * ```
 */
export interface WarmKey {
  key: string;
  loader: () => unknown;
  options?: { tier?: CacheTier; tags?: readonly string[]; ttlMs?: number; user?: string };
}

/**
 * Options of `createTieredCache`.
 *
 * @example
 * ```ts
 * const options: TieredCacheOptions = { store, rules: commerceCacheRules, redis, maxStalenessMs: 500 };
 * ```
 */
export interface TieredCacheOptions {
  /** The event store whose log drives invalidation. */
  store: EventStore;
  /** Event and row rules to tags, and cascades (e.g. `commerceCacheRules` from `@creatorflow/sync/commerce`). */
  rules?: InvalidationRules;
  /**
   * An ioredis client for the Redis layers (never closed by the cache), or one
   * per tier (`{ warm, cold }`) so each tier's size is bounded by its own
   * server's `maxmemory`; absent = in-process only.
   */
  redis?: CacheRedisLike | Partial<Record<CacheTier, CacheRedisLike>>;
  /** Fan-out of explicit `delete()` / `invalidateTags()` and row-change invalidations to other hosts. */
  pubsub?: PubSub;
  /** Prefix of Redis keys and the pub/sub topic. Default `'creatorflow:cache:'`. */
  prefix?: string;
  /** Per-tier overrides of the defaults. */
  tiers?: Partial<Record<CacheTier, Partial<TierSettings>>>;
  /**
   * The staleness bound, ms: a host whose log reader has not confirmed the end
   * of the log for longer reads it before serving (or serves nothing cached).
   * Default 1000.
   */
  maxStalenessMs?: number;
  /** Backstop poll of the log when no wake-up arrives, ms. Default 100. */
  pollIntervalMs?: number;
  /** Events per log read. Default 1000. */
  batchSize?: number;
  /** Tags whose invalidation positions are remembered. Default 100 000. */
  maxTags?: number;
  /** Users whose budgets are tracked per tier. Default 10 000. */
  maxUsers?: number;
  /** Longest wait for a Redis command before the layer is skipped, ms. Default 200. */
  commandTimeoutMs?: number;
  /** How long `start()` waits for a connecting Redis client before starting without it, ms. Default 2000. */
  redisConnectTimeoutMs?: number;
  /** Lifetime of the cross-host load lock, ms (`lock: true` reads). Default 5000. */
  lockTtlMs?: number;
  /**
   * Most log events read to judge a Redis copy loaded before this host
   * started (older copies are reloaded). Default 10 000.
   */
  backfillMaxEvents?: number;
  /** Keys loaded by `start()`. */
  warm?: readonly WarmKey[];
  /** The clock (tests). Default `Date.now`. */
  now?: () => number;
}

const MB = 2 ** 20;

/**
 * The defaults of each tier.
 *
 * @example
 * ```ts
 * DEFAULT_TIERS.hot.ttlMs // 30_000
 * ```
 */
export const DEFAULT_TIERS: Readonly<Record<CacheTier, Readonly<TierSettings>>> = Object.freeze({
  hot: Object.freeze({
    ttlMs: 30_000,
    graceMs: 30_000,
    negativeTtlMs: 5_000,
    redis: false,
    maxMemoryBytes: 512 * MB,
    maxMemoryBytesPerUser: 100 * MB,
  }),
  warm: Object.freeze({
    ttlMs: 5 * 60_000,
    graceMs: 5 * 60_000,
    negativeTtlMs: 10_000,
    redis: true,
    maxMemoryBytes: 64 * MB,
    maxMemoryBytesPerUser: null,
  }),
  cold: Object.freeze({
    ttlMs: 60 * 60_000,
    graceMs: 60 * 60_000,
    negativeTtlMs: 30_000,
    redis: true,
    maxMemoryBytes: 32 * MB,
    maxMemoryBytesPerUser: null,
  }),
});

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const tierSchema = z
  .object({
    ttlMs: positiveInt,
    graceMs: nonNegativeInt,
    negativeTtlMs: nonNegativeInt,
    redis: z.boolean(),
    maxMemoryBytes: positiveInt,
    maxMemoryBytesPerUser: positiveInt.nullable(),
  })
  .partial()
  .strict();
const numbersSchema = z.object({
  prefix: z.string().min(1).max(200),
  maxStalenessMs: positiveInt,
  pollIntervalMs: positiveInt,
  batchSize: positiveInt.max(10_000),
  maxTags: positiveInt,
  maxUsers: positiveInt,
  commandTimeoutMs: positiveInt,
  lockTtlMs: positiveInt,
  redisConnectTimeoutMs: nonNegativeInt,
  backfillMaxEvents: nonNegativeInt,
});

/** Options after validation and defaults. */
export interface ResolvedCacheOptions extends z.infer<typeof numbersSchema> {
  tiers: Readonly<Record<CacheTier, Readonly<TierSettings>>>;
}

/** Validate the options; throws `InvalidArgumentError` naming every problem. */
export function resolveCacheOptions(options: TieredCacheOptions): ResolvedCacheOptions {
  if (!options || typeof options.store?.readAll !== 'function')
    throw new InvalidArgumentError('createTieredCache() needs a `store` (an EventStore)');
  const numbers = numbersSchema.safeParse({
    prefix: options.prefix ?? 'creatorflow:cache:',
    maxStalenessMs: options.maxStalenessMs ?? 1000,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    batchSize: options.batchSize ?? 1000,
    maxTags: options.maxTags ?? 100_000,
    maxUsers: options.maxUsers ?? 10_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 200,
    lockTtlMs: options.lockTtlMs ?? 5000,
    backfillMaxEvents: options.backfillMaxEvents ?? 10_000,
    redisConnectTimeoutMs: options.redisConnectTimeoutMs ?? 2000,
  });
  if (!numbers.success)
    throw new InvalidArgumentError(`Invalid cache options: ${z.prettifyError(numbers.error)}`);
  const tiers = {} as Record<CacheTier, Readonly<TierSettings>>;
  for (const tier of CACHE_TIERS) {
    const override = tierSchema.safeParse(options.tiers?.[tier] ?? {});
    if (!override.success)
      throw new InvalidArgumentError(
        `Invalid settings of cache tier "${tier}": ${z.prettifyError(override.error)}`,
      );
    const settings = { ...DEFAULT_TIERS[tier], ...override.data } as TierSettings;
    // A tier asked for Redis without a client runs in process only.
    if (settings.redis && !redisClientFor(options.redis, tier)) settings.redis = false;
    tiers[tier] = Object.freeze(settings);
  }
  for (const tier of Object.keys(options.tiers ?? {}))
    if (!(CACHE_TIERS as readonly string[]).includes(tier))
      throw new InvalidArgumentError(`Unknown cache tier "${tier}" (expected ${CACHE_TIERS.join(', ')})`);
  return Object.freeze({ ...numbers.data, tiers: Object.freeze(tiers) });
}

/**
 * The Redis client of a tier: the one client, or the tier's own.
 *
 * @example
 * ```ts
 * redisClientFor({ cold: coldRedis }, 'warm') // undefined
 * ```
 */
export function redisClientFor(
  redis: TieredCacheOptions['redis'],
  tier: CacheTier,
): CacheRedisLike | undefined {
  if (!redis) return undefined;
  if (typeof (redis as CacheRedisLike).get === 'function') return redis as CacheRedisLike;
  return (redis as Partial<Record<CacheTier, CacheRedisLike>>)[tier];
}
