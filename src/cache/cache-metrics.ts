/**
 * Counters of one tier, and the snapshot the cache reports (hit ratio,
 * stale values served, evictions, invalidation lag).
 */
import type { LagSummary } from './lag-samples.js';

/**
 * Counters of one tier.
 *
 * @example
 * ```ts
 * const { memoryHits, redisHits, misses } = cache.metrics().tiers.warm;
 * ```
 */
export interface TierCounters {
  /** Reads answered by the in-process layer. */
  memoryHits: number;
  /** Reads answered by Redis (the in-process layer missed). */
  redisHits: number;
  /** Hits on a negative entry ("nothing there"), included in the hits above. */
  negativeHits: number;
  /** Reads that had to call the loader. */
  misses: number;
  /** Loader calls that threw. */
  loadErrors: number;
  /** Stale values served because the loader failed and the caller allowed it. */
  staleServed: number;
  /** Reads that waited for another host's load (cross-host single flight). */
  lockWaits: number;
  /** Values that could not be cached (not JSON-serializable, or over a size limit). */
  uncacheable: number;
}

/**
 * A tier's counters plus derived figures.
 *
 * @example
 * ```ts
 * const warm: TierMetrics = cache.metrics().tiers.warm; console.log(warm.hitRatio, warm.evictions);
 * ```
 */
export interface TierMetrics extends TierCounters {
  /** Entries evicted from the in-process layer by a size limit. */
  evictions: number;
  /** (memory + Redis hits) / reads; 0 before the first read. */
  hitRatio: number;
  /** Entries and bytes in the in-process layer. */
  entries: number;
  bytes: number;
}

/**
 * What `cache.metrics()` returns.
 *
 * @example
 * ```ts
 * const m: CacheMetrics = cache.metrics(); gauge.set(m.invalidation.lagMs.p99);
 * ```
 */
export interface CacheMetrics {
  tiers: Record<'hot' | 'warm' | 'cold', TierMetrics>;
  invalidation: {
    /** Log events read. */
    eventsRead: number;
    /**
     * Commit → this host applied the invalidation, ms. Every tier (the
     * in-process copy and the Redis copy) is judged against the same positions,
     * so the lag is the same for all of them.
     */
    lagMs: LagSummary;
  };
}

/** Fresh zeroed counters. */
export function zeroCounters(): TierCounters {
  return {
    memoryHits: 0,
    redisHits: 0,
    negativeHits: 0,
    misses: 0,
    loadErrors: 0,
    staleServed: 0,
    lockWaits: 0,
    uncacheable: 0,
  };
}

/** The hit ratio of a tier's counters. */
export function hitRatio(c: TierCounters): number {
  const hits = c.memoryHits + c.redisHits;
  const reads = hits + c.misses;
  return reads === 0 ? 0 : hits / reads;
}
