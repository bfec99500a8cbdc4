/**
 * Laws of forecastDemand (non-negative, ordered quantiles, deterministic for a
 * seed), per-product method choice, and refusal of bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ForecastInputError,
  forecastDemand,
  syntheticDemand,
} from '../../../src/commerce/forecasting/index.js';

const START = '2026-01-01';

describe('forecastDemand laws', () => {
  it('is never negative, has ordered quantiles, and is the same for the same seed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 40 }), { minLength: 0, maxLength: 120 }),
        fc.integer({ min: 1, max: 45 }),
        fc.integer({ min: 1, max: 1_000 }),
        (sales, horizon, seed) => {
          const a = forecastDemand({ sales, startDate: START }, { horizon, seed, paths: 200 });
          const b = forecastDemand({ sales, startDate: START }, { horizon, seed, paths: 200 });
          expect(a.days).toEqual(b.days);
          expect(a.days).toHaveLength(horizon);
          for (const d of a.days) {
            expect(d.mean).toBeGreaterThanOrEqual(0);
            expect(d.p10).toBeGreaterThanOrEqual(0);
            expect(d.p10).toBeLessThanOrEqual(d.p50);
            expect(d.p50).toBeLessThanOrEqual(d.p90);
          }
          expect(a.total.p10).toBeLessThanOrEqual(a.total.p90);
        },
      ),
      { numRuns: 40, seed: 16 },
    );
  });

  it('dates the forecast from the day after the history', () => {
    const f = forecastDemand({ sales: [1, 2, 3], startDate: '2026-12-30' }, { horizon: 2 });
    expect(f.firstDate).toBe('2027-01-02');
    expect(f.days.map((d) => d.date)).toEqual(['2027-01-02', '2027-01-03']);
  });
});

describe('method choice by out-of-sample error', () => {
  it('picks Holt-Winters for weekly-seasonal sellers and shows the weekly adjustment', () => {
    const chosen = [11, 12, 13, 14].map((seed) => {
      const s = syntheticDemand('seasonal', 365, seed);
      return forecastDemand({ sales: s.sales, startDate: START });
    });
    expect(chosen.every((f) => f.method === 'holt-winters')).toBe(true);
    const f = chosen[0]!;
    expect(f.seasonality.present).toBe(true);
    // The generator's busiest day is index 5 mod 7 of the series; 2026-01-01 + 5 is a Tuesday.
    const byDay = f.seasonality.byWeekday;
    const busiest = Object.entries(byDay).sort((a, b) => b[1] - a[1])[0]![0];
    expect(busiest).toBe('tue');
  });

  it('tries SBA and TSB on sparse sellers and keeps the lowest holdout error', () => {
    for (const seed of [21, 22, 23, 24]) {
      const f = forecastDemand({ sales: syntheticDemand('intermittent', 365, seed).sales, startDate: START });
      expect(f.candidates.map((c) => c.method)).toEqual(expect.arrayContaining(['croston-sba', 'tsb']));
      const best = Math.min(...f.candidates.map((c) => c.holdoutRmse ?? Infinity));
      expect(f.candidates.find((c) => c.method === f.method)!.holdoutRmse).toBe(best);
    }
  });

  it('reports every candidate it scored', () => {
    const f = forecastDemand({ sales: syntheticDemand('steady', 200, 3).sales, startDate: START });
    expect(f.candidates.map((c) => c.method)).toEqual(['ses', 'holt-damped', 'holt-winters']);
    expect(f.candidates.every((c) => c.holdoutRmse !== null && c.holdoutRmse > 0)).toBe(true);
  });
});

describe('bad input', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['negative sales', () => forecastDemand({ sales: [1, -2], startDate: START }), 'sales'],
    ['NaN sales', () => forecastDemand({ sales: [Number.NaN], startDate: START }), 'sales'],
    ['a horizon of 0', () => forecastDemand({ sales: [1], startDate: START }, { horizon: 0 }), 'horizon'],
    ['a horizon of 91', () => forecastDemand({ sales: [1], startDate: START }, { horizon: 91 }), 'horizon'],
    ['too few paths', () => forecastDemand({ sales: [1], startDate: START }, { paths: 10 }), 'paths'],
    ['a malformed date', () => forecastDemand({ sales: [1], startDate: '2026-02-30' }), 'startDate'],
    [
      'misaligned mentions',
      () => forecastDemand({ sales: [1, 2], startDate: START, mentions: [3] }),
      'mentions',
    ],
  ];
  it.each(cases)('refuses %s with FORECAST_INPUT_INVALID', (_name, run, field) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ForecastInputError);
    expect((caught as ForecastInputError).code).toBe('FORECAST_INPUT_INVALID');
    expect((caught as ForecastInputError).field).toBe(field);
  });
});
