export {
  advanceSalesHistory,
  emptySalesHistory,
  hourOf,
  parseSalesHistory,
  recordSale,
  SALES_HISTORY_HOURS,
  type SalesHistory,
} from './sales-history.js';
export { percentChange, TREND_DIRECTIONS, trendDirection, type TrendDirection } from './trend.js';
export { bucketMean, salesVelocity, type SalesVelocity, type VelocityOptions } from './sales-velocity.js';
export {
  CONFIDENCE_LEVELS,
  timeToStockout,
  type ConfidenceLevel,
  type StockoutOptions,
  type StockoutPrediction,
} from './stockout.js';
export {
  ANOMALY_KINDS,
  detectVelocityAnomaly,
  type AnomalyKind,
  type AnomalyOptions,
  type VelocityAnomaly,
} from './velocity-anomaly.js';
export { suggestReorder, type ReorderOptions, type ReorderSuggestion } from './reorder.js';
export { isLowStock, lowStockSeverity } from './low-stock.js';
export {
  automationHealthPct,
  PROCESSING_SAMPLES,
  PROCESSING_WINDOW,
  processingStats,
  pushSample,
  type ProcessingStats,
} from './order-metrics.js';
export {
  componentHealth,
  DEFAULT_HEALTH_THRESHOLDS,
  measurementStatus,
  resolveHealthThresholds,
  worstStatus,
  type ComponentHealth,
  type HealthThresholdOverrides,
  type HealthThresholds,
  type Threshold,
} from './system-health.js';
export { addMoney, conversionRate, utcDay } from './revenue.js';
