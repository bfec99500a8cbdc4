/**
 * The public shapes of a tiered cache's reads, health and events.
 */
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { CacheTier } from './cache-options.js';

/**
 * Options of one read.
 *
 * @example
 * ```ts
 * await cache.get(key, loader, { tier: 'cold', ttlMs: 600_000, tags: ['reports:c1'], lock: true, grace: 60_000 });
 * ```
 */
export interface CacheGetOptions {
  /** Default `'warm'`. */
  tier?: CacheTier;
  /** Freshness of this entry, ms (default: the tier's). */
  ttlMs?: number;
  /** Tags whose invalidation drops the entry (e.g. `['orders:c1']`). */
  tags?: readonly string[];
  /** Whose per-user budget the entry counts against (tiers with a per-user limit). */
  user?: string;
  /** One load per key across hosts: take a short Redis lock; others wait for the copy. For expensive loaders. */
  lock?: boolean;
  /** When the loader fails, serve a stale copy if one is kept: `true`, or the copy's greatest age in ms. */
  grace?: boolean | number;
}

/**
 * Where a read's value came from.
 *
 * @example
 * ```ts
 * const { source } = await cache.lookup(key, loader); // 'memory' | 'redis' | 'loader'
 * ```
 */
export type CacheSource = 'memory' | 'redis' | 'loader';

/**
 * A read's value and how it was obtained.
 *
 * @example
 * ```ts
 * const { value, source, stale }: CacheResult<Stats> = await cache.lookup('stats:c1', loadStats);
 * ```
 */
export interface CacheResult<T> {
  value: T;
  source: CacheSource;
  /** True when the loader failed and an out-of-date copy was served (`grace`). */
  stale: boolean;
}

/**
 * Health of the cache: degraded while Redis or the log cannot be used; reads still answer.
 *
 * @example
 * ```ts
 * app.get('/healthz/cache', (_req, res) => res.json(cache.health()));
 * ```
 */
export interface CacheHealth {
  status: 'ok' | 'degraded';
  redis: 'up' | 'down' | 'none';
  log: { checkpoint: LogCheckpoint; confirmedAgoMs: number; failing: boolean };
  /** Why the status is degraded (empty when ok). */
  reasons: string[];
}

/**
 * Events of a {@link TieredCache}.
 *
 * @example
 * ```ts
 * cache.on('cache:degraded', (reason) => log.warn({ reason }, 'cache degraded'));
 * ```
 */
export interface TieredCacheEvents {
  /** A background failure (reading the log, a warm-up loader). */
  error: [error: unknown];
  /** Redis or the log became unusable; reads go on from memory and loaders. */
  'cache:degraded': [reason: string];
  /** Everything usable again. */
  'cache:recovered': [];
  /** The log invalidated tags on this host. */
  'cache:invalidated': [info: { tags: string[]; checkpoint: LogCheckpoint; lagMs: number }];
}
