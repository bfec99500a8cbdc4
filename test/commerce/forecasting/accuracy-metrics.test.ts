/**
 * Live accuracy as metrics: analytics runs keep forecasts, a later run scores
 * those whose horizon has passed, and the run sets the forecast gauges per
 * creator: the "within 20 %" share, the 10–90 % coverage and the number of
 * forecasts scored; a creator with no scored forecast gets the count 0 and
 * no ratio. Everything comes from the log: the sales are imported history,
 * the kept forecasts are earlier runs' (`analytics.run_completed`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AnalyticsUpdater,
  importDailySales,
  instrumentAnalytics,
  type KeptForecastRow,
} from '../../../src/commerce/index.js';
import { daysBetween } from '../../../src/commerce/forecasting/dates.js';
import { createMetricsRegistry, libraryMetrics, METRIC } from '../../../src/monitoring/index.js';
import { commerceEngines, type CommerceTestbed } from '../support.js';

const TODAY = '2026-03-01';
const at = (day: string) => Date.parse(`${day}T08:00:00Z`);

describe('forecast accuracy metrics', () => {
  let bed: CommerceTestbed;
  beforeEach(async () => {
    bed = await commerceEngines[0]!.open();
  });
  afterEach(async () => {
    await bed.close();
  });

  it('sets the within-20 % share, the interval coverage and the count per creator from the scored forecasts', async () => {
    const rm = bed.commerce.readModels;
    // Creator a sold exactly 10 a day of p1 from December through February; b sold 4 a day of q1 in February.
    const days = (from: string) => daysBetween(from, TODAY);
    await importDailySales(bed.store, {
      creatorId: 'a',
      productId: 'p1',
      startDate: '2025-12-01',
      units: new Array<number>(days('2025-12-01')).fill(10),
    });
    await importDailySales(bed.store, {
      creatorId: 'b',
      productId: 'q1',
      startDate: '2026-02-01',
      units: new Array<number>(days('2026-02-01')).fill(4),
    });
    await bed.commerce.whenIdle();

    let now = at('2026-01-01');
    const updater = new AnalyticsUpdater({ store: bed.store, readModels: rm, now: () => now });
    // Forecasts kept on Jan 1, 15 and 20 (their 30 days pass before TODAY) and on Feb 15 (still running).
    for (const day of ['2026-01-01', '2026-01-15', '2026-01-20', '2026-02-15']) {
      now = at(day);
      await updater.runOnce();
    }
    const ledger = await rm.unscopedRows<KeptForecastRow>('demand_forecast_ledger');
    expect(ledger.map((k) => `${k.product_id}@${k.first_date}`).sort()).toEqual([
      'p1@2026-01-01',
      'p1@2026-01-15',
      'p1@2026-01-20',
      'p1@2026-02-15',
      'q1@2026-02-15',
    ]);

    const registry = createMetricsRegistry();
    const stop = instrumentAnalytics(updater, libraryMetrics(registry));
    now = at(TODAY);
    const run = await updater.runOnce();
    stop();

    const a = run.accuracyByCreator['a']!;
    expect(a.scored).toBe(3);
    expect(a.within20Pct).toBeGreaterThanOrEqual(0);
    expect(a.coverage80).toBeGreaterThan(0);
    expect(run.accuracyByCreator['b']).toMatchObject({ scored: 0, within20Pct: null, coverage80: null });
    expect(run.accuracy).toMatchObject({ scored: 3, within20Pct: a.within20Pct });
    expect(registry.value(METRIC.forecastsScored, { creator: 'a' })).toBe(3);
    expect(registry.value(METRIC.forecastWithin20Pct, { creator: 'a' })).toBeCloseTo(a.within20Pct!, 12);
    expect(registry.value(METRIC.forecastCoverage80, { creator: 'a' })).toBeCloseTo(a.coverage80!, 12);
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

    // After stop(), later runs no longer move the gauges (this one scores Feb 15's forecasts too).
    now = at('2026-03-20');
    const again = await updater.runOnce();
    expect(again.accuracyByCreator['a']!.scored).toBe(4);
    expect(registry.value(METRIC.forecastsScored, { creator: 'a' })).toBe(3);
  });
});
