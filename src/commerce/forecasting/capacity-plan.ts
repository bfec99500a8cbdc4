/**
 * System capacity planning: forecast a resource's use 30 days ahead (damped
 * trend smoothing, simulated intervals) and signal a scale-up when the
 * forecast reaches 70 % of capacity (the specification's
 * `auto_scaling_triggers: 'Scale up at 70% predicted capacity'`).
 */
import { assertDemandSeries, ForecastInputError } from './errors.js';
import { forecastWithMethod } from './forecast-demand.js';

/** Default share of capacity that triggers a scale-up. */
export const CAPACITY_SIGNAL_SHARE = 0.7;

/** Inputs of {@link planCapacity}. */
export interface CapacityInput {
  /** What is measured (`cpu_usage`, `memory_consumption`, `database_size` …). */
  metric: string;
  /** Daily peak use, oldest first, in the unit of `capacity`. */
  usage: readonly number[];
  /** The date of `usage[0]`. */
  startDate: string;
  /** The capacity the usage is compared with (same unit), > 0. */
  capacity: number;
  /** Share of capacity that triggers the signal. Default 0.7. */
  signalAt?: number;
  /** Default 30. */
  horizon?: number;
}

/** The capacity signal. */
export interface CapacitySignal {
  metric: string;
  /** True when the 90 % quantile of forecast use reaches the threshold within the horizon. */
  scaleUp: boolean;
  /** First date the 90 % quantile reaches the threshold (null: not within the horizon). */
  reachesThresholdOn: string | null;
  /** Forecast use on the last horizon day, as shares of capacity. */
  predictedShare: { p50: number; p90: number };
  threshold: number;
}

/**
 * Forecast a resource's use and decide whether to scale up.
 *
 * @example
 * ```ts
 * planCapacity({ metric: 'database_size', usage: dailyGb, startDate: '2026-10-01', capacity: 500 })
 * // { scaleUp: true, reachesThresholdOn: '2026-12-21', predictedShare: { p50: 0.68, p90: 0.74 }, … }
 * ```
 */
export function planCapacity(input: CapacityInput): CapacitySignal {
  if (!(input.capacity > 0) || !Number.isFinite(input.capacity)) {
    throw new ForecastInputError('capacity', `expected a positive number, got ${String(input.capacity)}`);
  }
  assertDemandSeries('usage', input.usage);
  const threshold = input.signalAt ?? CAPACITY_SIGNAL_SHARE;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new ForecastInputError('signalAt', `expected a share in (0, 1], got ${String(threshold)}`);
  }
  const forecast = forecastWithMethod(
    'holt-damped',
    { sales: input.usage, startDate: input.startDate },
    { horizon: input.horizon ?? 30 },
  );
  const limit = threshold * input.capacity;
  const hit = forecast.days.find((d) => d.p90 >= limit);
  const last = forecast.days.at(-1)!;
  return {
    metric: input.metric,
    scaleUp: hit !== undefined,
    reachesThresholdOn: hit?.date ?? null,
    predictedShare: { p50: last.p50 / input.capacity, p90: last.p90 / input.capacity },
    threshold,
  };
}
