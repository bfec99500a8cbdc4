/**
 * Order metrics: automation health and processing-time statistics, from the
 * counters and recent samples an `order_metrics` row keeps.
 */
import { percentChange, trendDirection, type TrendDirection } from './trend.js';

/** Processing-time samples kept per creator (two windows of {@link PROCESSING_WINDOW}). */
export const PROCESSING_SAMPLES = 40;
/** Samples in one averaging window. */
export const PROCESSING_WINDOW = 20;

/**
 * Share of orders handled without a person, in percent; null before any order.
 *
 * @example
 * ```ts
 * automationHealthPct(97, 3) // 97
 * ```
 */
export function automationHealthPct(automated: number, manual: number): number | null {
  const total = automated + manual;
  return total > 0 ? (automated / total) * 100 : null;
}

/** Processing-time statistics. */
export interface ProcessingStats {
  /** Mean of the newest window, ms (null without samples). */
  avgMs: number | null;
  /** Mean of the window before it (null when there is none). */
  previousAvgMs: number | null;
  /** Change of the mean, percent. */
  changePct: number | null;
  /** `'down'` means orders are processed faster. */
  trend: TrendDirection;
}

/**
 * Statistics of processing times (oldest first): the mean of the newest
 * `window` samples against the mean of the `window` before.
 *
 * @example
 * ```ts
 * processingStats([1200, 1000, 800, 600], 2) // avgMs 700, previousAvgMs 1100, trend 'down'
 * ```
 */
export function processingStats(samples: readonly number[], window = PROCESSING_WINDOW): ProcessingStats {
  const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const recent = samples.slice(-window);
  const before = samples.slice(-2 * window, -window);
  const avgMs = mean(recent);
  const previousAvgMs = mean(before);
  if (avgMs === null) return { avgMs, previousAvgMs, changePct: null, trend: 'flat' };
  return {
    avgMs,
    previousAvgMs,
    changePct: percentChange(avgMs, previousAvgMs),
    trend: previousAvgMs === null ? 'flat' : trendDirection(avgMs, previousAvgMs),
  };
}

/**
 * Append a sample, keeping the newest `max`.
 *
 * @example
 * ```ts
 * pushSample([1, 2, 3], 4, 3) // [2, 3, 4]
 * ```
 */
export function pushSample(samples: readonly number[], sample: number, max = PROCESSING_SAMPLES): number[] {
  const next = [...samples, sample];
  return next.length > max ? next.slice(next.length - max) : next;
}
