/**
 * Which inventory alerts a product's level calls for. Level-triggered: an
 * alert is raised when its condition holds and no alert for it is open (the
 * row's `*_alerted` flag, set by the alert event and cleared by the
 * projection when the condition goes away), so retries and repeated syncs
 * never raise it twice.
 */
import type { NewEvent } from '../../store/types.js';
import { commerceEvent } from '../events/catalog.js';
import { lowStockSeverity } from '../metrics/low-stock.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ResolvedInventoryOptions } from '../read-models/inventory-options.js';
import { toNumber, toNumberOrNull } from '../read-models/row-values.js';

/** The columns {@link stockAlertEvents} reads. */
export type StockAlertInput = Pick<
  InventoryLevelRow,
  | 'creator_id'
  | 'product_id'
  | 'available'
  | 'threshold'
  | 'low_stock'
  | 'low_stock_alerted'
  | 'reorder_due'
  | 'reorder_alerted'
  | 'suggested_reorder_quantity'
  | 'velocity_per_hour'
  | 'stockout_hours'
>;

/**
 * The `inventory.low_stock_detected` / `inventory.reorder_triggered` events a
 * product needs now (none when its alerts are already open).
 *
 * @example
 * ```ts
 * const events = stockAlertEvents(row, options);
 * if (events.length > 0) await store.append(inventoryStream(row.creator_id, row.product_id), events);
 * ```
 */
export function stockAlertEvents(row: StockAlertInput, options: ResolvedInventoryOptions): NewEvent[] {
  const events: NewEvent[] = [];
  const available = Math.max(0, toNumber(row.available));
  const base = { creatorId: row.creator_id, productId: row.product_id };
  if (row.low_stock && !row.low_stock_alerted) {
    events.push(
      commerceEvent('inventory.low_stock_detected', {
        ...base,
        quantity: available,
        threshold: toNumber(row.threshold),
        severity: lowStockSeverity(
          toNumber(row.available),
          toNumberOrNull(row.stockout_hours),
          options.criticalStockoutHours,
        ),
      }),
    );
  }
  const suggested = toNumber(row.suggested_reorder_quantity);
  if (row.reorder_due && !row.reorder_alerted && suggested > 0) {
    events.push(
      commerceEvent('inventory.reorder_triggered', {
        ...base,
        quantity: available,
        suggestedQuantity: suggested,
        velocityPerHour: toNumber(row.velocity_per_hour),
      }),
    );
  }
  return events;
}
