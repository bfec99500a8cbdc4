/**
 * Daily revenue figures.
 */

/**
 * The UTC day (`YYYY-MM-DD`) of an instant; the key of `daily_revenue_metrics`.
 *
 * @example
 * ```ts
 * utcDay('2026-03-01T23:30:00-02:00') // '2026-03-02'
 * ```
 */
export function utcDay(at: Date | string | number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * Conversion rate of a day's orders: the share of the orders received that
 * day that were completed (delivered), in percent; null before any order.
 *
 * @example
 * ```ts
 * conversionRate(8, 10) // 80
 * ```
 */
export function conversionRate(completed: number, received: number): number | null {
  if (received <= 0) return null;
  return Math.min(100, (completed / received) * 100);
}

/**
 * Round money to cents without drifting on repeated additions.
 *
 * @example
 * ```ts
 * addMoney(0.1, 0.2) // 0.3
 * ```
 */
export function addMoney(a: number, b: number): number {
  return Math.round((a + b) * 100) / 100;
}
