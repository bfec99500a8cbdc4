/**
 * Rows of `creator_performance_analytics` and `business_intelligence_insights`
 * from one analytics run's per-product results.
 */
import { toNumber } from '../read-models/row-values.js';
import type { AccuracyFigures, ForecastLedger } from './accuracy-ledger.js';
import type { CreatorPerformanceRow, InsightRow } from './analytics-tables.js';
import type { ProductResult } from './analytics-updater.js';
import { addDays } from './dates.js';

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

/** One row per creator: the last 30 days' revenue, orders and units, and the next 30 days' forecast. */
export function creatorRows(
  products: readonly ProductResult[],
  revenue: readonly Record<string, unknown>[],
  ledgers: ReadonlyMap<string, ForecastLedger>,
  today: string,
  stamp: string,
): CreatorPerformanceRow[] {
  const since = addDays(today, -30);
  const creators = new Map<string, CreatorPerformanceRow & { best: number; figures: AccuracyFigures[] }>();
  const rowOf = (creatorId: string) => {
    let row = creators.get(creatorId);
    if (!row) {
      row = {
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
        best: -1,
        figures: [],
      };
      creators.set(creatorId, row);
    }
    return row;
  };
  for (const r of revenue) {
    const day = String(r.day);
    if (day < since || day >= today) continue;
    const row = rowOf(String(r.creator_id));
    row.revenue_30d = Math.round((row.revenue_30d + toNumber(r.revenue)) * 100) / 100;
    row.orders_completed_30d += toNumber(r.orders_completed);
  }
  for (const p of products) {
    const row = rowOf(p.row.creator_id);
    const units = p.recentUnits30d;
    row.units_30d += units;
    row.forecast_units_30d += p.forecast.total.p50;
    if (units > 0) row.products_selling++;
    if (units > row.best) {
      row.best = units;
      row.top_product_id = p.row.product_id;
    }
    const ledger = ledgers.get(`${p.row.creator_id}/${p.row.product_id}`);
    if (ledger) row.figures.push(ledger.figures(today));
  }
  return [...creators.values()].map(({ best, figures, ...row }) => {
    void best;
    const f = mergeFigures(figures);
    return {
      ...row,
      accuracy_within_20pct: f.within20Pct,
      accuracy_coverage_80: f.coverage80,
      forecasts_scored: f.scored,
    };
  });
}

/** Insights worth a creator's attention, one per product and kind. */
export function insightRows(products: readonly ProductResult[], stamp: string): InsightRow[] {
  const out: InsightRow[] = [];
  for (const { row, stockout, reorder, forecast } of products) {
    const base = { creator_id: row.creator_id, product_id: row.product_id, updated_at: stamp };
    const id = (kind: string) => `${kind}:${row.creator_id}:${row.product_id}`;
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
