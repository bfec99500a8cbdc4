/**
 * Demand forecasting and inventory intelligence (issue 16): per-product
 * forecasters chosen by out-of-sample error, forecast distributions, spike
 * detection, stock-out and reorder plans, live accuracy and capacity signals.
 */
export { ForecastInputError } from './errors.js';
export { WEEKDAYS, type Weekday } from './dates.js';
export { seededRandom, type RandomSource } from './random.js';
export { FORECAST_METHODS, type FittedDemandModel, type ForecastMethod } from './demand-model.js';
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
export {
  crostonStates,
  fitSba,
  fitTsb,
  IntermittentModel,
  sbaStates,
  tsbStates,
  type CrostonState,
  type TsbStart,
  type TsbState,
} from './intermittent-demand.js';
export {
  candidateMethods,
  fitMethod,
  selectModel,
  widened,
  type CandidateScore,
  type ModelSelection,
} from './select-model.js';
export {
  DEFAULT_MIN_LIFT,
  detectSpikes,
  SPIKE_STATES,
  type SpikeDetectorOptions,
  type SpikeScan,
  type SpikeSignal,
  type SpikeState,
} from './spike-detector.js';
export { fitSpikeDecay, type SpikeDecay, type SpikeNoise } from './spike-model.js';
export type { SpikeFade } from './spike-fade-posterior.js';
export {
  fitMentionsDriver,
  MAX_MENTIONS_LAG,
  type MentionsDriver,
  type MentionsExcess,
  type MentionsLagFit,
} from './mentions-driver.js';
export { cleanSpikes, MAX_SPIKE_DAYS, type SpikeWindow } from './clean-spikes.js';
export {
  YEAR_WEEKS,
  YEARLY_MIN_DAYS,
  yearWeek,
  yearlyIndex,
  withYearlySeasonality,
} from './yearly-seasonality.js';
export {
  forecastDemand,
  forecastWithMethod,
  MAX_HORIZON_DAYS,
  scanDemandSpikes,
  type DemandForecast,
  type DemandHistory,
  type ForecastDay,
  type ForecastOptions,
  type SeasonalAdjustment,
} from './forecast-demand.js';
export { intervalCoverage } from './pit-coverage.js';
export { forecastStockout, type StockoutForecast } from './stockout-forecast.js';
export { planReorder, type ReorderPlan, type ReorderPlanInput } from './reorder-plan.js';
export {
  addScore,
  figuresOf,
  ForecastLedger,
  keptDays,
  NO_SCORES,
  type AccuracyFigures,
  type AccuracySums,
  type KeptForecast,
  type KeptForecastDay,
} from './accuracy-ledger.js';
export {
  CAPACITY_SIGNAL_SHARE,
  planCapacity,
  type CapacityInput,
  type CapacitySignal,
} from './capacity-plan.js';
export {
  DEMAND_CLASSES,
  syntheticDemand,
  type DemandClass,
  type SyntheticDemand,
} from './synthetic-demand.js';
export { productDailySalesProjection, type ProductDailySalesRow } from './product-daily-sales.js';
export {
  importDailySales,
  SALES_IMPORTED_EVENT,
  salesImportedSchema,
  type ImportedSales,
  type SalesImported,
} from './sales-import.js';
export {
  ANALYTICS_HORIZON_DAYS,
  forecastProductRun,
  historyWindow,
  type AnalyticsRunSettings,
  type ProductResult,
  type ProductRunInput,
} from './product-forecast-run.js';
export {
  ANALYTICS_STATE_TABLES,
  ANALYTICS_TABLES,
  analyticsTableDefinitions,
  INSIGHT_KINDS,
  type CreatorPerformanceRow,
  type InsightKind,
  type InsightRow,
  type KeptForecastRow,
  type ProductTrendRow,
} from './analytics-tables.js';
export { mergeFigures, type CreatorContribution, type RevenueDay } from './analytics-rows.js';
export { ANALYTICS_RUN_EVENT, analyticsRunOf, type FoldedAnalyticsRun } from './analytics-run-event.js';
export {
  analyticsProductStateProjection,
  PRODUCT_STATE_TABLE,
  runOutcomeOf,
  type PendingForecast,
  type ProductAnalyticsStateRow,
  type ProductRunOutcome,
  type ProductStateColumns,
} from './analytics-product-state.js';
export {
  analyticsCreatorStateProjection,
  CREATOR_STATE_TABLE,
  finishedRunOf,
  REVENUE_DAYS_KEPT,
  type CreatorAnalyticsStateRow,
  type CreatorStateColumns,
} from './analytics-creator-state.js';
export {
  ANALYTICS_RUN_STREAM,
  AnalyticsUpdater,
  type AnalyticsRun,
  type AnalyticsUpdaterEventMap,
  type AnalyticsUpdaterOptions,
  type CommerceAnalyticsOptions,
  type MentionsPort,
} from './analytics-updater.js';
