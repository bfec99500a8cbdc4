/**
 * The posterior over a live spike's fade: what a few days after a shock say
 * about its half-life, its height and its noise.
 */
import { describe, expect, it } from 'vitest';
import { fitSpikeDecay, forecastDemand } from '../../../src/commerce/forecasting/index.js';
import { poisson, seededRandom } from '../../../src/commerce/forecasting/random.js';
import {
  countVariance,
  drawFade,
  extraPoissonVariance,
  meanFadedExcess,
  spikeFadePosterior,
  type SpikeFade,
} from '../../../src/commerce/forecasting/spike-fade-posterior.js';

const halfLife = (f: SpikeFade) => Math.LN2 / f.decayPerDay;
/** The posterior probability of half-lives in [low, high] days. */
const mass = (fades: readonly SpikeFade[], low: number, high: number) =>
  fades.filter((f) => halfLife(f) >= low && halfLife(f) <= high).reduce((a, f) => a + f.weight, 0);

describe('spike fade posterior', () => {
  it('is the prior, a log-normal half-life around a week, when one day cannot tell', () => {
    const fades = spikeFadePosterior([40], [50], 0);
    expect(fades.reduce((a, f) => a + f.weight, 0)).toBeCloseTo(1, 12);
    // Symmetric in log half-life around 7 days: as much mass below a week as above.
    expect(mass(fades, 0, 7)).toBeCloseTo(mass(fades, 7, 1000), 1);
    // σ = 1 in log days: about 80 % between 7/e^1.28 ≈ 1.9 and 7·e^1.28 ≈ 25 days.
    expect(mass(fades, 1.9, 25)).toBeGreaterThan(0.75);
    expect(mass(fades, 1.9, 25)).toBeLessThan(0.85);
    // Every rate's height is the one day's excess.
    for (const f of fades) expect(f.height).toBeCloseTo(40, 9);
  });

  it('concentrates on the half-life of an exact fade seen for two weeks', () => {
    // A 10 %/day fade (half-life 6.9 days) of 200 units on a baseline of 20, no noise.
    const excess = Array.from({ length: 14 }, (_, i) => 200 * Math.exp(-0.1 * i));
    const fades = spikeFadePosterior(
      excess,
      excess.map((e) => 20 + e),
      0,
    );
    expect(mass(fades, 6, 8)).toBeGreaterThan(0.95);
    // And the mean excess follows it: 200·e^(−0.1·14) ≈ 49.3 one day after the last.
    expect(meanFadedExcess(fades, 1)).toBeCloseTo(200 * Math.exp(-1.4), -1);
  });

  it('stays wide after three noisy days, narrows after twenty', () => {
    const rng = seededRandom(11);
    const days = (n: number) =>
      Array.from({ length: n }, (_, i) => poisson(rng, 20 + 150 * Math.exp(-0.1 * i)) - 20);
    const spread = (n: number) => {
      const excess = days(n);
      return mass(
        spikeFadePosterior(
          excess,
          excess.map((e) => 20 + Math.max(0, e)),
          1 / 30,
        ),
        5,
        10,
      );
    };
    expect(spread(3)).toBeLessThan(0.6);
    expect(spread(20)).toBeGreaterThan(0.8);
  });

  it('draws fades deterministically for a seed, by the weights, with heights never below zero', () => {
    const fades = spikeFadePosterior([5, 1, -3], [25, 21, 17], 0.02);
    const draws = (seed: number) => {
      const rng = seededRandom(seed);
      return Array.from({ length: 2000 }, () => drawFade(rng, fades));
    };
    expect(draws(3)).toEqual(draws(3));
    const sample = draws(4);
    for (const d of sample) expect(d.height).toBeGreaterThanOrEqual(0);
    // The share of draws at the most likely rate matches its weight.
    const top = fades.reduce((a, f) => (f.weight > a.weight ? f : a));
    const share = sample.filter((d) => d.decayPerDay === top.decayPerDay).length / sample.length;
    expect(Math.abs(share - top.weight)).toBeLessThan(0.03);
  });

  it('measures the extra-Poisson variance from week-apart differences (a hand-worked answer)', () => {
    // A week at 10 then a week at 20: seven differences of 10, Var(y) = 100 / 2 = 50 over the
    // second week's mean of 20: ω = (50 − 20) / 20² = 0.075.
    const history = [...new Array<number>(7).fill(10), ...new Array<number>(7).fill(20)];
    expect(extraPoissonVariance(history)).toBeCloseTo(0.075, 12);
    // Under-dispersed (constant) sales: 0, not negative.
    expect(extraPoissonVariance(new Array<number>(30).fill(12))).toBe(0);
    expect(countVariance(20, 0.075)).toBeCloseTo(50, 12);
  });

  it('keeps the least-squares fit as the parameters and adds the posterior', () => {
    const excess = Array.from({ length: 8 }, (_, i) => 50 * Math.exp(-0.2 * i));
    const d = fitSpikeDecay(excess, { baseline: new Array<number>(8).fill(10), extraPoisson: 0.03 });
    expect(d.decayPerDay).toBeCloseTo(0.2, 6);
    expect(d.fades.reduce((a, f) => a + f.weight, 0)).toBeCloseTo(1, 12);
    // The most likely half-life is the grid's nearest to ln 2 / 0.2 ≈ 3.5 days.
    const top = d.fades.reduce((a, f) => (f.weight > a.weight ? f : a));
    expect(halfLife(top)).toBeGreaterThan(3);
    expect(halfLife(top)).toBeLessThan(4);
  });

  it('gives futures whose mean is the forecast mean after a shock two days old', () => {
    // 120 days at 10/day, then a shock of 60 fading at 10 %/day, forecast on its second day.
    const rng = seededRandom(5);
    const sales = Array.from({ length: 122 }, (_, t) =>
      poisson(rng, 10 + (t >= 120 ? 60 * Math.exp(-0.1 * (t - 120)) : 0)),
    );
    const f = forecastDemand({ sales, startDate: '2026-01-01' }, { paths: 4000, seed: 2 });
    expect(f.spikeAdjusted).toBe(true);
    for (const h of [0, 9, 29]) {
      const mean = f.paths.reduce((a, p) => a + p[h]!, 0) / f.paths.length;
      expect(Math.abs(mean - f.days[h]!.mean)).toBeLessThan(0.05 * f.days[h]!.mean + 0.5);
    }
    // Two days cannot tell a 3-day fade from a 2-week one: the interval 20 days on spans both.
    const day20 = f.days[19]!;
    expect(day20.p10).toBeLessThan(10 + 60 * Math.exp(-0.23 * 21) + 3);
    expect(day20.p90).toBeGreaterThan(10 + 60 * Math.exp(-0.05 * 21));
  });
});
