/**
 * Live accuracy: every forecast issued is kept, and scored against what
 * actually sold once its days have passed. The figures are the ones the
 * specification's target is stated in ("85 % within a 20 % margin") plus the
 * interval coverage that says whether the uncertainty is honest.
 */
import { addDays, dateMs } from './dates.js';
import { ForecastInputError } from './errors.js';
import type { DemandForecast } from './forecast-demand.js';

/** What is kept of a forecast (no sample paths). */
export interface KeptForecast {
  productId: string;
  /** When it was made (its first forecast day is the next day). */
  firstDate: string;
  method: string;
  days: KeptForecastDay[];
}

/** One kept forecast day. */
export interface KeptForecastDay {
  date: string;
  mean: number;
  p10: number;
  p90: number;
  /**
   * Share of the simulated futures selling nothing that day: the atom at zero
   * that a zero day's interval coverage is scored against (absent on rows kept
   * before it was recorded: those score by the closed interval).
   */
  pZero?: number;
}

/**
 * The kept summary of each forecast day: mean, the 10–90 % interval and the
 * probability of selling nothing (read from the sample paths).
 *
 * @example
 * ```ts
 * keptDays(forecast)[0] // { date: '2026-12-03', mean: 0.4, p10: 0, p90: 1.6, pZero: 0.71 }
 * ```
 */
export function keptDays(forecast: DemandForecast): KeptForecastDay[] {
  const n = forecast.paths.length;
  return forecast.days.map(({ date, mean, p10, p90 }, h) => {
    let zeros = 0;
    for (const path of forecast.paths) if (path[h]! <= 0) zeros++;
    return { date, mean, p10, p90, pZero: n > 0 ? zeros / n : 0 };
  });
}

/**
 * Expected 10–90 % coverage of one day by the nonrandomized PIT (Czado,
 * Gneiting & Held 2009): a zero day against an atom `pZero` at zero has PIT
 * range [0, pZero] and counts for its share inside [0.1, 0.9]; other outcomes
 * (no atom kept) by the closed interval.
 */
function dayCoverage(d: KeptForecastDay, actual: number): number {
  if (actual === 0 && d.pZero !== undefined && d.pZero > 0) {
    return Math.max(0, Math.min(d.pZero, 0.9) - 0.1) / d.pZero;
  }
  return actual >= d.p10 && actual <= d.p90 ? 1 : 0;
}

/** Accuracy over the forecasts whose horizon has fully passed. */
export interface AccuracyFigures {
  /** Forecasts scored. */
  scored: number;
  /** Share whose horizon total was within 20 % of what sold (null: none scored). */
  within20Pct: number | null;
  /**
   * Share of forecast days whose sales fell inside the 10–90 % interval, a
   * zero day on the forecast's atom at zero counting in part (nonrandomized PIT).
   */
  coverage80: number | null;
  /** Mean absolute percentage error of the horizon totals. */
  totalMape: number | null;
}

/**
 * Keeps forecasts and actual daily sales; scores forecasts whose days have
 * all been observed.
 *
 * @example
 * ```ts
 * const ledger = new ForecastLedger();
 * ledger.keep('p-1', forecast);
 * ledger.observe('p-1', '2026-12-03', 14);
 * ledger.figures('2027-01-05') // { scored: 1, within20Pct: 1, coverage80: 0.83, totalMape: 0.06 }
 * ```
 */
export class ForecastLedger {
  readonly #forecasts: KeptForecast[] = [];
  readonly #sales = new Map<string, Map<string, number>>();

  /** Keep a forecast (the distribution summary, not the paths). */
  keep(productId: string, forecast: DemandForecast): KeptForecast {
    const kept: KeptForecast = {
      productId,
      firstDate: forecast.firstDate,
      method: forecast.method,
      days: keptDays(forecast),
    };
    this.#forecasts.push(kept);
    return kept;
  }

  /** Keep an already summarised forecast (e.g. one read back from storage). */
  keepSummary(kept: KeptForecast): void {
    this.#forecasts.push(kept);
  }

  /** Record what a product sold on a day (replaces an earlier figure for that day). */
  observe(productId: string, date: string, units: number): void {
    dateMs('date', date);
    if (!Number.isFinite(units) || units < 0) {
      throw new ForecastInputError('units', `expected a finite count ≥ 0, got ${String(units)}`);
    }
    let days = this.#sales.get(productId);
    if (!days) this.#sales.set(productId, (days = new Map()));
    days.set(date, units);
  }

  /** Forecasts kept, oldest first. */
  forecasts(): readonly KeptForecast[] {
    return this.#forecasts;
  }

  /**
   * Score every kept forecast whose last day is before `today` and whose days
   * all have observed sales (a day without a record counts as not observed,
   * so a gap in the feed never scores as zero demand).
   */
  figures(today: string): AccuracyFigures {
    dateMs('today', today);
    let sums = NO_SCORES;
    for (const f of this.#forecasts) {
      const last = f.days.at(-1);
      if (!last || addDays(last.date, 1) > today) continue;
      const sold = this.#sales.get(f.productId);
      const actual = f.days.map((d) => sold?.get(d.date));
      if (actual.some((a) => a === undefined)) continue;
      sums = addScore(sums, f.days, actual as number[]);
    }
    return figuresOf(sums);
  }
}

/**
 * Running sums over scored forecasts, from which {@link AccuracyFigures}
 * follow: what the analytics read models keep instead of every forecast
 * once it is scored.
 */
export interface AccuracySums {
  scored: number;
  /** Forecasts whose horizon total was within 20 % of what sold. */
  within: number;
  /** Forecast days inside the interval (a zero day on the atom at zero in part). */
  covered: number;
  days: number;
  /** Sum of absolute percentage errors of the totals, over `apeCount` forecasts that sold something. */
  ape: number;
  apeCount: number;
}

/**
 * Nothing scored yet.
 *
 * @example
 * ```ts
 * figuresOf(NO_SCORES) // { scored: 0, within20Pct: null, coverage80: null, totalMape: null }
 * ```
 */
export const NO_SCORES: AccuracySums = Object.freeze({
  scored: 0,
  within: 0,
  covered: 0,
  days: 0,
  ape: 0,
  apeCount: 0,
});

/**
 * The sums with one more forecast scored: its kept days against `actual`
 * (units sold on each of those days).
 *
 * @example
 * ```ts
 * const sums = addScore(NO_SCORES, kept.days, [12, 9, 14]);
 * ```
 */
export function addScore(
  sums: AccuracySums,
  days: readonly KeptForecastDay[],
  actual: readonly number[],
): AccuracySums {
  const next = { ...sums, scored: sums.scored + 1 };
  const total = actual.reduce((a, b) => a + b, 0);
  const predicted = days.reduce((a, d) => a + d.mean, 0);
  if (Math.abs(predicted - total) <= 0.2 * total) next.within++;
  if (total > 0) {
    next.ape += Math.abs(predicted - total) / total;
    next.apeCount++;
  }
  days.forEach((d, i) => {
    next.days++;
    next.covered += dayCoverage(d, actual[i]!);
  });
  return next;
}

/**
 * The figures of some running sums.
 *
 * @example
 * ```ts
 * figuresOf(addScore(NO_SCORES, kept.days, sold)).within20Pct // 1 or 0
 * ```
 */
export function figuresOf(sums: AccuracySums): AccuracyFigures {
  return {
    scored: sums.scored,
    within20Pct: sums.scored > 0 ? sums.within / sums.scored : null,
    coverage80: sums.days > 0 ? sums.covered / sums.days : null,
    totalMape: sums.apeCount > 0 ? sums.ape / sums.apeCount : null,
  };
}
