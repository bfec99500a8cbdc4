/**
 * One product's part of an analytics run, as a pure function of what the
 * log says up to the run: its daily sales, its stock, its past forecasts'
 * scores and the run's settings. Folded by `analytics_product_state`, so the
 * live run and a rebuild from the log compute the same rows.
 */
import type { AccuracyFigures } from './accuracy-ledger.js';
import type { ProductTrendRow } from './analytics-tables.js';
import { addDays, daysBetween } from './dates.js';
import { forecastDemand, type DemandForecast } from './forecast-demand.js';
import { planReorder, type ReorderPlan } from './reorder-plan.js';
import { forecastStockout, type StockoutForecast } from './stockout-forecast.js';

/** Days each run forecasts. */
export const ANALYTICS_HORIZON_DAYS = 30;

/** The settings a run records in its event (`analytics.run_completed`). */
export interface AnalyticsRunSettings {
  leadTimeDays: number;
  serviceLevel: number;
  historyDays: number;
}

/** One product's outcome of a run. */
export interface ProductResult {
  row: ProductTrendRow;
  forecast: DemandForecast;
  stockout: StockoutForecast | null;
  reorder: ReorderPlan | null;
  /** Units sold in the last 30 complete days. */
  recentUnits30d: number;
}

/** What {@link forecastProductRun} reads. */
export interface ProductRunInput {
  creatorId: string;
  productId: string;
  /** The first day with a sale. */
  firstSaleDay: string;
  /** Units sold on a day (0 when nothing was recorded). */
  soldOn(day: string): number;
  /** The run's UTC day: the last complete day is the one before. */
  today: string;
  /** The run's instant, ISO (the rows' `updated_at`). */
  stamp: string;
  /** `inventory_levels.available`, or null without a row. */
  available: number | null;
  /** Live accuracy of the product's earlier forecasts. */
  figures: AccuracyFigures;
  settings: AnalyticsRunSettings;
  /** Mentions per day from `fromDate`, as the run recorded them. */
  mentions?: { fromDate: string; daily: readonly number[] } | undefined;
}

/**
 * The history window a run forecasts from: from the first sale, at most
 * `historyDays` back from `today`.
 *
 * @example
 * ```ts
 * historyWindow('2026-01-01', '2026-03-01', 730) // { startDate: '2026-01-01', length: 59 }
 * ```
 */
export function historyWindow(
  firstSaleDay: string,
  today: string,
  historyDays: number,
): { startDate: string; length: number } {
  const startDate =
    daysBetween(firstSaleDay, today) > historyDays ? addDays(today, -historyDays) : firstSaleDay;
  return { startDate, length: Math.max(0, daysBetween(startDate, today)) };
}

/**
 * Forecast one product as of `today` and plan its stock (the trend row and
 * what the creator row and the insights are made of).
 *
 * @example
 * ```ts
 * const result = forecastProductRun({ creatorId: 'c1', productId: 'p1', firstSaleDay: '2026-01-01',
 *   soldOn: (d) => sales.get(d) ?? 0, today: '2026-03-01', stamp, available: 40,
 *   figures: figuresOf(NO_SCORES), settings: { leadTimeDays: 7, serviceLevel: 0.95, historyDays: 730 } });
 * ```
 */
export function forecastProductRun(input: ProductRunInput): ProductResult {
  const { today, available, settings } = input;
  const { startDate, length } = historyWindow(input.firstSaleDay, today, settings.historyDays);
  const series = Array.from({ length }, (_, i) => input.soldOn(addDays(startDate, i)));
  const recorded = input.mentions;
  const mentions = recorded
    ? series.map((_, i) => recorded.daily[daysBetween(recorded.fromDate, addDays(startDate, i))] ?? 0)
    : undefined;
  const forecast = forecastDemand(
    { sales: series, startDate, ...(mentions ? { mentions } : {}) },
    { horizon: ANALYTICS_HORIZON_DAYS },
  );
  const stockout = available === null ? null : forecastStockout(forecast, Math.max(0, available));
  const reorder =
    available === null
      ? null
      : planReorder(forecast, {
          available: Math.max(0, available),
          leadTimeDays: settings.leadTimeDays,
          serviceLevel: settings.serviceLevel,
        });
  const last7 = series.slice(-7).reduce((a, b) => a + b, 0);
  const prior7 = series.slice(-14, -7).reduce((a, b) => a + b, 0);
  const { figures } = input;
  const row: ProductTrendRow = {
    creator_id: input.creatorId,
    product_id: input.productId,
    method: forecast.method,
    first_date: forecast.firstDate,
    forecast: forecast.days,
    total_p10: forecast.total.p10,
    total_p50: forecast.total.p50,
    total_p90: forecast.total.p90,
    trend_pct: prior7 > 0 ? (last7 - prior7) / prior7 : null,
    available,
    stockout_p10_date: stockout?.p10Date ?? null,
    stockout_median_date: stockout?.medianDate ?? null,
    stockout_p90_date: stockout?.p90Date ?? null,
    reorder_quantity: reorder?.quantity ?? 0,
    reorder_by: reorder?.orderBy ?? null,
    reorder_message: reorder?.message ?? null,
    seasonal_adjustment: forecast.seasonality.byWeekday,
    seasonal_adjustment_units: reorder?.seasonalAdjustmentUnits ?? 0,
    spike_state: forecast.spike.state,
    spike_confidence: forecast.spike.confidence,
    spike_onset_date:
      forecast.spike.onsetIndex === null ? null : addDays(startDate, forecast.spike.onsetIndex),
    accuracy_within_20pct: figures.within20Pct,
    accuracy_coverage_80: figures.coverage80,
    forecasts_scored: figures.scored,
    updated_at: input.stamp,
  };
  const recentUnits30d = series.slice(-30).reduce((a, b) => a + b, 0);
  return { row, forecast, stockout, reorder, recentUnits30d };
}
