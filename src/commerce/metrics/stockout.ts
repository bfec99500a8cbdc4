/**
 * Time to stock-out: available units divided by the hourly sales rate, with a
 * confidence interval from the variability of the hourly sales.
 */
import { advanceSalesHistory, type SalesHistory } from './sales-history.js';

/** Two-sided confidence levels and their normal quantiles. */
export const CONFIDENCE_LEVELS = { 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96, 0.99: 2.5758 } as const;
/** One of the keys of {@link CONFIDENCE_LEVELS}. */
export type ConfidenceLevel = keyof typeof CONFIDENCE_LEVELS;

/**
 * Options of {@link timeToStockout}.
 *
 * @example
 * ```ts
 * // The rate of the last 3 days, and a 99 % interval.
 * const p = timeToStockout(40, history, Date.now(), { windowHours: 72, confidence: 0.99 });
 * ```
 */
export interface StockoutOptions {
  /** Hours of sales the rate is estimated from. Default 24. */
  windowHours?: number;
  /** Default 0.95. */
  confidence?: ConfidenceLevel;
}

/** A stock-out prediction. Hours are null when nothing sells (no stock-out in sight). */
export interface StockoutPrediction {
  /** Best estimate of hours until `available` reaches zero. */
  hours: number | null;
  /** Lower bound of the interval (the pessimistic case: demand at the upper rate). */
  low: number | null;
  /** Upper bound (null: the lower rate bound is zero, so no finite bound). */
  high: number | null;
  /** The hourly rate used. */
  ratePerHour: number;
  confidence: ConfidenceLevel;
}

/**
 * Predict when `available` units run out at the recent sales rate. The rate's
 * standard error uses the sample variance of the hourly counts, floored at the
 * Poisson variance (the mean) so a short, regular history is not overconfident.
 *
 * @example
 * ```ts
 * const p = timeToStockout(40, history, Date.now());
 * // { hours: 20, low: 14.2, high: 33.9, ratePerHour: 2, confidence: 0.95 }
 * ```
 */
export function timeToStockout(
  available: number,
  history: SalesHistory,
  nowMs: number,
  options: StockoutOptions = {},
): StockoutPrediction {
  const confidence = options.confidence ?? 0.95;
  const z = CONFIDENCE_LEVELS[confidence];
  const n = Math.max(1, Math.min(options.windowHours ?? 24, history.buckets.length));
  const window = advanceSalesHistory(history, nowMs).buckets.slice(-n);
  const rate = window.reduce((a, b) => a + b, 0) / n;
  if (available <= 0) return { hours: 0, low: 0, high: 0, ratePerHour: rate, confidence };
  if (rate <= 0) return { hours: null, low: null, high: null, ratePerHour: 0, confidence };
  const sampleVariance = n > 1 ? window.reduce((a, b) => a + (b - rate) ** 2, 0) / (n - 1) : rate;
  const standardError = Math.sqrt(Math.max(sampleVariance, rate) / n);
  const upperRate = rate + z * standardError;
  const lowerRate = rate - z * standardError;
  return {
    hours: available / rate,
    low: available / upperRate,
    high: lowerRate > 0 ? available / lowerRate : null,
    ratePerHour: rate,
    confidence,
  };
}
