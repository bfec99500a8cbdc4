/**
 * Live accuracy as metrics: an analytics run over a ledger whose outcomes are
 * known sets the forecast gauges per creator: the "within 20 %" share, the
 * 10–90 % coverage and the number of forecasts scored; a creator with no
 * scored forecast gets the count 0 and no ratio.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AnalyticsUpdater,
  instrumentAnalytics,
  type KeptForecastRow,
  type ProductDailySalesRow,
} from '../../../src/commerce/index.js';
import { addDays } from '../../../src/commerce/forecasting/dates.js';
import { createMetricsRegistry, libraryMetrics, METRIC } from '../../../src/monitoring/index.js';
import { commerceEngines, type CommerceTestbed } from '../support.js';

const TODAY = '2026-03-01';
const STAMP = '2026-01-01T00:00:00.000Z';

/** A kept 30-day forecast from `firstDate`: every day `mean`, interval [p10, p90], no atom at zero. */
function kept(
  creatorId: string,
  productId: string,
  firstDate: string,
  mean: number,
  p10: number,
  p90: number,
) {
  const days = Array.from({ length: 30 }, (_, i) => ({
    date: addDays(firstDate, i),
    mean,
    p10,
    p90,
    pZero: 0,
  }));
  return {
    creator_id: creatorId,
    product_id: productId,
    first_date: firstDate,
    method: 'ses',
    days,
    updated_at: STAMP,
  };
}

describe('forecast accuracy metrics', () => {
  let bed: CommerceTestbed;
  beforeEach(async () => {
    bed = await commerceEngines[0]!.open();
  });
  afterEach(async () => {
    await bed.close();
  });

  it('sets the within-20 % share, the interval coverage and the count per creator from the scored ledger', async () => {
    const rm = bed.commerce.readModels;
    // Creator a sold exactly 10 a day of p1 through January and February; b sold 4 a day of q1 in February.
    const sales: ProductDailySalesRow[] = [];
    for (let d = '2026-01-01'; d < TODAY; d = addDays(d, 1)) {
      sales.push({ creator_id: 'a', product_id: 'p1', day: d, units: 10 } as ProductDailySalesRow);
      if (d >= '2026-02-01')
        sales.push({ creator_id: 'b', product_id: 'q1', day: d, units: 4 } as ProductDailySalesRow);
    }
    await rm.table('product_daily_sales').write({ upserts: sales, deletes: [] });
    const ledger: KeptForecastRow[] = [
      // Spot on: total 300 of 300, every day inside [8, 12].
      kept('a', 'p1', '2026-01-01', 10, 8, 12),
      // 30 % high (390 for 300), every day outside [12, 14].
      kept('a', 'p1', '2026-01-15', 13, 12, 14),
      // Within 20 % (330 for 300), 10 inside [9, 11]: scored.
      kept('a', 'p1', '2026-01-20', 11, 9, 11),
      // Its horizon ends after today: not scored yet.
      kept('a', 'p1', '2026-02-15', 10, 8, 12),
      // b's only forecast is still running.
      kept('b', 'q1', '2026-02-20', 4, 2, 6),
    ];
    await rm.table('demand_forecast_ledger').write({ upserts: ledger, deletes: [] });

    const registry = createMetricsRegistry();
    const updater = new AnalyticsUpdater({
      store: bed.store,
      readModels: rm,
      now: () => Date.parse(`${TODAY}T08:00:00Z`),
    });
    const stop = instrumentAnalytics(updater, libraryMetrics(registry));
    const run = await updater.runOnce();
    stop();

    expect(run.accuracyByCreator['a']).toMatchObject({ scored: 3, within20Pct: 2 / 3, coverage80: 2 / 3 });
    expect(run.accuracyByCreator['b']).toMatchObject({ scored: 0, within20Pct: null, coverage80: null });
    expect(run.accuracy).toMatchObject({ scored: 3, within20Pct: 2 / 3 });
    expect(registry.value(METRIC.forecastsScored, { creator: 'a' })).toBe(3);
    expect(registry.value(METRIC.forecastWithin20Pct, { creator: 'a' })).toBeCloseTo(2 / 3, 12);
    expect(registry.value(METRIC.forecastCoverage80, { creator: 'a' })).toBeCloseTo(2 / 3, 12);
    // Nothing scored for b: the count says so, and no ratio series claims 0 %.
    const series = (name: string) =>
      registry
        .snapshot()
        .find((m) => m.name === name)
        ?.series.map((s) => s.labels['creator']) ?? [];
    expect(registry.value(METRIC.forecastsScored, { creator: 'b' })).toBe(0);
    expect(series(METRIC.forecastsScored).sort()).toEqual(['a', 'b']);
    expect(series(METRIC.forecastWithin20Pct)).toEqual(['a']);
    expect(series(METRIC.forecastCoverage80)).toEqual(['a']);

    // After stop(), later runs no longer move the gauges.
    await rm
      .table('demand_forecast_ledger')
      .write({ upserts: [], deletes: [{ creator_id: 'a', product_id: 'p1', first_date: '2026-01-15' }] });
    const again = await updater.runOnce();
    expect(again.accuracyByCreator['a']!.within20Pct).toBe(1);
    expect(registry.value(METRIC.forecastWithin20Pct, { creator: 'a' })).toBeCloseTo(2 / 3, 12);
  });
});
