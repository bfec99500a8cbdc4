/**
 * Interval coverage by the nonrandomized PIT (Czado, Gneiting & Held 2009):
 * known answers, and the property that makes it fair for counts — a forecast
 * equal to the generating distribution scores the nominal coverage, where the
 * closed-interval count over-covers.
 */
import { describe, expect, it } from 'vitest';
import { intervalCoverage, seededRandom } from '../../../src/commerce/forecasting/index.js';

describe('intervalCoverage', () => {
  it('gives the share of an atom inside the interval', () => {
    const draws = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
    expect(intervalCoverage(draws, 0)).toBeCloseTo(0.6 / 0.7, 12);
    expect(intervalCoverage(draws, 1)).toBe(1); // PIT range [0.7, 0.8]
    expect(intervalCoverage(draws, 3)).toBe(0); // PIT range [0.9, 1.0], all at or above 0.9
    expect(intervalCoverage(draws, 2.5)).toBe(1); // no atom: PIT 0.9, on the bound
    expect(intervalCoverage(draws, 7)).toBe(0);
  });

  it('is the ordinary indicator for distinct draws', () => {
    const draws = Array.from({ length: 100 }, (_, i) => i);
    expect(intervalCoverage(draws, 50.5)).toBe(1);
    expect(intervalCoverage(draws, 5.5)).toBe(0);
    expect(intervalCoverage(draws, 95.5)).toBe(0);
  });

  it('scores a correct forecast of sparse counts at the nominal 80 percent', () => {
    // Demand on 20 % of days, 1–3 units: the forecast is the true distribution.
    const rng = seededRandom(3);
    const draw = () => (rng() < 0.2 ? 1 + Math.floor(rng() * 3) : 0);
    const forecast = Float64Array.from({ length: 20_000 }, draw).sort();
    let pit = 0;
    let closed = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const y = draw();
      pit += intervalCoverage(forecast, y);
      // p10 = 0 and p90 = 1 here, so every zero day would count as covered.
      if (y >= 0 && y <= 1) closed++;
    }
    expect(pit / n).toBeGreaterThan(0.78);
    expect(pit / n).toBeLessThan(0.82);
    expect(closed / n).toBeGreaterThan(0.85);
  });
});
