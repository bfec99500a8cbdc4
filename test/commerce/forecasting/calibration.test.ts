/**
 * Calibration on held-out synthetic data: the 10–90 % interval should hold
 * about 80 % of what actually sold, counted by the nonrandomized PIT (Czado,
 * Gneiting & Held 2009) so whole-number outcomes on an atom of the forecast
 * (zero days) count only partly, the same rule as the bench. Seeded generators, so the figure is the
 * same every run; the band is wide enough for the sample (≈ 1,400 days a class) and
 * narrow enough to catch an interval that is too narrow or too wide.
 */
import { describe, expect, it } from 'vitest';
import {
  forecastDemand,
  intervalCoverage,
  syntheticDemand,
  type DemandClass,
  type SyntheticDemand,
} from '../../../src/commerce/forecasting/index.js';

/** How a class is held out: series length and forecast origins (a yearly seller needs two seasons). */
const HOLDOUT: Record<DemandClass, { days: number; origins: number[] }> = {
  steady: { days: 400, origins: [340, 370] },
  trending: { days: 400, origins: [340, 370] },
  seasonal: { days: 400, origins: [340, 370] },
  intermittent: { days: 400, origins: [340, 370] },
  viral: { days: 400, origins: [340, 370] },
  seasonal_yearly: { days: 730, origins: [670, 700] },
};

/**
 * Forecast a series from `origin` 30 days ahead and score it: the summed PIT
 * coverage of its days' 80 % intervals, and whether the 30-day total's mean
 * is within 20 % of what sold.
 */
function scoreWindow(
  series: SyntheticDemand,
  origin: number,
  withMentions: boolean,
  options: { seed: number; paths: number },
): { covered: number; days: number; within20: boolean } {
  const f = forecastDemand(
    {
      sales: series.sales.slice(0, origin),
      startDate: '2026-01-01',
      ...(withMentions ? { mentions: series.mentions.slice(0, origin) } : {}),
    },
    { horizon: 30, ...options },
  );
  const actual = series.sales.slice(origin, origin + 30);
  const column = new Float64Array(f.paths.length);
  let covered = 0;
  for (let h = 0; h < f.days.length; h++) {
    f.paths.forEach((path, i) => (column[i] = path[h]!));
    covered += intervalCoverage(column.sort(), actual[h]!);
  }
  const sold = actual.reduce((a, b) => a + b, 0);
  return { covered, days: f.days.length, within20: Math.abs(f.total.mean - sold) <= 0.2 * sold };
}

const memo = new Map<DemandClass, { coverage: number; within20: number; windows: number }>();

/**
 * Coverage of the 80 % interval and the within-20 % rate over `products`
 * seeded series of a class. A viral seller is forecast with its mentions, and
 * a window in which a new shock begins is left out: no forecast can know a
 * shock before its first sign, so those days say nothing of calibration.
 */
function coverage(
  demandClass: DemandClass,
  products: number,
): { coverage: number; within20: number; windows: number } {
  const known = memo.get(demandClass);
  if (known) return known;
  const { days: length, origins } = HOLDOUT[demandClass];
  const withMentions = demandClass === 'viral';
  let covered = 0;
  let days = 0;
  let within = 0;
  let totals = 0;
  for (let p = 0; p < products; p++) {
    const series = syntheticDemand(demandClass, length, 500 + p);
    for (const origin of origins) {
      if (series.shockOnsets.some((on) => on >= origin && on < origin + 30)) continue;
      const scored = scoreWindow(series, origin, withMentions, { seed: p, paths: length > 400 ? 500 : 1000 });
      covered += scored.covered;
      days += scored.days;
      totals++;
      if (scored.within20) within++;
    }
  }
  const figures = { coverage: covered / days, within20: within / totals, windows: totals };
  memo.set(demandClass, figures);
  return figures;
}

describe('interval calibration on held-out data', () => {
  // Measured (seeds 500–523, 24 products × 2 origins): steady 0.813, seasonal 0.825, trending 0.765,
  // intermittent 0.754, viral 0.797 over the 47 windows without a new shock (0.781 before the
  // spike fade's posterior; its 4 windows within 60 days after an onset 0.633 -> 0.825),
  // seasonal_yearly 0.805 (two years each, the yearly index known).
  it.each(['steady', 'seasonal', 'trending', 'intermittent', 'viral', 'seasonal_yearly'] as const)(
    '%s sellers: the 80-percent interval covers 74 to 86 percent of days',
    (c) => {
      const { coverage: share, windows } = coverage(c, 24);
      expect(windows).toBeGreaterThanOrEqual(40);
      expect(share).toBeGreaterThanOrEqual(0.74);
      expect(share).toBeLessThanOrEqual(0.86);
    },
  );

  it('steady and seasonal sellers: at least 85 percent of 30-day totals within 20 percent', () => {
    expect(coverage('steady', 24).within20).toBeGreaterThanOrEqual(0.85);
    expect(coverage('seasonal', 24).within20).toBeGreaterThanOrEqual(0.85);
  });
});

describe('interval calibration just after a shock', () => {
  /** Days after a shock's onset the forecasts start: its first days, its fade, its tail. */
  const AFTER = [2, 5, 10, 20, 40];

  // Measured (viral seeds 500–539, 235 windows from 2 to 40 days after an onset, no new shock
  // inside, with mentions): 0.848 (2 days 0.863, 5: 0.859, 10: 0.831, 20: 0.831, 40: 0.857).
  // Before the fade's posterior, paths from the one least-squares fade: 0.626 (2 days 0.398,
  // 5: 0.403, 10: 0.685, 20: 0.806, 40: 0.861).
  it('the 80-percent interval covers 75 to 86 percent of days in windows starting 2 to 40 days after an onset', () => {
    let covered = 0;
    let days = 0;
    let windows = 0;
    for (let p = 0; p < 40; p++) {
      const series = syntheticDemand('viral', 400, 500 + p);
      for (const onset of series.shockOnsets) {
        for (const after of AFTER) {
          const origin = onset + after;
          if (origin + 30 > series.sales.length) continue;
          if (series.shockOnsets.some((on) => on >= origin && on < origin + 30)) continue;
          const scored = scoreWindow(series, origin, true, { seed: p, paths: 500 });
          covered += scored.covered;
          days += scored.days;
          windows++;
        }
      }
    }
    expect(windows).toBeGreaterThanOrEqual(200);
    expect(covered / days).toBeGreaterThanOrEqual(0.75);
    expect(covered / days).toBeLessThanOrEqual(0.86);
  });
});
