/**
 * When a product is low on stock, and how bad it is.
 */
import type { Severity } from '../events/common.js';

/**
 * True when `available` is at or below the threshold.
 *
 * @example
 * ```ts
 * isLowStock(5, 10) // true
 * ```
 */
export function isLowStock(available: number, threshold: number): boolean {
  return available <= threshold;
}

/**
 * Severity of a low-stock alert: `critical` when sold out or expected to sell
 * out within `criticalHours`, `warning` otherwise.
 *
 * @example
 * ```ts
 * lowStockSeverity(0, null) // 'critical'
 * lowStockSeverity(8, 30)   // 'warning'
 * ```
 */
export function lowStockSeverity(
  available: number,
  stockoutHours: number | null,
  criticalHours = 24,
): Severity {
  if (available <= 0) return 'critical';
  if (stockoutHours !== null && stockoutHours <= criticalHours) return 'critical';
  return 'warning';
}
