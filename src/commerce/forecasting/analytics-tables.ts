/**
 * The analytics read models of the specification's `analytics_updater`:
 * `product_trend_analysis`, `creator_performance_analytics` and
 * `business_intelligence_insights`. No event folds into them: the
 * {@link AnalyticsUpdater} recomputes them from the sales history in batches
 * (every 5 minutes, and on demand) and writes them through the read-model set,
 * so they live where the other read models live (SQL or memory) and their
 * changes reach the realtime channels.
 */
import type { Row } from '../../core/row-change.js';
import { defineProjection, type ProjectionDefinition } from '../../processing/index.js';
import type { ForecastDay } from './forecast-demand.js';
import type { KeptForecastDay } from './accuracy-ledger.js';

/** The analytics tables. */
export const ANALYTICS_TABLES = [
  'product_trend_analysis',
  'creator_performance_analytics',
  'business_intelligence_insights',
] as const;

/** A `product_trend_analysis` row: a product's forecast, stock-out and reorder outlook. */
export interface ProductTrendRow extends Row {
  creator_id: string;
  product_id: string;
  method: string;
  /** First forecast date (today, UTC). */
  first_date: string;
  /** Daily forecast distribution (date, mean, p10, p50, p90). */
  forecast: ForecastDay[];
  total_p10: number;
  total_p50: number;
  total_p90: number;
  /** Units sold in the last 7 days over the 7 before, −1 … ∞ (null: nothing before). */
  trend_pct: number | null;
  available: number | null;
  stockout_p10_date: string | null;
  stockout_median_date: string | null;
  stockout_p90_date: string | null;
  reorder_quantity: number;
  reorder_by: string | null;
  reorder_message: string | null;
  /** Units/day added per weekday. */
  seasonal_adjustment: Record<string, number>;
  seasonal_adjustment_units: number;
  spike_state: string;
  spike_confidence: number;
  spike_onset_date: string | null;
  /** Live accuracy of this product's past forecasts (null until one is scored). */
  accuracy_within_20pct: number | null;
  accuracy_coverage_80: number | null;
  forecasts_scored: number;
  updated_at: string | Date;
}

/** A `creator_performance_analytics` row. */
export interface CreatorPerformanceRow extends Row {
  creator_id: string;
  revenue_30d: number;
  orders_completed_30d: number;
  units_30d: number;
  /** Units forecast for the next 30 days (sum of product medians). */
  forecast_units_30d: number;
  products_selling: number;
  top_product_id: string | null;
  /** Live accuracy over all the creator's scored forecasts. */
  accuracy_within_20pct: number | null;
  accuracy_coverage_80: number | null;
  forecasts_scored: number;
  updated_at: string | Date;
}

/** Kinds of insight. */
export const INSIGHT_KINDS = [
  'viral_spike',
  'stockout_risk',
  'reorder_due',
  'trending_up',
  'trending_down',
] as const;
/** One of {@link INSIGHT_KINDS}. */
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/** A `business_intelligence_insights` row. */
export interface InsightRow extends Row {
  insight_id: string;
  creator_id: string;
  product_id: string | null;
  kind: InsightKind;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  /** 0..1 where the insight comes from a probability; null otherwise. */
  confidence: number | null;
  updated_at: string | Date;
}

/** Kept forecasts, scored later against what sold (live accuracy). */
export interface KeptForecastRow extends Row {
  creator_id: string;
  product_id: string;
  first_date: string;
  method: string;
  days: KeptForecastDay[];
  updated_at: string | Date;
}

function written<R extends Row>(name: string, key: string[], columns: string): ProjectionDefinition<R> {
  return defineProjection<R>({
    name,
    key,
    migrations: [`CREATE TABLE :TABLE: (${columns}, PRIMARY KEY (${key.join(', ')}))`],
    handlers: {},
  });
}

/**
 * The definitions of the analytics tables (and of the kept-forecast ledger).
 *
 * @example
 * ```ts
 * const defs = analyticsTableDefinitions();
 * ```
 */
export function analyticsTableDefinitions(): ProjectionDefinition[] {
  const defs = [
    written<ProductTrendRow>(
      'product_trend_analysis',
      ['creator_id', 'product_id'],
      `creator_id text NOT NULL, product_id text NOT NULL, method text NOT NULL, first_date text NOT NULL,
       forecast jsonb NOT NULL, total_p10 double precision NOT NULL, total_p50 double precision NOT NULL,
       total_p90 double precision NOT NULL, trend_pct double precision, available integer,
       stockout_p10_date text, stockout_median_date text, stockout_p90_date text,
       reorder_quantity integer NOT NULL, reorder_by text, reorder_message text,
       seasonal_adjustment jsonb NOT NULL, seasonal_adjustment_units double precision NOT NULL,
       spike_state text NOT NULL, spike_confidence double precision NOT NULL, spike_onset_date text,
       accuracy_within_20pct double precision, accuracy_coverage_80 double precision,
       forecasts_scored integer NOT NULL, updated_at timestamptz NOT NULL`,
    ),
    written<CreatorPerformanceRow>(
      'creator_performance_analytics',
      ['creator_id'],
      `creator_id text NOT NULL, revenue_30d double precision NOT NULL, orders_completed_30d integer NOT NULL,
       units_30d integer NOT NULL, forecast_units_30d double precision NOT NULL,
       products_selling integer NOT NULL, top_product_id text,
       accuracy_within_20pct double precision, accuracy_coverage_80 double precision,
       forecasts_scored integer NOT NULL, updated_at timestamptz NOT NULL`,
    ),
    written<InsightRow>(
      'business_intelligence_insights',
      ['insight_id'],
      `insight_id text NOT NULL, creator_id text NOT NULL, product_id text, kind text NOT NULL,
       severity text NOT NULL, message text NOT NULL, confidence double precision,
       updated_at timestamptz NOT NULL`,
    ),
    written<KeptForecastRow>(
      'demand_forecast_ledger',
      ['creator_id', 'product_id', 'first_date'],
      `creator_id text NOT NULL, product_id text NOT NULL, first_date text NOT NULL, method text NOT NULL,
       days jsonb NOT NULL, updated_at timestamptz NOT NULL`,
    ),
  ];
  return defs as unknown as ProjectionDefinition[];
}
