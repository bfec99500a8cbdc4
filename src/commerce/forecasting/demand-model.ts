/**
 * What every fitted demand model offers: point forecasts, and sample paths
 * from which the forecast distribution is read.
 */
import type { RandomSource } from './random.js';

/** The forecasting methods the selector chooses between. */
export const FORECAST_METHODS = ['ses', 'holt-damped', 'holt-winters', 'croston-sba', 'tsb'] as const;
/** One of {@link FORECAST_METHODS}. */
export type ForecastMethod = (typeof FORECAST_METHODS)[number];

/** A model fitted to a daily demand history. */
export interface FittedDemandModel {
  readonly method: ForecastMethod;
  /** Smoothing parameters the fit chose, by name. */
  readonly parameters: Readonly<Record<string, number>>;
  /** Mean demand of each of the next `horizon` days. */
  forecastMean(horizon: number): number[];
  /** One simulated future of `horizon` days (non-negative). */
  simulatePath(rng: RandomSource, horizon: number): number[];
  /**
   * Additive weekly seasonal offsets (units/day) of the next 7 days, first
   * forecast day first; all zero for models without seasonality.
   */
  seasonalOffsets(): number[];
}
