/**
 * Trend directions shared by the read models (the dashboard's arrows).
 */

/** Which way a measurement moves. */
export const TREND_DIRECTIONS = ['up', 'down', 'flat'] as const;
/** One of {@link TREND_DIRECTIONS}. */
export type TrendDirection = (typeof TREND_DIRECTIONS)[number];

/**
 * The relative change from `previous` to `current` in percent, or null when
 * there is no previous value to compare with.
 *
 * @example
 * ```ts
 * percentChange(120, 100) // 20
 * ```
 */
export function percentChange(current: number, previous: number | null): number | null {
  if (previous === null || previous === 0) return null;
  return ((current - previous) / previous) * 100;
}

/**
 * The direction of a change, `'flat'` within ±`tolerancePct` percent. With no
 * previous value, any positive current value counts as `'up'`.
 *
 * @example
 * ```ts
 * trendDirection(110, 100, 5) // 'up'
 * ```
 */
export function trendDirection(current: number, previous: number | null, tolerancePct = 5): TrendDirection {
  if (previous === null || previous === 0) return current > 0 ? 'up' : 'flat';
  const change = percentChange(current, previous)!;
  if (change > tolerancePct) return 'up';
  if (change < -tolerancePct) return 'down';
  return 'flat';
}
