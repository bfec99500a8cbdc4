/**
 * The tiered cache's figures as metrics: lookups by tier and result, hit
 * ratio, evictions, entries and bytes per tier, and the invalidation lag. The
 * cache counts on its own hot path already; this samples `cache.metrics()`
 * when the metrics are read, so a cache read costs nothing more.
 */
import type { LibraryMetrics } from '../metrics/library-metrics.js';
import type { Metrics } from '../metrics/metrics-port.js';

/** One tier's figures, as `@creatorflow/sync/cache` reports them (declared: monitoring does not import the cache). */
export interface CacheTierFigures {
  readonly memoryHits: number;
  readonly redisHits: number;
  readonly misses: number;
  readonly staleServed: number;
  readonly loadErrors: number;
  readonly evictions: number;
  readonly hitRatio: number;
  readonly entries: number;
  readonly bytes: number;
}

/** The part of a tiered cache this reads. */
export interface CacheFiguresSource {
  metrics(): {
    readonly tiers: Readonly<Record<string, CacheTierFigures>>;
    readonly invalidation: { readonly lagMs: { readonly p50: number; readonly p99: number } };
  };
}

const RESULTS = [
  ['memoryHits', 'hit_memory'],
  ['redisHits', 'hit_redis'],
  ['misses', 'miss'],
  ['staleServed', 'stale'],
  ['loadErrors', 'load_error'],
] as const;

/**
 * Export a tiered cache's figures under `name`. Returns a function that stops.
 *
 * @example
 * ```ts
 * const registry = createMetricsRegistry();
 * instrumentCache(cache, 'dashboard', registry, libraryMetrics(registry));
 * registry.snapshot(); // creatorflow_cache_requests_total{cache="dashboard",tier="warm",result="hit_memory"} …
 * ```
 */
export function instrumentCache(
  cache: CacheFiguresSource,
  name: string,
  metrics: Metrics,
  m: LibraryMetrics,
): () => void {
  // Counters only go up: remember what was exported, add the difference.
  const exported = new Map<string, number>();
  const addUpTo = (key: string, total: number, add: (delta: number) => void) => {
    const before = exported.get(key) ?? 0;
    if (total <= before) return;
    add(total - before);
    exported.set(key, total);
  };
  return metrics.onCollect(() => {
    const figures = cache.metrics();
    for (const [tier, t] of Object.entries(figures.tiers)) {
      for (const [field, result] of RESULTS) {
        addUpTo(`${tier}:${result}`, t[field], (d) => m.cacheRequests.inc({ cache: name, tier, result }, d));
      }
      addUpTo(`${tier}:evictions`, t.evictions, (d) => m.cacheEvictions.inc({ cache: name, tier }, d));
      m.cacheHitRatio.set({ cache: name, tier }, t.hitRatio);
      m.cacheEntries.set({ cache: name, tier }, t.entries);
      m.cacheBytes.set({ cache: name, tier }, t.bytes);
    }
    m.cacheInvalidationLag.set({ cache: name, quantile: '0.5' }, figures.invalidation.lagMs.p50 / 1000);
    m.cacheInvalidationLag.set({ cache: name, quantile: '0.99' }, figures.invalidation.lagMs.p99 / 1000);
  });
}
