/**
 * Yearly seasonality: the index's known answer on an exact yearly sinusoid,
 * the forecast carrying the index where out-of-sample error says it helps
 * (a yearly swell) and not where it does not (steady demand, too short a
 * history).
 */
import { describe, expect, it } from 'vitest';
import {
  forecastDemand,
  syntheticDemand,
  YEAR_WEEKS,
  yearlyIndex,
  yearWeek,
} from '../../../src/commerce/forecasting/index.js';
import { fitMethod } from '../../../src/commerce/forecasting/select-model.js';

describe('yearlyIndex', () => {
  it('recovers an exact yearly sinusoid, damped only by the 1-2-3-2-1 smoothing', () => {
    // Constant within each week, 100 × (1 + 0.3 sin(2πk/52)) in week k of the year, three years.
    const factor = (t: number) => 1 + 0.3 * Math.sin((2 * Math.PI * yearWeek(t)) / YEAR_WEEKS);
    const y = Array.from({ length: 3 * 364 }, (_, t) => 100 * factor(t));
    const index = yearlyIndex(y)!;
    // A symmetric filter keeps a sinusoid a sinusoid, scaled by its gain at the yearly frequency
    // (the 2×52 moving average of a whole cycle is exactly the level: the ratios are exact).
    const theta = (2 * Math.PI) / YEAR_WEEKS;
    const gain = (3 + 4 * Math.cos(theta) + 2 * Math.cos(2 * theta)) / 9;
    index.forEach((v, k) => expect(v).toBeCloseTo(1 + 0.3 * gain * Math.sin(theta * k), 9));
  });

  it('declines a sparse seller whose quiet weeks would divide sales by zero', () => {
    // Sells only in the first ten weeks of each year.
    const y = Array.from({ length: 2 * 364 }, (_, t) => (yearWeek(t) < 10 && t % 5 === 0 ? 3 : 0));
    expect(yearlyIndex(y)).toBeNull();
    const f = forecastDemand({ sales: y, startDate: '2025-01-01' }, { paths: 100 });
    for (const d of f.days) expect(Number.isFinite(d.mean) && Number.isFinite(d.p50)).toBe(true);
  });

  it('needs more than a year of history', () => {
    expect(yearlyIndex(new Array<number>(400).fill(5))).toBeNull();
    expect(yearlyIndex(new Array<number>(420).fill(5))).not.toBeNull();
  });
});

describe('forecastDemand with yearly seasonality', () => {
  const forecastAt = (sales: number[], origin: number) =>
    forecastDemand({ sales: sales.slice(0, origin), startDate: '2025-01-01' }, { paths: 200, seed: 1 });

  it('carries the yearly index where it beats the plain model out of sample, and scores better', () => {
    let yearly = 0;
    let errorYearly = 0;
    let errorPlain = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const s = syntheticDemand('seasonal_yearly', 730, seed);
      const origin = 700;
      const f = forecastAt(s.sales, origin);
      if (f.parameters.yearlyAmplitude !== undefined) yearly++;
      const sold = s.sales.slice(origin, origin + 30).reduce((a, b) => a + b, 0);
      errorYearly += Math.abs(f.total.mean - sold);
      errorPlain += Math.abs(plainTotal(s.sales, origin, f.method) - sold);
    }
    // Where the swell is flat over the next month the index changes nothing and is not chosen.
    expect(yearly).toBeGreaterThanOrEqual(6);
    expect(errorYearly).toBeLessThan(0.8 * errorPlain);
  });

  it('leaves steady demand and short histories alone', () => {
    let yearly = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const s = syntheticDemand('steady', 730, seed);
      if (forecastAt(s.sales, 700).parameters.yearlyAmplitude !== undefined) yearly++;
      expect(forecastAt(s.sales, 400).parameters.yearlyAmplitude).toBeUndefined();
    }
    expect(yearly).toBeLessThanOrEqual(1);
  });
});

/** The 30-day total of the method fitted without any yearly index. */
function plainTotal(sales: number[], origin: number, method: Parameters<typeof fitMethod>[0]): number {
  return fitMethod(method, sales.slice(0, origin))!
    .forecastMean(30)
    .reduce((a, b) => a + b, 0);
}
