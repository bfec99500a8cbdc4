/**
 * `@creatorflow/sync/cache`: a read-through tiered cache (in process + Redis)
 * whose invalidation is driven by the gapless event log. Never loaded by the
 * root entry; it needs `lru-cache` (a dependency) and, for the Redis tiers,
 * an `ioredis` client the host passes in.
 */
export { createTieredCache, TieredCache } from './tiered-cache.js';
export type {
  CacheGetOptions,
  CacheHealth,
  CacheResult,
  CacheSource,
  TieredCacheEvents,
} from './cache-types.js';
export { CACHE_TIERS, DEFAULT_TIERS } from './cache-options.js';
export type { CacheTier, TierSettings, TieredCacheOptions, WarmKey } from './cache-options.js';
export type { CacheMetrics, TierMetrics, TierCounters } from './cache-metrics.js';
export type { LagSummary } from './lag-samples.js';
export type { CacheRedisLike } from './redis-layer.js';
export { CacheNotStartedError } from './errors.js';
export {
  broadTag,
  expandCascades,
  matchesEventType,
  renderTag,
  tagsForEvent,
  tagsForRowChange,
} from './invalidation-rules.js';
export type { CascadeRule, EventTagRule, InvalidationRules, RowTagRule } from './invalidation-rules.js';
