/**
 * The commerce read models' cache invalidation: which events and row
 * changes invalidate which tags, and the specification's three cascade
 * rules (an order update invalidates order metrics and dashboard stats; an
 * inventory change, stock levels and predictions; a health change, the
 * health dashboards). Data only: the cache module knows nothing of commerce.
 */
import type { InvalidationRules } from '../cache/invalidation-rules.js';

/**
 * Tags the commerce rules produce, per creator (`<tag>:<creatorId>`); a
 * broad tag (`'orders'`) covers every creator's `orders:<id>`.
 *
 * @example
 * ```ts
 * const tags = COMMERCE_CACHE_TAGS.map((t) => `${t}:${creatorId}`);
 * ```
 */
export const COMMERCE_CACHE_TAGS = [
  'orders',
  'order_metrics',
  'dashboard_stats',
  'inventory',
  'stock_levels',
  'predictions',
  'system_health',
  'health_dashboards',
] as const;

/**
 * Default rules for caching reads of the commerce read models. Tag each
 * cached read with what it shows, e.g. `['dashboard_stats:c1']`.
 *
 * @example
 * ```ts
 * import { createTieredCache } from '@creatorflow/sync/cache';
 * const cache = createTieredCache({ store, rules: commerceCacheRules });
 * await cache.get('metrics:c1', () => commerce.as(auth).find('order_metrics', { creator_id: 'c1' }), {
 *   tags: ['order_metrics:c1'],
 * });
 * ```
 */
export const commerceCacheRules: InvalidationRules = Object.freeze({
  events: [
    { eventTypes: ['order.*', 'tiktok.order_status_changed'], tags: ['orders:{creatorId}'] },
    { eventTypes: ['inventory.*', 'tiktok.product_updated'], tags: ['inventory:{creatorId}'] },
    { eventTypes: ['system.*'], tags: ['system_health:{creatorId}'] },
    { eventTypes: ['analytics.*'], tags: ['predictions:{creatorId}'] },
  ],
  rows: [
    { table: 'commerce_orders', tags: ['orders:{creator_id}'] },
    { table: 'order_metrics', tags: ['order_metrics:{creator_id}'] },
    { table: 'daily_revenue_metrics', tags: ['dashboard_stats:{creator_id}'] },
    { table: 'inventory_levels', tags: ['inventory:{creator_id}'] },
    { table: 'inventory_alerts', tags: ['predictions:{creator_id}'] },
    { table: 'system_health_metrics', tags: ['system_health:{creator_id}'] },
    { table: 'sync_operations', tags: ['system_health:{creator_id}'] },
  ],
  cascades: [
    { from: 'orders', to: ['order_metrics', 'dashboard_stats'] },
    { from: 'inventory', to: ['stock_levels', 'predictions'] },
    { from: 'system_health', to: ['health_dashboards'] },
  ],
});
