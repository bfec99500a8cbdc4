/**
 * The analytics read models of the specification's `analytics_updater`:
 * `product_trend_analysis`, `creator_performance_analytics` and
 * `business_intelligence_insights`, and the ledger of kept forecasts. They
 * are folded from the log like every read model: the {@link AnalyticsUpdater}
 * appends an `analytics.run_completed` per creator (every 5 minutes, and on
 * demand), the state tables (`analytics_product_state`,
 * `analytics_creator_state`) compute the run from what the log says up to it,
 * and these tables copy each run's outcome — so a rebuild reproduces them and
 * their changes reach the realtime channels.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import { rowChangeOf, rowEventType } from '../read-models/read-model-set.js';
import type { KeptForecastDay } from './accuracy-ledger.js';
import { insightId } from './analytics-rows.js';
import {
  analyticsCreatorStateProjection,
  CREATOR_STATE_TABLE,
  finishedRunOf,
} from './analytics-creator-state.js';
import {
  analyticsProductStateProjection,
  PRODUCT_STATE_TABLE,
  runOutcomeOf,
} from './analytics-product-state.js';
import type { ForecastDay } from './forecast-demand.js';

/** The analytics tables (realtime channels). */
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

/** The state tables the analytics tables copy from (not realtime channels). */
export const ANALYTICS_STATE_TABLES = [PRODUCT_STATE_TABLE, CREATOR_STATE_TABLE] as const;

/** A table copying what a run made of the rows of `from` (keys and rows from each change). */
function copied<R extends Row>(
  name: string,
  key: string[],
  columns: string,
  from: string,
  copy: Pick<ProjectionHandler<R>, 'key' | 'apply'>,
): ProjectionDefinition<R> {
  return defineProjection<R, StoredEvent>({
    name,
    key,
    migrations: [`CREATE TABLE :TABLE: (${columns}, PRIMARY KEY (${key.join(', ')}))`],
    handlers: { [rowEventType(from)]: copy },
  });
}

/** The outcome of a run a `row:analytics_product_state` pseudo-event carries, if it is one. */
const outcomeOf = (e: StoredEvent) => runOutcomeOf(rowChangeOf(e))?.outcome ?? null;

/**
 * The definitions of the analytics tables, of the kept-forecast ledger and of
 * the state tables they copy from (these first).
 *
 * @example
 * ```ts
 * const defs = analyticsTableDefinitions();
 * ```
 */
export function analyticsTableDefinitions(): ProjectionDefinition[] {
  const defs = [
    analyticsProductStateProjection(),
    analyticsCreatorStateProjection(),
    copied<ProductTrendRow>(
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
      PRODUCT_STATE_TABLE,
      {
        key: (e) => {
          const trend = outcomeOf(e)?.trend;
          return trend ? { creator_id: trend.creator_id, product_id: trend.product_id } : null;
        },
        apply: (_row, e) => outcomeOf(e)!.trend,
      },
    ),
    copied<CreatorPerformanceRow>(
      'creator_performance_analytics',
      ['creator_id'],
      `creator_id text NOT NULL, revenue_30d double precision NOT NULL, orders_completed_30d integer NOT NULL,
       units_30d integer NOT NULL, forecast_units_30d double precision NOT NULL,
       products_selling integer NOT NULL, top_product_id text,
       accuracy_within_20pct double precision, accuracy_coverage_80 double precision,
       forecasts_scored integer NOT NULL, updated_at timestamptz NOT NULL`,
      CREATOR_STATE_TABLE,
      {
        key: (e) => {
          const c = rowChangeOf(e);
          return finishedRunOf(c) === undefined ? null : { creator_id: String(c.newRow!.creator_id) };
        },
        // A creator with nothing to show (no sales, no recent revenue) has no row.
        apply: (_row, e) => finishedRunOf(rowChangeOf(e)) ?? null,
      },
    ),
    copied<InsightRow>(
      'business_intelligence_insights',
      ['insight_id'],
      `insight_id text NOT NULL, creator_id text NOT NULL, product_id text, kind text NOT NULL,
       severity text NOT NULL, message text NOT NULL, confidence double precision,
       updated_at timestamptz NOT NULL`,
      PRODUCT_STATE_TABLE,
      {
        // Every kind of the product: the run's insights are upserted, the others deleted.
        key: (e) => {
          const trend = outcomeOf(e)?.trend;
          return trend
            ? INSIGHT_KINDS.map((kind) => ({
                insight_id: insightId(kind, trend.creator_id, trend.product_id),
              }))
            : null;
        },
        apply: (_row, e, key) => outcomeOf(e)!.insights.find((i) => i.insight_id === key.insight_id) ?? null,
      },
    ),
    copied<KeptForecastRow>(
      'demand_forecast_ledger',
      ['creator_id', 'product_id', 'first_date'],
      `creator_id text NOT NULL, product_id text NOT NULL, first_date text NOT NULL, method text NOT NULL,
       days jsonb NOT NULL, updated_at timestamptz NOT NULL`,
      PRODUCT_STATE_TABLE,
      {
        key: (e) => {
          const kept = outcomeOf(e)?.kept;
          return kept
            ? { creator_id: kept.creator_id, product_id: kept.product_id, first_date: kept.first_date }
            : null;
        },
        apply: (_row, e) => outcomeOf(e)!.kept,
      },
    ),
  ];
  return defs as unknown as ProjectionDefinition[];
}
