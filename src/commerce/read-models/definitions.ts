/**
 * The commerce read models, in dependency order.
 */
import type { ProjectionDefinition } from '../../processing/index.js';
import type { HealthThresholds } from '../metrics/system-health.js';
import { commerceOrdersProjection } from './commerce-orders.js';
import { dailyRevenueProjection } from './daily-revenue-metrics.js';
import { inventoryAlertsProjection } from './inventory-alerts.js';
import { inventoryLevelsProjection } from './inventory-levels.js';
import type { ResolvedInventoryOptions } from './inventory-options.js';
import { orderMetricsProjection } from './order-metrics.js';
import { syncOperationsProjection } from './sync-operations.js';
import {
  ANALYTICS_STATE_TABLES,
  ANALYTICS_TABLES,
  analyticsTableDefinitions,
} from '../forecasting/analytics-tables.js';
import { productDailySalesProjection } from '../forecasting/product-daily-sales.js';
import { CREATOR_STATE_TABLE } from '../forecasting/analytics-creator-state.js';
import { systemHealthProjection } from './system-health-metrics.js';

/** Read-model tables of the commerce domain. */
export const COMMERCE_TABLES = [
  'commerce_orders',
  'order_metrics',
  'daily_revenue_metrics',
  'inventory_levels',
  'inventory_alerts',
  'system_health_metrics',
  'sync_operations',
  'product_daily_sales',
  ...ANALYTICS_STATE_TABLES,
  ...ANALYTICS_TABLES,
  'demand_forecast_ledger',
] as const;
/** One of {@link COMMERCE_TABLES}. */
export type CommerceTable = (typeof COMMERCE_TABLES)[number];

/** The tables the realtime delta stream serves as channels. */
export const COMMERCE_REALTIME_CHANNELS = [
  'system_health_metrics',
  'order_metrics',
  'inventory_alerts',
  'sync_operations',
  ...ANALYTICS_TABLES,
] as const satisfies readonly CommerceTable[];

/**
 * Every commerce read model, in dependency order (a table folding another's
 * row changes comes after it).
 *
 * @example
 * ```ts
 * const defs = commerceReadModelDefinitions(resolveInventoryOptions(), resolveHealthThresholds());
 * ```
 */
export function commerceReadModelDefinitions(
  inventory: ResolvedInventoryOptions,
  thresholds: HealthThresholds,
): ProjectionDefinition[] {
  const analytics = analyticsTableDefinitions();
  const creatorState = analytics.findIndex((d) => d.table === CREATOR_STATE_TABLE) + 1;
  const defs = [
    commerceOrdersProjection(),
    orderMetricsProjection(),
    dailyRevenueProjection(),
    inventoryLevelsProjection(inventory),
    // Before the alerts: the product state folds its rows and the levels', so it joins the
    // alerts' round trip (fold-set.ts) instead of taking one of its own.
    productDailySalesProjection(),
    inventoryAlertsProjection(inventory),
    systemHealthProjection(thresholds),
    ...analytics.slice(0, creatorState),
    // Beside the other row per creator that every settled stock conflict locks: an inline
    // apply holds a row's lock from its read until COMMIT, and tables that fold none of
    // each other's rows are read in one round trip (fold-set.ts), so both are locked in
    // the last round trip before COMMIT and concurrent settle passes queue on them briefly.
    syncOperationsProjection(),
    ...analytics.slice(creatorState),
  ];
  return defs as unknown as ProjectionDefinition[];
}
