/**
 * Live forecast accuracy as metrics: after each analytics run, per creator,
 * the share of scored forecasts within 20 % of what sold (the
 * specification's 85 % target, measured), the 10–90 % interval's coverage
 * and how many forecasts were scored. Labelled by creator only: per-product
 * figures stay in `product_trend_analysis`, so the series count is the
 * number of tenants, not of SKUs.
 */
import type { LibraryMetrics } from '../../monitoring/metrics/library-metrics.js';
import type { AnalyticsRun } from '../forecasting/analytics-updater.js';

/** The subset of an `AnalyticsUpdater` listened to. */
export interface AnalyticsEventSource {
  on(event: 'updated', fn: (run: AnalyticsRun) => void): unknown;
  off(event: 'updated', fn: (run: AnalyticsRun) => void): unknown;
}

/**
 * Record each run's live accuracy on the forecast gauges
 * (`creatorflow_forecast_within_20pct_ratio`, `creatorflow_forecast_coverage_80_ratio`,
 * `creatorflow_forecasts_scored`). Until a creator has a scored forecast only
 * the count (0) is set: a ratio of nothing is not exported as 0.
 *
 * @example
 * ```ts
 * const monitoring = instrumentEngine(engine, { metrics });
 * const stop = instrumentAnalytics(commerce.analytics!, monitoring.instruments);
 * ```
 */
export function instrumentAnalytics(updater: AnalyticsEventSource, m: LibraryMetrics): () => void {
  const record = (run: AnalyticsRun) => {
    for (const [creator, f] of Object.entries(run.accuracyByCreator)) {
      const labels = { creator };
      m.forecastsScored.set(labels, f.scored);
      if (f.within20Pct !== null) m.forecastWithin20Pct.set(labels, f.within20Pct);
      if (f.coverage80 !== null) m.forecastCoverage80.set(labels, f.coverage80);
    }
  };
  updater.on('updated', record);
  return () => updater.off('updated', record);
}
