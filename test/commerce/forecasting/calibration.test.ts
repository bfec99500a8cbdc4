/**
 * Calibration on held-out synthetic data: the 10–90 % interval should hold
 * about 80 % of what actually sold, counted by the nonrandomized PIT (Czado,
 * Gneiting & Held 2009) so whole-number outcomes on an atom of the forecast
 * (zero days) count only partly, the same rule as the bench. Seeded generators, so the figure is the
 * same every run; the band is wide enough for the sample (≈ 1,400 days) and
 * narrow enough to catch an interval that is too narrow or too wide.
 */
import { describe, expect, it } from 'vitest';
import {
  forecastDemand,
  intervalCoverage,
  syntheticDemand,
  type DemandClass,
} from '../../../src/commerce/forecasting/index.js';

const memo = new Map<DemandClass, { coverage: number; within20: number }>();

function coverage(demandClass: DemandClass, products: number): { coverage: number; within20: number } {
  const known = memo.get(demandClass);
  if (known) return known;
  let covered = 0;
  let days = 0;
  let within = 0;
  let totals = 0;
  for (let p = 0; p < products; p++) {
    const series = syntheticDemand(demandClass, 400, 500 + p);
    for (const origin of [340, 370]) {
      const f = forecastDemand(
        { sales: series.sales.slice(0, origin), startDate: '2026-01-01' },
        { horizon: 30, seed: p },
      );
      const actual = series.sales.slice(origin, origin + 30);
      const column = new Float64Array(f.paths.length);
      for (let h = 0; h < f.days.length; h++) {
        f.paths.forEach((path, i) => (column[i] = path[h]!));
        days++;
        covered += intervalCoverage(column.sort(), actual[h]!);
      }
      const sold = actual.reduce((a, b) => a + b, 0);
      totals++;
      if (Math.abs(f.total.mean - sold) <= 0.2 * sold) within++;
    }
  }
  const figures = { coverage: covered / days, within20: within / totals };
  memo.set(demandClass, figures);
  return figures;
}

describe('interval calibration on held-out data', () => {
  it.each(['steady', 'seasonal', 'trending', 'intermittent'] as const)(
    '%s sellers: the 80-percent interval covers 74 to 86 percent of days',
    (c) => {
      const { coverage: share } = coverage(c, 24);
      expect(share).toBeGreaterThanOrEqual(0.74);
      expect(share).toBeLessThanOrEqual(0.86);
    },
  );

  it('steady and seasonal sellers: at least 85 percent of 30-day totals within 20 percent', () => {
    expect(coverage('steady', 24).within20).toBeGreaterThanOrEqual(0.85);
    expect(coverage('seasonal', 24).within20).toBeGreaterThanOrEqual(0.85);
  });
});
