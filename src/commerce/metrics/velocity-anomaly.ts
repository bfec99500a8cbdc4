/**
 * Velocity anomalies: a burst of demand (a video went viral) or a sudden stop,
 * judged against the product's trailing baseline.
 */
import { advanceSalesHistory, type SalesHistory } from './sales-history.js';
import { bucketMean } from './sales-velocity.js';

/** Kinds of anomaly. */
export const ANOMALY_KINDS = ['spike', 'drop'] as const;
/** One of {@link ANOMALY_KINDS}. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/**
 * Options of {@link detectVelocityAnomaly}.
 *
 * @example
 * ```ts
 * // Judge the last 2 hours against the 48 before them; a spike is 4× the usual rate and 20+ units.
 * const a = detectVelocityAnomaly(history, Date.now(), { recentHours: 2, baselineHours: 48, spikeRatio: 4, minSpikeUnits: 20 });
 * ```
 */
export interface AnomalyOptions {
  /** Hours judged. Default 3. */
  recentHours?: number;
  /** Hours of baseline before them. Default 24. */
  baselineHours?: number;
  /** A spike sells at least this multiple of the baseline rate. Default 3. */
  spikeRatio?: number;
  /** …and at least this many units in the recent hours (ignore 0 → 1 blips). Default 10. */
  minSpikeUnits?: number;
  /** A drop sells at most this fraction of a baseline of at least `minDropBaselinePerHour`. Default 0.1. */
  dropRatio?: number;
  /** Default 2 units/hour. */
  minDropBaselinePerHour?: number;
}

/** What {@link detectVelocityAnomaly} found. */
export interface VelocityAnomaly {
  kind: AnomalyKind | null;
  recentPerHour: number;
  baselinePerHour: number;
  /** Recent over baseline rate (null when the baseline is zero). */
  ratio: number | null;
}

/**
 * Compare the last hours' sales rate with the trailing baseline.
 *
 * @example
 * ```ts
 * const a = detectVelocityAnomaly(history, Date.now());
 * if (a.kind === 'spike') console.log(`selling ${a.ratio?.toFixed(1)}× faster than usual`);
 * ```
 */
export function detectVelocityAnomaly(
  history: SalesHistory,
  nowMs: number,
  options: AnomalyOptions = {},
): VelocityAnomaly {
  const recentHours = options.recentHours ?? 3;
  const baselineHours = Math.min(options.baselineHours ?? 24, history.buckets.length - recentHours);
  const { buckets } = advanceSalesHistory(history, nowMs);
  const recentPerHour = bucketMean(buckets, recentHours);
  const baselinePerHour = bucketMean(buckets, baselineHours, recentHours);
  const ratio = baselinePerHour > 0 ? recentPerHour / baselinePerHour : null;
  const recentUnits = recentPerHour * recentHours;
  const spikeRatio = options.spikeRatio ?? 3;
  let kind: AnomalyKind | null = null;
  if (recentUnits >= (options.minSpikeUnits ?? 10) && (ratio === null || ratio >= spikeRatio)) kind = 'spike';
  else if (
    baselinePerHour >= (options.minDropBaselinePerHour ?? 2) &&
    recentPerHour <= baselinePerHour * (options.dropRatio ?? 0.1)
  ) {
    kind = 'drop';
  }
  return { kind, recentPerHour, baselinePerHour, ratio };
}
