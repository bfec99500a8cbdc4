/**
 * Known-answer tests of the forecasting methods against published worked
 * examples and hand-worked applications of the published update equations.
 */
import { describe, expect, it } from 'vitest';
import {
  crostonStates,
  fitSba,
  runSmoothing,
  SmoothingModel,
  tsbStates,
} from '../../../src/commerce/forecasting/index.js';
import {
  fitSmoothing,
  fitSmoothingPrefixes,
} from '../../../src/commerce/forecasting/exponential-smoothing.js';
import { syntheticDemand } from '../../../src/commerce/forecasting/synthetic-demand.js';
import { PBS_SCRIPTS } from './fixtures/pbs-scripts.js';

const SES = { trend: false, seasonal: false } as const;

describe('simple exponential smoothing', () => {
  // NIST/SEMATECH e-Handbook of Statistical Methods, §6.4.3.1 "Single
  // Exponential Smoothing" (data) and §6.4.3.2 "Forecasting with Single
  // Exponential Smoothing": with α = 0.1 and S₂ = y₁, "the last data point …
  // was 70 and its forecast (smoothed value S) was 71.7", and the bootstrapped
  // next forecast is S₁₃ = 0.1·70 + 0.9·71.7 = 71.5.
  const nist = [71, 70, 69, 68, 64, 65, 72, 78, 75, 75, 75, 70];
  const p = { alpha: 0.1, beta: 0, gamma: 0, phi: 1 };

  it('reproduces the NIST handbook example: S₁₂ = 71.7', () => {
    // S_t = α·y_{t−1} + (1−α)·S_{t−1} is the level after y_{t−1}, started at ℓ₀ = y₁.
    const fit = runSmoothing(nist.slice(0, 11), SES, p, { level: nist[0]! });
    expect(fit.level).toBeCloseTo(71.7, 1);
  });

  it('reproduces the NIST bootstrapped forecast: S₁₃ = 71.5', () => {
    const fit = runSmoothing(nist, SES, p, { level: nist[0]! });
    expect(fit.level).toBeCloseTo(71.5, 1);
  });
});

describe('Holt-Winters (additive, damped trend)', () => {
  it('follows a noiseless linear trend with a weekly pattern exactly, whatever the smoothing', () => {
    // With the true initial states, every one-step error is zero, so the
    // states never move and the forecast is the true continuation.
    const season = [-3, -1, 0, 1, 2, 4, -3];
    const y = Array.from({ length: 70 }, (_, t) => 10 + 0.5 * (t + 1) + season[t % 7]!);
    for (const alpha of [0.1, 0.5]) {
      const fit = runSmoothing(
        y,
        { trend: true, seasonal: true },
        { alpha, beta: 0.05, gamma: 0.1, phi: 1 },
        { level: 10, trend: 0.5, season },
      );
      expect(Math.max(...fit.residuals.map(Math.abs))).toBeLessThan(1e-9);
      expect(fit.level).toBeCloseTo(10 + 0.5 * 70, 9);
      // The rotated season starts at the slot of day 70 (70 % 7 = 0).
      expect(fit.season).toEqual(season);
    }
  });
});

describe('Holt-Winters (additive) worked by hand, with every component updating', () => {
  // No published Holt-Winters example with a 7-day season was found (R's, on quarterly data, is in
  // published-answers.test.ts), so this one, on a week, is worked by hand from the recursions —
  // the error-correction form of fpp3 §8.3's component form, with β* = β/α:
  //   ŷ = ℓ + φb + s_slot;  e = y − ŷ;  ℓ ← ℓ + φb + αe;  b ← φb + βe;  s_slot ← s_slot + γe
  // ℓ₀ = 10, b₀ = 0, s = [1, −1, 0, 0, 0, 0, 0]; α = 0.5, β = 0.1, γ = 0.2, φ = 1; y = 12, 8, 11:
  //   t=0 (s=1):  ŷ = 11;    e = 1;     ℓ = 10.5;  b = 0.1;    s₀ = 1.2
  //   t=1 (s=−1): ŷ = 9.6;   e = −1.6;  ℓ = 9.8;   b = −0.06;  s₁ = −1.32
  //   t=2 (s=0):  ŷ = 9.74;  e = 1.26;  ℓ = 10.37; b = 0.066;  s₂ = 0.252
  // Forecast ℓ + h·b + s (the season rotated to start at day 3's slot):
  //   h=1: 10.37 + 0.066 = 10.436;  h=5 (slot 0): 10.37 + 0.33 + 1.2 = 11.9;
  //   h=6 (slot 1): 10.37 + 0.396 − 1.32 = 9.446;  h=8 (slot 3): 10.37 + 0.528 = 10.898
  const shape = { trend: true, seasonal: true } as const;
  const p = { alpha: 0.5, beta: 0.1, gamma: 0.2, phi: 1 };
  const initial = { level: 10, trend: 0, season: [1, -1, 0, 0, 0, 0, 0] };

  it('updates level, slope and the weekday slots as worked by hand', () => {
    const fit = runSmoothing([12, 8, 11], shape, p, initial);
    expect(fit.residuals[0]).toBeCloseTo(1, 12);
    expect(fit.residuals[1]).toBeCloseTo(-1.6, 12);
    expect(fit.residuals[2]).toBeCloseTo(1.26, 12);
    expect(fit.level).toBeCloseTo(10.37, 12);
    expect(fit.trend).toBeCloseTo(0.066, 12);
    // Rotated: index 0 is the slot of day 3.
    [0, 0, 0, 0, 1.2, -1.32, 0.252].forEach((v, i) => expect(fit.season[i]).toBeCloseTo(v, 12));
  });

  it('forecasts level plus slope times horizon plus the weekday slot', () => {
    const fit = runSmoothing([12, 8, 11], shape, p, initial);
    const f = new SmoothingModel(shape, p, fit).forecastMean(8);
    expect(f[0]).toBeCloseTo(10.436, 10);
    expect(f[4]).toBeCloseTo(11.9, 10);
    expect(f[5]).toBeCloseTo(9.446, 10);
    expect(f[7]).toBeCloseTo(10.898, 10);
  });
});

describe("Holt's damped trend", () => {
  // The fpp3 §8.2 equations (ŷ = ℓ + φb; ℓ ← ℓ + φb + αe; b ← φb + βe; forecast
  // ℓ + (φ + … + φ^h)b), worked by hand for y = 10, 12, 11 from ℓ₀ = 10, b₀ = 1
  // with α = 0.5, β = 0.1, φ = 0.9:
  //   t=1: ŷ = 10.9,      e = −0.9;     ℓ = 10.45;      b = 0.81
  //   t=2: ŷ = 11.179,    e = 0.821;    ℓ = 11.5895;    b = 0.8111
  //   t=3: ŷ = 12.31949,  e = −1.31949; ℓ = 11.659745;  b = 0.598041
  //   h=1: 11.659745 + 0.9·0.598041 = 12.1979819;  h=2: + 1.71·0.598041 = 12.68239511
  const shape = { trend: true, seasonal: false } as const;
  const p = { alpha: 0.5, beta: 0.1, gamma: 0, phi: 0.9 };

  it('updates level and damped slope as worked by hand', () => {
    const fit = runSmoothing([10, 12, 11], shape, p, { level: 10, trend: 1 });
    expect(fit.residuals[0]).toBeCloseTo(-0.9, 12);
    expect(fit.residuals[1]).toBeCloseTo(0.821, 12);
    expect(fit.residuals[2]).toBeCloseTo(-1.31949, 12);
    expect(fit.level).toBeCloseTo(11.659745, 12);
    expect(fit.trend).toBeCloseTo(0.598041, 12);
  });

  it('damps the slope over the horizon: ℓ + (φ + φ²)b two days ahead', () => {
    const fit = runSmoothing([10, 12, 11], shape, p, { level: 10, trend: 1 });
    const [h1, h2] = new SmoothingModel(shape, p, fit).forecastMean(2);
    expect(h1).toBeCloseTo(12.1979819, 10);
    expect(h2).toBeCloseTo(12.68239511, 10);
  });
});

describe('fitSmoothingPrefixes', () => {
  it('fits each prefix exactly as fitSmoothing on the prefix alone, from one grid pass', () => {
    const { sales } = syntheticDemand('seasonal_yearly', 400, 5);
    const ends = [30, 56, 57, 200, 372, 400];
    for (const shape of [
      { trend: false, seasonal: false },
      { trend: true, seasonal: false },
      { trend: true, seasonal: true },
    ]) {
      const fitAt = fitSmoothingPrefixes(sales, shape, ends);
      for (const end of ends) {
        const alone = fitSmoothing(sales.slice(0, end), shape);
        const shared = fitAt(end);
        expect(shared.parameters, `${JSON.stringify(shape)} ${end}`).toEqual(alone.parameters);
        expect(shared.forecastMean(14)).toEqual(alone.forecastMean(14));
        expect(shared.inSampleRmse()).toBe(alone.inSampleRmse());
      }
    }
  });
});

describe('Croston, SBA and TSB', () => {
  // Croston (1972), Operational Research Quarterly 23(3): on demand days
  // z ← z + α(y − z) and p ← p + α(q − p); rate z/p. Initial z and p as in R's
  // forecast::croston (Shenstone & Hyndman 2005): the first demand and the
  // periods up to and including it. Worked by hand for y below, α = 0.1:
  //   t=2 (y=3): z=3, p=3
  //   t=6 (y=5, q=4): z = 3 + 0.1·2 = 3.2;  p = 3 + 0.1·1 = 3.1
  //   t=8 (y=2, q=2): z = 3.2 − 0.1·1.2 = 3.08;  p = 3.1 − 0.1·1.1 = 2.99
  const y = [0, 0, 3, 0, 0, 0, 5, 0, 2];

  it('Croston: size 3.08, interval 2.99, rate 1.0301', () => {
    const s = crostonStates(y, 0.1)!;
    expect(s.size).toBeCloseTo(3.08, 10);
    expect(s.interval).toBeCloseTo(2.99, 10);
    expect(s.size / s.interval).toBeCloseTo(1.0301, 4);
    // The one-step forecast before t=7 is the rate after t=6: 3.2/3.1.
    expect(s.fitted[7]).toBeCloseTo(3.2 / 3.1, 10);
  });

  it('SBA multiplies the Croston rate by 1 − α/2 (Syntetos & Boylan 2005)', () => {
    const model = fitSba(y)!;
    const alpha = model.parameters.alpha!;
    const s = crostonStates(y, alpha)!;
    expect(model.forecastMean(1)[0]).toBeCloseTo((1 - alpha / 2) * (s.size / s.interval), 10);
  });

  it('TSB: the probability decays on zero days (Teunter, Syntetos & Babai 2011)', () => {
    // y = [0, 4, 0, 0, 4], α = β = 0.1: d = 1/2 after t=1;
    // t=2: d = 0.45; t=3: d = 0.405; t=4: d = 0.405 + 0.1·0.595 = 0.4645; z = 4.
    const s = tsbStates([0, 4, 0, 0, 4], 0.1, 0.1)!;
    expect(s.probability).toBeCloseTo(0.4645, 10);
    expect(s.size).toBe(4);
    expect(s.probability * s.size).toBeCloseTo(1.858, 10);
  });

  it('reproduces R forecast::croston on the PBS scripts series (α = 0.1, 0.5, 0.05)', () => {
    // Published outputs: `croston(y, h)` of R's forecast package on a monthly
    // PBS prescription count (Jul 1991 – Jun 2008, 204 months), quoted as
    // 0.8688921, 0.6754646 and 1.405808 in sktime's Croston tests
    // (sktime/forecasting/tests/test_croston.py, data PBS_dataset.csv).
    // SBA is the same rate times 1 − α/2 (Syntetos & Boylan 2005).
    for (const [alpha, r] of [
      [0.1, 0.8688921],
      [0.5, 0.6754646],
      [0.05, 1.405808],
    ] as const) {
      const s = crostonStates(PBS_SCRIPTS, alpha)!;
      expect(s.size / s.interval, `α = ${alpha}`).toBeCloseTo(r, 6);
      expect((1 - alpha / 2) * (s.size / s.interval)).toBeCloseTo((1 - alpha / 2) * r, 6);
    }
  });

  it('needs at least one sale', () => {
    expect(crostonStates([0, 0, 0], 0.1)).toBeNull();
    expect(fitSba([0, 0])).toBeNull();
  });
});
