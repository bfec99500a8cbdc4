/**
 * Demand forecasting and inventory intelligence (issue 16): per-product
 * forecasters chosen by out-of-sample error, forecast distributions, spike
 * detection, stock-out and reorder plans, live accuracy and capacity signals.
 */
export { ForecastInputError } from './errors.js';
export { WEEKDAYS, type Weekday } from './dates.js';
export { seededRandom, type RandomSource } from './random.js';
export * from './demand-model.js';
export {
  WEEK,
  fitSmoothing,
  runSmoothing,
  SmoothingModel,
  type InitialStates,
  type SmoothingFit,
  type SmoothingParameters,
  type SmoothingShape,
} from './exponential-smoothing.js';
export * from './intermittent-demand.js';
export * from './select-model.js';
export * from './spike-detector.js';
export { fitSpikeDecay, type SpikeDecay } from './spike-model.js';
export * from './clean-spikes.js';
export {
  YEAR_WEEKS,
  YEARLY_MIN_DAYS,
  yearWeek,
  yearlyIndex,
  withYearlySeasonality,
} from './yearly-seasonality.js';
export * from './forecast-demand.js';
export { intervalCoverage } from './pit-coverage.js';
export * from './stockout-forecast.js';
export * from './reorder-plan.js';
export * from './accuracy-ledger.js';
export * from './capacity-plan.js';
export * from './synthetic-demand.js';
export * from './product-daily-sales.js';
export * from './sales-import.js';
export * from './product-forecast-run.js';
export * from './analytics-tables.js';
export { mergeFigures, type CreatorContribution, type RevenueDay } from './analytics-rows.js';
export { ANALYTICS_RUN_EVENT, analyticsRunOf, type FoldedAnalyticsRun } from './analytics-run-event.js';
export * from './analytics-product-state.js';
export * from './analytics-creator-state.js';
export * from './analytics-updater.js';
