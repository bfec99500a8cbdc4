/**
 * Demand after a confirmed spike: the product's pre-spike model carries the
 * baseline, and the excess over it decays exponentially at a rate fitted to
 * the days since onset (viral attention fades; a permanent shift fits a rate
 * near zero). This keeps the spike in the forecast instead of letting a
 * slow-moving level average it away, and lets it fade as it actually fades.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { pick, type RandomSource } from './random.js';

/** Decay per day assumed with fewer than three days since onset (half-life a week). */
const DEFAULT_DECAY = Math.LN2 / 7;
const MAX_DECAY = 0.7;
const GRID_STEP = 0.01;

/** How the excess over the baseline was fitted. */
export interface SpikeDecay {
  /** Excess units/day over the baseline on the last observed day. */
  excess: number;
  /** Exponential decay rate per day. */
  decayPerDay: number;
  /**
   * Residuals of the fit in units of `√max(1, fitted)` (a count's spread),
   * resampled with a random sign for sample paths.
   */
  residuals: number[];
}

/** For a decay rate, the least-squares height and the squared error of excess ≈ E·e^(−r·(t−last)). */
function profile(excess: readonly number[], rate: number): { height: number; sse: number } {
  const last = excess.length - 1;
  let sxy = 0;
  let sxx = 0;
  excess.forEach((e, i) => {
    const w = Math.exp(-rate * (i - last));
    sxy += e * w;
    sxx += w * w;
  });
  const height = Math.max(0, sxy / sxx);
  let sse = 0;
  excess.forEach((e, i) => (sse += (e - height * Math.exp(-rate * (i - last))) ** 2));
  return { height, sse };
}

/** Golden-section search of the decay rate on [low, high]. */
function refine(excess: readonly number[], low: number, high: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = low;
  let b = high;
  for (let k = 0; k < 60; k++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (profile(excess, c).sse <= profile(excess, d).sse) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

/**
 * Fit excess_t ≈ E·e^(−r·(t−last)) to the days from the excess's peak by
 * least squares on the units themselves (a grid over r, refined by golden section; E in
 * closed form). Fitting on the units rather than their logarithm keeps a
 * weak onset day or a noisy one from dragging the curve: the log fit turned
 * an onset day near zero into a growing excess, clamped to a permanent one.
 *
 * @example
 * ```ts
 * fitSpikeDecay([40, 30, 22, 17]).decayPerDay // ≈ 0.29
 * ```
 */
export function fitSpikeDecay(since: readonly number[]): SpikeDecay {
  // The decay starts at the peak: the days of the rise (an onset flagged by
  // mentions a day before sales move, a shock building over two days) are
  // not part of it.
  const peak = since.reduce((best, e, i) => (e > since[best]! ? i : best), 0);
  const excess = since.slice(peak);
  const n = excess.length;
  if (n < 3) {
    const height = n > 0 ? profile(excess, DEFAULT_DECAY).height : 0;
    return { excess: height, decayPerDay: DEFAULT_DECAY, residuals: [0] };
  }
  let best = 0;
  for (let r = 0; r <= MAX_DECAY + 1e-9; r += GRID_STEP) {
    if (profile(excess, r).sse < profile(excess, best).sse) best = r;
  }
  const decayPerDay = refine(excess, Math.max(0, best - GRID_STEP), Math.min(MAX_DECAY, best + GRID_STEP));
  const { height } = profile(excess, decayPerDay);
  const residuals = excess.map((e, i) => {
    const fitted = height * Math.exp(-decayPerDay * (i - (n - 1)));
    return (e - fitted) / Math.sqrt(Math.max(1, fitted));
  });
  return { excess: height, decayPerDay, residuals };
}

/**
 * Baseline plus decaying excess. `baselineLead` is how many days the baseline
 * model must be run forward to reach the first forecast day (the days since
 * onset, which it did not see).
 */
export class SpikeAdjustedModel implements FittedDemandModel {
  readonly method: ForecastMethod;
  readonly parameters: Readonly<Record<string, number>>;
  readonly #baseline: FittedDemandModel;
  readonly #lead: number;
  readonly #decay: SpikeDecay;

  constructor(baseline: FittedDemandModel, baselineLead: number, decay: SpikeDecay) {
    this.method = baseline.method;
    this.#baseline = baseline;
    this.#lead = baselineLead;
    this.#decay = decay;
    this.parameters = {
      ...baseline.parameters,
      spikeExcess: decay.excess,
      spikeDecayPerDay: decay.decayPerDay,
    };
  }

  #excessAt(h: number): number {
    return this.#decay.excess * Math.exp(-this.#decay.decayPerDay * h);
  }

  forecastMean(horizon: number): number[] {
    const base = this.#baseline.forecastMean(this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => b + this.#excessAt(i + 1));
  }

  simulatePath(rng: RandomSource, horizon: number): number[] {
    const base = this.#baseline.simulatePath(rng, this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => {
      const excess = this.#excessAt(i + 1);
      // A residual with a random sign: symmetric around the fitted excess, so
      // the paths' median and mean stay on the point forecast.
      const noise = pick(rng, this.#decay.residuals) * (rng() < 0.5 ? -1 : 1);
      return Math.max(0, b + excess + noise * Math.sqrt(Math.max(1, excess)));
    });
  }

  seasonalOffsets(): number[] {
    const offsets = this.#baseline.seasonalOffsets();
    const shift = this.#lead % offsets.length;
    return [...offsets.slice(shift), ...offsets.slice(0, shift)];
  }
}
