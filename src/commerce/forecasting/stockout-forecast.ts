/**
 * Time to stock-out from the forecast distribution: in each simulated future,
 * the first day on which cumulative demand reaches the available units.
 */
import { addDays } from './dates.js';
import { ForecastInputError } from './errors.js';
import type { DemandForecast } from './forecast-demand.js';

/** When a product runs out, as a distribution over days. */
export interface StockoutForecast {
  available: number;
  /** P(out of stock by the end of day h), one entry per forecast day. */
  probabilityByDay: number[];
  /** Dates by which stock-out has a 10 %, 50 % and 90 % chance (null: beyond the horizon). */
  p10Date: string | null;
  medianDate: string | null;
  p90Date: string | null;
  /** Chance of running out within the horizon. */
  probabilityWithinHorizon: number;
}

/**
 * Distribution of the stock-out day for `available` units.
 *
 * @example
 * ```ts
 * const s = forecastStockout(forecast, 120);
 * s.medianDate // '2026-12-14': even odds of running out by then
 * ```
 */
export function forecastStockout(forecast: DemandForecast, available: number): StockoutForecast {
  if (!Number.isFinite(available) || available < 0) {
    throw new ForecastInputError('available', `expected a finite count ≥ 0, got ${String(available)}`);
  }
  const horizon = forecast.days.length;
  const outBy = new Array<number>(horizon).fill(0);
  for (const path of forecast.paths) {
    let cumulative = 0;
    for (let h = 0; h < horizon; h++) {
      cumulative += path[h]!;
      if (available === 0 || cumulative >= available) {
        outBy[h]!++;
        break;
      }
    }
  }
  const probabilityByDay: number[] = [];
  let running = 0;
  for (let h = 0; h < horizon; h++) {
    running += outBy[h]!;
    probabilityByDay.push(running / forecast.paths.length);
  }
  const dateAt = (p: number): string | null => {
    const h = probabilityByDay.findIndex((q) => q >= p);
    return h < 0 ? null : addDays(forecast.firstDate, h);
  };
  return {
    available,
    probabilityByDay,
    p10Date: dateAt(0.1),
    medianDate: dateAt(0.5),
    p90Date: dateAt(0.9),
    probabilityWithinHorizon: probabilityByDay.at(-1) ?? 0,
  };
}
