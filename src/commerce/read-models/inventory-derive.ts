/**
 * The derived columns of an `inventory_levels` row (velocity, stock-out,
 * anomaly, reorder), as of an instant. Pure: the projection runs it at each
 * event's time, `syncInventoryLevels` at the time of the sync.
 */
import { isLowStock } from '../metrics/low-stock.js';
import { suggestReorder } from '../metrics/reorder.js';
import { parseSalesHistory, advanceSalesHistory } from '../metrics/sales-history.js';
import { salesVelocity } from '../metrics/sales-velocity.js';
import { timeToStockout } from '../metrics/stockout.js';
import type { TrendDirection } from '../metrics/trend.js';
import { detectVelocityAnomaly, type AnomalyKind } from '../metrics/velocity-anomaly.js';
import type { ResolvedInventoryOptions } from './inventory-options.js';
import { toNumber } from './row-values.js';

/** The columns {@link deriveInventory} computes. */
export interface DerivedInventory {
  velocity_per_hour: number;
  recent_velocity_per_hour: number;
  velocity_trend: TrendDirection;
  velocity_trend_pct: number | null;
  stockout_hours: number | null;
  stockout_hours_low: number | null;
  stockout_hours_high: number | null;
  anomaly: AnomalyKind | null;
  anomaly_ratio: number | null;
  reorder_point: number;
  suggested_reorder_quantity: number;
  /** Stock at or below the threshold. */
  low_stock: boolean;
  /** A reorder is due. */
  reorder_due: boolean;
  computed_at: string;
}

/** The stored columns {@link deriveInventory} reads. */
export interface InventoryFacts {
  available: unknown;
  threshold: unknown;
  sales_history: unknown;
}

/**
 * Compute the derived columns of a product as of `nowMs`.
 *
 * @example
 * ```ts
 * const derived = deriveInventory(row, Date.now(), resolveInventoryOptions());
 * ```
 */
export function deriveInventory(
  facts: InventoryFacts,
  nowMs: number,
  options: ResolvedInventoryOptions,
): DerivedInventory {
  const history = advanceSalesHistory(parseSalesHistory(facts.sales_history, nowMs), nowMs);
  const available = toNumber(facts.available);
  const threshold = toNumber(facts.threshold, options.defaultThreshold);
  const velocity = salesVelocity(history, nowMs, options.velocity);
  const stockout = timeToStockout(available, history, nowMs, options.stockout);
  const anomaly = detectVelocityAnomaly(history, nowMs, options.anomaly);
  const reorder = suggestReorder(
    { available, velocityPerHour: velocity.perHour, threshold },
    options.reorder,
  );
  return {
    velocity_per_hour: velocity.perHour,
    recent_velocity_per_hour: velocity.recentPerHour,
    velocity_trend: velocity.trend,
    velocity_trend_pct: velocity.trendPct,
    stockout_hours: stockout.hours,
    stockout_hours_low: stockout.low,
    stockout_hours_high: stockout.high,
    anomaly: anomaly.kind,
    anomaly_ratio: anomaly.ratio,
    reorder_point: reorder.reorderPoint,
    suggested_reorder_quantity: reorder.suggestedQuantity,
    low_stock: isLowStock(available, threshold),
    reorder_due: reorder.shouldReorder,
    computed_at: new Date(nowMs).toISOString(),
  };
}
