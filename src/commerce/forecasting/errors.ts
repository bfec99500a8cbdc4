/**
 * Errors of demand forecasting: bad input is refused before anything is fitted.
 */
import { SyncError } from '../../core/errors.js';

/**
 * A forecasting input is unusable (negative or non-finite sales, a horizon out
 * of range, a service level outside (0, 1) …). Code `FORECAST_INPUT_INVALID`.
 *
 * @example
 * ```ts
 * try { forecastDemand({ sales: [-1], startDate: '2026-01-01' }); }
 * catch (err) { if (err instanceof ForecastInputError) console.log(err.field); }
 * ```
 */
export class ForecastInputError extends SyncError {
  /** The option or field that was refused. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('FORECAST_INPUT_INVALID', `${field}: ${message}`);
    this.field = field;
  }
}

/** Throw {@link ForecastInputError} unless every value is a finite number ≥ 0. */
export function assertDemandSeries(field: string, values: readonly number[]): void {
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
  if (bad >= 0)
    throw new ForecastInputError(
      field,
      `value ${String(values[bad])} at index ${bad} is not a finite count ≥ 0`,
    );
}

/** Throw {@link ForecastInputError} unless `value` is an integer in [min, max]. */
export function assertIntegerIn(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ForecastInputError(field, `expected an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throw {@link ForecastInputError} unless `value` is a probability strictly between 0 and 1. */
export function assertProbability(field: string, value: number): void {
  if (!(typeof value === 'number' && value > 0 && value < 1)) {
    throw new ForecastInputError(
      field,
      `expected a probability strictly between 0 and 1, got ${String(value)}`,
    );
  }
}
