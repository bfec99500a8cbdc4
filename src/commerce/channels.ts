/**
 * The realtime channels of the CreatorFlow dashboard: the commerce read-model
 * tables a client may subscribe to.
 */
import type { ChannelDefinition } from '../realtime/channels.js';

/**
 * The dashboard channels of the CreatorFlow read models (`./read-models`)
 * with the throttles the specification asks for (system health 1 s, order
 * metrics 5 s, inventory alerts 1 s, sync status 2 s), plus daily revenue (1 s)
 * for the live revenue card, and the analytics tables the analytics updater
 * rewrites in batches (forecasts, creator performance, insights; 1 s).
 *
 * @example
 * ```ts
 * createRealtimeHub({ channels: COMMERCE_CHANNELS, changes, snapshot });
 * ```
 */
export const COMMERCE_CHANNELS: readonly ChannelDefinition[] = Object.freeze([
  {
    name: 'system_health_metrics',
    keyColumns: ['creator_id', 'component'],
    tenantColumn: 'creator_id',
    filterableColumns: ['component', 'status', 'previous_status'],
    throttleMs: 1000,
  },
  {
    name: 'order_metrics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['active_orders', 'failed_orders', 'trend_direction', 'automation_health_pct'],
    throttleMs: 5000,
    columnTypes: { active_orders: 'integer', failed_orders: 'integer', automation_health_pct: 'number' },
  },
  {
    name: 'inventory_alerts',
    keyColumns: ['creator_id', 'product_id', 'alert_type'],
    tenantColumn: 'creator_id',
    filterableColumns: ['product_id', 'alert_type', 'status', 'severity', 'quantity'],
    throttleMs: 1000,
    columnTypes: { quantity: 'integer' },
  },
  {
    name: 'sync_operations',
    keyColumns: ['creator_id', 'component', 'operation'],
    tenantColumn: 'creator_id',
    filterableColumns: ['component', 'operation', 'status', 'consecutive_failures'],
    throttleMs: 2000,
    columnTypes: { consecutive_failures: 'integer' },
  },
  {
    name: 'daily_revenue_metrics',
    keyColumns: ['creator_id', 'day'],
    tenantColumn: 'creator_id',
    filterableColumns: ['day', 'currency'],
    throttleMs: 1000,
  },
  {
    name: 'product_trend_analysis',
    keyColumns: ['creator_id', 'product_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['product_id', 'method', 'spike_state'],
    throttleMs: 1000,
  },
  {
    name: 'creator_performance_analytics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['top_product_id'],
    throttleMs: 1000,
  },
  {
    name: 'business_intelligence_insights',
    keyColumns: ['insight_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['product_id', 'kind', 'severity'],
    throttleMs: 1000,
  },
]);
