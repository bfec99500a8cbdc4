/**
 * Rows of `creator_performance_analytics` and `business_intelligence_insights`
 * from one analytics run's per-product results.
 */
import type { AccuracyFigures } from './accuracy-ledger.js';
import type { CreatorPerformanceRow, InsightKind, InsightRow } from './analytics-tables.js';
import { addDays } from './dates.js';
import type { ProductResult } from './product-forecast-run.js';

/**
 * Pool accuracy figures (weighted by forecasts scored; coverage by days).
 *
 * @example
 * ```ts
 * mergeFigures([a.figures(today), b.figures(today)])
 * ```
 */
export function mergeFigures(all: readonly AccuracyFigures[]): AccuracyFigures {
  let scored = 0;
  let within = 0;
  let coverage = 0;
  let mape = 0;
  let mapeWeight = 0;
  for (const f of all) {
    if (f.scored === 0) continue;
    scored += f.scored;
    within += (f.within20Pct ?? 0) * f.scored;
    coverage += (f.coverage80 ?? 0) * f.scored;
    if (f.totalMape !== null) {
      mape += f.totalMape * f.scored;
      mapeWeight += f.scored;
    }
  }
  return {
    scored,
    within20Pct: scored > 0 ? within / scored : null,
    coverage80: scored > 0 ? coverage / scored : null,
    totalMape: mapeWeight > 0 ? mape / mapeWeight : null,
  };
}

/** What one product adds to its creator's row in a run. */
export interface CreatorContribution {
  productId: string;
  /** Units sold in the last 30 complete days. */
  units30d: number;
  /** Median of the next 30 days' forecast total. */
  forecastP50: number;
  figures: AccuracyFigures;
}

/** One day of `daily_revenue_metrics` as the creator row reads it. */
export interface RevenueDay {
  day: string;
  revenue: number;
  ordersCompleted: number;
}

/**
 * A creator's row: the last 30 complete days' revenue, orders and units, and
 * the next 30 days' forecast, from its products' contributions (in product
 * order) and its revenue days (in day order); null when neither has anything.
 *
 * @example
 * ```ts
 * const row = creatorRow('c1', contributions, revenueDays, '2026-11-10', stamp);
 * ```
 */
export function creatorRow(
  creatorId: string,
  contributions: readonly CreatorContribution[],
  revenue: readonly RevenueDay[],
  today: string,
  stamp: string,
): CreatorPerformanceRow | null {
  const since = addDays(today, -30);
  const row: CreatorPerformanceRow = {
    creator_id: creatorId,
    revenue_30d: 0,
    orders_completed_30d: 0,
    units_30d: 0,
    forecast_units_30d: 0,
    products_selling: 0,
    top_product_id: null,
    accuracy_within_20pct: null,
    accuracy_coverage_80: null,
    forecasts_scored: 0,
    updated_at: stamp,
  };
  let days = 0;
  for (const r of revenue) {
    if (r.day < since || r.day >= today) continue;
    days++;
    row.revenue_30d = Math.round((row.revenue_30d + r.revenue) * 100) / 100;
    row.orders_completed_30d += r.ordersCompleted;
  }
  if (days === 0 && contributions.length === 0) return null;
  let best = -1;
  for (const c of contributions) {
    row.units_30d += c.units30d;
    row.forecast_units_30d += c.forecastP50;
    if (c.units30d > 0) row.products_selling++;
    if (c.units30d > best) {
      best = c.units30d;
      row.top_product_id = c.productId;
    }
  }
  const f = mergeFigures(contributions.map((c) => c.figures));
  return {
    ...row,
    accuracy_within_20pct: f.within20Pct,
    accuracy_coverage_80: f.coverage80,
    forecasts_scored: f.scored,
  };
}

/**
 * The id of a product's insight of one kind.
 *
 * @example
 * ```ts
 * insightId('reorder_due', 'c1', 'p1') // 'reorder_due:c1:p1'
 * ```
 */
export function insightId(kind: InsightKind, creatorId: string, productId: string): string {
  return `${kind}:${creatorId}:${productId}`;
}

/** Insights worth a creator's attention, one per product and kind. */
export function insightRows(products: readonly ProductResult[], stamp: string): InsightRow[] {
  const out: InsightRow[] = [];
  for (const { row, stockout, reorder, forecast } of products) {
    const base = { creator_id: row.creator_id, product_id: row.product_id, updated_at: stamp };
    const id = (kind: InsightKind) => insightId(kind, row.creator_id, row.product_id);
    if (
      forecast.spike.state !== 'none' &&
      forecast.spike.onsetIndex !== null &&
      row.spike_onset_date !== null
    ) {
      const ratio =
        forecast.spike.ratio === null ? '' : ` (${forecast.spike.ratio.toFixed(1)}× the usual rate)`;
      out.push({
        ...base,
        insight_id: id('viral_spike'),
        kind: 'viral_spike',
        severity: forecast.spike.state === 'confirmed' ? 'warning' : 'info',
        message: `${row.product_id}: demand spike ${forecast.spike.state} since ${row.spike_onset_date}${ratio}`,
        confidence: forecast.spike.confidence,
      });
    }
    if (stockout && stockout.probabilityWithinHorizon >= 0.5 && stockout.medianDate) {
      out.push({
        ...base,
        insight_id: id('stockout_risk'),
        kind: 'stockout_risk',
        severity: stockout.probabilityByDay[6]! >= 0.5 ? 'critical' : 'warning',
        message: `${row.product_id}: even odds of stocking out by ${stockout.medianDate} (${stockout.available} available)`,
        confidence: stockout.probabilityWithinHorizon,
      });
    }
    if (reorder?.reorder) {
      out.push({
        ...base,
        insight_id: id('reorder_due'),
        kind: 'reorder_due',
        severity: reorder.urgent ? 'critical' : 'info',
        message: `${row.product_id}: ${reorder.message}`,
        confidence: reorder.serviceLevel,
      });
    }
    if (row.trend_pct !== null && Math.abs(row.trend_pct) >= 0.5) {
      const up = row.trend_pct > 0;
      out.push({
        ...base,
        insight_id: id(up ? 'trending_up' : 'trending_down'),
        kind: up ? 'trending_up' : 'trending_down',
        severity: 'info',
        message: `${row.product_id}: ${Math.round(Math.abs(row.trend_pct) * 100)} % ${up ? 'more' : 'fewer'} units this week than last`,
        confidence: null,
      });
    }
  }
  return out;
}
