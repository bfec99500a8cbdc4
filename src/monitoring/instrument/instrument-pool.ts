import type { LibraryMetrics } from '../metrics/library-metrics.js';
import type { Metrics } from '../metrics/metrics-port.js';

/** The subset of a `pg.Pool` read for its gauges. */
export interface PoolLike {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options?: { max?: number };
}

/**
 * Sample a `pg` pool's connections (total, idle, in use, waiting) and its
 * limit on every read of the metrics. Returns a function that stops sampling.
 *
 * @example
 * ```ts
 * instrumentPool(pool, registry, libraryMetrics(registry));
 * ```
 */
export function instrumentPool(pool: PoolLike, metrics: Metrics, m: LibraryMetrics): () => void {
  return metrics.onCollect(() => {
    m.poolConnections.set({ state: 'total' }, pool.totalCount);
    m.poolConnections.set({ state: 'idle' }, pool.idleCount);
    m.poolConnections.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
    m.poolConnections.set({ state: 'waiting' }, pool.waitingCount);
    if (pool.options?.max !== undefined) m.poolMax.set(undefined, pool.options.max);
  });
}
