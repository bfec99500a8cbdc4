/**
 * Sales velocity: units sold per hour over a trailing window, and its trend
 * (the last few hours against the few before them).
 */
import { advanceSalesHistory, type SalesHistory } from './sales-history.js';
import { percentChange, trendDirection, type TrendDirection } from './trend.js';

/**
 * Options of {@link salesVelocity}.
 *
 * @example
 * ```ts
 * // A week's average; compare the last 12 hours with the 12 before; ±5 % is flat.
 * const v = salesVelocity(history, Date.now(), { windowHours: 168, trendHours: 12, flatTolerancePct: 5 });
 * ```
 */
export interface VelocityOptions {
  /** Hours the velocity averages over. Default 24. */
  windowHours?: number;
  /** Hours of each half of the trend comparison. Default 6. */
  trendHours?: number;
  /** A change within ± this percentage is `'flat'`. Default 10. */
  flatTolerancePct?: number;
}

/** Velocity of one product. */
export interface SalesVelocity {
  /** Mean units per hour over the window. */
  perHour: number;
  /** Mean units per hour over the last `trendHours`. */
  recentPerHour: number;
  /** Mean units per hour over the `trendHours` before those. */
  previousPerHour: number;
  trend: TrendDirection;
  /** Recent against previous, in percent (null when nothing sold before). */
  trendPct: number | null;
}

/** Mean of `count` buckets ending `offset` hours before the newest one. */
export function bucketMean(buckets: readonly number[], count: number, offset = 0): number {
  const end = buckets.length - offset;
  const start = Math.max(0, end - count);
  if (end <= 0 || count <= 0) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) sum += buckets[i] ?? 0;
  return sum / count;
}

/**
 * Velocity of a product as of `nowMs`.
 *
 * @example
 * ```ts
 * const v = salesVelocity(history, Date.now());
 * console.log(v.perHour.toFixed(1), v.trend);
 * ```
 */
export function salesVelocity(
  history: SalesHistory,
  nowMs: number,
  options: VelocityOptions = {},
): SalesVelocity {
  const windowHours = Math.min(options.windowHours ?? 24, history.buckets.length);
  const trendHours = Math.min(options.trendHours ?? 6, Math.floor(history.buckets.length / 2));
  const { buckets } = advanceSalesHistory(history, nowMs);
  const perHour = bucketMean(buckets, windowHours);
  const recentPerHour = bucketMean(buckets, trendHours);
  const previousPerHour = bucketMean(buckets, trendHours, trendHours);
  const previous = previousPerHour > 0 ? previousPerHour : null;
  return {
    perHour,
    recentPerHour,
    previousPerHour,
    trend: trendDirection(recentPerHour, previous, options.flatTolerancePct ?? 10),
    trendPct: percentChange(recentPerHour, previous),
  };
}
